"""Bad input: one clear sentence naming the file, row and field; the database as the rules say.

A file-level fault is exit 2 and writes nothing; a bad row is a reject while good rows import;
--strict turns any reject into exit 1 with nothing written.
"""

import sqlite3

import pytest

from conftest import OWN_FIXTURES

SHOPIFY = OWN_FIXTURES / "shopify" / "orders_export_small.csv"


def counts(db_path):
    conn = sqlite3.connect(db_path)
    try:
        return tuple(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                     for t in ("import_batch", "sales_order", "order_line", "import_reject"))
    finally:
        conn.close()


def one_line_error(result):
    lines = [l for l in result.stderr.strip().splitlines() if l.strip()]
    assert lines and lines[-1].startswith("Error: "), result
    assert "Traceback" not in result.stderr
    return lines[-1]


def test_good_file_imports(cli, db_path):
    result = cli("import", SHOPIFY, "--json")
    assert result.code == 0, result
    [summary] = result.json()
    assert (summary["orders"], summary["lines"], summary["rejected"]) == (3, 5, 0)
    assert counts(db_path) == (1, 3, 5, 0)


def test_missing_file(cli, db_path, tmp_path):
    result = cli("import", tmp_path / "nope.csv")
    assert result.code == 2
    assert "nope.csv: no such file" in one_line_error(result)


