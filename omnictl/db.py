"""Open a database: WAL, busy timeout, foreign keys, migrations.

Schema versions live in `PRAGMA user_version`; `migrations/NNNN_*.sql` are applied in
order. Before migrating a database that already holds data, a backup is written beside it.
A database written by a newer omnictl is refused.
"""

from __future__ import annotations

import os
import re
import sqlite3
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Iterator

from omnictl import clock
from omnictl.errors import DatabaseError

DEFAULT_BUSY_TIMEOUT_S = 30.0
DEFAULT_FILE_MODE = 0o600   # personal data inside: readable by its owner only
DEFAULT_PATH = "omnictl.db"
CACHE_KIB = 64 * 1024       # page cache cap per connection: index inserts stay in memory at scale


def busy_timeout_s() -> float:
    return float(os.environ.get("OMNICTL_BUSY_TIMEOUT", DEFAULT_BUSY_TIMEOUT_S))


def file_mode() -> int:
    """Permissions for a new database file (its -wal and -shm follow it): `$OMNICTL_FILE_MODE`
    in octal, e.g. 640 to let a group read it, else owner only."""
    text = os.environ.get("OMNICTL_FILE_MODE", "").strip()
    try:
        return int(text, 8) & 0o777 if text else DEFAULT_FILE_MODE
    except ValueError:
        raise DatabaseError(f"$OMNICTL_FILE_MODE '{text}' is not an octal mode such as 600 or 640") from None


def _create_private(path: Path) -> None:
    """Create the empty file with `file_mode()` before SQLite does, so it is never world-readable."""
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, file_mode()))
    except FileExistsError:      # another process created it first
        pass
    except OSError as err:
        raise DatabaseError(f"cannot create database {path}: {err.strerror or err}") from None


def resolve_path(path: str | os.PathLike | None) -> Path:
    """`--db`, else `$OMNICTL_DB`, else `./omnictl.db`."""
    return Path(path or os.environ.get("OMNICTL_DB") or DEFAULT_PATH)


