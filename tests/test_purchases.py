"""Purchase orders (open supply), goods receipts, transfers and adjustments."""

from __future__ import annotations

import pytest

from omnictl.db import open_db
from omnictl.errors import InputFileError, NotFound, StrictRejects, UsageError
from omnictl.inventory import Move, list_moves, positions, post, why
from omnictl.purchases import adjust, import_purchases, list_purchases, receive, transfer

from conftest import OWN_FIXTURES

FIX = OWN_FIXTURES / "purchases"
SKUS = ("BULB-E27", "SHADE-LIN", "LAMP-DK-OAK", "LAMP-TR-BLK", "SHADE-PAPER")


def _master(db, warehouses=("WH", "WH2")):
    for code in warehouses:
        db.execute("INSERT INTO location (code, name) VALUES (?, ?)", (code, f"Warehouse {code}"))
    for code in SKUS:
        db.execute("INSERT INTO sku (code, name) VALUES (?, ?)", (code, code))
    return db


@pytest.fixture
def shop(db):
    return _master(db)


@pytest.fixture
def shop_cli(cli, db_path):
    database = open_db(db_path)
    _master(database)
    database.close()
    return cli


def supply(db) -> dict[tuple[str, str], tuple[float, float, float]]:
    """(on hand, open supply, projected) per SKU and location."""
    return {(p.sku, p.location): (p.on_hand, p.open_supply, p.projected) for p in positions(db)}


def lines(db, **kw) -> dict[tuple[str, str], tuple[float, float, float, str]]:
    return {(p.po_number, p.sku): (p.ordered, p.received, p.open, p.status) for p in list_purchases(db, **kw)}


def counts(db) -> tuple[int, int, int, int]:
    return tuple(db.scalar(f"SELECT count(*) FROM {t}") for t in ("purchase_order", "purchase_line", "stock_move",
                                                                 "import_batch"))


# -- purchase orders ------------------------------------------------------------------------

def test_po_import_is_open_supply_and_projected(shop):
    with shop.write():
        post(shop, [Move("BULB-E27", "WH", 10, "opening", "2026-11-01T00:00:00Z")], "tester")
    result = import_purchases(shop, FIX / "po_open.csv", actor="tester")
    assert (result.orders_created, result.lines_created, result.rejected, result.rows_read) == (4, 5, 0, 5)
    assert result.not_in_file == [] and result.notes == []
    assert supply(shop) == {("BULB-E27", "WH"): (10, 150, 160), ("SHADE-LIN", "WH"): (0, 20, 20),
                            ("LAMP-DK-OAK", "WH"): (0, 10, 10), ("LAMP-TR-BLK", "WH2"): (0, 5, 5)}
    [bulb] = positions(shop, sku="BULB-E27")
    assert bulb.next_supply_on == "2026-11-20"
    po = shop.one("SELECT * FROM purchase_order WHERE number = 'PO-1001'")
    assert (po["supplier"], po["location"], po["ordered_on"], po["expected_on"], po["status"]) == \
        ("Lumen Parts Co", "WH", "2026-11-01", "2026-11-20", "open")
    line = shop.one("SELECT * FROM purchase_line WHERE po_id = ? AND sku = 'SHADE-LIN'", (po["id"],))
    assert (line["quantity"], line["unit_cost_minor"], line["currency"]) == (20, 450, "USD")
    batch = shop.one("SELECT * FROM import_batch WHERE id = ?", (result.batch,))
    assert (batch["kind"], batch["rows_read"], batch["imported"], batch["actor"]) == ("purchases", 5, 5, "tester")


def test_list_marks_late_lines(shop):
    import_purchases(shop, FIX / "po_open.csv")
    listed = list(list_purchases(shop, open_only=True))
    assert [(p.po_number, p.sku, p.expected_on, p.late) for p in listed] == [
        ("PO-1001", "BULB-E27", "2026-11-20", True), ("PO-1001", "SHADE-LIN", "2026-11-20", True),
        ("PO-1004", "LAMP-TR-BLK", "2026-12-01", False), ("PO-1002", "LAMP-DK-OAK", "2026-12-05", False),
        ("PO-1003", "BULB-E27", "2026-12-10", False)]
    assert [p.po_number for p in list_purchases(shop, supplier="oak &")] == ["PO-1004", "PO-1002"]


