"""Alerts: post the daily close's summary to webhooks (generic JSON, Slack, WeCom, DingTalk).

A target's format comes from an explicit prefix (`json+`, `slack+`, `wecom+`, `dingtalk+`
before `https://...`, for self-hosted relays) or else from the host (hooks.slack.com,
qyapi.weixin.qq.com, oapi.dingtalk.com); any other host gets the summary as JSON.

Delivery retries connection errors, timeouts, HTTP 429 and 5xx (and the chat robots'
"too fast" answers) with exponential backoff, honouring Retry-After up to a cap; other
answers are final. A failed delivery is reported in its `Delivery`, never raised, so it
cannot change the close's exit code. Only an unusable URL is an error, raised before
anything is sent.

A webhook URL is a secret. Nothing here ever puts the raw URL into a result or a
sentence: `redact_url` hides userinfo, every query value, Slack's path tokens and
token-like path segments, and any text a server or httpx sends back is scrubbed of the
URL's secrets before it is kept.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Literal
from urllib.parse import parse_qsl, quote_plus, urlsplit, urlunsplit

from pydantic import BaseModel

from omnictl import __version__
from omnictl.errors import UsageError

if TYPE_CHECKING:
    import httpx


def _httpx():
    # Imported when first used: `import httpx` also loads click and rich (for its own command
    # line), and the domain layer must stay importable without UI libraries.
    import httpx

    return httpx

Format = Literal["json", "slack", "wecom", "dingtalk"]
FORMATS: tuple[str, ...] = ("json", "slack", "wecom", "dingtalk")
HOST_FORMATS: dict[str, Format] = {
    "hooks.slack.com": "slack",
    "qyapi.weixin.qq.com": "wecom",
    "oapi.dingtalk.com": "dingtalk",
}
LANGS = ("en", "zh")
HEADERS = {"Content-Type": "application/json; charset=utf-8", "User-Agent": f"omnictl/{__version__}"}
MASK = "***"
# The chat robots answer HTTP 200 with an errcode; these mean "slow down" or "busy, try again".
RETRYABLE_ERRCODES = {"dingtalk": {130101}, "wecom": {-1, 45009}}
# WeCom's markdown content is limited to 4096 bytes; the text stays well inside it.
MAX_TEXT_BYTES = 4000
MAX_DETAIL_CHARS = 160
TOKEN_LIKE = re.compile(r"^(?=.*[A-Za-z])(?=.*\d)[A-Za-z0-9_\-.=~%]{16,}$")


class Delivery(BaseModel):
    """One webhook's outcome. `url` is redacted; `error` is one sentence, None when ok."""

    url: str
    format: str
    ok: bool
    http_status: int | None = None
    attempts: int
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Target:
    """A parsed webhook: where to post (secret-bearing, never shown) and how to show it."""

    url: str            # without the format prefix and without DingTalk's `secret` parameter
    format: Format
    redacted: str
    signing_secret: str | None
    secrets: tuple[str, ...]


# ---------------------------------------------------------------- URLs and redaction

def _split_prefix(url: str) -> tuple[str | None, str]:
    head, plus, rest = url.partition("+")
    if plus and head.lower() in FORMATS and "://" in rest and "/" not in head:
        return head.lower(), rest
    return None, url


def _host(parts) -> str:
    try:
        return (parts.hostname or "").lower()
    except ValueError:
        return ""


def _redact_path(path: str, slack: bool) -> str:
    segments = path.split("/")
    if slack:
        # /services/TEAM/BOT/TOKEN: the team and bot ids tell hooks apart, the rest is the token.
        keep = 4 if len(segments) > 1 and segments[1] == "services" else 2
        return "/".join(s if i < keep or not s else MASK for i, s in enumerate(segments))
    return "/".join(MASK if TOKEN_LIKE.match(s) else s for s in segments)


def redact_url(url: str) -> str:
    """The URL with its secrets replaced by `***`: userinfo, every query value, Slack's
    token path segments and any path segment that looks like a token; the fragment dropped.
    A text that is no URL at all keeps only what precedes its first `/` or `?`."""
    prefix, rest = _split_prefix(url.strip())
    parts = _split(rest)
    if parts is None or not parts.scheme or not parts.netloc:
        if "://" in rest:
            shown = f"{rest.partition('://')[0]}://{MASK}"
        else:
            visible = re.split(r"[/?#@:]", rest, maxsplit=1)[0]
            shown = visible if visible == rest else f"{visible}/{MASK}"
        return f"{prefix}+{shown}" if prefix else shown
    host = parts.netloc.rpartition("@")[2]
    netloc = f"{MASK}@{host}" if "@" in parts.netloc else host
    slack = prefix == "slack" or (prefix is None and _host(parts) == "hooks.slack.com")
    path = _redact_path(parts.path, slack)
    query = "&".join(f"{key}={MASK}" if value else (MASK if TOKEN_LIKE.match(key) else key)
                     for key, value in parse_qsl(parts.query, keep_blank_values=True))
    redacted = urlunsplit((parts.scheme, netloc, path, query, ""))
    return f"{prefix}+{redacted}" if prefix else redacted


