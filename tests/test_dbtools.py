"""Database tools: info counts, checks that name the broken rows, backup while writing, vacuum."""

import os
import sqlite3
import threading

import pytest
from conftest import OWN_FIXTURES

from omnictl import dbtools
from omnictl.batches import undo_batch
from omnictl.db import latest_version, open_db
from omnictl.dbtools import (
    Finding,
    backup_database,
    check_database,
    database_info,
    vacuum_database,
)
from omnictl.errors import DatabaseError, UsageError
from omnictl.importer import import_files

SHOPIFY = OWN_FIXTURES / "shopify" / "orders_export_small.csv"
CHECK_NAMES = ["sqlite integrity", "foreign keys", "schema version", "buyer name search index", "order status",
               "order history", "orders, lines and batches", "import batch counts", "stock balances",
               "late moves", "audit chain", "unfinished batches"]


def newer_export(tmp_path):
    """The same orders a day later: #2001's pending line shipped, #2003 fully refunded."""
    text = SHOPIFY.read_text(encoding="utf-8")
    text = text.replace("Bulb E27 Warm,50.00,,BULB-E27,true,true,pending", "Bulb E27 Warm,50.00,,BULB-E27,true,true,fulfilled")
    text = text.replace("partially_refunded", "refunded").replace(",20.00,", ",104.00,")
    path = tmp_path / "orders_export_1.csv"
    path.write_text(text, encoding="utf-8")
    return path


def raw(path):
    """A plain sqlite3 connection beside omnictl's, as another program (or a careless script) would use."""
    return sqlite3.connect(path, isolation_level=None, timeout=5)


def failing(report):
    return {c.name: c for c in report.checks if c.status == "fail"}


@pytest.fixture
def imported(db):
    import_files(db, [SHOPIFY])
    return db


# -- info -----------------------------------------------------------------------------------

def test_info_counts_every_table_after_an_import(imported):
    info = database_info(imported)
    expected = {"channel": 1, "customer": 3, "party": 3, "import_batch": 1, "import_reject": 0, "sales_order": 3,
                "order_line": 5, "order_event": 3, "sku": 0, "sku_alias": 0, "location": 0, "fx_rate": 0}
    assert {name: info.tables[name] for name in expected} == expected
    assert not [name for name in info.tables if name.startswith(("party_name_search", "sqlite_"))]
    assert (info.schema_version, info.schema_latest) == (latest_version(), latest_version())
    assert info.journal_mode == "wal" and info.sqlite_version == sqlite3.sqlite_version
    wal = imported.path.with_name(imported.path.name + "-wal")
    assert info.size_bytes == imported.path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)
    assert info.page_size == imported.scalar("PRAGMA page_size") and info.page_count >= 10
    assert [(b.id, b.file, b.orders_created, b.lines) for b in info.last_batches] == \
        [(1, "orders_export_small.csv", 3, 5)]
    assert (info.timezone, info.currency) == ("UTC", None)


def test_info_shows_the_last_five_batches_newest_first(imported):
    with imported.write():
        for n in range(2, 8):
            imported.execute("INSERT INTO import_batch (kind, file_name, sha256, actor, started_at, finished_at) "
                             "VALUES ('master:skus', ?, ?, 't', '2026-11-25T10:00:00Z', '2026-11-25T10:00:01Z')",
                             (f"skus_{n}.csv", f"sha{n}"))
    assert [(b.id, b.file) for b in database_info(imported).last_batches] == \
        [(n, f"skus_{n}.csv") for n in (7, 6, 5, 4, 3)]


def test_cli_info_json_and_a_missing_database(cli, tmp_path):
    assert cli("import", SHOPIFY).code == 0
    result = cli("db", "info", "--json")
    assert result.code == 0, result
    data = result.json()
    assert (data["tables"]["sales_order"], data["tables"]["order_line"], data["tables"]["order_event"]) == (3, 5, 3)
    assert data["last_batches"][0]["file"] == "orders_export_small.csv"
    table = cli("db", "info")
    assert table.code == 0 and "sales_order" in table.stdout and "orders_export_small.csv" in table.stdout
    missing = tmp_path / "nope.db"
    result = cli("--db", missing, "db", "info", db=False)
    assert result.code == 2 and result.stderr.startswith(f"Error: no database at {missing}")
    assert not missing.exists()


# -- check ----------------------------------------------------------------------------------