def test_same_po_file_again_changes_nothing(shop, tmp_path):
    first = import_purchases(shop, FIX / "po_open.csv")
    before = counts(shop)
    again = import_purchases(shop, FIX / "po_open.csv")
    assert again.already_imported_as == first.batch and counts(shop) == before
    copy = tmp_path / "po_open_crlf.csv"                  # same rows, other bytes: a new batch that changes nothing
    copy.write_bytes((FIX / "po_open.csv").read_bytes().replace(b"\n", b"\r\n"))
    third = import_purchases(shop, copy)
    assert (third.orders_created, third.orders_updated, third.lines_updated, third.lines_unchanged) == (0, 0, 0, 5)
    assert lines(shop)[("PO-1001", "BULB-E27")] == (100, 0, 100, "open")


def test_newer_po_file_updates_open_lines_never_below_received_and_names_missing_pos(shop):
    import_purchases(shop, FIX / "po_open.csv")
    receive(shop, FIX / "receipts.csv")                   # PO-1001: 60 of 100 bulbs, 20 of 20 shades
    result = import_purchases(shop, FIX / "po_newer.csv")
    assert (result.orders_created, result.orders_updated, result.orders_closed) == (1, 2, 1)
    assert (result.lines_created, result.lines_updated, result.lines_unchanged) == (1, 2, 2)
    assert result.not_in_file == ["PO-1003"]
    assert result.notes == [
        "PO-1001 BULB-E27: the file orders 50 but 60 are already received, so the line keeps 60",
        "PO-1001 is now received in full and closed",
        "1 open purchase order(s) from earlier files are not in this file and stay open "
        "(a PO is never cancelled by its absence): PO-1003"]
    assert lines(shop) == {
        ("PO-1001", "BULB-E27"): (60, 60, 0, "closed"), ("PO-1001", "SHADE-LIN"): (20, 20, 0, "closed"),
        ("PO-1002", "LAMP-DK-OAK"): (12, 4, 8, "open"), ("PO-1003", "BULB-E27"): (50, 0, 50, "open"),
        ("PO-1004", "LAMP-TR-BLK"): (5, 0, 5, "open"), ("PO-1005", "SHADE-PAPER"): (30, 0, 30, "open")}
    assert shop.scalar("SELECT expected_on FROM purchase_order WHERE number = 'PO-1002'") == "2026-12-08"
    assert supply(shop)[("BULB-E27", "WH")] == (60, 50, 110)


def test_bad_rows_are_rejects_with_row_and_field(shop):
    result = import_purchases(shop, FIX / "po_bad_rows.csv")
    assert (result.rows_read, result.rejected, result.orders_created, result.lines_created) == (7, 6, 1, 1)
    assert [(r.row, r.field) for r in result.rejects] == [(3, "sku"), (4, "quantity"), (5, "expected_date"),
                                                         (6, "location"), (7, "quantity"), (8, "supplier")]
    assert result.rejects[0].reason == ("row 3, column 'sku': no master SKU 'NOPE-1' "
                                        "(`omnictl master import skus FILE` adds it)")
    assert result.rejects[1].reason == "row 4, column 'quantity': 'ten' is not a number"
    assert result.rejects[5].reason == "row 8, column 'supplier': PO-2001 is from 'Lumen Parts Co' (row 2), " \
                                       "not 'Oak & Iron Ltd'"
    assert result.rejects[2].raw == "PO-2003,Lumen Parts Co,SHADE-LIN,5,next week,WH"
    assert shop.scalar("SELECT count(*) FROM import_reject WHERE batch_id = ?", (result.batch,)) == 6
    assert lines(shop) == {("PO-2001", "BULB-E27"): (40, 0, 40, "open")}


def test_strict_dry_run_and_bad_files_write_nothing(shop):
    with pytest.raises(StrictRejects, match="6 row\\(s\\) rejected under --strict"):
        import_purchases(shop, FIX / "po_bad_rows.csv", strict=True)
    assert counts(shop) == (0, 0, 0, 0)
    dry = import_purchases(shop, FIX / "po_open.csv", dry_run=True)
    assert (dry.batch, dry.orders_created, dry.lines_created) == (None, 4, 5) and counts(shop) == (0, 0, 0, 0)
    with pytest.raises(InputFileError, match="po_missing_column.csv: missing required column 'sku'"):
        import_purchases(shop, FIX / "po_missing_column.csv")
    with pytest.raises(InputFileError, match="has no location column and there are 2 warehouses \\(WH, WH2\\)"):
        import_purchases(shop, FIX / "po_no_location.csv")
    assert counts(shop) == (0, 0, 0, 0)