def _split(text: str):
    try:
        return urlsplit(text)
    except ValueError:      # e.g. an unbalanced IPv6 bracket
        return None


def _raw_query(query: str) -> list[tuple[str, str]]:
    return [(key, value) for key, _, value in (pair.partition("=") for pair in query.split("&") if pair)]


def _secrets_of(parts, slack: bool) -> list[str]:
    # Both the decoded and the raw (percent-encoded) forms, as a server may echo either.
    found = [value for _, value in parse_qsl(parts.query, keep_blank_values=True) if value]
    found += [value or key for key, value in _raw_query(parts.query)]
    if "@" in parts.netloc:
        userinfo = parts.netloc.rpartition("@")[0]
        found += [userinfo, *userinfo.split(":")]
    segments = parts.path.split("/")
    redacted = _redact_path(parts.path, slack).split("/")
    found += [s for s, r in zip(segments, redacted) if r == MASK and s != MASK]
    return sorted({s for s in found if len(s) >= 3}, key=len, reverse=True)


def parse_target(url: str) -> Target:
    """Check one webhook URL and work out its format; UsageError naming the redacted URL."""
    shown = redact_url(url)
    prefix, rest = _split_prefix(url.strip())
    parts = _split(rest)
    if parts is None:
        raise UsageError(f"webhook {shown} is not a valid URL")
    if parts.scheme.lower() not in ("http", "https"):
        raise UsageError(f"webhook {shown} is not an http or https URL "
                         f"(optionally prefixed with {', '.join(f + '+' for f in FORMATS)})")
    host = _host(parts)
    if not host:
        raise UsageError(f"webhook {shown} names no host")
    httpx = _httpx()
    try:
        _ = parts.port
        httpx.URL(rest)
    except (ValueError, httpx.InvalidURL):
        raise UsageError(f"webhook {shown} is not a valid URL") from None
    fmt: Format = prefix or HOST_FORMATS.get(host, "json")  # type: ignore[assignment]
    slack = fmt == "slack"
    secrets = _secrets_of(parts, slack)
    signing_secret = None
    send_parts = parts._replace(fragment="")
    if fmt == "dingtalk":
        # DingTalk's signing secret travels to us as `secret=` and never to DingTalk.
        signing_secret = next((v for k, v in parse_qsl(parts.query) if k == "secret" and v), None)
        kept = [pair for pair in parts.query.split("&") if pair and pair.partition("=")[0] != "secret"]
        send_parts = send_parts._replace(query="&".join(kept))
    return Target(url=urlunsplit(send_parts), format=fmt, redacted=shown,
                  signing_secret=signing_secret, secrets=tuple(secrets))


def check_urls(urls: list[str]) -> list[Target]:
    """Every URL checked before anything is sent (the first unusable one raises UsageError)."""
    return [parse_target(url) for url in urls]


def _scrub(text: str, target: Target, extra: tuple[str, ...] = ()) -> str:
    for secret in (*extra, *target.secrets):
        text = text.replace(secret, MASK)
    return text


# ---------------------------------------------------------------- the message

WORDS = {
    "en": {"title": "omnictl daily close {date}: {status}", "status": {"ok": "OK", "warn": "WARN", "fail": "FAIL"},
           "check": "{label} {name} (owner {owner}){details}", "no_owner": "unassigned",
           "exceptions": "Open exceptions: {count}", "kpis": "KPIs: {items}", "all_ok": "All checks passed",
           "target": " (target {target})", "sep": "; ", "colon": ": "},
    "zh": {"title": "omnictl 日清日结 {date}：{status}", "status": {"ok": "正常", "warn": "警告", "fail": "失败"},
           "check": "{label} {name}（负责人 {owner}）{details}", "no_owner": "未指定",
           "exceptions": "未关闭异常：{count}", "kpis": "KPI：{items}", "all_ok": "所有检查通过",
           "target": "（目标 {target}）", "sep": "；", "colon": "："},
}
CLOSED_EXCEPTION_STATES = {"resolved", "closed", "done"}


def _number(value) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".") if math.isfinite(value) else "n/a"
    return str(value)


def _details(value, words) -> str:
    if value in (None, "", [], {}):
        return ""
    if isinstance(value, dict):
        text = ", ".join(f"{k} {_number(v)}" for k, v in value.items() if not isinstance(v, (dict, list)))
    elif isinstance(value, (list, tuple)):
        text = ", ".join(str(v) for v in value)
    else:
        text = str(value)
    text = " ".join(text.split())
    if len(text) > MAX_DETAIL_CHARS:
        text = text[:MAX_DETAIL_CHARS - 1] + "…"
    return words["colon"] + text if text else ""


