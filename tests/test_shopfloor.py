"""Shop-floor reporting: production reports advance operations and post output; issues post consumption."""

from __future__ import annotations

import pytest

from omnictl.db import open_db
from omnictl.errors import InputFileError, StrictRejects
from omnictl.inventory import on_hand, why
from omnictl.shopfloor import import_shopfloor

from conftest import OWN_FIXTURES

FIX = OWN_FIXTURES / "shopfloor"
NOW = "2026-11-20T00:00:00Z"


def _setup(db):
    """A lamp made on CNC (10) then ASM (20); two open orders and a cancelled one, by SQL."""
    with db.write():
        db.execute("INSERT INTO location (code, name) VALUES ('WH', 'Main warehouse')")
        db.execute("INSERT INTO calendar VALUES ('STD', 'Day shift')")
        for code in ("CNC", "ASM"):
            db.execute("INSERT INTO work_center (code, name, calendar) VALUES (?, ?, 'STD')", (code, code))
        for code, kind in (("LAMP", "finished"), ("BASE", "component"), ("SHADE", "component"),
                           ("SCREW", "raw")):
            db.execute("INSERT INTO sku (code, name, kind) VALUES (?, ?, ?)", (code, code, kind))
        db.execute("INSERT INTO bom_line VALUES ('LAMP', 'BASE', 1, 0)")
        db.execute("INSERT INTO bom_line VALUES ('LAMP', 'SHADE', 1, 10)")
        for number, quantity, status in (("MO-000001", 10, "released"), ("MO-000002", 5, "planned"),
                                         ("MO-000003", 2, "cancelled")):
            mo = db.execute("INSERT INTO production_order (number, sku, location, quantity, due_on, status, "
                            "created_at, updated_at) VALUES (?, 'LAMP', 'WH', ?, '2026-11-30', ?, ?, ?)",
                            (number, quantity, status, NOW, NOW)).lastrowid
            for seq, center in ((10, "CNC"), (20, "ASM")):
                db.execute("INSERT INTO operation (production_id, seq, work_center, setup_min, run_min) "
                           "VALUES (?, ?, ?, 10, 60)", (mo, seq, center))
    return db


@pytest.fixture
def shop(db):
    return _setup(db)


def operations(db) -> dict[tuple[str, int], tuple[str, float, float]]:
    return {(r["number"], r["seq"]): (r["status"], r["qty_done"], r["qty_scrap"]) for r in db.query(
        "SELECT p.number, o.seq, o.status, o.qty_done, o.qty_scrap FROM operation o "
        "JOIN production_order p ON p.id = o.production_id ORDER BY 1, 2")}


def order_status(db) -> dict[str, str]:
    return dict(db.query("SELECT number, status FROM production_order ORDER BY number"))


def moves(db) -> list[tuple]:
    return [tuple(r) for r in db.query("SELECT sku, location, quantity, kind, effective_at, source_row, ref "
                                       "FROM stock_move ORDER BY id")]


def counts(db) -> tuple[int, int, int, int, int]:
    return tuple(db.scalar(f"SELECT count(*) FROM {t}") for t in ("shopfloor_report", "material_issue",
                                                                 "stock_move", "import_batch", "import_reject"))