def test_the_only_warehouse_is_the_default_and_repeated_skus_are_summed(db):
    _master(db, warehouses=("WH",))
    result = import_purchases(db, FIX / "po_no_location.csv")
    assert result.notes == ["PO-4001 lists BULB-E27 on rows 2 and 3: quantities summed to 50, "
                            "earliest date 2026-11-28 kept"]
    assert supply(db) == {("BULB-E27", "WH"): (0, 50, 50)}


def test_chinese_headers_in_gb18030(shop):
    result = import_purchases(shop, FIX / "po_chinese_gb18030.csv")
    assert (result.orders_created, result.lines_created, result.rejected) == (1, 2, 0)
    po = shop.one("SELECT * FROM purchase_order")
    assert (po["number"], po["supplier"], po["ordered_on"], po["expected_on"]) == \
        ("CG-2026-001", "深圳灯饰配件厂", "2026-11-18", "2026-12-03")
    assert shop.one("SELECT unit_cost_minor, currency FROM purchase_line WHERE sku = 'BULB-E27'")[:] == (520, "CNY")


# -- receipts -------------------------------------------------------------------------------

def test_receipt_against_po_is_partial_and_reduces_open_supply(shop):
    import_purchases(shop, FIX / "po_open.csv")
    result = receive(shop, FIX / "receipts.csv", actor="tester")
    assert (result.moves, result.units, result.matched, result.unmatched, result.rejected) == (3, 84, 3, 0, 0)
    assert [(r.row, r.sku, r.quantity, r.effective_at, r.against) for r in result.received] == [
        (2, "BULB-E27", 60, "2026-11-21T10:00:00Z", ["PO-1001"]),
        (3, "SHADE-LIN", 20, "2026-11-21T10:00:00Z", ["PO-1001"]),
        (4, "LAMP-DK-OAK", 4, "2026-11-22T00:00:00Z", ["PO-1002"])]       # no PO given: the open line for it
    assert result.orders_closed == [] and result.over_received == []
    assert lines(shop)[("PO-1001", "BULB-E27")] == (100, 60, 40, "open")
    assert lines(shop)[("PO-1001", "SHADE-LIN")] == (20, 20, 0, "open")
    assert supply(shop)[("BULB-E27", "WH")] == (60, 90, 150)             # 40 left on PO-1001, 50 on PO-1003
    assert supply(shop)[("SHADE-LIN", "WH")] == (20, 0, 20)
    move = shop.one("SELECT * FROM stock_move WHERE sku = 'BULB-E27'")
    assert (move["kind"], move["quantity"], move["batch_id"], move["source_row"], move["actor"], move["reason"]) == \
        ("receipt", 60, result.batch, 2, "tester", "received against PO-1001")
    trace = why(shop, move["id"])
    assert (trace.file, trace.row, trace.batch) == ("receipts.csv", 2, result.batch)


def test_receipt_closes_pos_oldest_first_and_reports_over_receipt(shop):
    import_purchases(shop, FIX / "po_open.csv")
    receive(shop, FIX / "receipts.csv")
    result = receive(shop, FIX / "receipts_rest.csv")    # 100 bulbs: 40 close PO-1001, 60 to PO-1003 (50 ordered)
    assert result.received[0].against == ["PO-1001", "PO-1003"] and result.received[0].over_received == 10
    assert result.orders_closed == ["PO-1001", "PO-1003"]
    assert result.over_received == ["row 2: PO-1003 BULB-E27 over-received by 10 (ordered 50, received 60 in all)"]
    assert lines(shop)[("PO-1003", "BULB-E27")] == (50, 60, 0, "closed")
    assert supply(shop)[("BULB-E27", "WH")] == (160, 0, 160)
    assert [m.balance for m in list_moves(shop, "BULB-E27")] == [60, 160]


def test_receive_same_file_twice_posts_nothing(shop):
    import_purchases(shop, FIX / "po_open.csv")
    first = receive(shop, FIX / "receipts.csv")
    before = counts(shop)
    again = receive(shop, FIX / "receipts.csv")
    assert again.already_imported_as == first.batch and again.moves == 0 and counts(shop) == before
    assert lines(shop)[("PO-1001", "BULB-E27")] == (100, 60, 40, "open")


