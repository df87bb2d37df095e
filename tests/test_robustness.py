"""Files and upgrades: private database files, first opens that race, backups under load,
and a database written by an older omnictl migrating forward."""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from omnictl.db import latest_version, open_db
from omnictl.dbtools import backup_database, check_database
from omnictl.errors import DatabaseError

from conftest import OWN_FIXTURES

OLD_DEMO = OWN_FIXTURES / "upgrade" / "omnictl-v3-demo.db"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_database_and_its_journal_are_readable_by_the_owner_only(tmp_path):
    path = tmp_path / "private.db"
    db = open_db(path)
    with db.write():
        db.execute("INSERT INTO location (code, name) VALUES ('WH', 'Warehouse')")
    assert _mode(path) == 0o600
    assert _mode(path.with_name("private.db-wal")) == 0o600
    copy = backup_database(db, tmp_path / "copy.db")
    assert _mode(Path(copy.path)) == 0o600
    db.close()


def test_the_file_mode_can_be_configured(tmp_path, monkeypatch):
    monkeypatch.setenv("OMNICTL_FILE_MODE", "640")
    old = os.umask(0o022)
    try:
        open_db(tmp_path / "group.db").close()
    finally:
        os.umask(old)
    assert _mode(tmp_path / "group.db") == 0o640
    monkeypatch.setenv("OMNICTL_FILE_MODE", "rw-r-----")
    with pytest.raises(DatabaseError, match="OMNICTL_FILE_MODE 'rw-r-----' is not an octal mode"):
        open_db(tmp_path / "other.db")
    assert not (tmp_path / "other.db").exists()


def test_processes_that_open_a_new_database_at_once_migrate_it_once(tmp_path):
    path = tmp_path / "race.db"
    code = "import sys; from omnictl.db import open_db; open_db(sys.argv[1]).close()"
    env = {k: v for k, v in os.environ.items() if k != "OMNICTL_BUSY_TIMEOUT"}
    procs = [subprocess.Popen([sys.executable, "-c", code, str(path)], env=env, stderr=subprocess.PIPE, text=True)
             for _ in range(6)]
    errors = [p.communicate(timeout=120)[1] for p in procs]
    assert [p.returncode for p in procs] == [0] * 6, errors
    db = open_db(path)
    assert db.scalar("PRAGMA user_version") == latest_version()
    assert check_database(db).ok
    db.close()


WRITER = r"""
import sys
from omnictl.db import open_db
from omnictl.purchases import adjust
db = open_db(sys.argv[1])
for n in range(int(sys.argv[2])):
    adjust(db, "SKU-A", 1, "WH", reason="load", actor="writer")
"""


def test_a_backup_taken_while_writers_run_is_consistent(tmp_path):
    path = tmp_path / "busy.db"
    db = open_db(path)
    with db.write():
        db.execute("INSERT INTO location (code, name) VALUES ('WH', 'Warehouse')")
        db.execute("INSERT INTO sku (code, name) VALUES ('SKU-A', 'Lamp')")
    env = {k: v for k, v in os.environ.items() if k != "OMNICTL_BUSY_TIMEOUT"}
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), "150"], env=env,
                                stderr=subprocess.PIPE, text=True) for _ in range(2)]
    copies = []
    while any(w.poll() is None for w in writers):
        copies.append(backup_database(db, tmp_path / f"copy-{len(copies)}.db"))
    for w in writers:
        assert w.wait() == 0, w.stderr.read()
    assert copies, "the writers finished before a backup could be taken"
    for result in copies:
        assert result.integrity_ok
        copy = open_db(result.path)
        assert check_database(copy).ok                  # balances = sum of moves in the copy too
        moves = copy.scalar("SELECT count(*) FROM stock_move")
        assert copy.scalar("SELECT coalesce(sum(on_hand), 0) FROM stock_balance") == moves
        copy.close()
    assert db.scalar("SELECT count(*) FROM stock_move") == 300
    db.close()


def _raw(path: Path, sql: str):
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_a_database_from_an_older_omnictl_migrates_forward_and_keeps_everything(tmp_path):
    path = tmp_path / "old.db"
    shutil.copy(OLD_DEMO, path)
    before = {sql: _raw(path, sql) for sql in (
        "SELECT channel, external_id, status, total_minor FROM sales_order ORDER BY id",
        "SELECT order_id, line_key, sku, quantity, fulfilment FROM order_line ORDER BY id",
        "SELECT sku, location, sum(quantity) FROM stock_move GROUP BY sku, location ORDER BY sku, location",
        "SELECT name, phone, email FROM party ORDER BY id",
        "SELECT id, sha256, rows_read, rejected FROM import_batch ORDER BY id",
    )}
    assert _raw(path, "PRAGMA user_version") == [(3,)]

    db = open_db(path)
    assert db.scalar("PRAGMA user_version") == latest_version()
    for sql, rows in before.items():
        assert [tuple(r) for r in db.query(sql)] == rows, sql
    assert check_database(db).ok
    backups = list(tmp_path.glob("old.db.bak-v3-*"))
    assert len(backups) == 1 and _raw(backups[0], "PRAGMA user_version") == [(3,)]
    from omnictl.planning.netting import plan_orders

    plan_orders(db)                                     # the new tables work on the old data
    db.close()
