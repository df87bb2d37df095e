"""Master data import and the commands' error paths: exit codes and one clear sentence."""

import sqlite3

import openpyxl

from conftest import OWN_FIXTURES

SHOPIFY = OWN_FIXTURES / "shopify" / "orders_export_small.csv"


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def rows(db_path, sql):
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_skus_with_aliases_in_the_header_and_rejects_naming_row_and_column(cli, db_path, tmp_path):
    path = write(tmp_path, "skus.csv",
                 "SKU Code,Title,UOM,Unit Cost,Type,EAN,Safety Stock,Lead Time,MTS,MOQ\n"
                 "LAMP-1,Desk lamp,ea,\"1,149.50\",finished,6901234567892,5,3,yes,10\n"
                 "LAMP-2,Floor lamp,ea,abc,finished,,,,,\n"
                 "LAMP-3,Wall lamp,ea,20,gadget,,,,,\n")
    result = cli("master", "import", "skus", path, "--json")
    assert result.code == 0, result
    report = result.json()
    assert (report["created"], report["rejected"]) == (1, 2)
    reasons = [r["reason"] for r in report["rejects"]]
    assert reasons == ["row 3, column 'Unit Cost': 'abc' is not a number",
                       "row 4, column 'Type': 'gadget' is not one of finished, component, raw"]
    assert rows(db_path, "SELECT code, cost_minor, barcode, make_to_stock, min_order_qty FROM sku") == \
        [("LAMP-1", 114950, "6901234567892", 1, 10)]


def test_master_file_missing_a_required_column_writes_nothing(cli, db_path, tmp_path):
    path = write(tmp_path, "skus.csv", "name,unit\nDesk lamp,ea\n")
    result = cli("master", "import", "skus", path)
    assert result.code == 2
    assert "missing required column 'sku'" in result.stderr and "Traceback" not in result.stderr
    assert rows(db_path, "SELECT count(*) FROM import_batch") == [(0,)]


def test_master_strict_and_dry_run(cli, db_path, tmp_path):
    path = write(tmp_path, "locations.csv", "location,name,kind\nWH1,Main,warehouse\nST1,Shop,shed\n")
    assert cli("master", "import", "locations", path, "--strict").code == 1
    assert cli("master", "import", "locations", path, "--dry-run").code == 0
    assert rows(db_path, "SELECT count(*) FROM location") == [(0,)]
    assert cli("master", "import", "locations", path).code == 0
    assert rows(db_path, "SELECT code FROM location") == [("WH1",)]


def test_channels_need_known_profiles_and_locations(cli, db_path, tmp_path):
    cli("master", "import", "locations", write(tmp_path, "l.csv", "location,name\nWH1,Main\n"))
    path = write(tmp_path, "channels.csv",
                 "channel,name,profile,timezone,location,lead_time_days,allocation_share\n"
                 "shop,Web shop,shopify,Europe/Berlin,WH1,2,60%\n"
                 "ghost,Ghost,nosuchprofile,UTC,WH1,2,1\n"
                 "far,Far,shopify,UTC,WH9,2,1\n"
                 "late,Late,shopify,Mars/Base,WH1,2,1\n")
    report = cli("master", "import", "channels", path, "--json").json()
    assert report["created"] == 1 and report["rejected"] == 3
    assert [r["reason"].split(":")[0] for r in report["rejects"]] == [
        "row 3, column 'profile'", "row 4, column 'location'", "row 5, column 'timezone'"]
    assert rows(db_path, "SELECT code, timezone, allocation_share FROM channel") == [("shop", "Europe/Berlin", 0.6)]


def test_master_data_from_xlsx(cli, db_path, tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["客户编号", "姓名", "等级", "手机", "邮箱"])
    sheet.append(["C-1", "王芳", "A", 13800138000, "wang@example.cn"])
    path = tmp_path / "customers.xlsx"
    book.save(path)
    result = cli("master", "import", "customers", path, "--json")
    assert result.code == 0 and result.json()["created"] == 1, result
    assert rows(db_path, "SELECT c.code, c.tier, p.name, p.phone_key FROM customer c JOIN party p "
                         "ON p.id = c.party_id") == [("C-1", "A", "王芳", "3800138000")]