def test_check_passes_on_a_clean_database(imported):
    report = check_database(imported)
    assert report.ok
    assert [(c.name, c.status, c.problems) for c in report.checks] == [(name, "ok", []) for name in CHECK_NAMES]
    details = {c.name: c.details for c in report.checks}
    assert details["sqlite integrity"] == "PRAGMA integrity_check: ok"
    assert details["import batch counts"] == "the counts of 1 finished batch(es) match the rows stored"
    assert check_database(imported, quick=True).checks[0].details == "PRAGMA quick_check: ok"


def test_check_holds_after_an_update_an_undo_and_a_party_without_a_name(imported, tmp_path):
    [update] = import_files(imported, [newer_export(tmp_path)])
    assert update.lines == 2
    assert check_database(imported).ok
    undo_batch(imported, update.batch, "tester")
    with imported.write():    # a buyer known by email only: never in the name index, not a fault
        imported.execute("INSERT INTO party (id, email) VALUES (50, 'only@example.com')")
    report = check_database(imported)
    assert report.ok, failing(report)


def test_check_names_an_order_whose_status_disagrees(imported, cli, db_path):
    with imported.write():
        imported.execute("UPDATE sales_order SET status = 'shipped' WHERE external_id = '#2001'")
        imported.execute("UPDATE order_line SET status = 'delivered' WHERE id = 4")
    report = check_database(imported)
    assert not report.ok and list(failing(report)) == ["order status"]
    check = failing(report)["order status"]
    assert check.problem_count == 2
    assert check.problems == [
        "order shopify #2001 (id 1): status 'shipped' but payment paid and fulfilment open give 'paid'",
        ("order shopify #2002 (id 2) line LAMP-TR-BLK#1 (id 4): status 'delivered' but payment unpaid and "
         "fulfilment cancelled give 'cancelled'")]


def test_cli_check_exits_1_and_names_a_dangling_reference(cli, db_path):
    assert cli("import", SHOPIFY).code == 0
    conn = raw(db_path)
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute("UPDATE order_line SET order_id = 99 WHERE id = 5")
    conn.close()
    result = cli("db", "check", "--json")
    assert result.code == 1, result
    checks = {c["name"]: c for c in result.json()["checks"]}
    assert result.json()["ok"] is False
    assert checks["foreign keys"]["details"] == "references to missing rows: order_line → sales_order: 1 row(s)"
    assert checks["foreign keys"]["problems"] == ["order_line row 5: order_id = 99, but sales_order has no such id"]
    assert checks["orders, lines and batches"]["problems"] == ["line LAMP-DK-OAK#1 (id 5): its order 99 does not exist"]
    assert [name for name, c in checks.items() if c["status"] == "fail"] == ["foreign keys", "orders, lines and batches"]
    table = cli("db", "check")
    assert table.code == 1 and "order_line row 5: order_id = 99" in table.stdout
    assert "2 of 12 checks failed" in table.stderr


def test_check_names_an_unfinished_batch_and_a_missing_created_event(imported):
    started = imported.scalar("SELECT started_at FROM import_batch WHERE id = 1")
    with imported.write():
        imported.execute("UPDATE import_batch SET finished_at = NULL WHERE id = 1")
        imported.execute("DELETE FROM order_event WHERE order_id = 2 AND field = 'created'")
    bad = failing(check_database(imported))
    assert list(bad) == ["order history", "unfinished batches"]
    assert bad["unfinished batches"].problems == [
        f"batch 1 (orders, orders_export_small.csv), started {started}, never finished"]
    assert bad["unfinished batches"].details == "1 batch(es) never finished: an import stopped mid-way"
    assert bad["order history"].problems == [
        "order shopify #2002 (id 2): no 'created' event in its history (first batch 1)"]


def test_check_compares_batch_counts_with_the_rows_stored(imported):
    with imported.write():
        imported.execute("UPDATE import_batch SET rejected = 2, imported = rows_read - 2, orders_created = 4, "
                         "lines_written = 6 WHERE id = 1")
    bad = failing(check_database(imported))
    assert list(bad) == ["import batch counts"]
    assert bad["import batch counts"].problems == [
        "batch 1 (orders_export_small.csv): counted 2 rejected row(s) but 0 are stored",
        "batch 1 (orders_export_small.csv): counted 4 new order(s) but 3 are stored as created by it",
        "batch 1 (orders_export_small.csv): counted 6 line(s) written but 5 are stored (5 created, 0 changed)"]