def migrations() -> list[tuple[int, str, str]]:
    """(version, name, sql) for each packaged migration, in order."""
    found = []
    for entry in resources.files("omnictl.migrations").iterdir():
        match = re.fullmatch(r"(\d{4})_(\w+)\.sql", entry.name)
        if match:
            found.append((int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    return sorted(found)


def latest_version() -> int:
    return migrations()[-1][0]


class Database:
    """A connection plus the rules for writing: one short transaction per unit of work."""

    def __init__(self, conn: sqlite3.Connection, path: Path):
        self.conn = conn
        self.path = path

    def execute(self, sql: str, params=()) -> sqlite3.Cursor:
        return self.conn.execute(sql, params)

    def query(self, sql: str, params=()) -> list[sqlite3.Row]:
        return self.conn.execute(sql, params).fetchall()

    def one(self, sql: str, params=()) -> sqlite3.Row | None:
        return self.conn.execute(sql, params).fetchone()

    def scalar(self, sql: str, params=()):
        row = self.conn.execute(sql, params).fetchone()
        return None if row is None else row[0]

    @contextmanager
    def write(self) -> Iterator["Database"]:
        """One write transaction: it lands whole or not at all."""
        _begin_immediate(self)
        try:
            yield self
        except sqlite3.OperationalError as err:      # read-only, disk full, locked mid-way
            self.conn.rollback()
            raise _translate(err, self.path) from None
        except BaseException:
            self.conn.rollback()
            raise
        try:
            self.conn.commit()
        except sqlite3.OperationalError as err:
            self.conn.rollback()
            raise _translate(err, self.path) from None

    def setting(self, key: str, default: str | None = None) -> str | None:
        value = self.scalar("SELECT value FROM setting WHERE key = ?", (key,))
        return default if value is None else value

    def close(self) -> None:
        self.conn.close()


def _begin_immediate(db: Database) -> None:
    """Take the write lock now; the busy timeout waits, and one retry follows a timeout."""
    for attempt in (1, 2):
        try:
            db.conn.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as err:
            if attempt == 2 or "locked" not in str(err):
                raise _translate(err, db.path) from None


def _translate(err: sqlite3.Error, path: Path) -> DatabaseError:
    text = str(err)
    if "locked" in text or "busy" in text:
        return DatabaseError(
            f"database {path} is locked by another writer; waited {busy_timeout_s():g} s "
            "(set OMNICTL_BUSY_TIMEOUT to wait longer)"
        )
    if "readonly" in text or "read-only" in text:
        return DatabaseError(f"database {path} is read-only; nothing was written")
    if "disk I/O" in text or "unable to open" in text:
        return DatabaseError(f"database {path} cannot be opened or written ({text})")
    return DatabaseError(f"database {path}: {text}")


def open_db(path: str | os.PathLike | None = None, *, migrate: bool = True) -> Database:
    """Open (creating if needed) and migrate the database at `path`."""
    path = resolve_path(path)
    if path.exists() and path.is_dir():
        raise DatabaseError(f"database path {path} is a directory")
    if not path.parent.exists():
        raise DatabaseError(f"cannot create database {path}: folder {path.parent} does not exist")
    if str(path) != ":memory:" and not path.exists():
        _create_private(path)
    try:
        conn = sqlite3.connect(path, timeout=busy_timeout_s(), isolation_level=None,
                               check_same_thread=False)
        conn.row_factory = sqlite3.Row
        _check_is_sqlite(conn, path)
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
        if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal" and os.access(path, os.W_OK):
            conn.execute("PRAGMA journal_mode = WAL")
    except sqlite3.Error as err:
        raise _translate(err, path) from None
    db = Database(conn, path)
    if migrate:
        migrate_db(db)
    clock.set_zone(db.setting("company.timezone", "UTC"))
    return db


def _check_is_sqlite(conn: sqlite3.Connection, path: Path) -> None:
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as err:
        if "not a database" in str(err):
            raise DatabaseError(f"{path} is not an omnictl database (not SQLite)") from None
        if path.exists() and not os.access(path.parent, os.W_OK):
            raise DatabaseError(f"database {path} is in a folder omnictl cannot write to; SQLite needs to "
                                f"create {path.name}-wal and {path.name}-shm beside it") from None
        raise _translate(err, path) from None


def schema_version(db: Database) -> int:
    return db.scalar("PRAGMA user_version")


def migrate_db(db: Database) -> list[int]:
    """Apply pending migrations, backing up a database that holds data first."""
    current, steps = schema_version(db), migrations()
    newest = steps[-1][0]
    if current > newest:
        raise DatabaseError(
            f"database {db.path} has schema version {current}, newer than this omnictl "
            f"understands ({newest}); upgrade omnictl to open it"
        )
    pending = [step for step in steps if step[0] > current]
    if not pending:
        return []
    if current > 0:
        backup(db, backup_path(db.path, current))
    for version, _name, sql in pending:
        try:
            _begin_immediate(db)
            if schema_version(db) >= version:      # another process migrated while we waited
                db.conn.rollback()
                continue
            for statement in _split_sql(sql):
                db.conn.execute(statement)
            db.conn.execute(f"PRAGMA user_version = {version}")
            db.conn.commit()
        except sqlite3.Error as err:
            db.conn.rollback()
            raise _translate(err, db.path) from None
    return [version for version, _, _ in pending]


def _split_sql(script: str) -> list[str]:
    """Statements of a migration script, so they run inside one transaction."""
    statements, buffer = [], ""
    for line in script.splitlines(keepends=True):
        if line.lstrip().startswith("--") and not buffer.strip():
            continue
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements


def backup_path(path: Path, version: int) -> Path:
    stamp = clock.now().strftime("%Y%m%dT%H%M%S")
    return path.with_name(f"{path.name}.bak-v{version}-{stamp}")


def backup(db: Database, target: Path) -> Path:
    """A consistent copy of the database (SQLite's online backup)."""
    dest = sqlite3.connect(target)
    try:
        db.conn.backup(dest)
    finally:
        dest.close()
    os.chmod(target, db.path.stat().st_mode & 0o777)     # as private as the original
    return target