def test_unknown_master_kind(cli, tmp_path):
    result = cli("master", "import", "widgets", write(tmp_path, "w.csv", "a\n1\n"))
    assert result.code == 2 and "unknown master data kind 'widgets'" in result.stderr


def test_utf16_excel_unicode_text_imports(cli, db_path, tmp_path):
    """Excel's "Unicode text" is UTF-16 with a BOM and tabs."""
    import csv
    import io

    source = list(csv.reader(io.StringIO(SHOPIFY.read_text(encoding="utf-8"))))
    buffer = io.StringIO()
    csv.writer(buffer, delimiter="\t", lineterminator="\r\n").writerows(source)
    path = tmp_path / "orders_export.txt"
    path.write_bytes(buffer.getvalue().encode("utf-16"))
    result = cli("import", path, "--json")
    assert result.code == 0, result
    assert (result.json()[0]["orders"], result.json()[0]["lines"]) == (3, 5)


def test_not_found_errors_are_exit_2_with_one_sentence(cli, db_path):
    assert cli("import", SHOPIFY).code == 0
    for args, words in [(("orders", "show", "9999"), "no order '9999'"),
                        (("imports", "show", "42"), "no import batch 42"),
                        (("imports", "undo", "42"), "no import batch 42"),
                        (("skus", "map", "shopify", "LAMP-TR-BLK", "NOPE"), "no master SKU 'NOPE'"),
                        (("skus", "map", "nochannel", "X", "Y"), "no channel 'nochannel'"),
                        (("channels", "show", "nothing"), "no channel or profile named 'nothing'"),
                        (("orders", "list", "--from", "yesterday"), "--from 'yesterday' is not a date")]:
        result = cli(*args)
        assert result.code == 2, (args, result)
        assert result.stderr.startswith("Error: ") and words in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr


def test_bad_today_is_a_usage_error(cli):
    result = cli("--today", "someday", "orders", "list")
    assert result.code == 2 and "'someday' is not a date" in result.stderr


def test_channels_detect_explains_a_match_and_a_miss(cli, tmp_path):
    match = cli("channels", "detect", SHOPIFY, "--json").json()
    assert match["profile"] == "shopify" and match["preview"][0]["order"] == "#2001"
    miss = cli("channels", "detect", write(tmp_path, "x.csv", "foo,bar\n1,2\n"), "--json").json()
    assert miss["profile"] is None and miss["candidates"]


def test_list_filters_that_cannot_match_are_errors_before_any_output(cli, db_path):
    assert cli("import", SHOPIFY).code == 0
    for args, words in [(("orders", "list", "--channel", "nosuch", "--json"), "no channel 'nosuch'"),
                        (("orders", "list", "--from", "2026-11-30", "--to", "2026-11-01", "--json"), "is after --to")]:
        result = cli(*args)
        assert result.code == 2 and words in result.stderr and result.stdout == "", (args, result)


def test_strict_reports_rejects_of_a_file_imported_before(cli, db_path, tmp_path):
    bad = tmp_path / "orders.csv"
    bad.write_text(SHOPIFY.read_text(encoding="utf-8") + "#2004,x@example.com,paid\n", encoding="utf-8")
    assert cli("import", bad).code == 0
    again = cli("import", bad, "--strict")
    assert again.code == 1 and "already imported as batch 1 with 1 rejected row" in again.stderr


def test_one_bad_file_among_several_says_none_was_imported(cli, db_path, tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    result = cli("import", SHOPIFY, empty, "--json")
    assert result.code == 2 and "none of the 2 files was imported" in result.stderr
    assert rows(db_path, "SELECT count(*) FROM import_batch") == [(0,)]
