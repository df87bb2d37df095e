"""Webhook delivery against a real HTTP server on 127.0.0.1 (formats, retries, redaction)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import threading
import time
from datetime import date
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from omnictl import notify
from omnictl.errors import UsageError

SUMMARY = {
    "date": "2026-11-24",
    "status": "fail",
    "checks": [
        {"name": "channel freshness", "status": "warn", "owner": "ops",
         "details": "amazon-de has no import after 2026-11-24"},
        {"name": "t3", "status": "fail", "owner": "planner", "details": "MO-0007 behind for SO 1042 due 2026-11-26"},
        {"name": "stock", "status": "ok", "owner": "warehouse", "details": ""},
        {"name": "material consumption", "status": "fail", "owner": None,
         "details": {"orders": 1, "components": 2}},
    ],
    "exceptions": [{"id": 1, "status": "open"}, {"id": 2, "status": "resolved"}, {"id": 3, "status": "open"}],
    "kpis": {"on_time_delivery": {"value": 93.5, "target": 95, "unit": "%"}, "oee": 0.78,
             "turnover_days": {"value": 41, "trend": [40, 41]}, "trend": [1, 2, 3]},
}
SECRET = "Zq9TOKENs3cr3tXyZ0123456789"


class Reply:
    def __init__(self, status=200, body=b"ok", headers=None, delay=0.0):
        self.status, self.body, self.headers, self.delay = status, body, headers or {}, delay


class Hook:
    """A webhook server: records every request and answers from a script (then 200 ok)."""

    def __init__(self):
        self.requests: list[dict] = []
        self.script: list[Reply] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                hook.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                reply = hook.script.pop(0) if hook.script else Reply()
                if reply.delay:
                    time.sleep(reply.delay)
                try:
                    self.send_response(reply.status)
                    for key, value in reply.headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                except OSError:
                    pass     # the client gave up (timeout test)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hook(monkeypatch):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    server = Hook()
    yield server
    server.close()


class FakeSleep:
    def __init__(self):
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def send(urls, summary=SUMMARY, **options):
    options.setdefault("sleep", FakeSleep())
    return notify.deliver(urls, summary, **options)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ---------------------------------------------------------------- formats

def test_generic_json_gets_the_summary_as_is(hook):
    [delivery] = send([f"{hook.base}/close?key={SECRET}"])
    assert delivery.ok and delivery.http_status == 200 and delivery.attempts == 1 and delivery.error is None
    assert delivery.format == "json"
    [request] = hook.requests
    assert request["path"] == f"/close?key={SECRET}"
    assert request["body"] == json.dumps(SUMMARY, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    assert request["headers"]["Content-Type"] == "application/json; charset=utf-8"
    assert request["headers"]["User-Agent"].startswith("omnictl/")


def test_dates_and_decimals_in_the_summary_are_sent_as_text(hook):
    summary = {"date": date(2026, 11, 24), "status": "ok", "checks": [], "exceptions": [],
               "kpis": {"oee": Decimal("0.815")}}
    [json_delivery, slack_delivery] = send([hook.base, f"slack+{hook.base}/services/T1/B2/x"], summary)
    assert json_delivery.ok and slack_delivery.ok
    assert json.loads(hook.requests[0]["body"]) == {"date": "2026-11-24", "status": "ok", "checks": [],
                                                    "exceptions": [], "kpis": {"oee": "0.815"}}
    assert json.loads(hook.requests[1]["body"])["text"].endswith("• KPIs: oee 0.815")


def test_slack_text_lists_failures_then_warnings_with_owners(hook):
    [delivery] = send([f"slack+{hook.base}/services/T0001/B0002/{SECRET}"])
    assert delivery.ok and delivery.format == "slack"
    assert hook.requests[0]["path"] == f"/services/T0001/B0002/{SECRET}"
    assert json.loads(hook.requests[0]["body"]) == {"text": (
        "*omnictl daily close 2026-11-24: FAIL*\n"
        "• FAIL t3 (owner planner): MO-0007 behind for SO 1042 due 2026-11-26\n"
        "• FAIL material consumption (owner unassigned): orders 1, components 2\n"
        "• WARN channel freshness (owner ops): amazon-de has no import after 2026-11-24\n"
        "• Open exceptions: 2\n"
        "• KPIs: on_time_delivery 93.5% (target 95%); oee 0.78; turnover_days 41")}


def test_wecom_markdown_in_chinese(hook):
    [delivery] = send([f"wecom+{hook.base}/cgi-bin/webhook/send?key={SECRET}"], lang="zh")
    assert delivery.ok and delivery.format == "wecom"
    assert json.loads(hook.requests[0]["body"]) == {"msgtype": "markdown", "markdown": {"content": (
        "**omnictl 日清日结 2026-11-24：失败**\n"
        "失败 t3（负责人 planner）：MO-0007 behind for SO 1042 due 2026-11-26\n"
        "失败 material consumption（负责人 未指定）：orders 1, components 2\n"
        "警告 channel freshness（负责人 ops）：amazon-de has no import after 2026-11-24\n"
        "未关闭异常：2\n"
        "KPI：on_time_delivery 93.5%（目标 95%）；oee 0.78；turnover_days 41")}}
    # Chinese is sent as UTF-8, not as \\u escapes
    assert "日清日结".encode() in hook.requests[0]["body"]


def test_dingtalk_markdown_signed_with_the_secret_which_is_never_sent(hook):
    url = f"dingtalk+{hook.base}/robot/send?access_token={SECRET}&secret=SECabc123signingkey"
    [delivery] = send([url], wall_clock=lambda: 1764072000.5)
    assert delivery.ok and delivery.format == "dingtalk"
    request = hook.requests[0]
    query = parse_qs(urlsplit(request["path"]).query)
    assert query["access_token"] == [SECRET] and "secret" not in query
    assert query["timestamp"] == ["1764072000500"]
    expected = base64.b64encode(hmac.new(b"SECabc123signingkey", b"1764072000500\nSECabc123signingkey",
                                         hashlib.sha256).digest()).decode()
    assert query["sign"] == [expected]
    body = json.loads(request["body"])
    assert body["msgtype"] == "markdown"
    assert body["markdown"]["title"] == "omnictl daily close 2026-11-24: FAIL"
    assert body["markdown"]["text"].splitlines()[:3] == [
        "### omnictl daily close 2026-11-24: FAIL", "",
        "- FAIL t3 (owner planner): MO-0007 behind for SO 1042 due 2026-11-26"]


def test_format_comes_from_the_host_and_a_prefix_wins():
    assert notify.parse_target("https://hooks.slack.com/services/T1/B2/x").format == "slack"
    assert notify.parse_target("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k").format == "wecom"
    assert notify.parse_target("https://oapi.dingtalk.com/robot/send?access_token=t").format == "dingtalk"
    assert notify.parse_target("https://relay.example.com/in").format == "json"
    assert notify.parse_target("json+https://hooks.slack.com/services/T1/B2/x").format == "json"
    assert notify.parse_target("WeCom+https://relay.example.com/in").url == "https://relay.example.com/in"


def test_all_ok_close_and_the_text_is_deterministic():
    summary = {"date": "2026-11-24", "status": "ok", "checks": [{"name": "stock", "status": "ok", "owner": "x"}],
               "exceptions": [], "kpis": {}}
    first = notify.build_payload("slack", summary)
    assert first == {"text": "*omnictl daily close 2026-11-24: OK*\n• All checks passed\n• Open exceptions: 0"}
    assert notify.build_payload("slack", summary) == first
    assert notify.message_lines(summary, "zh") == ("omnictl 日清日结 2026-11-24：正常", ["所有检查通过", "未关闭异常：0"])


def test_slack_text_escapes_control_characters():
    summary = {"date": "d", "status": "warn", "checks": [{"name": "a<b>&c", "status": "warn", "owner": "o"}]}
    assert "a&lt;b&gt;&amp;c" in notify.build_payload("slack", summary)["text"]


def test_long_details_are_cut_and_the_text_fits_wecom():
    checks = [{"name": f"check {i}", "status": "fail", "owner": "o", "details": "x" * 500} for i in range(60)]
    content = notify.build_payload("wecom", {"date": "d", "status": "fail", "checks": checks})["markdown"]["content"]
    assert len(content.encode("utf-8")) <= 4096
    assert "x" * 159 + "…" in content and "x" * 161 not in content


# ---------------------------------------------------------------- retries and failures

def test_500_then_200_is_retried_with_backoff(hook):
    hook.script = [Reply(500, b"oops")]
    sleep = FakeSleep()
    [delivery] = send([hook.base], sleep=sleep, backoff_s=1.5)
    assert delivery.ok and delivery.attempts == 2 and delivery.http_status == 200
    assert sleep.waits == [1.5] and len(hook.requests) == 2


def test_repeated_503_backs_off_exponentially_then_gives_up(hook):
    hook.script = [Reply(503, b"busy")] * 3
    sleep = FakeSleep()
    [delivery] = send([hook.base], sleep=sleep, attempts=3, backoff_s=2)
    assert not delivery.ok and delivery.attempts == 3 and delivery.http_status == 503
    assert sleep.waits == [2, 4]
    assert delivery.error == f"webhook {hook.base}: answered HTTP 503 (busy); gave up after 3 attempts"


def test_400_is_not_retried(hook):
    hook.script = [Reply(400, b"invalid_payload")]
    sleep = FakeSleep()
    [delivery] = send([hook.base + "/x"], sleep=sleep)
    assert not delivery.ok and delivery.attempts == 1 and delivery.http_status == 400
    assert sleep.waits == [] and len(hook.requests) == 1
    assert delivery.error == f"webhook {hook.base}/x: answered HTTP 400 (invalid_payload); not retried"


def test_timeout_is_retried_then_reported(hook):
    hook.script = [Reply(delay=1.0), Reply(delay=1.0)]
    [delivery] = send([hook.base], timeout_s=0.2, attempts=2)
    assert not delivery.ok and delivery.attempts == 2 and delivery.http_status is None
    assert delivery.error == f"webhook {hook.base}: no answer within 0.2 s; gave up after 2 attempts"


def test_timeout_then_success(hook):
    hook.script = [Reply(delay=1.0)]
    [delivery] = send([hook.base], timeout_s=0.2, attempts=2)
    assert delivery.ok and delivery.attempts == 2


def test_connection_refused_is_reported_not_raised():
    port = closed_port()
    sleep = FakeSleep()
    [delivery] = send([f"http://127.0.0.1:{port}/hook?token={SECRET}"], sleep=sleep, attempts=3, backoff_s=1)
    assert not delivery.ok and delivery.attempts == 3 and delivery.http_status is None
    assert sleep.waits == [1, 2]
    assert delivery.error.startswith(f"webhook http://127.0.0.1:{port}/hook?token=***: could not connect")
    assert delivery.error.endswith("gave up after 3 attempts")


def test_retry_after_seconds_is_honoured(hook):
    hook.script = [Reply(429, b"slow down", {"Retry-After": "7"})]
    sleep = FakeSleep()
    [delivery] = send([hook.base], sleep=sleep, backoff_s=1)
    assert delivery.ok and delivery.attempts == 2 and sleep.waits == [7.0]


def test_retry_after_http_date_is_honoured(hook):
    hook.script = [Reply(503, b"", {"Retry-After": "Wed, 25 Nov 2026 12:00:30 GMT"})]
    sleep = FakeSleep()
    now = 1795608000.0      # 2026-11-25 12:00:00 UTC
    [delivery] = send([hook.base], sleep=sleep, wall_clock=lambda: now)
    assert delivery.ok and sleep.waits == [30.0]


def test_retry_after_beyond_the_cap_stops_retrying(hook):
    hook.script = [Reply(429, b"", {"Retry-After": "3600"})]
    sleep = FakeSleep()
    [delivery] = send([hook.base], sleep=sleep, max_retry_after_s=60)
    assert not delivery.ok and delivery.attempts == 1 and sleep.waits == []
    assert delivery.error == (f"webhook {hook.base}: answered HTTP 429 and asked to retry after 3600 s, "
                              "longer than the 60 s cap; not retried")


def test_robot_errcode_is_a_failure_and_throttling_is_retried(hook):
    hook.script = [Reply(200, b'{"errcode":130101,"errmsg":"send too fast"}'),
                   Reply(200, b'{"errcode":310000,"errmsg":"sign not match"}')]
    sleep = FakeSleep()
    [delivery] = send([f"dingtalk+{hook.base}/robot/send?access_token={SECRET}"], sleep=sleep, backoff_s=1)
    assert not delivery.ok and delivery.attempts == 2 and delivery.http_status == 200
    assert sleep.waits == [1]
    assert delivery.error == (f"webhook dingtalk+{hook.base}/robot/send?access_token=***: "
                              "the robot answered errcode 310000 (sign not match); not retried")


def test_redirect_is_not_followed(hook):
    hook.script = [Reply(302, b"", {"Location": "http://127.0.0.1:1/elsewhere"})]
    [delivery] = send([hook.base])
    assert not delivery.ok and delivery.http_status == 302 and len(hook.requests) == 1
    assert delivery.error == (f"webhook {hook.base}: answered HTTP 302 "
                              "(redirects are not followed: give the URL it redirects to); not retried")


def test_a_failing_close_without_failing_checks_does_not_claim_all_passed():
    summary = {"date": "d", "status": "fail", "checks": [], "exceptions": 4}
    assert notify.message_lines(summary) == ("omnictl daily close d: FAIL", ["Open exceptions: 4"])


def test_one_failure_does_not_stop_the_others(hook):
    hook.script = [Reply(404, b"no such hook")]
    deliveries = send([hook.base + "/gone", f"http://127.0.0.1:{closed_port()}/", hook.base + "/fine"],
                      attempts=1)
    assert [d.ok for d in deliveries] == [False, False, True]
    assert [r["path"] for r in hook.requests] == ["/gone", "/fine"]


# ---------------------------------------------------------------- unusable URLs and options

@pytest.mark.parametrize("url, words", [
    ("ftp://user:pw@host/x", "webhook ftp://***@host/x is not an http or https URL"),
    ("hooks.slack.com/services/T1/B2/" + SECRET, "webhook hooks.slack.com/*** is not an http or https URL"),
    ("https:///path?key=" + SECRET, "webhook https://*** names no host"),
    ("teams+https://example.com/?k=" + SECRET, "webhook teams+https://example.com/?k=*** is not an http"),
    ("http://example.com:notaport/?k=" + SECRET, "webhook http://example.com:notaport/?k=*** is not a valid URL"),
    (f"http://u:{SECRET}@[::1/x", "webhook http://*** is not a valid URL"),
])
def test_unusable_url_raises_before_anything_is_sent(hook, url, words):
    with pytest.raises(UsageError) as caught:
        send([hook.base, url])
    message = str(caught.value)
    assert message.startswith(words), message
    assert SECRET not in message and "pw" not in message
    assert hook.requests == []


def test_bad_language_or_options_are_usage_errors(hook):
    with pytest.raises(UsageError, match="language 'fr'"):
        send([hook.base], lang="fr")
    with pytest.raises(UsageError, match="at least 1 attempt"):
        send([hook.base], attempts=0)
    assert hook.requests == []


def test_no_urls_sends_nothing():
    assert send([]) == []


# ---------------------------------------------------------------- redaction

@pytest.mark.parametrize("url, shown", [
    ("https://hooks.slack.com/services/T0001/B0002/" + SECRET, "https://hooks.slack.com/services/T0001/B0002/***"),
    ("https://hooks.slack.com/triggers/T0001/123/" + SECRET, "https://hooks.slack.com/triggers/***/***/***"),
    ("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=" + SECRET,
     "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=***"),
    (f"https://oapi.dingtalk.com/robot/send?access_token={SECRET}&secret=SECxyz",
     "https://oapi.dingtalk.com/robot/send?access_token=***&secret=***"),
    (f"json+https://bot:{SECRET}@relay.example.com:8443/in#frag", "json+https://***@relay.example.com:8443/in"),
    (f"https://discord.com/api/webhooks/123456/{SECRET}", "https://discord.com/api/webhooks/123456/***"),
    ("https://relay.example.com/hooks/close?flag", "https://relay.example.com/hooks/close?flag"),
    (f"https://relay.example.com/in?{SECRET}", "https://relay.example.com/in?***"),
    (f"https://u:{SECRET}@[::1/x", "https://***"),
])
def test_redact_url(url, shown):
    assert notify.redact_url(url) == shown
    assert SECRET not in notify.redact_url(url)


def test_a_percent_encoded_secret_echoed_back_is_scrubbed(hook):
    hook.script = [Reply(401, b"unknown key abc%2Fdef%3D%3D123 (abc/def==123)")]
    [delivery] = send([f"{hook.base}/in?key=abc%2Fdef%3D%3D123"])
    assert "abc" not in delivery.error and delivery.error.endswith("answered HTTP 401 (unknown key *** (***)); not retried")


def test_a_secret_never_appears_in_any_delivery_or_error(hook):
    # The servers echo what they were sent, tokens included, in their error answers.
    echo = f"bad token {SECRET}".encode()
    robot = b'{"errcode":1,"errmsg":"' + echo + b'"}'
    signed_robot = b'{"errcode":1,"errmsg":"' + echo + b' secret SECsigningkey99"}'
    hook.script = [Reply(403, echo), Reply(500, echo), Reply(500, echo), Reply(200, robot), Reply(200, signed_robot),
                   Reply(delay=1.0), Reply(delay=1.0)]
    urls = [f"{hook.base}/a?access_token={SECRET}",
            f"slack+{hook.base}/services/T1/B2/{SECRET}",
            f"wecom+{hook.base}/w?key={SECRET}",
            f"dingtalk+http://u:{SECRET}@127.0.0.1:{hook.server.server_address[1]}/d?secret=SECsigningkey99",
            f"{hook.base}/t/{SECRET}",
            f"http://127.0.0.1:{closed_port()}/r?sign={SECRET}"]
    deliveries = send(urls, attempts=2, timeout_s=0.2)
    assert [d.ok for d in deliveries] == [False, False, False, False, False, False]
    for delivery in deliveries:
        text = delivery.model_dump_json()
        assert SECRET not in text and "SECsigningkey99" not in text, text
        assert delivery.error and delivery.url in delivery.error