def test_reports_advance_operations_and_post_output(shop):
    result = import_shopfloor(shop, FIX / "reports.csv", actor="tester")
    assert (result.kind, result.rows_read, result.reports, result.rejected, result.moves) == ("reports", 9, 4, 5, 2)
    assert (result.good, result.scrap, result.produced) == (23, 2, 10)
    assert result.operations_done == ["MO-000001/10", "MO-000001/20"]
    assert (result.orders_started, result.orders_done) == (["MO-000001", "MO-000002"], ["MO-000001"])
    assert operations(shop) == {
        ("MO-000001", 10): ("done", 10, 1), ("MO-000001", 20): ("done", 10, 1),
        ("MO-000002", 10): ("partly done", 3, 0), ("MO-000002", 20): ("planned", 0, 0),
        ("MO-000003", 10): ("planned", 0, 0), ("MO-000003", 20): ("planned", 0, 0)}
    assert order_status(shop) == {"MO-000001": "done", "MO-000002": "started", "MO-000003": "cancelled"}
    # only the last operation's good output is stock; scrap posts nothing; times are the day's start (UTC)
    assert moves(shop) == [("LAMP", "WH", 6, "produce", "2026-11-23T00:00:00Z", 3, "MO-000001"),
                           ("LAMP", "WH", 4, "produce", "2026-11-24T00:00:00Z", 5, "MO-000001")]
    assert on_hand(shop, "LAMP") == {("LAMP", "WH"): 10}
    assert [(r.row, r.field) for r in result.rejects] == [
        (6, "production_order"), (7, "operation"), (8, "work_center"), (9, "good_qty"), (10, "date")]
    assert result.rejects[1].reason == ("row 7, column 'operation': production order MO-000002 has no operation 30 "
                                        "(its operations: 10, 20)")
    assert result.rejects[2].reason == ("row 8, column 'work center': operation 20 of MO-000002 is on work center "
                                        "ASM, not CNC")
    assert result.rejects[3].reason == "row 9, column 'good quantity': '-1' is negative"
    first = shop.one("SELECT * FROM shopfloor_report WHERE row_no = 2")
    assert (first["report_date"], first["work_center"], first["good_qty"], first["scrap_qty"], first["run_min"],
            first["downtime_min"], first["downtime_reason"], first["operator"]) == \
        ("2026-11-23", "CNC", 10, 1, 120, 15, "tool change", "Li")
    assert shop.scalar("SELECT sum(downtime_min) FROM shopfloor_report") == 45
    batch = shop.one("SELECT * FROM import_batch WHERE id = ?", (result.batch,))
    assert (batch["kind"], batch["rows_read"], batch["imported"], batch["rejected"], batch["actor"]) == \
        ("shopfloor", 9, 4, 5, "tester")
    move_id = shop.scalar("SELECT id FROM stock_move WHERE source_row = 5")
    trace = why(shop, move_id)
    assert (trace.batch, trace.row, trace.file) == (result.batch, 5, "reports.csv")


def test_same_file_twice_changes_nothing(shop, tmp_path):
    clean = tmp_path / "clean.csv"
    clean.write_text("\n".join((FIX / "reports.csv").read_text(encoding="utf-8").splitlines()[:5]) + "\n",
                     encoding="utf-8")
    first = import_shopfloor(shop, clean)
    assert (first.reports, first.rejected, first.moves) == (4, 0, 2)
    before = (counts(shop), operations(shop), order_status(shop))
    again = import_shopfloor(shop, clean)
    assert (again.already_imported_as, again.batch, again.reports, again.moves) == (first.batch, None, 0, 0)
    assert (counts(shop), operations(shop), order_status(shop)) == before


def test_file_with_rejects_again_tries_only_the_rejected_rows(shop):
    first = import_shopfloor(shop, FIX / "reports.csv")
    before = operations(shop)
    again = import_shopfloor(shop, FIX / "reports.csv")
    assert (again.already_imported_as, again.skipped, again.reports, again.rejected, again.moves) == \
        (None, 4, 0, 5, 0)
    assert operations(shop) == before
    assert counts(shop) == (4, 0, 2, 2, 10)
    assert again.batch == first.batch + 1


def test_material_issues_with_chinese_headers_post_consumption(shop):
    result = import_shopfloor(shop, FIX / "issues_zh.csv", actor="tester")
    assert (result.kind, result.rows_read, result.issues, result.consumed, result.moves, result.rejected) == \
        ("issues", 5, 3, 25, 3, 2)
    assert moves(shop) == [("BASE", "WH", -10, "consume", "2026-11-23T00:00:00Z", 2, "MO-000001"),
                           ("SHADE", "WH", -11, "consume", "2026-11-23T00:00:00Z", 3, "MO-000001"),
                           ("SCREW", "WH", -4, "consume", "2026-11-24T00:00:00Z", 4, "MO-000001")]
    assert [(r.row, r.field) for r in result.rejects] == [(5, "component"), (6, "production_order")]
    assert result.rejects[1].reason == "row 6, column '工单': production order MO-000003 is cancelled"
    assert result.notes == ["row 4: SCREW is not in the bill of materials of LAMP (MO-000001); issued all the same"]
    assert [tuple(r) for r in shop.query("SELECT row_no, issue_date, component, quantity, location "
                                         "FROM material_issue ORDER BY row_no")] == [
        (2, "2026-11-23", "BASE", 10, "WH"), (3, "2026-11-23", "SHADE", 11, "WH"), (4, "2026-11-24", "SCREW", 4, "WH")]
    # issues do not advance operations
    assert operations(shop)[("MO-000001", 10)] == ("planned", 0, 0)
    assert order_status(shop)["MO-000001"] == "released"


