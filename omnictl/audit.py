"""The audit log: who changed what by hand, when, from what to what; append-only and chained.

Each entry's hash is SHA-256 over its id, the previous entry's hash, its time, actor, action,
subject and the digests of its before/after texts. `verify` recomputes the chain: an entry
edited, removed or moved breaks it from that point on. The digests (not the texts) are
chained so a privacy redaction can blank the texts and the chain still holds.

`record` is called inside the write transaction of the change it records, so the change and
its entry land together and entries are chained in commit order.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import datetime, time

from pydantic import BaseModel

from omnictl import clock
from omnictl.db import Database
from omnictl.errors import UsageError

GENESIS = "0" * 64


class AuditEntry(BaseModel):
    id: int
    at: str
    actor: str
    action: str
    subject: str
    before: object | None = None
    after: object | None = None
    redacted: bool = False


class AuditVerification(BaseModel):
    ok: bool
    entries: int
    first_broken: int | None = None      # id of the first entry that does not verify
    problems: list[str] = []


def _digest(text: str | None) -> str:
    return hashlib.sha256((text or "").encode("utf-8")).hexdigest()


def _as_json(value) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _chain_hash(entry_id: int, prev_hash: str, at: str, actor: str, action: str, subject: str,
                before_digest: str, after_digest: str) -> str:
    fields = [entry_id, prev_hash, at, actor, action, subject, before_digest, after_digest]
    return hashlib.sha256(json.dumps(fields, ensure_ascii=False).encode("utf-8")).hexdigest()


def record(db: Database, actor: str, action: str, subject: str, before=None, after=None) -> int:
    """Append one entry; must run inside the write transaction of the change it records."""
    if not db.conn.in_transaction:
        raise RuntimeError("audit.record must be called inside the change's write transaction")
    last = db.one("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1")
    entry_id, prev_hash = (last["id"] + 1, last["hash"]) if last else (1, GENESIS)
    before_text, after_text = _as_json(before), _as_json(after)
    at = clock.utc_now_iso()
    digests = _digest(before_text), _digest(after_text)
    db.execute("INSERT INTO audit_log (id, at, actor, action, subject, before, after, before_digest, after_digest, "
               "prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
               (entry_id, at, actor, action, subject, before_text, after_text, *digests, prev_hash,
                _chain_hash(entry_id, prev_hash, at, actor, action, subject, *digests)))
    return entry_id


def entries(db: Database, *, since: str | None = None, actor: str | None = None,
            action: str | None = None) -> Iterator[AuditEntry]:
    """Entries oldest first; `since` is a date (company time) or an ISO instant."""
    where, params = [], []
    if since:
        where.append("at >= ?")
        params.append(_since_utc(since))
    if actor:
        where.append("actor = ?")
        params.append(actor)
    if action:
        where.append("(action = ? OR action LIKE ?)")
        params += [action, f"{action}.%"]
    sql = "SELECT * FROM audit_log" + (f" WHERE {' AND '.join(where)}" if where else "") + " ORDER BY id"
    for row in db.execute(sql, params):
        yield AuditEntry(id=row["id"], at=row["at"], actor=row["actor"], action=row["action"],
                         subject=row["subject"], redacted=bool(row["redacted"]),
                         before=None if row["before"] is None else json.loads(row["before"]),
                         after=None if row["after"] is None else json.loads(row["after"]))


def _since_utc(text: str) -> str:
    """A date means from its start in company time; a time is read in company time."""
    try:
        moment = clock.parse_pin(text)
    except UsageError:
        raise UsageError(f"--since '{text}' is not a date (YYYY-MM-DD) or a time (YYYY-MM-DDTHH:MM)") from None
    if "T" not in text and " " not in text.strip():
        moment = datetime.combine(moment.date(), time(0))
    return clock.to_utc_iso(moment.replace(tzinfo=moment.tzinfo or clock.zone()))


def verify(db: Database) -> AuditVerification:
    """Recompute every digest and the chain; report the first entry that does not hold."""
    prev_hash, count, problems, first = GENESIS, 0, [], None
    for row in db.execute("SELECT * FROM audit_log ORDER BY id"):
        count += 1
        found = _entry_problems(row, prev_hash)
        if found and first is None:
            first = row["id"]
        problems += found
        prev_hash = row["hash"]
    return AuditVerification(ok=not problems, entries=count, first_broken=first, problems=problems[:20])


def _entry_problems(row, prev_hash: str) -> list[str]:
    name = f"entry {row['id']} ({row['action']} by {row['actor']} at {row['at']})"
    problems = []
    if row["prev_hash"] != prev_hash:
        problems.append(f"{name} does not follow the entry before it (one was removed, inserted or changed)")
    if not row["redacted"]:
        for side in ("before", "after"):
            if _digest(row[side]) != row[f"{side}_digest"]:
                problems.append(f"{name}: its '{side}' text was changed after it was written")
    expected = _chain_hash(row["id"], row["prev_hash"], row["at"], row["actor"], row["action"], row["subject"],
                           row["before_digest"], row["after_digest"])
    if expected != row["hash"]:
        problems.append(f"{name}: its fields do not match its hash (time, actor, action or subject changed)")
    return problems