def test_check_names_orders_of_an_undone_batch(imported):
    with imported.write():
        imported.execute("INSERT INTO import_batch (id, kind, file_name, sha256, actor, started_at, finished_at, "
                         "undone_at, undone_by) VALUES (2, 'orders', 'b.csv', 'x', 't', 'a', 'b', "
                         "'2026-11-25T10:00:00Z', 't')")
        imported.execute("UPDATE sales_order SET last_batch_id = 2 WHERE id = 3")
    bad = failing(check_database(imported))
    assert list(bad) == ["orders, lines and batches"]
    assert bad["orders, lines and batches"].problems == [
        "order shopify #2003 (id 3): last_batch_id 2, which was undone at 2026-11-25T10:00:00Z"]


def test_check_finds_search_index_entries_that_differ_from_the_names(imported):
    with imported.write():
        imported.execute("INSERT INTO party_name_search (party_name_search, rowid, name) VALUES ('delete', 1, 'Mia Chen')")
        imported.execute("INSERT INTO party_name_search (rowid, name) VALUES (99, 'Ghost Buyer')")
    bad = failing(check_database(imported))
    assert list(bad) == ["buyer name search index"]
    check = bad["buyer name search index"]
    assert check.problems == ["party 1 ('Mia Chen'): its name is missing from the index",
                              "party 99: in the index but there is no such party"]
    assert check.details.startswith("index structure ok; 2 party name(s) differ from the index")
    with imported.write():
        imported.execute("INSERT INTO party_name_search (party_name_search) VALUES ('rebuild')")
    assert check_database(imported).ok


def test_later_issues_register_their_checks_in_the_registry(imported, monkeypatch):
    monkeypatch.setattr(dbtools, "CHECKS", list(dbtools.CHECKS))
    dbtools.register("stock ledger balances re-derived", before="unfinished batches")(
        lambda db, quick: Finding("1 balance differs", ["sku A at WH: stored 3, moves give 2"]))
    report = check_database(imported)
    names = [c.name for c in report.checks]
    assert names[-2:] == ["stock ledger balances re-derived", "unfinished batches"]
    assert not report.ok and failing(report)["stock ledger balances re-derived"].problem_count == 1


# -- backup ---------------------------------------------------------------------------------

def test_backup_is_one_snapshot_while_another_connection_writes(imported, tmp_path, monkeypatch):
    """Another connection commits 5 buyers while the copy is half done: it is not blocked, and the
    copy holds exactly the rows of the moment the backup began."""
    monkeypatch.setattr(dbtools, "BACKUP_STEP_PAGES", 1)
    go, done, errors = threading.Event(), threading.Event(), []

    def writer():
        conn = raw(imported.path)
        try:
            go.wait(10)
            for n in range(5):
                conn.execute("BEGIN IMMEDIATE")
                conn.execute("INSERT INTO party (id, name) VALUES (?, ?)", (100 + n, f"Writer {n}"))
                conn.execute("INSERT INTO customer (code, party_id) VALUES (?, ?)", (f"W{n}", 100 + n))
                conn.execute("COMMIT")
        except sqlite3.Error as err:  # reported below
            errors.append(err)
        finally:
            conn.close()
            done.set()

    steps = []

    def progress(copied, total):
        steps.append((copied, total))
        if len(steps) == 1:
            go.set()
            assert done.wait(10), "the writer was blocked by the backup"

    thread = threading.Thread(target=writer)
    thread.start()
    result = backup_database(imported, tmp_path / "copy.db", progress=progress)
    thread.join()
    assert errors == []
    assert len(steps) > 10 and steps[0][0] == 1 and steps[-1][0] == steps[-1][1]
    assert result.integrity_ok and result.integrity == ["ok"]
    assert result.bytes == (tmp_path / "copy.db").stat().st_size and result.path == str(tmp_path / "copy.db")
    assert imported.scalar("SELECT count(*) FROM party") == 8
    copy = open_db(tmp_path / "copy.db")
    try:
        assert [copy.scalar(f"SELECT count(*) FROM {t}") for t in ("party", "customer", "sales_order", "order_line")] \
            == [3, 3, 3, 5]
        assert check_database(copy).ok
    finally:
        copy.close()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".copy.db")) == []


def test_backup_while_a_writer_runs_freely_is_consistent(imported, tmp_path, monkeypatch):
    monkeypatch.setattr(dbtools, "BACKUP_STEP_PAGES", 2)
    stop, written = threading.Event(), []

    def writer():
        conn = raw(imported.path)
        n = 0
        while not stop.is_set():
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO party (id, name, address) VALUES (?, ?, ?)", (1000 + n, f"Buyer {n}", "x" * 300))
            conn.execute("INSERT INTO customer (code, party_id) VALUES (?, ?)", (f"C{n}", 1000 + n))
            conn.execute("COMMIT")
            n += 1
            written.append(n)
        conn.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while len(written) < 50:
            threading.Event().wait(0.005)
        before = len(written)
        result = backup_database(imported, tmp_path / "copy.db")
    finally:
        stop.set()
        thread.join()
    copy = sqlite3.connect(tmp_path / "copy.db")
    parties, customers = (copy.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("party", "customer"))
    assert result.integrity_ok and parties == customers and before + 3 <= parties <= len(written) + 3
    assert copy.execute("PRAGMA foreign_key_check").fetchall() == []
    assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    copy.close()