def test_a_receipt_number_already_received_is_skipped(shop):
    import_purchases(shop, FIX / "po_open.csv")
    receive(shop, FIX / "receipts_grn.csv")
    result = receive(shop, FIX / "receipts_grn_again.csv")
    assert (result.moves, result.skipped, result.units) == (1, 1, 3)
    assert result.notes[0].startswith("row 2: receipt GRN-7 of LAMP-TR-BLK at WH2 was already received (batch ")
    assert supply(shop)[("LAMP-TR-BLK", "WH2")] == (5, 0, 5)
    assert lines(shop)[("PO-1004", "LAMP-TR-BLK")] == (5, 5, 0, "closed")


def test_bad_receipt_rows_are_rejects(shop):
    import_purchases(shop, FIX / "po_open.csv")
    before = counts(shop)
    with pytest.raises(StrictRejects, match="receipts_bad.csv: 6 row\\(s\\) rejected under --strict"):
        receive(shop, FIX / "receipts_bad.csv", strict=True)
    assert counts(shop) == before
    result = receive(shop, FIX / "receipts_bad.csv")
    assert (result.rows_read, result.moves, result.unmatched, result.rejected) == (7, 1, 0, 6)
    assert result.matched == 1                           # row 2 goes to the oldest open bulb line, PO-1001
    assert [(r.row, r.field, r.reason) for r in result.rejects] == [
        (3, "sku", "row 3, column 'sku': no master SKU 'NOPE-1' (`omnictl master import skus FILE` adds it)"),
        (4, "quantity", "row 4, column 'quantity': '-2' is not more than 0"),
        (5, "location", "row 5, column 'location': no location 'MARS' (`omnictl master import locations FILE` "
                        "adds it)"),
        (6, "po_number", "row 6, column 'po_number': no purchase order 'PO-9999' (`omnictl purchases list` "
                         "shows them)"),
        (7, "received_at", "row 7, column 'received_at': '2026-12-01' is in the future"),
        (8, "location", "row 8, column 'location': purchase order PO-1001 is for location WH, not WH2")]
    assert supply(shop)[("BULB-E27", "WH")] == (5, 145, 150)


def test_receipt_without_a_po_and_the_at_default(shop):
    result = receive(shop, FIX / "receipts_grn.csv", at="2026-11-24")
    assert (result.matched, result.unmatched) == (0, 1)
    move = shop.one("SELECT * FROM stock_move")
    assert (move["effective_at"], move["reason"], move["ref"]) == \
        ("2026-11-24T23:59:59Z", "received, no open purchase order", "receipt GRN-7")
    with pytest.raises(UsageError, match="--at '2026-12-01' is in the future"):
        receive(shop, FIX / "receipts.csv", at="2026-12-01")


# -- transfers and adjustments --------------------------------------------------------------

def test_transfer_and_adjust_balances_and_trail(shop):
    with shop.write():
        post(shop, [Move("BULB-E27", "WH", 10, "opening", "2026-11-01T00:00:00Z")], "tester")
    moved = transfer(shop, "BULB-E27", "4", "WH", "WH2", reason="store restock", at="2026-11-24T09:00",
                     actor="tester")
    assert (moved.moves, moved.ref, moved.on_hand, moved.warnings) == ([2, 3], "transfer T2",
                                                                       {"WH": 6, "WH2": 4}, [])
    assert moved.effective_at == "2026-11-24T09:00:00Z"
    pair = shop.query("SELECT kind, location, quantity, ref, reason FROM stock_move WHERE id IN (2, 3) ORDER BY id")
    assert [tuple(r) for r in pair] == [("transfer", "WH", -4, "transfer T2", "store restock"),
                                        ("transfer", "WH2", 4, "transfer T2", "store restock")]
    fixed = adjust(shop, "BULB-E27", "-1", "WH2", reason="broken in handling", actor="tester")
    assert (fixed.moves, fixed.quantity, fixed.on_hand, fixed.effective_at) == ([4], -1, {"WH2": 3},
                                                                                "2026-11-25T12:00:00Z")
    scrapped = adjust(shop, "BULB-E27", "2", "WH", reason="dropped", kind="scrap", actor="tester")
    assert (scrapped.kind, scrapped.quantity, scrapped.on_hand) == ("scrap", -2, {"WH": 4})
    assert {(p.location, p.on_hand) for p in positions(shop, sku="BULB-E27")} == {("WH", 4), ("WH2", 3)}
    assert why(shop, 4).cause == "adjustment by tester: broken in handling"
    assert why(shop, 2).move.ref == "transfer T2"


