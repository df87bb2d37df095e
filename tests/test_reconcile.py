"""Counts and snapshots against the book: the report's numbers, tolerance exit codes, apply
(book equals counted at the count time, once per file), late moves (flagged here and by
`db check`), opening balances, and bad files (exit 2, nothing written)."""

from __future__ import annotations

import sqlite3

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from omnictl import clock
from omnictl.db import open_db
from omnictl.inventory import Move, on_hand, post
from omnictl.errors import UsageError
from omnictl.reconcile import parse_tolerance, reconcile_file

from conftest import OWN_FIXTURES, shared_file

STOCK = OWN_FIXTURES / "stock"
COUNT = STOCK / "count_wh.csv"
COUNT_AT = "2026-11-20T23:59:59Z"          # --at 2026-11-20: the end of that day (company timezone UTC)


def setup(db) -> None:
    """Two locations, four SKUs (C without a cost), stock from 1 November, a sale after the count."""
    db.execute("INSERT INTO setting (key, value) VALUES ('company.currency', 'EUR')")
    db.execute("INSERT INTO location (code, name) VALUES ('WH', 'Main Warehouse'), ('ST', 'Downtown Store')")
    for code, cost in (("A", 250), ("B", 100), ("C", None), ("D", 1000)):
        db.execute("INSERT INTO sku (code, name, cost_minor) VALUES (?, ?, ?)", (code, code, cost))
    with db.write():
        post(db, [Move("A", "WH", 10, "receipt", "2026-11-01T08:00:00Z"),
                  Move("B", "WH", 5, "receipt", "2026-11-01T08:00:00Z"),
                  Move("D", "WH", 3, "receipt", "2026-11-01T08:00:00Z"),
                  Move("A", "WH", -1, "sale", "2026-11-22T10:00:00Z")], "tester")


@pytest.fixture
def shop(db):
    setup(db)
    return db


@pytest.fixture
def shop_path(db_path):
    database = open_db(db_path)
    setup(database)
    database.close()
    return db_path


def raw(db_path, sql):
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def line_tuples(report):
    return [(l.sku, l.location, l.book, l.counted, l.difference, l.value_minor, l.moves_since, l.over_tolerance,
             l.rows) for l in report.lines]


# -- the report -----------------------------------------------------------------------------

def test_count_report_partial(shop):
    report = reconcile_file(shop, COUNT, kind="count", location="WH", at="2026-11-20")
    assert report.counted_at == COUNT_AT and report.scope == "partial" and report.currency == "EUR"
    # A: book 10 at the count time (the sale on the 22nd is after it), counted 8 + 1 on rows 2 and 4
    assert line_tuples(report) == [("A", "WH", 10, 9, -1, -250, 1, True, [2, 4]),
                                   ("B", "WH", 5, 5, 0, 0, 0, False, [3])]
    assert [(u.sku, u.counted, u.rows) for u in report.unknown_skus] == [("ZZ-UNKNOWN", 2, [5])]
    assert [(n.sku, n.book, n.treated_as) for n in report.not_counted] == [("D", 3, "ignored")]
    assert [(d.sku, d.counted, d.rows) for d in report.duplicates] == [("A", 9, [2, 4])]
    assert (report.differences, report.over_tolerance, report.value_minor, report.applied) == (1, 1, -250, False)
    stored = shop.one("SELECT * FROM stock_count WHERE id = ?", (report.count_id,))
    assert (stored["kind"], stored["location"], stored["counted_at"], stored["applied_at"]) == \
        ("count", "WH", COUNT_AT, None)
    assert [tuple(r) for r in shop.query("SELECT sku, counted, row_no FROM count_line WHERE count_id = ? "
                                         "ORDER BY row_no", (report.count_id,))] == \
        [("A", 8, 2), ("B", 5, 3), ("A", 1, 4), ("ZZ-UNKNOWN", 2, 5)]
    again = reconcile_file(shop, COUNT, kind="count", location="WH", at="2026-11-20")
    assert again.count_id == report.count_id                   # the same run again reuses its record


def test_count_report_full_scope_counts_missing_skus_as_zero(shop):
    report = reconcile_file(shop, COUNT, kind="count", location="WH", at="2026-11-20", scope="full")
    assert line_tuples(report)[-1] == ("D", "WH", 3, 0, -3, -3000, 0, True, [])
    assert [(n.sku, n.treated_as) for n in report.not_counted] == [("D", "zero")]
    assert (report.differences, report.over_tolerance, report.value_minor) == (2, 2, -3250)


