"""The exception register of the daily close: every deviation with the three elements.

An exception states its standard (what was expected, with the number), its constraint (a
deadline and a level on the `close.escalation` ladder) and its owner (a role or a person
from `close.owner.*`, by check and work center). The close opens exceptions, keyed by their
subject so a re-run never duplicates one; people assign, act and resolve them here. Every
change is an append-only event with actor, time, the fields before and after, and a note.

Statuses: open → acted (an action from its check's fixed list is recorded: production and
T-3 work is expedited, split, ... or re-dated; channel data is re-imported or mapped; stock
is recounted or adjusted; see ACTIONS_BY_CHECK) → resolved; an action
`renegotiate` with a new date and a reason re-dates it (closed, unless the new date comes
within the T-minus window again while the work is unfinished). The close clears a
deviation it no longer finds ('cleared'), except a T-3 exception, whose loop a person closes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date

from pydantic import BaseModel

from omnictl import audit, clock, settings
from omnictl.db import Database
from omnictl.errors import NotFound, UsageError

# The actions a person can record, by the check that found the exception: late work is
# expedited or re-dated; a channel's data is imported again or mapped; stock is recounted.
WORK_ACTIONS = ("expedite", "split", "overtime", "outsource", "renegotiate", "accept late")
ACTIONS_BY_CHECK = {
    "channels": ("re-import", "map SKU", "fix at source", "accept"),
    "production": WORK_ACTIONS,
    "consumption": ("correct issue", "update BOM", "investigate", "accept"),
    "stock": ("recount", "adjust", "investigate", "accept"),
    "t3": WORK_ACTIONS,
}
ACTIONS = tuple(dict.fromkeys(a for actions in ACTIONS_BY_CHECK.values() for a in actions))
OPEN = ("open", "acted")
CLOSED = ("resolved", "redated", "cleared")
CHUNK = 500                     # ids per query: well inside SQLite's limit on parameters


class ExceptionEvent(BaseModel):
    at: str
    actor: str
    kind: str
    before: dict | None = None
    after: dict | None = None
    note: str | None = None


class ExceptionInfo(BaseModel):
    id: int
    check: str
    subject: str
    work_center: str | None
    standard: str                      # 工作标准: what was expected, with the number
    finding: str                       # what the latest close found
    deadline: str                      # 制约机制: by when ...
    level: int                         # ... and how far up the ladder
    level_role: str
    owner: str                         # 责任主体
    status: str
    action: str | None
    new_date: str | None
    note: str | None
    forced: bool                       # T-3: the close fails until its loop is closed
    opened_on: str
    last_seen_on: str
    escalated_on: str | None
    resolved_at: str | None
    resolved_by: str | None
    events: list[ExceptionEvent] | None = None
    standard_msg: dict | None = None   # the two sentences as messages (omnictl.messages), for other languages
    finding_msg: dict | None = None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    @property
    def constraint(self) -> str:
        return f"by {self.deadline}, level {self.level} ({self.level_role})"


def ladder(db: Database) -> list[str]:
    return list(settings.get(db, "close.escalation")) or ["planner"]


def _info(row, roles: list[str], events: list[ExceptionEvent] | None = None) -> ExceptionInfo:
    return ExceptionInfo(
        id=row["id"], check=row["check_name"], subject=row["subject"], work_center=row["work_center"],
        standard=row["standard"], finding=row["finding"], deadline=row["deadline"], level=row["level"],
        level_role=roles[min(row["level"], len(roles) - 1)], owner=row["owner"], status=row["status"],
        action=row["action"], new_date=row["new_date"], note=row["note"], forced=bool(row["forced"]),
        opened_on=row["opened_on"], last_seen_on=row["last_seen_on"], escalated_on=row["escalated_on"],
        resolved_at=row["resolved_at"], resolved_by=row["resolved_by"], events=events,
        standard_msg=_json(row["standard_msg"]), finding_msg=_json(row["finding_msg"]))


def _json(text: str | None) -> dict | None:
    return json.loads(text) if text else None


def list_exceptions(db: Database, *, owner: str | None = None, open_only: bool = False,
                    ids: list[int] | None = None, forced_only: bool = False,
                    limit: int | None = None) -> Iterator[ExceptionInfo]:
    """Exceptions by id, optionally one owner's (case-insensitive), only open ones, only those
    whose loop must close (T-3), the first `limit`."""
    where, params = ["forced = 1"] if forced_only else [], []
    if owner:
        where.append("owner = ? COLLATE NOCASE")
        params.append(owner.strip())
    if open_only:
        where.append(f"status IN ({', '.join('?' * len(OPEN))})")
        params.extend(OPEN)
    roles = ladder(db)
    if ids is not None:
        return (info for start in range(0, len(ids), CHUNK)
                for info in _select(db, where + [f"id IN ({', '.join('?' * len(ids[start:start + CHUNK]))})"],
                                    params + list(ids[start:start + CHUNK]), roles))
    return _select(db, where, params, roles, limit)


def _select(db: Database, where: list[str], params: list, roles: list[str],
            limit: int | None = None) -> Iterator[ExceptionInfo]:
    sql = "SELECT * FROM exception" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY id"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return (_info(row, roles) for row in db.query(sql, params))


def open_counts(db: Database) -> tuple[dict[str, int], int]:
    """Open exceptions by owner (most first), and how many of them are T-3's."""
    marks = ", ".join("?" * len(OPEN))
    owners = {r[0]: r[1] for r in db.execute(
        f"SELECT owner, count(*) FROM exception WHERE status IN ({marks}) GROUP BY owner ORDER BY 2 DESC, 1", OPEN)}
    forced = db.scalar(f"SELECT count(*) FROM exception WHERE status IN ({marks}) AND forced = 1", OPEN)
    return owners, forced