def test_empty_file(cli, db_path, tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    result = cli("import", empty)
    assert result.code == 2 and "the file is empty" in one_line_error(result)
    assert counts(db_path) == (0, 0, 0, 0)


def test_header_only_file_is_an_empty_batch(cli, db_path, tmp_path):
    header_only = tmp_path / "orders_export.csv"
    header_only.write_text(SHOPIFY.read_text().splitlines()[0], encoding="utf-8")
    result = cli("import", header_only, "--json")
    assert result.code == 0, result
    assert result.json()[0]["orders"] == 0
    assert counts(db_path) == (1, 0, 0, 0)


def test_binary_file(cli, db_path, tmp_path):
    binary = tmp_path / "photo.csv"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    result = cli("import", binary)
    assert result.code == 2 and "binary file" in one_line_error(result)
    assert counts(db_path) == (0, 0, 0, 0)


def test_wrong_channel_forced(cli, db_path, tmp_path):
    channels = tmp_path / "channels.csv"
    channels.write_text("channel,name,profile\namz,Amazon EU,amazon_all_orders\n", encoding="utf-8")
    if cli("master", "import", "channels", channels).code != 0:
        pytest.skip("amazon_all_orders profile not available")
    result = cli("import", SHOPIFY, "--channel", "amz")
    message = one_line_error(result)
    assert result.code == 2
    assert "orders_export_small.csv" in message and "missing required column" in message
    assert counts(db_path)[1:] == (0, 0, 0)


def test_unknown_channel(cli, db_path):
    result = cli("import", SHOPIFY, "--channel", "nosuch")
    assert result.code == 2 and "no channel 'nosuch'" in one_line_error(result)


def test_missing_required_column(cli, db_path, tmp_path):
    text = SHOPIFY.read_text(encoding="utf-8").replace("Lineitem quantity", "Qty?", 1)
    broken = tmp_path / "orders.csv"
    broken.write_text(text, encoding="utf-8")
    result = cli("import", broken, "--profile", "shopify")
    message = one_line_error(result)
    assert result.code == 2 and "missing required column 'lineitem quantity'" in message.lower()
    assert counts(db_path) == (0, 0, 0, 0)


def test_undecodable_bytes(cli, db_path, tmp_path):
    bad = tmp_path / "orders.csv"
    bad.write_bytes(SHOPIFY.read_bytes() + b"#2009,\xff\xfe\xfa\xfb broken\n")
    result = cli("import", bad)
    message = one_line_error(result)
    assert result.code == 2 and "line 8" in message and "UTF-8" in message   # physical line
    assert counts(db_path) == (0, 0, 0, 0)


def test_gbk_file_is_read_not_refused(db, tmp_path):
    from omnictl.tabular import open_table

    path = tmp_path / "gbk.csv"
    path.write_bytes("订单编号,总金额\n1,12.00\n".encode("gbk"))
    table = open_table(path)
    assert table.encoding == "gb18030" and table.raw_header == ["订单编号", "总金额"]


def test_truncated_last_row_is_rejected_rest_imports(cli, db_path, tmp_path):
    text = SHOPIFY.read_text(encoding="utf-8")
    cut = tmp_path / "orders.csv"
    cut.write_text(text + "#2004,x@example.com,paid,,unfulfilled,,no,USD,10.00", encoding="utf-8")
    result = cli("import", cut, "--json")
    assert result.code == 0
    assert result.json()[0]["rejected"] == 1 and result.json()[0]["orders"] == 3
    assert "1 row(s) rejected" in result.stderr
    show = cli("imports", "show", "1", "--json").json()
    assert show["rejects"][0]["row"] == 7 and "truncated" in show["rejects"][0]["reason"]


def test_duplicate_rows_inside_one_file(cli, db_path, tmp_path):
    lines = SHOPIFY.read_text(encoding="utf-8").splitlines(keepends=True)
    doubled = tmp_path / "orders.csv"
    # #2003's row again right after itself, and #2001's second line again at the end
    doubled.write_text("".join(lines) + lines[-1] + lines[3], encoding="utf-8")
    result = cli("import", doubled, "--json")
    assert result.code == 0, result
    assert result.json()[0]["rejected"] == 2 and result.json()[0]["lines"] == 5
    reasons = [r["reason"] for r in cli("imports", "show", "1", "--json").json()["rejects"]]
    assert reasons == ["row 7 repeats row 6 exactly",
                       "row 8 repeats order #2001 line SHADE-LIN#1 already read from row 3"]


def test_strict_fails_the_file_and_writes_nothing(cli, db_path, tmp_path):
    text = SHOPIFY.read_text(encoding="utf-8")
    cut = tmp_path / "orders.csv"
    cut.write_text(text + "#2004,x@example.com,paid\n", encoding="utf-8")
    result = cli("import", cut, "--strict")
    assert result.code == 1 and "--strict" in one_line_error(result)
    assert counts(db_path) == (0, 0, 0, 0)


def test_dry_run_writes_nothing(cli, db_path):
    result = cli("import", SHOPIFY, "--dry-run", "--json")
    assert result.code == 0 and result.json()[0]["orders"] == 3
    assert counts(db_path) == (0, 0, 0, 0)


def test_excel_damaged_id_is_a_reject_that_says_so(cli, db_path, tmp_path):
    text = SHOPIFY.read_text(encoding="utf-8").replace("#2002", "2.00200E+18")
    damaged = tmp_path / "orders.csv"
    damaged.write_text(text, encoding="utf-8")
    result = cli("import", damaged, "--json")
    assert result.code == 0 and result.json()[0]["rejected"] == 1
    reason = cli("imports", "show", "1", "--json").json()["rejects"][0]["reason"]
    assert "Excel" in reason and "2.00200E+18" in reason


def test_unknown_status_is_a_reject_naming_the_column(cli, db_path, tmp_path):
    text = SHOPIFY.read_text(encoding="utf-8").replace("partially_refunded", "mystery_state")
    odd = tmp_path / "orders.csv"
    odd.write_text(text, encoding="utf-8")
    result = cli("import", odd, "--json")
    assert result.json()[0]["rejected"] == 1
    reject = cli("imports", "show", "1", "--json").json()["rejects"][0]
    assert "Financial Status" in reject["reason"] and "mystery_state" in reject["reason"]


def test_read_only_database(cli, db_path, tmp_path):
    assert cli("import", SHOPIFY).code == 0
    before = counts(db_path)
    other = tmp_path / "orders2.csv"
    other.write_text(SHOPIFY.read_text(encoding="utf-8").replace("#200", "#300"), encoding="utf-8")
    db_path.chmod(0o444)
    try:
        result = cli("import", other)
        if result.code == 0:
            pytest.skip("running as a user who can write read-only files (root)")
        assert result.code == 2 and "read-only" in one_line_error(result)
    finally:
        db_path.chmod(0o644)
    assert counts(db_path) == before


def test_database_held_by_another_writer(cli, db_path):
    from omnictl.db import open_db

    open_db(db_path).close()
    holder = sqlite3.connect(db_path)
    holder.execute("BEGIN IMMEDIATE")
    try:
        result = cli("import", SHOPIFY)
        message = one_line_error(result)
        assert result.code == 2 and "locked by another writer" in message
    finally:
        holder.rollback()
        holder.close()
    assert counts(db_path) == (0, 0, 0, 0)


def test_interrupted_import_leaves_no_partial_batch(db, monkeypatch):
    from omnictl import importer

    calls = {"n": 0}
    original = importer.OrderWriter._write_order

    def interrupt_on_third(self, order):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return original(self, order)

    monkeypatch.setattr(importer.OrderWriter, "_write_order", interrupt_on_third)
    with pytest.raises(KeyboardInterrupt):
        importer.import_files(db, [SHOPIFY])
    assert db.scalar("SELECT count(*) FROM import_batch") == 0
    assert db.scalar("SELECT count(*) FROM sales_order") == 0


def test_not_a_database(cli, db_path):
    db_path.write_text("hello, I am not SQLite\n" * 100)
    result = cli("orders", "list")
    assert result.code == 2 and "not an omnictl database" in one_line_error(result)


def test_two_new_files_of_one_profile_create_the_channel_once(cli, db_path, tmp_path):
    other = tmp_path / "orders_export_2.csv"
    other.write_text(SHOPIFY.read_text(encoding="utf-8").replace("#200", "#300"), encoding="utf-8")
    result = cli("import", SHOPIFY, other, "--json")
    assert result.code == 0, result
    assert [r["orders"] for r in result.json()] == [3, 3]
    assert result.stderr.count("created channel shopify") == 1


def test_read_only_database_even_for_root(tmp_path):
    """Root ignores file modes, so open the file read-only through SQLite itself."""
    from omnictl.db import Database, open_db
    from omnictl.errors import DatabaseError
    from omnictl.importer import import_files

    path = tmp_path / "ro.db"
    open_db(path).close()
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
    conn.row_factory = sqlite3.Row
    with pytest.raises(DatabaseError, match="read-only"):
        import_files(Database(conn, path), [SHOPIFY])
    conn.close()
    assert counts(path) == (0, 0, 0, 0)


def test_a_western_code_page_file_is_refused_not_read_as_gbk(cli, db_path, tmp_path):
    text = SHOPIFY.read_text(encoding="utf-8").replace("Mia Chen", "Renée Müller")   # valid GB18030 bytes too
    text = text.replace("Sam Okafor", "François Léger")
    path = tmp_path / "orders_export.csv"
    path.write_bytes(text.encode("cp1252"))
    result = cli("import", path)
    assert result.code == 2 and "Windows-1252" in one_line_error(result)
    assert counts(db_path) == (0, 0, 0, 0)


def test_an_executable_renamed_csv_is_called_binary(cli, db_path, tmp_path):
    import sys

    fake = tmp_path / "ls.csv"
    fake.write_bytes(open(sys.executable, "rb").read(20000))
    result = cli("import", fake)
    assert result.code == 2 and "binary file" in one_line_error(result)


def test_reading_a_database_that_does_not_exist_creates_nothing(cli, db_path):
    result = cli("orders", "list")
    assert result.code == 2 and "no database at" in one_line_error(result)
    assert not db_path.exists()
    assert cli("channels", "list").code == 0 and not db_path.exists()      # profiles need no database


def test_database_in_a_read_only_folder_is_named_as_such(tmp_path, monkeypatch):
    """SQLite cannot open a WAL database whose folder it cannot write (-wal, -shm). Root can
    write anywhere, so the failing open and the folder's mode are simulated."""
    from omnictl import db as dbmod
    from omnictl.errors import DatabaseError

    path = tmp_path / "shop.db"
    path.write_bytes(b"")

    class CannotOpen:
        def execute(self, *args):
            raise sqlite3.OperationalError("unable to open database file")

    monkeypatch.setattr(dbmod.os, "access", lambda p, mode: False)
    with pytest.raises(DatabaseError, match="in a folder omnictl cannot write to"):
        dbmod._check_is_sqlite(CannotOpen(), path)
