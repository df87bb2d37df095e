"""The daily close: every check ok and failing, the exception register, T-3's closed loop, escalation."""

from __future__ import annotations

import pytest

from omnictl import exceptions as X
from omnictl.close import run_close, show_close
from omnictl.errors import NotFound, UsageError
from omnictl.inventory import Move, post

D = "2026-11-24"                      # the clock is pinned at 2026-11-25 noon (UTC); D is yesterday
AFTER_D = "2026-11-25T06:00:00Z"
NOW = "2026-11-20T00:00:00Z"


def _company(db, *, imported_at=AFTER_D, ship_by="2026-12-20", stock=20):
    """A lamp made on CNC (10) then ASM (20) from a base and a shade; a shop channel with one
    order line of 10 lamps, served by MO-000001; `stock` lamps and parts on hand."""
    with db.write():
        db.execute("INSERT INTO location (code, name) VALUES ('WH', 'Main warehouse')")
        db.execute("INSERT INTO calendar VALUES ('STD', 'Day shift')")
        for code in ("CNC", "ASM"):
            db.execute("INSERT INTO work_center (code, name, calendar) VALUES (?, ?, 'STD')", (code, code))
        for code, kind in (("LAMP", "finished"), ("BASE", "component"), ("SHADE", "component")):
            db.execute("INSERT INTO sku (code, name, kind) VALUES (?, ?, ?)", (code, code, kind))
        db.execute("INSERT INTO bom_line VALUES ('LAMP', 'BASE', 1, 0)")
        db.execute("INSERT INTO bom_line VALUES ('LAMP', 'SHADE', 1, 10)")
        db.execute("INSERT INTO channel (code, name, profile, location) VALUES ('shop', 'Shop', 'shopify', 'WH')")
        batch = db.execute("INSERT INTO import_batch (kind, file_name, sha256, channel, actor, started_at) "
                           "VALUES ('orders', 'orders.csv', 'x', 'shop', 't', ?)", (imported_at,)).lastrowid
        order = db.execute("INSERT INTO sales_order (channel, external_id, ordered_on, payment, fulfilment, status, "
                           "promised_ship_by, first_batch_id, last_batch_id) VALUES ('shop', '#1001', '2026-11-20', "
                           "'paid', 'open', 'paid', ?, ?, ?)", (ship_by, batch, batch)).lastrowid
        line = db.execute("INSERT INTO order_line (order_id, line_key, sku, mapping, quantity, payment, fulfilment, "
                          "status, first_batch_id, last_batch_id) VALUES (?, '1', 'LAMP', 'sku', 10, 'paid', 'open', "
                          "'paid', ?, ?)", (order, batch, batch)).lastrowid
        mo = db.execute("INSERT INTO production_order (number, sku, location, quantity, due_on, status, created_at, "
                        "updated_at) VALUES ('MO-000001', 'LAMP', 'WH', 10, '2026-12-18', 'released', ?, ?)",
                        (NOW, NOW)).lastrowid
        for seq, center, end in ((10, "CNC", "2026-12-10T10:00:00Z"), (20, "ASM", "2026-12-11T10:00:00Z")):
            db.execute("INSERT INTO operation (production_id, seq, work_center, setup_min, run_min, planned_end) "
                       "VALUES (?, ?, ?, 30, 120, ?)", (mo, seq, center, end))
        db.execute("INSERT INTO production_peg VALUES (?, ?, 10)", (mo, line))
        if stock:
            post(db, [Move(sku, "WH", stock, "opening", "2026-11-01T00:00:00Z") for sku in ("LAMP", "BASE", "SHADE")],
                 "t")
    return db


@pytest.fixture
def company(db):
    return _company(db)


def _sql(db, sql, params=()):
    with db.write():
        db.execute(sql, params)


def _report(db, day, seq, good, scrap=0):
    with db.write():
        batch = db.execute("INSERT INTO import_batch (kind, file_name, sha256, actor, started_at) VALUES "
                           "('shopfloor', 'r.csv', 'r', 't', ?)", (AFTER_D,)).lastrowid
        op = db.one("SELECT id, work_center FROM operation WHERE seq = ?", (seq,))
        db.execute("INSERT INTO shopfloor_report (batch_id, row_no, report_date, production_id, operation_id, "
                   "work_center, good_qty, scrap_qty) VALUES (?, 2, ?, 1, ?, ?, ?, ?)",
                   (batch, day, op["id"], op["work_center"], good, scrap))
        db.execute("UPDATE operation SET qty_done = qty_done + ?, status = 'partly done' WHERE id = ?", (good, op["id"]))