def test_xlsx_with_chinese_report_headers(shop, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["日期", "工单", "工序", "工作中心", "良品数", "报废数", "运行分钟", "停机分钟", "停机原因", "操作员"])
    sheet.append(["2026-11-24", "MO-000002", 10, "CNC", 5, 2, 50, 10, "换模", "张三"])
    sheet.append(["2026-11-24", "MO-000002", 20, "ASM", 2, 0, 30, 0, None, "李四"])
    book.save(tmp_path / "报工.xlsx")
    result = import_shopfloor(shop, tmp_path / "报工.xlsx")
    assert (result.kind, result.reports, result.rejected, result.produced) == ("reports", 2, 0, 2)
    assert operations(shop)[("MO-000002", 10)] == ("done", 5, 2)
    assert operations(shop)[("MO-000002", 20)] == ("partly done", 2, 0)
    assert order_status(shop)["MO-000002"] == "started"
    row = shop.one("SELECT downtime_min, downtime_reason, operator FROM shopfloor_report WHERE row_no = 2")
    assert tuple(row) == (10, "换模", "张三")
    assert on_hand(shop, "LAMP") == {("LAMP", "WH"): 2}


def test_dry_run_and_strict_write_nothing(shop):
    before = (counts(shop), operations(shop), order_status(shop))
    dry = import_shopfloor(shop, FIX / "reports.csv", dry_run=True)
    assert (dry.dry_run, dry.batch, dry.reports, dry.produced, dry.rejected) == (True, None, 4, 10, 5)
    with pytest.raises(StrictRejects, match="5 row"):
        import_shopfloor(shop, FIX / "reports.csv", strict=True)
    assert (counts(shop), operations(shop), order_status(shop)) == before


def test_future_date_and_bad_number_are_rejects(shop, tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("date,mo,op,good\n2026-11-26,MO-000001,10,1\n2026-11-25,MO-000001,10,abc\n"
                    "2026-11-25,MO-000001,1.5,1\n", encoding="utf-8")
    result = import_shopfloor(shop, path)
    assert [r.reason for r in result.rejects] == [
        "row 2, column 'date': '2026-11-26' is in the future; reports record what has happened",
        "row 3, column 'good': 'abc' is not a number",
        "row 4, column 'op': '1.5' is not an operation number (its seq, e.g. 10)"]


def test_a_file_of_neither_kind_is_refused(shop, tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("date,mo,quantity\n2026-11-24,MO-000001,3\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="neither a production report's columns"):
        import_shopfloor(shop, path)
    both = tmp_path / "both.csv"
    both.write_text("date,mo,operation,good qty,component,quantity\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="both a production report's columns"):
        import_shopfloor(shop, both)


def test_cli_import_json_and_strict_exit(cli, db_path):
    database = open_db(db_path)
    _setup(database)
    database.close()
    result = cli("shopfloor", "import", str(FIX / "issues_zh.csv"), "--strict")
    assert result.code == 1 and "nothing was written" in result.stderr
    result = cli("shopfloor", "import", str(FIX / "reports.csv"), "--json", "--actor", "li")
    assert result.code == 0, result
    data = result.json()
    assert (data["kind"], data["reports"], data["rejected"], data["produced"], data["orders_done"]) == \
        ("reports", 4, 5, 10, ["MO-000001"])
    result = cli("shopfloor", "import", str(FIX / "reports.csv"))
    assert result.code == 0 and "skipped" in result.stdout and "4 skipped" in result.stdout