def test_transfer_refusals_and_the_negative_warning(shop):
    with pytest.raises(UsageError, match="a transfer moves more than 0 units, not 0"):
        transfer(shop, "BULB-E27", "0", "WH", "WH2")
    with pytest.raises(UsageError, match="not -2"):
        transfer(shop, "BULB-E27", "-2", "WH", "WH2")
    with pytest.raises(UsageError, match="--from and --to are both WH"):
        transfer(shop, "BULB-E27", "1", "WH", "WH")
    with pytest.raises(NotFound, match="no master SKU 'NOPE'"):
        transfer(shop, "NOPE", "1", "WH", "WH2")
    with pytest.raises(NotFound, match="no location 'MARS' \\(--to\\)"):
        transfer(shop, "BULB-E27", "1", "WH", "MARS")
    with pytest.raises(UsageError, match="an adjustment needs a reason"):
        adjust(shop, "BULB-E27", "1", "WH", reason=" ")
    with pytest.raises(UsageError, match="QTY 'lots' is not a number"):
        adjust(shop, "BULB-E27", "lots", "WH", reason="x")
    assert shop.scalar("SELECT count(*) FROM stock_move") == 0
    moved = transfer(shop, "BULB-E27", "3", "WH", "WH2")
    assert moved.on_hand == {"WH": -3, "WH2": 3}
    assert moved.warnings == ["BULB-E27 at WH is now -3 on hand (below zero): the book holds less than was "
                              "taken out; count it or adjust"]


# -- the command line -----------------------------------------------------------------------

def test_cli_purchases_and_receipts(shop_cli):
    cli = shop_cli
    imported = cli("purchases", "import", FIX / "po_open.csv", "--json")
    assert imported.code == 0 and imported.json()["orders_created"] == 4
    again = cli("purchases", "import", FIX / "po_open.csv")
    assert again.code == 0 and "was already imported as batch 1; nothing changed" in again.stderr
    listed = cli("purchases", "list", "--open", "--json").json()
    assert [(p["po_number"], p["sku"], p["open"], p["late"]) for p in listed][:2] == [
        ("PO-1001", "BULB-E27", 100, True), ("PO-1001", "SHADE-LIN", 20, True)]
    text = cli("purchases", "list", "--supplier", "lumen")
    assert text.code == 0 and "LATE" in text.stdout and "PO-1002" not in text.stdout
    received = cli("stock", "receive", FIX / "receipts.csv", "--actor", "ana")
    assert received.code == 0 and "3 receipt move(s), 84 units; 3 against purchase orders" in received.stdout
    assert cli("stock", "receive", FIX / "receipts.csv").stderr.startswith("receipts.csv was already received")
    stock = {(r["sku"], r["location"]): r["open_supply"] for r in cli("stock", "--json").json()}
    assert stock[("BULB-E27", "WH")] == 90
    trace = cli("stock", "why", "1")
    assert "source: batch 2, file receipts.csv, row 2" in trace.stdout
    bad = cli("stock", "receive", FIX / "receipts_bad.csv")
    assert bad.code == 0
    assert "rejected: receipts_bad.csv row 3, column 'sku': no master SKU 'NOPE-1'" in bad.stderr
    strict = cli("purchases", "import", FIX / "po_bad_rows.csv", "--strict")
    assert strict.code == 1 and "nothing was written" in strict.stderr
    checked = cli("db", "check", "--json")
    assert checked.code == 0 and checked.json()["ok"] is True, checked.stdout


def test_cli_bad_files_exit_2_with_one_sentence(shop_cli, tmp_path):
    cli = shop_cli
    missing = cli("purchases", "import", FIX / "po_missing_column.csv")
    assert missing.code == 2 and missing.stderr.count("\n") == 1
    assert missing.stderr.startswith(f"Error: {FIX / 'po_missing_column.csv'}: missing required column 'sku' "
                                     "for purchase orders")
    absent = cli("stock", "receive", tmp_path / "nope.csv")
    assert absent.code == 2 and absent.stderr == f"Error: {tmp_path / 'nope.csv'}: no such file\n"
    assert cli("purchases", "list", "--json").json() == []


