"""Database basics: migrations on open, a backup before migrating data, newer schemas refused."""

import sqlite3

import pytest

from omnictl import db as dbmod
from omnictl.errors import DatabaseError


def test_new_database_is_migrated_with_wal_and_foreign_keys(tmp_path):
    database = dbmod.open_db(tmp_path / "new.db")
    assert dbmod.schema_version(database) == dbmod.latest_version()
    assert database.scalar("PRAGMA journal_mode") == "wal"
    assert database.scalar("PRAGMA foreign_keys") == 1
    database.close()


def test_database_from_a_newer_omnictl_is_refused(tmp_path):
    path = tmp_path / "future.db"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {dbmod.latest_version() + 5}")
    conn.close()
    with pytest.raises(DatabaseError, match="newer than this omnictl"):
        dbmod.open_db(path)


def test_backup_is_taken_before_migrating_a_database_with_data(tmp_path, monkeypatch):
    path = tmp_path / "old.db"
    database = dbmod.open_db(path)
    database.execute("INSERT INTO setting (key, value) VALUES ('company.timezone', 'UTC')")
    database.close()
    steps = dbmod.migrations()
    extra = (steps[-1][0] + 1, "test_step", "CREATE TABLE test_added (x INTEGER);")
    monkeypatch.setattr(dbmod, "migrations", lambda: steps + [extra])
    migrated = dbmod.open_db(path)
    assert dbmod.schema_version(migrated) == extra[0]
    backups = list(tmp_path.glob("old.db.bak-v*"))
    assert len(backups) == 1
    copy = sqlite3.connect(backups[0])
    assert copy.execute("SELECT value FROM setting").fetchone() == ("UTC",)
    assert copy.execute("PRAGMA user_version").fetchone()[0] == steps[-1][0]
    copy.close()
    migrated.close()


def test_a_failing_migration_changes_nothing(tmp_path, monkeypatch):
    path = tmp_path / "db.db"
    dbmod.open_db(path).close()
    steps = dbmod.migrations()
    broken = (steps[-1][0] + 1, "broken", "CREATE TABLE half_done (x);\nINSERT INTO no_such_table VALUES (1);")
    monkeypatch.setattr(dbmod, "migrations", lambda: steps + [broken])
    with pytest.raises(DatabaseError):
        dbmod.open_db(path)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == steps[-1][0]
    assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'half_done'").fetchone()[0] == 0
    conn.close()


def test_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(DatabaseError, match="does not exist"):
        dbmod.open_db(tmp_path / "no" / "such" / "db.db")