def test_backup_refusals_are_one_sentence_and_exit_2(cli, db_path, tmp_path):
    assert cli("import", SHOPIFY).code == 0
    existing = tmp_path / "old.db"
    existing.write_text("keep me", encoding="utf-8")
    cases = [
        ((existing,), f"Error: backup target {existing} already exists; use --force to replace it"),
        ((db_path,), f"Error: backup target {db_path} is the database itself; give another file name"),
        ((f"{db_path}-wal",), (f"Error: backup target {db_path}-wal is one of the database's own journal files; "
                               "give another file name")),
        ((tmp_path / "no" / "copy.db",), (f"Error: cannot write backup {tmp_path / 'no' / 'copy.db'}: folder "
                                          f"{tmp_path / 'no'} does not exist")),
        ((tmp_path,), (f"Error: backup target {tmp_path} is a folder; give a file name, e.g. "
                       f"{tmp_path / 'omnictl-backup.db'}")),
    ]
    for args, message in cases:
        result = cli("db", "backup", *args)
        assert result.code == 2, result
        assert result.stderr.strip() == message and result.stdout == ""
    assert existing.read_text(encoding="utf-8") == "keep me"
    forced = cli("db", "backup", existing, "--force", "--json")
    assert forced.code == 0, forced
    assert forced.json()["integrity_ok"] is True and forced.json()["bytes"] == existing.stat().st_size
    copy = sqlite3.connect(existing)
    assert copy.execute("SELECT count(*) FROM sales_order").fetchone()[0] == 3
    copy.close()
    plain = cli("db", "backup", tmp_path / "b2.db")
    assert plain.code == 0 and plain.stdout.startswith(f"backup written to {tmp_path / 'b2.db'}")


def test_a_failed_backup_leaves_nothing_at_the_target(imported, tmp_path, monkeypatch):
    def broken(db, temp, progress):
        temp.write_bytes(b"half a copy")
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(dbtools, "_copy", broken)
    target = tmp_path / "out" / "copy.db"
    target.parent.mkdir()
    with pytest.raises(DatabaseError, match=r"backup to .*copy.db failed \(disk I/O error\); nothing was written"):
        backup_database(imported, target)
    assert list(target.parent.iterdir()) == []


def test_backup_refuses_the_database_itself_by_another_name(imported, tmp_path):
    other = tmp_path / "sub" / ".." / imported.path.name
    (tmp_path / "sub").mkdir()
    with pytest.raises(UsageError, match="is the database itself"):
        backup_database(imported, other, overwrite=True)


# -- vacuum ---------------------------------------------------------------------------------

def test_vacuum_gives_back_free_pages(imported):
    with imported.write():
        imported.conn.executemany("INSERT INTO party (id, name, address) VALUES (?, ?, ?)",
                                  [(1000 + n, f"Buyer {n}", "x" * 500) for n in range(2000)])
    with imported.write():
        imported.execute("DELETE FROM party WHERE id >= 1000")
    imported.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert imported.scalar("PRAGMA freelist_count") > 100
    result = vacuum_database(imported)
    assert result.free_pages_before > 100 and result.free_pages_after == 0
    assert result.bytes_after < result.bytes_before
    assert result.bytes_after == imported.path.stat().st_size
    assert imported.scalar("SELECT count(*) FROM sales_order") == 3 and check_database(imported).ok


def test_vacuum_refuses_while_another_connection_writes(cli, db_path):
    assert cli("import", SHOPIFY).code == 0
    other = raw(db_path)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO setting (key, value) VALUES ('x', 'y')")
    try:
        result = cli("db", "vacuum")
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert result.code == 2
    assert result.stderr.strip() == (f"Error: database {db_path} is locked by another writer; waited 0.5 s "
                                     "(set OMNICTL_BUSY_TIMEOUT to wait longer)")
    done = cli("db", "vacuum", "--json")
    assert done.code == 0 and done.json()["free_pages_after"] == 0
    assert done.json()["bytes_after"] == os.path.getsize(db_path)