def test_tolerance_units_and_percent():
    assert parse_tolerance("2").exceeded(-2, 10) is False and parse_tolerance("2").exceeded(2.5, 10) is True
    assert parse_tolerance("10%").exceeded(-1, 10) is False and parse_tolerance("5%").exceeded(-1, 10) is True
    assert parse_tolerance("10%").exceeded(1, 0) is True           # any difference on a book of 0
    assert parse_tolerance(None).exceeded(0.0, 5) is False
    for bad in ("abc", "-1", "%"):
        with pytest.raises(UsageError, match="is not a number of units"):
            parse_tolerance(bad)


@pytest.mark.parametrize("args, code", [
    ((), 1),                                   # A is 1 off, tolerance 0
    (("--tolerance", "1"), 0),
    (("--tolerance", "10%"), 0),               # 1 of a book of 10
    (("--tolerance", "5%"), 1),
    (("--tolerance", "1", "--scope", "full"), 1),   # D: 3 uncounted units
    (("--tolerance", "abc"), 2),
    (("--scope", "some"), 2),
    (("--apply",), 2),                         # --apply without --reason
])
def test_exit_codes(cli, shop_path, args, code):
    result = cli("reconcile", "count", COUNT, "--location", "WH", "--at", "2026-11-20", *args)
    assert result.code == code, result
    if code == 2:
        assert result.stderr.strip().splitlines()[-1].startswith("Error: ")
        assert raw(shop_path, "SELECT count(*) FROM stock_count") == [(0,)]
    else:
        assert "count 1 of count_wh.csv at WH" in result.stderr


def test_json_report(cli, shop_path):
    result = cli("reconcile", "count", COUNT, "--location", "WH", "--at", "2026-11-20", "--json")
    assert result.code == 1
    data = result.json()
    assert {k: data["lines"][0][k] for k in ("sku", "location", "book", "counted", "difference", "value_minor",
                                             "moves_since", "over_tolerance")} == \
        {"sku": "A", "location": "WH", "book": 10, "counted": 9, "difference": -1, "value_minor": -250,
         "moves_since": 1, "over_tolerance": True}
    assert [u["sku"] for u in data["unknown_skus"]] == ["ZZ-UNKNOWN"]
    assert (data["applied"], data["count_id"], data["duplicates"][0]["rows"]) == (False, 1, [2, 4])


# -- apply ----------------------------------------------------------------------------------

def test_apply_makes_book_equal_counted_at_the_count_time_despite_later_moves(cli, shop_path):
    result = cli("reconcile", "count", COUNT, "--location", "WH", "--at", "2026-11-20", "--scope", "full",
                 "--tolerance", "5", "--apply", "--reason", "November count", "--actor", "ana", "--json")
    assert result.code == 0, result
    data = result.json()
    assert (data["applied"], data["moves_posted"], data["applied_at"]) == (True, 2, "2026-11-25T12:00:00Z")
    assert raw(shop_path, "SELECT sku, quantity, kind, effective_at, reason, actor, count_id, source_row "
                          "FROM stock_move WHERE kind = 'count' ORDER BY id") == [
        ("A", -1, "count", COUNT_AT, "November count", "ana", 1, 2),
        ("D", -3, "count", COUNT_AT, "November count", "ana", 1, None)]
    db = open_db(shop_path)
    try:
        assert on_hand(db, location="WH", as_of=COUNT_AT) == {("A", "WH"): 9, ("B", "WH"): 5, ("D", "WH"): 0}
        assert on_hand(db, location="WH")[("A", "WH")] == 8          # the later sale stays on top
    finally:
        db.close()
    assert raw(shop_path, "SELECT applied_by, reason, scope FROM stock_count") == [("ana", "November count", "full")]
    why = cli("stock", "why", "5")
    assert why.code == 0 and "cause: count 1 of count_wh.csv at 2026-11-20T23:59:59Z, applied by ana: " \
                             "November count" in why.stdout
    assert "file count_wh.csv, row 2" in why.stdout
    after = cli("reconcile", "count", COUNT, "--location", "WH", "--at", "2026-11-20", "--scope", "full", "--json")
    assert after.code == 0 and after.json()["differences"] == 0
    assert cli("db", "check").code == 0


