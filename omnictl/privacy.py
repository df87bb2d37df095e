"""Removing personal data of old orders (`omnictl privacy redact --before DATE`).

Personal data lives only in `party` rows (name, email, phone, address and their match keys)
and in the raw text of rejected rows. A party is redacted when every order that refers to it
(directly, or through an imported customer) was placed before DATE; parties of master-data
customers are left alone (a standing business relationship, not an old order). Orders, lines,
the stock ledger and the audit chain are untouched; the redaction itself is audited, with
counts only. The freed pages are overwritten (secure_delete) and the name index is merged, so
the removed text does not linger in the database file.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel

from omnictl import audit, clock
from omnictl.db import Database
from omnictl.errors import UsageError

REDACTED = "[redacted]"

_OLD_PARTIES = """
WITH users AS (
    SELECT party_id, ordered_on FROM sales_order WHERE party_id IS NOT NULL
    UNION ALL
    SELECT c.party_id, o.ordered_on FROM sales_order o JOIN customer c ON c.id = o.customer_id
)
SELECT p.id FROM party p JOIN users u ON u.party_id = p.id
WHERE p.redacted_on IS NULL
  AND p.id NOT IN (SELECT party_id FROM customer WHERE source = 'master')
GROUP BY p.id
HAVING max(coalesce(u.ordered_on, '9999-12-31')) < ?
"""


class RedactionResult(BaseModel):
    before: str
    parties: int                  # buyers whose name, phone, email and address were removed
    rejects: int                  # rejected rows whose raw text was removed
    dry_run: bool = False


def redact(db: Database, before: str, *, actor: str, dry_run: bool = False) -> RedactionResult:
    """Remove personal data of orders placed before `before` (a date, company time)."""
    cutoff = _cutoff(before)
    if dry_run:
        parties, rejects = _found(db, cutoff)
        return RedactionResult(before=cutoff, parties=len(parties), rejects=rejects, dry_run=True)
    with db.write():
        db.execute("PRAGMA secure_delete = ON")
        parties, rejects = _found(db, cutoff)
        db.conn.executemany("UPDATE party SET name = NULL, email = NULL, phone = NULL, address = NULL, "
                            "email_key = NULL, phone_key = NULL, redacted_on = ? WHERE id = ?",
                            [(clock.today().isoformat(), pid) for pid in parties])
        db.execute("UPDATE import_reject SET raw = ? WHERE raw != ? AND batch_id IN "
                   "(SELECT id FROM import_batch WHERE started_at < ?)", (REDACTED, REDACTED, cutoff))
        db.execute("INSERT INTO party_name_search (party_name_search) VALUES ('optimize')")
        audit.record(db, actor, "privacy.redact", f"orders before {cutoff}", None,
                     {"parties": len(parties), "rejects": rejects})
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")    # old pages leave the write-ahead log too
    return RedactionResult(before=cutoff, parties=len(parties), rejects=rejects)


def _found(db: Database, cutoff: str) -> tuple[list[int], int]:
    parties = [row[0] for row in db.execute(_OLD_PARTIES, (cutoff,))]
    rejects = db.scalar("SELECT count(*) FROM import_reject r JOIN import_batch b ON b.id = r.batch_id "
                        "WHERE b.started_at < ? AND r.raw != ?", (cutoff, REDACTED))
    return parties, rejects


def _cutoff(text: str) -> str:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--before '{text}' is not a date (YYYY-MM-DD)") from None
    if day > clock.today():
        raise UsageError(f"--before {day} is in the future; personal data of open orders is still needed")
    return day.isoformat()