def _issue(db, day, component, quantity):
    with db.write():
        batch = db.execute("INSERT INTO import_batch (kind, file_name, sha256, actor, started_at) VALUES "
                           "('shopfloor', 'i.csv', 'i', 't', ?)", (AFTER_D,)).lastrowid
        db.execute("INSERT INTO material_issue (batch_id, row_no, issue_date, production_id, component, quantity, "
                   "location) VALUES (?, 2, ?, 1, ?, ?, 'WH')", (batch, day, component, quantity))


def statuses(report):
    return {c.name: c.status for c in report.checks}


def test_a_clean_day_is_ok_everywhere(company):
    report = run_close(company, D, actor="cron")
    assert report.date == D and report.status == "ok"
    assert statuses(report) == dict.fromkeys(("channels", "production", "consumption", "stock", "t3", "escalation"),
                                             "ok")
    assert report.exceptions == []
    assert list(report.kpis) == ["on_time_delivery", "on_time_to_customer", "oee", "turnover_days",
                                 "oee_by_work_center", "trend"]
    assert report.kpis["oee"]["target"] == 80 and report.kpis["on_time_delivery"]["unit"] == "%"
    assert len(report.kpis["trend"]) == 30 and report.kpis["trend"][-1]["day"] == D
    assert {c.owner for c in report.checks} == {"planner"}


def test_yesterday_is_the_default_and_the_future_is_refused(company):
    assert run_close(company, actor="cron").date == D
    with pytest.raises(UsageError, match="in the future"):
        run_close(company, "2026-11-26")
    with pytest.raises(UsageError, match="is not a date"):
        run_close(company, "24.11.2026")


def test_channel_without_a_file_after_the_day_warns_unless_it_sends_none_daily(db):
    _company(db, imported_at="2026-11-24T15:00:00Z")
    report = run_close(db, D, actor="cron")
    channels = report.check("channels")
    assert (channels.status, report.status) == ("warn", "warn")
    assert channels.details == [f"shop: no import after the end of {D} (latest 2026-11-24T15:00:00Z)"]
    assert [e.subject for e in report.exceptions] == [f"channels:stale:shop:{D}"]
    _sql(db, "UPDATE channel SET daily_files = 0")
    again = run_close(db, D, actor="cron")
    assert again.check("channels").status == "ok" and again.cleared == 1
    assert X.get_exception(db, report.exceptions[0].id).status == "cleared"


def test_rejects_and_unmapped_skus_warn(company):
    _sql(company, "UPDATE import_batch SET rejected = 2")
    _sql(company, "INSERT INTO order_line (order_id, line_key, external_sku, mapping, quantity, payment, fulfilment, "
                  "status, first_batch_id, last_batch_id) VALUES (1, '2', 'SPARE-1', 'unmapped', 3, 'paid', 'open', "
                  "'paid', 1, 1)")
    channels = run_close(company, D, actor="cron").check("channels")
    assert channels.status == "warn"
    assert channels.details == [
        "shop: its latest import (batch 1, orders.csv) rejected 2 row(s); `omnictl imports show 1`",
        "shop: 1 line(s), 3 unit(s) of 'SPARE-1' map to no master SKU; `omnictl skus map shop SPARE-1 SKU`"]


def test_operations_planned_by_the_end_of_the_day_and_not_done_fail_with_hours_behind(company):
    _sql(company, "UPDATE operation SET planned_end = '2026-11-24T10:00:00Z' WHERE seq = 10")
    _report(company, D, 10, 4)
    _sql(company, "INSERT INTO setting VALUES ('close.owner.production.CNC', 'Li Wei')")
    report = run_close(company, D, actor="cron")
    production = report.check("production")
    assert (production.status, report.status) == ("fail", "fail")
    # 6 of 10 behind: 6/10 of 120 run minutes (set-up done: the operation is partly done) = 1.2 h
    assert production.details == [
        "CNC: 1 operation behind plan, 6 units, 1.2 h",
        "MO-000001 operation 10 (CNC, 10 × LAMP): 4 done, 6 behind, 1.2 h of work left"]
    [exception] = report.exceptions
    assert (exception.owner, exception.work_center, exception.deadline, exception.level) == \
        ("Li Wei", "CNC", "2026-11-25", 0)
    assert exception.standard == "MO-000001 operation 10 (CNC, 10 × LAMP) done by 2026-11-24 10:00: 10 good"