def test_apply_once_per_file_and_location(cli, shop_path):
    first = cli("reconcile", "count", COUNT, "--location", "WH", "--at", "2026-11-20", "--apply", "--reason", "count")
    assert first.code == 1 and "applied: 1 count move(s) posted" in first.stderr
    second = cli("reconcile", "count", COUNT, "--location", "WH", "--at", "2026-11-21", "--apply", "--reason", "again",
                 "--json")
    assert second.code == 0
    assert "count_wh.csv was already applied at WH as count 1 (at 2026-11-25T12:00:00Z); nothing posted" in \
        second.stderr
    data = second.json()
    assert (data["applied"], data["already_applied_as"], data["moves_posted"], data["counted_at"]) == \
        (False, 1, 0, COUNT_AT)
    assert raw(shop_path, "SELECT count(*) FROM stock_move WHERE kind = 'count'") == [(1,)]
    assert raw(shop_path, "SELECT count(*) FROM stock_count") == [(1,)]
    # another location is another count
    elsewhere = cli("reconcile", "count", COUNT, "--location", "ST", "--apply", "--reason", "store", "--json")
    assert elsewhere.json()["applied"] is True and elsewhere.json()["count_id"] == 2


def test_late_moves_are_flagged_by_reconcile_and_db_check(shop):
    reconcile_file(shop, COUNT, kind="count", location="WH", at="2026-11-20", apply=True, reason="count")
    clock.pin("2026-11-26T09:00")
    with shop.write():
        post(shop, [Move("A", "WH", -2, "sale", "2026-11-19T10:00:00Z"),       # late: before the count
                    Move("A", "WH", -1, "sale", "2026-11-21T10:00:00Z"),       # after the count time: fine
                    Move("A", "ST", -1, "sale", "2026-11-19T10:00:00Z"),       # another location
                    Move("D", "WH", -1, "sale", "2026-11-19T10:00:00Z")],      # not counted, partial scope
             "tester")
    report = reconcile_file(shop, COUNT, kind="count", location="WH", at="2026-11-20")
    late_id = shop.scalar("SELECT id FROM stock_move WHERE sku = 'A' AND effective_at = '2026-11-19T10:00:00Z' "
                          "AND location = 'WH'")
    assert [(m.move, m.sku, m.quantity, m.count_id, m.recorded_at) for m in report.late_moves] == \
        [(late_id, "A", -2, 1, "2026-11-26T09:00:00Z")]
    assert line_tuples(report)[0][:5] == ("A", "WH", 7, 9, 2)    # the late sale shows as a difference again
    from omnictl.dbtools import check_database

    checks = {c.name: c for c in check_database(shop).checks}
    assert checks["late moves"].status == "fail" and checks["late moves"].problem_count == 1
    assert checks["late moves"].problems[0].startswith(
        f"move {late_id} (sale -2 A at WH, effective 2026-11-19T10:00:00Z) was recorded 2026-11-26T09:00:00Z, "
        f"after count 1 (counted {COUNT_AT}) was applied at 2026-11-25T12:00:00Z")
    assert checks["stock balances"].status == "ok"


def test_db_check_names_a_balance_that_differs_from_its_moves(shop):
    shop.execute("UPDATE stock_balance SET on_hand = 99 WHERE sku = 'A'")
    shop.execute("DELETE FROM stock_balance WHERE sku = 'B'")
    from omnictl.dbtools import check_database

    check = {c.name: c for c in check_database(shop).checks}["stock balances"]
    assert check.status == "fail" and check.problems == [
        "SKU A at WH: stored 99, but the moves sum to 9", "SKU B at WH: no stored balance, but the moves sum to 5"]


# -- snapshots of other systems ---------------------------------------------------------------