def _row(db: Database, exception_id: int | str):
    try:
        key = int(str(exception_id).strip().lstrip("#"))
    except ValueError:
        raise UsageError(f"'{exception_id}' is not an exception id (a number; `omnictl exceptions list` "
                         "shows them)") from None
    row = db.one("SELECT * FROM exception WHERE id = ?", (key,))
    if row is None:
        raise NotFound(f"no exception {key}; `omnictl exceptions list` shows them")
    return row


def get_exception(db: Database, exception_id: int | str) -> ExceptionInfo:
    """One exception with every event that changed it."""
    row = _row(db, exception_id)
    events = [ExceptionEvent(at=e["at"], actor=e["actor"], kind=e["kind"],
                             before=json.loads(e["before"]) if e["before"] else None,
                             after=json.loads(e["after"]) if e["after"] else None, note=e["note"])
              for e in db.query("SELECT * FROM exception_event WHERE exception_id = ? ORDER BY id", (row["id"],))]
    return _info(row, ladder(db), events)


def record_event(db: Database, exception_id: int, kind: str, actor: str, before: dict | None = None,
                 after: dict | None = None, note: str | None = None) -> None:
    """Append one event (inside the caller's transaction)."""
    db.execute("INSERT INTO exception_event (exception_id, at, actor, kind, before, after, note) "
               "VALUES (?, ?, ?, ?, ?, ?, ?)",
               (exception_id, clock.utc_now_iso(), actor, kind,
                json.dumps(before, ensure_ascii=False, sort_keys=True) if before else None,
                json.dumps(after, ensure_ascii=False, sort_keys=True) if after else None, note))


def change(db: Database, row, kind: str, actor: str, fields: dict, note: str | None = None) -> None:
    """Set `fields` on an exception and record what they were and became."""
    before = {k: row[k] for k in fields}
    if before == fields and kind not in ("acted", "resolved"):
        return
    sets = ", ".join(f"{k} = ?" for k in fields)
    db.execute(f"UPDATE exception SET {sets} WHERE id = ?", (*fields.values(), row["id"]))
    record_event(db, row["id"], kind, actor, before, fields, note)


def _by_hand(db: Database, row, kind: str, actor: str, fields: dict, note: str | None = None) -> None:
    """A person's change: the exception's own event, and an entry in the audit log."""
    change(db, row, kind, actor, fields, note)
    audit.record(db, actor, f"exception.{kind}", f"exception {row['id']} ({row['subject']})",
                 {k: row[k] for k in fields}, fields | ({"note": note} if note else {}))