def test_material_issued_beyond_bom_and_scrap_fails(company):
    _report(company, D, 10, 10)
    _issue(company, D, "BASE", 10)
    _issue(company, D, "SHADE", 11.5)              # standard 10 × 1 + 10% = 11, tolerance 5%: up to 11.55
    assert run_close(company, D, actor="cron").check("consumption").status == "ok"
    _issue(company, D, "SHADE", 2)
    report = run_close(company, D, actor="cron")
    _issue(company, D, "SHADE", 1)
    again = run_close(company, D, actor="cron")
    [changed] = [e for e in again.exceptions if e.check == "consumption"]
    events = X.get_exception(company, changed.id).events
    assert [e.kind for e in events] == ["opened", "updated"]
    assert events[1].after == {"finding": "MO-000001 SHADE: issued 14.5 against a standard of 11: 3.5 over (+32%)"}
    consumption = report.check("consumption")
    assert consumption.status == "fail"
    assert consumption.details == ["MO-000001 SHADE: issued 13.5 against a standard of 11: 2.5 over (+23%)"]
    [exception] = [e for e in report.exceptions if e.check == "consumption"]
    assert exception.standard == "MO-000001 (LAMP): 10 good × 1 SHADE + 10% scrap = 11, within 5%"


def test_a_component_outside_the_bom_fails_and_a_quiet_day_is_ok(company):
    assert run_close(company, D, actor="cron").check("consumption").details == \
        [f"no production reports or material issues dated {D}"]
    _issue(company, D, "LAMP", 1)
    consumption = run_close(company, D, actor="cron").check("consumption")
    assert consumption.status == "fail"
    assert consumption.details == ["MO-000001 LAMP: issued 1 against a standard of 0: 1 over"]


def test_negative_stock_fails_and_oversold_warns(db):
    _company(db, stock=0)
    with db.write():
        post(db, [Move("LAMP", "WH", 4, "opening", "2026-11-01T00:00:00Z")], "t")
    stock = run_close(db, D, actor="cron").check("stock")
    assert (stock.status, stock.details) == ("warn", ["LAMP at WH: on hand 4, reserved 10, ATP -6 (oversold)"])
    with db.write():
        post(db, [Move("BASE", "WH", -2, "adjustment", "2026-11-24T09:00:00Z")], "t")
    stock = run_close(db, D, actor="cron").check("stock")
    assert stock.status == "fail" and stock.details[0] == "BASE at WH: on hand -2"


def test_an_unapplied_count_off_the_book_warns(company):
    with company.write():
        count = company.execute("INSERT INTO stock_count (kind, location, counted_at, file_name, sha256, actor, "
                                "recorded_at) VALUES ('count', 'WH', '2026-11-24T18:00:00Z', 'count.csv', 'c', 't', "
                                "'2026-11-24T18:00:00Z')").lastrowid
        company.execute("INSERT INTO count_line VALUES (?, 'WH', 'LAMP', 2, 17)", (count,))
        company.execute("INSERT INTO count_line VALUES (?, 'WH', 'BASE', 3, 20)", (count,))
    stock = run_close(company, D, actor="cron").check("stock")
    assert stock.status == "warn"
    assert stock.details == ["count 1 of WH (count.csv, counted 2026-11-24 18:00) differs from the book on 1 SKU(s) "
                             "and is not applied; `omnictl reconcile count ... --apply`"]
    _sql(company, "UPDATE stock_count SET applied_at = '2026-11-25T08:00:00Z'")
    assert run_close(company, D, actor="cron").check("stock").status == "ok"


def test_t3_fails_until_an_owner_acts_and_resolves(db):
    _company(db, ship_by="2026-11-26")
    report = run_close(db, D, actor="cron")
    t3 = report.check("t3")
    assert (t3.status, report.status) == ("fail", "fail")
    [exception] = [e for e in report.exceptions if e.check == "t3"]
    assert exception.forced and exception.subject == "t3:MO-000001" and exception.status == "open"
    assert exception.finding == ("MO-000001 (10 × LAMP) has 2 unfinished operation(s), next 10 on CNC (0 of 10 "
                                 "done); it serves shop #1001, ship by 2026-11-26")
    assert exception.standard == ("T-3: the work for a sales line is finished 3 days before its ship-by date, or "
                                  "stock is behind it")
    with pytest.raises(UsageError, match="record an action first"):
        X.resolve(db, exception.id, note="done", actor="li")
    X.assign(db, exception.id, "Li Wei", actor="lead")
    X.act(db, exception.id, "expedite", note="moved to the front of CNC", actor="li")
    assert run_close(db, D, actor="cron").check("t3").status == "fail"       # acted, not yet resolved
    X.resolve(db, exception.id, note="finished on the night shift", actor="li")
    again = run_close(db, D, actor="cron")
    assert again.check("t3").status == "ok" and again.status == "ok"
    shown = X.get_exception(db, exception.id)
    assert [(e.kind, e.actor) for e in shown.events] == [("opened", "cron"), ("assigned", "lead"),
                                                         ("acted", "li"), ("resolved", "li")]
    assert shown.events[1].before == {"owner": "planner"} and shown.events[1].after == {"owner": "Li Wei"}
    assert (shown.owner, shown.action, shown.status, shown.resolved_by) == ("Li Wei", "expedite", "resolved", "li")