def test_snapshot_over_several_locations(cli, shop_path):
    result = cli("reconcile", "snapshot", STOCK / "shopify_inventory.csv", "--json")
    assert result.code == 1
    data = result.json()
    assert (data["kind"], data["location"], data["locations"], data["counted_at"]) == \
        ("snapshot", None, ["ST", "WH"], "2026-11-25T12:00:00Z")
    assert [(l["sku"], l["location"], l["book"], l["counted"], l["difference"], l["value_minor"])
            for l in data["lines"]] == [("A", "WH", 9, 10, 1, 250), ("A", "ST", 0, 3, 3, 750),
                                        ("B", "WH", 5, 5, 0, 0), ("C", "ST", 0, -2, -2, None)]
    assert [(n["sku"], n["treated_as"]) for n in data["not_counted"]] == [("D", "ignored")]
    assert [(n["sku"], n["counted"]) for n in data["negative"]] == [("C", -2)]
    assert [r["row"] for r in data["rejects"]] == [5]
    applied = cli("reconcile", "snapshot", STOCK / "shopify_inventory.csv", "--apply", "--reason", "WMS", "--json")
    assert applied.json()["moves_posted"] == 3
    assert raw(shop_path, "SELECT location FROM stock_count WHERE applied_at IS NOT NULL") == [(None,)]
    assert raw(shop_path, "SELECT sku, location, on_hand FROM stock_balance ORDER BY 2, 1") == [
        ("A", "ST", 3), ("C", "ST", -2), ("A", "WH", 10), ("B", "WH", 5), ("D", "WH", 3)]


def test_snapshot_of_a_real_amazon_report_lists_unknown_skus(cli, shop_path):
    path = shared_file("inventory/amazon_inventory_report_it_excerpt.txt")
    result = cli("reconcile", "snapshot", path, "--location", "WH", "--json")
    assert result.code == 0                    # no master SKU in it: nothing to differ, 300 unknown
    data = result.json()
    assert (len(data["lines"]), len(data["unknown_skus"]), data["rows_read"]) == (0, 300, 300)
    assert sum(u["counted"] for u in data["unknown_skus"]) == 8477
    assert (data["unknown_skus"][0]["sku"], data["unknown_skus"][0]["rows"]) == ("0A-ZUII-DI5I", [2])


# -- opening balances -----------------------------------------------------------------------

def test_import_opening(cli, shop_path):
    result = cli("stock", "import-opening", STOCK / "plain.csv", "--at", "2026-10-31", "--json")
    assert result.code == 0, result
    data = result.json()
    assert (data["at"], data["lines"], data["moves"], data["rejected"]) == ("2026-10-31T23:59:59Z", 3, 3, 3)
    assert [r["reason"] for r in data["rejects"]] == [
        "row 5, column 'SKU': the SKU is empty", "row 7, column 'Qty' (SKU 'D'): 'lots' is not a number",
        "row 8, column 'SKU': no master SKU 'ZZ-UNKNOWN'; add it with `omnictl master import skus FILE` first"]
    assert [(d["sku"], d["counted"], d["rows"]) for d in data["duplicates"]] == [("A", 12, [2, 4])]
    assert [(n["sku"], n["location"], n["counted"]) for n in data["negative"]] == [("C", "ST", -3)]
    assert raw(shop_path, "SELECT sku, location, quantity, effective_at, batch_id, source_row FROM stock_move "
                          "WHERE kind = 'opening' ORDER BY id") == [
        ("A", "WH", 12, "2026-10-31T23:59:59Z", 1, 2), ("B", "WH", 1234, "2026-10-31T23:59:59Z", 1, 3),
        ("C", "ST", -3, "2026-10-31T23:59:59Z", 1, 6)]
    why = cli("stock", "why", "5")
    assert "source: batch 1, file plain.csv, row 2" in why.stdout
    batch = cli("imports", "show", "1", "--json").json()
    assert (batch["kind"], batch["rows_read"], batch["imported"], batch["rejected"]) == ("stock:opening", 7, 4, 3)
    again = cli("stock", "import-opening", STOCK / "plain.csv", "--at", "2026-10-31")
    assert again.code == 0 and "plain.csv was already imported as opening batch 1; nothing posted" in again.stderr
    assert raw(shop_path, "SELECT count(*) FROM stock_move WHERE kind = 'opening'") == [(3,)]
    assert cli("db", "check").code == 0


def test_opening_posts_the_delta_against_the_book_at_that_time(shop):
    from omnictl.reconcile import import_opening

    result = import_opening(shop, STOCK / "amazon_inventory.txt", location="WH", at="2026-11-21", actor="ana")
    # at the end of the 21st the book holds A 10, B 5: the file says A 4, B 0
    assert (result.moves, result.units, result.rejected) == (2, -11, 1)
    assert on_hand(shop, location="WH", as_of="2026-11-21T23:59:59Z") == {("A", "WH"): 4, ("B", "WH"): 0,
                                                                         ("D", "WH"): 3}
    assert shop.scalar("SELECT profile FROM import_batch") == "amazon inventory report @ WH"