def _kpi(name: str, value, words) -> str | None:
    if isinstance(value, dict):
        if "value" not in value:
            return None
        unit = value.get("unit") or ""
        text = f"{name} {_number(value['value'])}{unit}"
        if value.get("target") is not None:
            text += words["target"].format(target=f"{_number(value['target'])}{unit}")
        return text
    if isinstance(value, (list, tuple)):
        return None    # a trend series belongs in the report, not in a chat line
    return f"{name} {_number(value)}"


def _open_exceptions(exceptions) -> int:
    if isinstance(exceptions, int):
        return exceptions
    return sum(1 for e in exceptions or []
               if not (isinstance(e, dict) and str(e.get("status", "")).lower() in CLOSED_EXCEPTION_STATES))


def message_lines(summary: dict, lang: str = "en") -> tuple[str, list[str]]:
    """The headline and the lines of the chat message: failing then warning checks with
    their owners, the open exception count, the KPIs. Same summary, same text."""
    if lang not in LANGS:
        raise UsageError(f"language '{lang}' is not supported (use en or zh)")
    words = WORDS[lang]
    status = str(summary.get("status", "")).lower()
    headline = words["title"].format(date=summary.get("date", "?"), status=words["status"].get(status, status.upper()))
    lines = []
    for level in ("fail", "warn"):
        for check in summary.get("checks") or []:
            if str(check.get("status", "")).lower() == level:
                lines.append(words["check"].format(
                    label=words["status"][level], name=check.get("name", "?"),
                    owner=check.get("owner") or words["no_owner"],
                    details=_details(check.get("details"), words)))
    if not lines and status == "ok":
        lines.append(words["all_ok"])
    lines.append(words["exceptions"].format(count=_open_exceptions(summary.get("exceptions"))))
    kpis = [text for name, value in (summary.get("kpis") or {}).items()
            if (text := _kpi(name, value, words)) is not None]
    if kpis:
        lines.append(words["kpis"].format(items=words["sep"].join(kpis)))
    return headline, lines


def _fit(text: str) -> str:
    data = text.encode("utf-8")
    if len(data) <= MAX_TEXT_BYTES:
        return text
    return data[:MAX_TEXT_BYTES - 3].decode("utf-8", errors="ignore") + "…"


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def build_payload(fmt: str, summary: dict, lang: str = "en") -> dict:
    """The JSON body posted for a format: the summary itself for `json`, a chat message otherwise."""
    if fmt == "json":
        return summary
    headline, lines = message_lines(summary, lang)
    if fmt == "slack":
        return {"text": _fit(_slack_escape("\n".join([f"*{headline}*", *(f"• {line}" for line in lines)])))}
    if fmt == "wecom":
        return {"msgtype": "markdown",
                "markdown": {"content": _fit("\n".join([f"**{headline}**", *lines]))}}
    if fmt == "dingtalk":
        return {"msgtype": "markdown",
                "markdown": {"title": headline,
                             "text": _fit("\n".join([f"### {headline}", "", *(f"- {line}" for line in lines)]))}}
    raise UsageError(f"webhook format '{fmt}' is unknown (use {', '.join(FORMATS)})")


def encode_body(payload: dict) -> bytes:
    """UTF-8 JSON as posted (Chinese stays readable; dates and decimals as text)."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str).encode("utf-8")


# ---------------------------------------------------------------- sending

def dingtalk_signature(secret: str, timestamp_ms: int) -> str:
    """DingTalk's `sign`: base64 HMAC-SHA256 of "timestamp\\nsecret" keyed by the secret."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def _signed_url(target: Target, wall_clock: Callable[[], float]) -> tuple[str, tuple[str, ...]]:
    if not target.signing_secret:
        return target.url, ()
    timestamp = round(wall_clock() * 1000)
    sign = dingtalk_signature(target.signing_secret, timestamp)
    joiner = "&" if urlsplit(target.url).query else "?"
    return f"{target.url}{joiner}timestamp={timestamp}&sign={quote_plus(sign)}", (sign, quote_plus(sign))


def _retry_after(response: httpx.Response, wall_clock: Callable[[], float]) -> float | None:
    value = response.headers.get("retry-after", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - wall_clock())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _robot_errcode(response: httpx.Response) -> tuple[int, str] | None:
    try:
        answer = response.json()
    except ValueError:
        return None
    if isinstance(answer, dict) and isinstance(answer.get("errcode"), int) and answer["errcode"] != 0:
        return answer["errcode"], str(answer.get("errmsg", ""))
    return None


