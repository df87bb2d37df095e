"""`omnictl close` and `omnictl exceptions` from the command line; the Markdown report."""

from __future__ import annotations

from test_close import D, _company, _sql

from omnictl.close import run_close
from omnictl.db import open_db
from omnictl.report import close_markdown


def _build(path, **kwargs):
    db = open_db(path)
    _company(db, **kwargs)
    return db


def test_clean_close_exits_0_and_json_has_the_documented_shape(cli, db_path):
    _build(db_path).close()
    result = cli("close", "run", "--json")
    assert result.code == 0, result
    data = result.json()
    assert {"date", "status", "checks", "exceptions", "kpis"} <= data.keys()
    assert (data["date"], data["status"], data["exceptions"]) == (D, "ok", [])
    assert {"on_time_delivery", "oee", "turnover_days", "trend"} <= data["kpis"].keys()
    assert [c["name"] for c in data["checks"]] == ["channels", "production", "consumption", "stock", "t3",
                                                   "escalation"]
    assert all({"name", "status", "owner", "details"} <= c.keys() for c in data["checks"])


def test_a_failing_check_exits_1_and_a_warning_only_under_fail_on_warn(cli, db_path):
    db = _build(db_path, imported_at="2026-11-24T15:00:00Z")
    assert cli("close", "run").code == 0                        # a stale channel only warns
    result = cli("close", "run", "--fail-on", "warn")
    assert result.code == 1 and "close of 2026-11-24: warn" in result.stdout
    _sql(db, "UPDATE sales_order SET promised_ship_by = '2026-11-26'")
    db.close()
    result = cli("close", "run", "--date", D, "--json")
    assert result.code == 1 and result.json()["status"] == "fail"
    assert result.json()["checks"][4]["status"] == "fail"


def test_unusable_input_exits_2_with_one_sentence(cli, db_path, tmp_path):
    _build(db_path).close()
    for args, words in [(("--date", "2026-13-01"), "Error: --date '2026-13-01' is not a date (YYYY-MM-DD)"),
                        (("--date", "2026-11-30"), "Error: --date 2026-11-30 is in the future"),
                        (("--lang", "fr"), "Error: --lang 'fr' is not one of en, zh"),
                        (("--fail-on", "never"), "Error: --fail-on 'never' is not one of warn, fail"),
                        (("--markdown", str(tmp_path / "no" / "r.md")), "does not exist")]:
        result = cli("close", "run", *args)
        assert result.code == 2 and words in result.stderr, (args, result)
        assert "Traceback" not in result.stderr
    db = open_db(db_path)
    assert db.scalar("SELECT count(*) FROM close_run") == 0
    db.close()


def test_no_database_is_exit_2(cli):
    result = cli("close", "run")
    assert result.code == 2 and "no database at" in result.stderr


def test_markdown_file_and_close_show(cli, db_path, tmp_path):
    _build(db_path, ship_by="2026-11-26").close()
    report = tmp_path / "close.md"
    result = cli("close", "run", "--markdown", report, "--lang", "zh")
    assert result.code == 1
    text = report.read_text(encoding="utf-8")
    assert text.startswith("# 日清日结 2026-11-24：失败\n")
    assert "## 异常（三要素：工作标准、制约机制、责任主体）" in text and "| T-3 预警 | 失败 |" in text
    shown = cli("close", "show", "--json")
    assert shown.code == 0 and shown.json()["date"] == D and shown.json()["status"] == "fail"
    assert cli("close", "show", D).code == 0
    missing = cli("close", "show", "2026-11-01")
    assert missing.code == 2 and "no close stored for 2026-11-01" in missing.stderr


def test_exception_commands_close_the_t3_loop(cli, db_path):
    _build(db_path, ship_by="2026-11-26").close()
    assert cli("close", "run").code == 1
    listed = cli("exceptions", "list", "--open", "--json").json()
    assert [(e["id"], e["check"], e["owner"], e["forced"]) for e in listed] == [(1, "t3", "planner", True)]
    assert cli("exceptions", "list", "--owner", "nobody").stdout == ""
    for args, words in [(("show", "99"), "Error: no exception 99"),
                        (("act", "1", "pray"), "is not an action; one of expedite, split, overtime, outsource, "
                                               "renegotiate, accept late"),
                        (("act", "1", "renegotiate"), "renegotiate needs --new-date"),
                        (("act", "1", "renegotiate", "--new-date", "soon", "--note", "x"), "--new-date 'soon'"),
                        (("resolve", "1", "--note", "done"), "record an action first")]:
        result = cli("exceptions", *args)
        assert result.code == 2 and words in result.stderr, (args, result)
    assert cli("exceptions", "assign", "1", "Li Wei", "--actor", "lead").code == 0
    acted = cli("exceptions", "act", "1", "overtime", "--note", "Saturday shift", "--actor", "li")
    assert acted.code == 0 and "exception 1 (t3:MO-000001): acted, owner Li Wei, action overtime" in acted.stdout
    assert cli("close", "run").code == 1
    assert cli("exceptions", "resolve", "1", "--note", "done Saturday", "--actor", "li").code == 0
    assert cli("close", "run").code == 0
    shown = cli("exceptions", "show", "1", "--json").json()
    assert [(e["kind"], e["actor"]) for e in shown["events"][1:]] == [("assigned", "lead"), ("acted", "li"),
                                                                     ("resolved", "li")]
    assert shown["events"][0]["kind"] == "opened" and shown["status"] == "resolved"
    audited = cli("audit", "--action", "exception", "--json").json()
    assert [(e["actor"], e["action"], e["subject"]) for e in audited] == [
        ("lead", "exception.assigned", "exception 1 (t3:MO-000001)"),
        ("li", "exception.acted", "exception 1 (t3:MO-000001)"),
        ("li", "exception.resolved", "exception 1 (t3:MO-000001)")]
    assert audited[1]["after"]["action"] == "overtime" and audited[0]["after"] == {"owner": "Li Wei"}
    text = cli("exceptions", "show", "1")
    assert text.code == 0 and "by 2026-11-25, level 0 (planner)" in text.stdout