@pytest.mark.parametrize("command", [("stock", "import-opening"), ("reconcile", "snapshot"),
                                     ("reconcile", "count", "--location", "WH")])
@pytest.mark.parametrize("name, sentence", [
    ("unknown_location.csv", "unknown_location.csv: row 3, column 'location': no location 'Back Room'"),
    ("no_quantity.csv", "no_quantity.csv: no quantity column: 'note' holds no numbers"),
])
def test_bad_files_exit_2_and_write_nothing(cli, shop_path, command, name, sentence):
    before = raw(shop_path, "SELECT (SELECT count(*) FROM stock_move), (SELECT count(*) FROM stock_count), "
                            "(SELECT count(*) FROM import_batch)")
    result = cli(*command, STOCK / name)
    assert result.code == 2, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and sentence in lines[0]
    assert raw(shop_path, "SELECT (SELECT count(*) FROM stock_move), (SELECT count(*) FROM stock_count), "
                          "(SELECT count(*) FROM import_batch)") == before


def test_unknown_location_option_and_missing_location(cli, shop_path):
    result = cli("reconcile", "count", COUNT, "--location", "NOPE")
    assert result.code == 2 and "no location 'NOPE'" in result.stderr
    result = cli("reconcile", "snapshot", STOCK / "amazon_inventory.txt")
    assert result.code == 2 and "has no location column; give --location CODE" in result.stderr


# -- property: applying a count makes book equal counted at the count time -------------------

day = st.integers(min_value=1, max_value=28)
moves = st.lists(st.tuples(st.sampled_from("AB"), st.integers(-5, 9).filter(bool), day), max_size=8)
counts = st.fixed_dictionaries({"A": st.integers(-2, 20), "B": st.integers(0, 20)})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(moves=moves, counted=counts, count_day=day, scope=st.sampled_from(["full", "partial"]),
       only_a=st.booleans(), extra=st.tuples(st.sampled_from("AB"), st.integers(-3, 3).filter(bool), day))
def test_apply_property(tmp_path_factory, moves, counted, count_day, scope, only_a, extra):
    folder = tmp_path_factory.mktemp("prop")
    db = open_db(folder / "p.db")
    try:
        clock.pin("2026-12-01T09:00")
        db.execute("INSERT INTO location (code, name) VALUES ('WH', 'Main Warehouse')")
        db.execute("INSERT INTO sku (code, name) VALUES ('A', 'A'), ('B', 'B')")
        with db.write():
            post(db, [Move(s, "WH", q, "adjustment", f"2026-11-{d:02d}T12:00:00Z") for s, q, d in moves], "p")
        sheet = {"A": counted["A"]} if only_a else counted
        path = folder / "count.csv"
        path.write_text("sku,qty\n" + "".join(f"{s},{q}\n" for s, q in sheet.items()), encoding="utf-8")
        at = f"2026-11-{count_day:02d}T18:00"
        report = reconcile_file(db, path, kind="count", location="WH", at=at, scope=scope, apply=True, reason="p")
        when = report.counted_at
        book = on_hand(db, location="WH", as_of=when)
        for sku in "AB":
            if sku in sheet:
                assert book.get((sku, "WH"), 0) == sheet[sku]
            elif scope == "full":
                assert book.get((sku, "WH"), 0) == 0
        balances = {(r["sku"], r["location"]): r["on_hand"] for r in db.query("SELECT * FROM stock_balance")}
        assert balances == on_hand(db, as_of="9999-12-31T00:00:00Z")
        again = reconcile_file(db, path, kind="count", location="WH", at=at, scope=scope, apply=True, reason="p")
        assert (again.already_applied_as, again.moves_posted, again.differences) == (report.count_id, 0, 0)
        clock.pin("2026-12-02T09:00")
        sku, qty, d = extra
        with db.write():
            post(db, [Move(sku, "WH", qty, "sale", f"2026-11-{d:02d}T12:00:00Z")], "p")
        late = reconcile_file(db, path, kind="count", location="WH", at=at, scope=scope).late_moves
        is_late = f"2026-11-{d:02d}T12:00:00Z" < when and (scope == "full" or sku in sheet)
        assert len(late) == (1 if is_late else 0)
    finally:
        db.close()
        clock.pin(None)