def test_cli_transfer_and_adjust(shop_cli):
    cli = shop_cli
    assert cli("stock", "adjust", "BULB-E27", "10", "--location", "WH", "--reason", "found a box").code == 0
    negative = cli("stock", "adjust", "BULB-E27", "-3", "--location", "WH", "--reason", "broken", "--json")
    assert negative.code == 0 and negative.json()["on_hand"] == {"WH": 7} and negative.json()["moves"] == [2]
    moved = cli("stock", "transfer", "BULB-E27", "5", "--from", "WH", "--to", "WH2", "--actor", "ana")
    assert moved.code == 0
    assert moved.stdout.startswith("transfer T3: 5 BULB-E27 from WH to WH2; move(s) 3, 4, effective "
                                   "2026-11-25T12:00:00Z; on hand now: WH 2, WH2 5")
    over = cli("stock", "transfer", "BULB-E27", "4", "--from", "WH", "--to", "WH2")
    assert over.code == 0 and "warning: BULB-E27 at WH is now -2 on hand" in over.stderr
    no_reason = cli("stock", "adjust", "BULB-E27", "1", "--location", "WH")
    assert no_reason.code == 2 and "Missing option '--reason'" in no_reason.stderr
    same = cli("stock", "transfer", "BULB-E27", "1", "--from", "WH", "--to", "WH")
    assert same.code == 2 and same.stderr == ("Error: --from and --to are both WH; a transfer moves stock between "
                                              "two locations\n")
    unknown = cli("stock", "transfer", "NOPE", "1", "--from", "WH", "--to", "WH2")
    assert unknown.code == 2 and unknown.stderr == "Error: no master SKU 'NOPE'\n"
    moves = cli("stock", "moves", "BULB-E27", "--location", "WH", "--json").json()
    assert [(m["kind"], m["quantity"], m["balance"]) for m in moves] == [
        ("adjustment", 10, 10), ("adjustment", -3, 7), ("transfer", -5, 2), ("transfer", -4, -2)]


def test_xlsx_with_date_and_number_cells_and_a_dry_run_receipt(shop, tmp_path):
    from datetime import datetime

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["PO Number", "Supplier", "SKU", "Qty", "Expected Date", "Location", "Unit Cost"])
    sheet.append(["PO-5001", "Lumen Parts Co", "BULB-E27", 24, datetime(2026, 12, 2), "WH", 0.8])
    path = tmp_path / "po.xlsx"
    book.save(path)
    result = import_purchases(shop, path)
    assert (result.orders_created, result.rejected) == (1, 0)
    assert lines(shop) == {("PO-5001", "BULB-E27"): (24, 0, 24, "open")}
    assert shop.scalar("SELECT expected_on FROM purchase_order") == "2026-12-02"
    before = counts(shop)
    dry = receive(shop, FIX / "receipts_rest.csv", dry_run=True)
    assert (dry.batch, dry.moves, dry.received[0].against) == (None, 1, ["PO-5001"]) and counts(shop) == before
    assert lines(shop) == {("PO-5001", "BULB-E27"): (24, 0, 24, "open")}


def test_a_file_with_rejects_can_be_received_again_and_only_those_rows_post(shop):
    first = receive(shop, FIX / "receipts.csv")          # no purchase orders yet: PO-1001 rows are rejected
    assert (first.moves, first.unmatched, first.rejected) == (1, 1, 2)
    import_purchases(shop, FIX / "po_open.csv")
    second = receive(shop, FIX / "receipts.csv")
    assert (second.already_imported_as, second.moves, second.skipped, second.rejected) == (None, 2, 1, 0)
    assert second.notes[0] == ("1 row(s) of this file were received by an earlier import of it (batch 1) and are "
                               "skipped; only the rows rejected then are tried again")
    assert lines(shop)[("PO-1001", "BULB-E27")] == (100, 60, 40, "open")
    assert lines(shop)[("PO-1002", "LAMP-DK-OAK")] == (10, 0, 10, "open")     # received before the PO existed
    assert {(p.sku, p.on_hand) for p in positions(shop) if p.on_hand} == {
        ("BULB-E27", 60), ("SHADE-LIN", 20), ("LAMP-DK-OAK", 4)}
    third = receive(shop, FIX / "receipts.csv")
    assert third.already_imported_as == second.batch and shop.scalar("SELECT count(*) FROM stock_move") == 3
    again = import_purchases(shop, FIX / "po_bad_rows.csv")
    assert again.rejected == 6
    assert import_purchases(shop, FIX / "po_bad_rows.csv").already_imported_as is None   # rejects: read again
    assert lines(shop)[("PO-2001", "BULB-E27")] == (40, 0, 40, "open")