def _must_be_open(row) -> None:
    if row["status"] not in OPEN:
        raise UsageError(f"exception {row['id']} is {row['status']}; only an open exception can change")


def assign(db: Database, exception_id: int | str, owner: str, *, actor: str) -> ExceptionInfo:
    """Give an exception a new owner (a role or a person)."""
    owner = (owner or "").strip()
    if not owner:
        raise UsageError("the owner is empty; give a role or a person")
    with db.write():
        row = _row(db, exception_id)
        _must_be_open(row)
        _by_hand(db, row, "assigned", actor, {"owner": owner})
    return get_exception(db, row["id"])


def actions_for(check: str) -> tuple[str, ...]:
    """The actions an exception of `check` can record (a check without its own list takes
    the production ones)."""
    return ACTIONS_BY_CHECK.get(check, WORK_ACTIONS)


def _action_key(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch not in " -_")


def parse_action(text: str, check: str = "t3") -> str:
    """The stored spelling of an action for an exception of `check`: case, spaces, hyphens
    and underscores do not matter (`accept-late`, `map_sku`)."""
    allowed = actions_for(check)
    found = next((a for a in allowed if _action_key(a) == _action_key(text or "")), None)
    if found is None:
        kind = "a T-3" if check == "t3" else f"a {check}"
        raise UsageError(f"'{text}' is not an action; one of {', '.join(allowed)} (the actions for {kind} "
                         "exception)")
    return found


def _parse_date(text: str, option: str) -> str:
    try:
        return date.fromisoformat(text.strip()).isoformat()
    except ValueError:
        raise UsageError(f"{option} '{text}' is not a date (YYYY-MM-DD)") from None


def act(db: Database, exception_id: int | str, action: str, *, new_date: str | None = None,
        note: str | None = None, actor: str) -> ExceptionInfo:
    """Record an action from the fixed list; `renegotiate` needs a new date and a reason and
    re-dates the exception, any other action leaves it to be resolved. The list depends on
    the check that found it (`actions_for`)."""
    row = _row(db, exception_id)
    _must_be_open(row)
    action = parse_action(action, row["check_name"])
    note = (note or "").strip() or None
    if action == "renegotiate":
        if not new_date:
            raise UsageError("renegotiate needs --new-date YYYY-MM-DD: the date agreed with the customer")
        if not note:
            raise UsageError("renegotiate needs --note TEXT: the reason for the new date")
        new_date = _parse_date(new_date, "--new-date")
        if new_date < clock.today().isoformat():
            raise UsageError(f"--new-date {new_date} is in the past (today is {clock.today()})")
    elif new_date:
        raise UsageError(f"--new-date goes with renegotiate only, not with {action}")
    with db.write():
        row = _row(db, exception_id)
        _must_be_open(row)
        fields = {"action": action, "status": "redated" if action == "renegotiate" else "acted"}
        if action == "renegotiate":
            fields |= {"new_date": new_date, "note": note}
        elif note:
            fields["note"] = note
        _by_hand(db, row, "acted", actor, fields, note)
    return get_exception(db, row["id"])


def resolve(db: Database, exception_id: int | str, *, note: str, actor: str) -> ExceptionInfo:
    """Close an exception with a note; a T-3 exception needs a recorded action first."""
    note = (note or "").strip()
    if not note:
        raise UsageError("resolve needs --note TEXT: what was done")
    with db.write():
        row = _row(db, exception_id)
        _must_be_open(row)
        if row["forced"] and row["action"] is None:
            raise UsageError(f"exception {row['id']} is a T-3 exception: record an action first "
                             f"(`omnictl exceptions act {row['id']} ACTION`, one of "
                             f"{', '.join(actions_for(row['check_name']))})")
        _by_hand(db, row, "resolved", actor, {"status": "resolved", "note": note,
                                              "resolved_at": clock.utc_now_iso(), "resolved_by": actor}, note)
    return get_exception(db, row["id"])