def _excerpt(response: httpx.Response) -> str:
    text = " ".join(response.text.split())
    return f" ({text[:200]})" if text else ""


def _transport_problem(err: httpx.TransportError, timeout_s: float) -> str:
    httpx = _httpx()
    if isinstance(err, httpx.TimeoutException):
        return f"no answer within {_number(float(timeout_s))} s"
    if isinstance(err, httpx.ConnectError):
        return f"could not connect ({err})" if str(err) else "could not connect"
    return f"the connection failed ({type(err).__name__}{': ' + str(err) if str(err) else ''})"


def _attempts_word(n: int) -> str:
    return "1 attempt" if n == 1 else f"{n} attempts"


def _post(client: httpx.Client, target: Target, body: bytes, *, timeout_s: float, attempts: int,
          backoff_s: float, max_retry_after_s: float, sleep: Callable[[float], None],
          wall_clock: Callable[[], float]) -> Delivery:
    httpx = _httpx()
    def result(ok: bool, tried: int, status: int | None = None, problem: str | None = None, extra=()) -> Delivery:
        error = None if ok else _scrub(f"webhook {target.redacted}: {problem}", target, extra)
        return Delivery(url=target.redacted, format=target.format, ok=ok, http_status=status,
                        attempts=tried, error=error)

    for attempt in range(1, attempts + 1):
        url, extra = _signed_url(target, wall_clock)
        wait = backoff_s * 2 ** (attempt - 1)
        try:
            response = client.post(url, content=body,
                                   headers=HEADERS)
        except httpx.TransportError as err:
            problem = _transport_problem(err, timeout_s)
            if attempt == attempts:
                return result(False, attempt, None, f"{problem}; gave up after {_attempts_word(attempt)}", extra)
            sleep(wait)
            continue
        status = response.status_code
        if 200 <= status < 300:
            errcode = _robot_errcode(response) if target.format in RETRYABLE_ERRCODES else None
            if errcode is None:
                return result(True, attempt, status)
            code, message = errcode
            problem = f"the robot answered errcode {code}{f' ({message})' if message else ''}"
            if code not in RETRYABLE_ERRCODES[target.format]:
                return result(False, attempt, status, f"{problem}; not retried", extra)
            if attempt == attempts:
                return result(False, attempt, status, f"{problem}; gave up after {_attempts_word(attempt)}", extra)
            sleep(wait)
            continue
        problem = f"answered HTTP {status}{_excerpt(response)}"
        if response.is_redirect:
            problem += " (redirects are not followed: give the URL it redirects to)"
        if status != 429 and status < 500:
            return result(False, attempt, status, f"{problem}; not retried", extra)
        if attempt == attempts:
            return result(False, attempt, status, f"{problem}; gave up after {_attempts_word(attempt)}", extra)
        asked = _retry_after(response, wall_clock)
        if asked is not None and asked > max_retry_after_s:
            return result(False, attempt, status,
                          f"{problem} and asked to retry after {_number(asked)} s, longer than the "
                          f"{_number(float(max_retry_after_s))} s cap; not retried", extra)
        sleep(asked if asked is not None else wait)
    raise AssertionError("unreachable: the loop returns on its last attempt")


def deliver(urls: list[str], summary: dict, *, lang: str = "en", timeout_s: float = 10.0,
            attempts: int = 3, backoff_s: float = 2.0, max_retry_after_s: float = 60.0,
            sleep: Callable[[float], None] = time.sleep,
            wall_clock: Callable[[], float] = time.time) -> list[Delivery]:
    """Post `summary` to every URL, in order; one `Delivery` each. Raises UsageError only for
    an unusable URL, bad language or option, before anything is sent; a failed delivery is
    reported in its result. `wall_clock` is the real instant (Unix seconds) for DingTalk's
    signature and Retry-After dates: the signature must carry real time even when the
    business clock is pinned, so this is not `omnictl.clock`."""
    targets = check_urls(urls)
    if lang not in LANGS:
        raise UsageError(f"language '{lang}' is not supported (use en or zh)")
    if attempts < 1 or timeout_s <= 0 or backoff_s < 0 or max_retry_after_s < 0:
        raise UsageError("webhook delivery needs at least 1 attempt, a positive timeout and no negative waits")
    bodies = {fmt: encode_body(build_payload(fmt, summary, lang)) for fmt in {t.format for t in targets}}
    deliveries = []
    with _httpx().Client(timeout=timeout_s, follow_redirects=False, trust_env=True) as client:
        for target in targets:
            deliveries.append(_post(client, target, bodies[target.format], timeout_s=timeout_s,
                                    attempts=attempts, backoff_s=backoff_s,
                                    max_retry_after_s=max_retry_after_s, sleep=sleep, wall_clock=wall_clock))
    return deliveries