def test_the_report_is_the_same_bytes_for_the_same_data_and_clock(tmp_path):
    texts = {}
    for name in ("a", "b"):
        db = _build(tmp_path / f"{name}.db", ship_by="2026-11-26", imported_at="2026-11-24T15:00:00Z")
        _sql(db, "UPDATE operation SET planned_end = '2026-11-24T10:00:00Z' WHERE seq = 10")
        report = run_close(db, D, actor="cron")
        texts[name] = {lang: close_markdown(report, lang).encode() for lang in ("en", "zh")}
        db.close()
    assert texts["a"] == texts["b"]
    en = texts["a"]["en"].decode()
    assert en.startswith("# Daily close 2026-11-24: FAIL\n\nrun at 2026-11-25T12:00:00Z by cron\n")
    assert "| production progress | FAIL | planner | 1 |" in en
    assert ("| 2 | production progress | open | MO-000001 operation 10 (CNC, 10 × LAMP) done by 2026-11-24 10:00: "
            "10 good | by 2026-11-25, level 0 (planner) | planner |") in en
    assert "T-3, forced closed loop" in en and "\n## KPIs\n" in en and "\n### 30-day trend\n" in en
    assert "| on-time delivery | – | 95.0% | n/a |" in en
    zh = texts["a"]["zh"].decode()
    assert "| 库存周转天数 |" in zh and "### 近 30 天趋势" in zh
    assert "2026-11-25 前，第 0 级（planner）" in zh and "T-3，强制闭环" in zh and "| 渠道数据 | 警告 |" in zh


class _Hook:
    """A webhook on 127.0.0.1 that keeps what it is sent; /missing answers 404."""

    def __init__(self):
        import http.server
        import json
        import threading

        received = self.received = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if self.path == "/missing":
                    self.send_response(404)
                    self.end_headers()
                    return
                received.append(json.loads(body))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_notify_posts_the_summary_and_a_failed_delivery_keeps_the_exit_code(cli, db_path):
    _build(db_path, ship_by="2026-11-26").close()
    hook = _Hook()
    try:
        result = cli("close", "run", "--notify", f"{hook.base}/hook?token=s3cret", "--notify", f"{hook.base}/missing")
    finally:
        hook.close()
    assert result.code == 1                                     # the T-3 failure, not the 404
    [posted] = hook.received
    assert (posted["date"], posted["status"]) == (D, "fail")
    assert [c["name"] for c in posted["checks"]] == ["channels", "production", "consumption", "stock", "t3",
                                                     "escalation"]
    assert [e["subject"] for e in posted["exceptions"]] == ["t3:MO-000001"]
    assert posted["kpis"]["oee"]["target"] == 80 and len(posted["kpis"]["trend"]) == 30
    assert "posted the close to" in result.stderr and "s3cret" not in result.stderr
    assert "answered HTTP 404" in result.stderr and "the close itself is stored" in result.stderr


def test_an_unusable_webhook_url_stops_before_the_close(cli, db_path):
    _build(db_path).close()
    result = cli("close", "run", "--notify", "ftp://example.com/x")
    assert result.code == 2 and result.stderr.startswith("Error: ")
    db = open_db(db_path)
    assert db.scalar("SELECT count(*) FROM close_run") == 0
    db.close()


def test_an_action_of_another_check_is_exit_2_naming_the_allowed_ones(cli, db_path):
    _build(db_path, imported_at="2026-11-24T15:00:00Z").close()
    assert cli("close", "run").code == 0                         # the stale channel is exception 1
    refused = cli("exceptions", "act", "1", "overtime")
    assert refused.code == 2
    assert refused.stderr.strip() == ("Error: 'overtime' is not an action; one of re-import, map SKU, fix at source, "
                                      "accept (the actions for a channels exception)")
    assert cli("exceptions", "show", "1", "--json").json()["status"] == "open"
    acted = cli("exceptions", "act", "1", "fix-at-source", "--note", "shop sends at 06:00 now")
    assert acted.code == 0 and "action fix at source" in acted.stdout
