"""Personal data: parties (name, email, phone, address) and the customers they belong to.

Personal data is held only in `party`, referenced by id, so it can be redacted alone.
Orders are matched to customers across channels by normalised email, then phone.
"""

from __future__ import annotations

from omnictl.db import Database
from omnictl.values import email_key, phone_key


class PartyBook:
    """Finds or adds the party and customer of an order's buyer, caching lookups."""

    def __init__(self, db: Database):
        self.db = db
        self.cache: dict[tuple[str, str], tuple[int | None, int]] = {}

    def find_or_add(self, name, email, phone, address) -> tuple[int | None, int | None]:
        """(customer_id, party_id); a buyer with no contact key gets a party but no customer."""
        keys = [("email", k) for k in [email_key(email)] if k] + [("phone", k) for k in [phone_key(phone)] if k]
        for key in keys:
            hit = self.cache.get(key) or self._lookup(*key)
            if hit:
                for other in keys:
                    self.cache[other] = hit
                return hit
        if not (name or email or phone or address):
            return None, None
        party_id = self.db.execute(
            "INSERT INTO party (name, email, phone, address, email_key, phone_key) VALUES (?, ?, ?, ?, ?, ?)",
            (name, email, phone, address, email_key(email), phone_key(phone))).lastrowid
        if not keys:
            return None, party_id
        customer_id = self.db.execute(
            "INSERT INTO customer (code, party_id, source) VALUES (?, ?, 'import')",
            (f"C{party_id:06d}", party_id)).lastrowid
        for key in keys:
            self.cache[key] = (customer_id, party_id)
        return customer_id, party_id

    def _lookup(self, kind: str, key: str) -> tuple[int | None, int] | None:
        row = self.db.one(
            f"SELECT c.id AS customer_id, p.id AS party_id FROM party p JOIN customer c ON c.party_id = p.id "
            f"WHERE p.{kind}_key = ? ORDER BY c.source = 'master' DESC, c.id LIMIT 1", (key,))
        return (row["customer_id"], row["party_id"]) if row else None