def test_t3_renegotiated_with_a_new_date_and_reason_closes_the_loop_until_that_date_nears(db):
    _company(db, ship_by="2026-11-26")
    [exception] = [e for e in run_close(db, D, actor="cron").exceptions if e.check == "t3"]
    with pytest.raises(UsageError, match="--new-date"):
        X.act(db, exception.id, "renegotiate", note="customer agrees", actor="li")
    with pytest.raises(UsageError, match="the reason"):
        X.act(db, exception.id, "renegotiate", new_date="2026-12-10", actor="li")
    with pytest.raises(UsageError, match="is not an action; one of expedite, split"):
        X.act(db, exception.id, "pray", actor="li")
    redated = X.act(db, exception.id, "renegotiate", new_date="2026-12-10", note="customer agrees", actor="li")
    assert (redated.status, redated.new_date, redated.note) == ("redated", "2026-12-10", "customer agrees")
    assert run_close(db, D, actor="cron").check("t3").status == "ok"
    # re-dated to within T-3 of the day closed, with the work still unfinished: the loop opens again
    _sql(db, "UPDATE exception SET new_date = '2026-11-26'")
    report = run_close(db, D, actor="cron")
    assert report.check("t3").status == "fail" and X.get_exception(db, exception.id).status == "open"


def test_t3_line_with_neither_stock_nor_production(db):
    _company(db, ship_by="2026-11-26", stock=0)
    _sql(db, "DELETE FROM production_peg")
    report = run_close(db, D, actor="cron")
    assert [e.subject for e in report.exceptions if e.check == "t3"] == ["t3:line:1"]
    assert report.check("t3").details[1].startswith("#")
    [line] = [e for e in report.exceptions if e.subject == "t3:line:1"]
    assert line.finding == "shop #1001 line 1, ship by 2026-11-26: 10 × LAMP at WH with neither stock nor production " \
                           "behind it"


def test_rerunning_a_day_replaces_its_result_and_never_duplicates_exceptions(db):
    _company(db, ship_by="2026-11-26")
    _sql(db, "UPDATE operation SET planned_end = '2026-11-24T10:00:00Z'")
    first = run_close(db, D, actor="cron")
    second = run_close(db, D, actor="cron")
    assert (first.replaced, second.replaced) == (False, True)
    assert [e.id for e in first.exceptions] == [e.id for e in second.exceptions] and len(first.exceptions) == 3
    assert second.opened == 0
    assert db.scalar("SELECT count(*) FROM close_run") == 1
    assert db.scalar("SELECT count(*) FROM close_check") == 6
    assert db.scalar("SELECT count(*) FROM exception_event") == 3
    assert show_close(db, D) == second and show_close(db) == second
    with pytest.raises(NotFound, match="no close stored for 2026-11-20"):
        show_close(db, "2026-11-20")


def test_exceptions_past_their_deadline_escalate_one_level_per_close(db):
    _company(db, ship_by="2026-11-25")
    [exception] = run_close(db, "2026-11-22", actor="cron").exceptions      # deadline 2026-11-23
    assert (exception.level, exception.level_role, exception.deadline) == (0, "planner", "2026-11-23")
    report = run_close(db, "2026-11-23", actor="cron")
    assert report.check("escalation").status == "warn" and report.escalated == 1
    assert report.check("escalation").details == [
        "#1 t3:MO-000001: past its deadline 2026-11-23, now level 1 (line lead), owner planner, new deadline 2026-11-24"]
    assert run_close(db, "2026-11-23", actor="cron").escalated == 0           # a re-run escalates nothing again
    run_close(db, D, actor="cron")
    run_close(db, "2026-11-25", actor="cron")
    shown = X.get_exception(db, exception.id)
    assert (shown.level, shown.level_role) == (2, "plant manager")            # the top of the ladder holds
    assert [e.kind for e in shown.events] == ["opened", "escalated", "escalated", "escalated"]
    assert shown.events[1].before == {"deadline": "2026-11-23", "escalated_on": None, "level": 0}


def test_register_errors_and_filters(company):
    _sql(company, "UPDATE import_batch SET started_at = '2026-11-24T15:00:00Z'")
    run_close(company, D, actor="cron")
    with pytest.raises(NotFound, match="no exception 99"):
        X.get_exception(company, 99)
    with pytest.raises(UsageError, match="'abc' is not an exception id"):
        X.assign(company, "abc", "x", actor="a")
    with pytest.raises(UsageError, match="goes with renegotiate only"):
        X.act(company, 1, "re-import", new_date="2026-12-01", actor="a")
    X.assign(company, 1, "Wang", actor="a")
    assert [e.id for e in X.list_exceptions(company, owner="wang", open_only=True)] == [1]
    X.act(company, 1, "accept", actor="a")
    X.resolve(company, 1, note="file came late", actor="a")
    assert list(X.list_exceptions(company, open_only=True)) == []
    with pytest.raises(UsageError, match="is resolved; only an open exception can change"):
        X.act(company, 1, "overtime", actor="a")


def test_master_channels_mark_a_channel_that_sends_no_daily_files(db, tmp_path):
    from omnictl.master import import_master

    _company(db, imported_at="2026-11-20T10:00:00Z")
    sheet = tmp_path / "channels.csv"
    sheet.write_text("channel,name,profile,location,Daily files\nshop,Shop,shopify,WH,no\n"
                     "wholesale,Wholesale,manual,WH,\n", encoding="utf-8")
    result = import_master(db, "channels", sheet, actor="t")
    assert result.rejected == 0
    assert dict(db.query("SELECT code, daily_files FROM channel ORDER BY code")) == {"shop": 0, "wholesale": 1}
    channels = run_close(db, D, actor="cron").check("channels")
    assert channels.details == [f"wholesale: no import after the end of {D} (never imported)"]


def test_a_done_order_issued_less_than_its_standard_warns_and_progress_is_reported(company):
    _report(company, D, 10, 10)
    _report(company, D, 20, 10)
    _sql(company, "UPDATE production_order SET status = 'done'")
    _issue(company, D, "BASE", 10)
    _issue(company, D, "SHADE", 5)                  # 11 expected: consumption went unrecorded
    seen = []
    report = run_close(company, D, actor="cron", progress=seen.append)
    assert seen == [1, 2, 3, 4, 5, 6]
    consumption = report.check("consumption")
    assert (consumption.status, consumption.details) == (
        "warn", ["MO-000001 SHADE: issued 5 against a standard of 11: 6 under (-55%)"])


def test_each_check_has_its_own_actions_and_a_wrong_one_names_the_allowed(company):
    _sql(company, "UPDATE import_batch SET started_at = '2026-11-24T15:00:00Z'")
    _sql(company, "UPDATE sales_order SET promised_ship_by = '2026-11-26'")
    report = run_close(company, D, actor="cron")
    channel = next(e for e in report.exceptions if e.check == "channels")
    t3 = next(e for e in report.exceptions if e.check == "t3")
    assert X.actions_for("channels") == ("re-import", "map SKU", "fix at source", "accept")
    assert X.actions_for("stock") == ("recount", "adjust", "investigate", "accept")
    assert X.actions_for("consumption") == ("correct issue", "update BOM", "investigate", "accept")
    assert X.actions_for("production") == X.actions_for("t3") == X.WORK_ACTIONS
    with pytest.raises(UsageError) as refused:
        X.act(company, channel.id, "expedite", actor="a")
    assert str(refused.value) == ("'expedite' is not an action; one of re-import, map SKU, fix at source, accept "
                                  "(the actions for a channels exception)")
    with pytest.raises(UsageError, match="'re-import' is not an action; one of expedite, split"):
        X.act(company, t3.id, "re-import", actor="a")
    assert X.get_exception(company, channel.id).status == "open"
    assert X.act(company, channel.id, "Re_Import", actor="a").action == "re-import"
    assert X.parse_action("map-sku", "channels") == "map SKU"
    assert X.parse_action("update_bom", "consumption") == "update BOM"
    with pytest.raises(UsageError, match="one of expedite, split, overtime, outsource, renegotiate, accept late"):
        X.resolve(company, t3.id, note="done", actor="a")


def test_every_action_of_every_check_can_be_stored(company):
    from omnictl.exceptions import ACTIONS_BY_CHECK

    _sql(company, "UPDATE import_batch SET started_at = '2026-11-24T15:00:00Z'")
    run_close(company, D, actor="cron")
    for actions in ACTIONS_BY_CHECK.values():
        for action in actions:
            _sql(company, "UPDATE exception SET action = ? WHERE id = 1", (action,))
