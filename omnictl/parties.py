"""Personal data: parties (name, email, phone, address) and the customers they belong to.

Personal data is held only in `party`, referenced by id, so it can be redacted alone.
Orders are matched to customers across channels by normalised email, then phone.
"""

from __future__ import annotations

from omnictl.db import Database
from omnictl.values import email_key, phone_key

CACHE_LIMIT = 100_000
IN_CHUNK = 500


class PartyBook:
    """Finds or adds the party and customer of each buyer, a chunk of orders at a time.

    Lookups are batched (`IN (...)`) and new rows get ids here, so a chunk costs a few
    statements rather than several per order. Runs inside the importer's write transaction.
    """

    def __init__(self, db: Database):
        self.db = db
        self.known: dict[tuple[str, str], tuple[int | None, int]] = {}
        self.next_party = (db.scalar("SELECT max(id) FROM party") or 0) + 1
        self.next_customer = (db.scalar("SELECT max(id) FROM customer") or 0) + 1
        self.new_parties: list[tuple] = []
        self.new_customers: list[tuple] = []

    def resolve(self, buyers: list[tuple]) -> list[tuple[int | None, int | None]]:
        """(customer_id, party_id) for each (name, email, phone, address)."""
        keyed = [_keys(email, phone) for _name, email, phone, _address in buyers]
        self._load({key for keys in keyed for key in keys if key not in self.known})
        return [self._find_or_add(buyer, keys) for buyer, keys in zip(buyers, keyed)]

    def _load(self, wanted: set[tuple[str, str]]) -> None:
        if len(self.known) > CACHE_LIMIT:
            self.known.clear()
        for kind in ("email", "phone"):
            values = [value for k, value in wanted if k == kind]
            for start in range(0, len(values), IN_CHUNK):
                part = values[start:start + IN_CHUNK]
                rows = self.db.query(
                    f"SELECT p.{kind}_key AS key, c.id AS customer_id, p.id AS party_id FROM party p "
                    f"JOIN customer c ON c.party_id = p.id WHERE p.{kind}_key IN ({', '.join('?' * len(part))}) "
                    "ORDER BY c.source = 'master', c.id DESC", part)
                for row in rows:          # the best match comes last and wins
                    self.known[(kind, row["key"])] = (row["customer_id"], row["party_id"])

    def _find_or_add(self, buyer: tuple, keys: list) -> tuple[int | None, int | None]:
        for key in keys:
            if key in self.known:
                hit = self.known[key]
                for other in keys:
                    self.known.setdefault(other, hit)
                return hit
        name, email, phone, address = buyer
        if not (name or email or phone or address):
            return None, None
        party_id, self.next_party = self.next_party, self.next_party + 1
        self.new_parties.append((party_id, name, email, phone, address, email_key(email), phone_key(phone)))
        if not keys:
            return None, party_id
        customer_id, self.next_customer = self.next_customer, self.next_customer + 1
        self.new_customers.append((customer_id, f"C{party_id:06d}", party_id))
        for key in keys:
            self.known[key] = (customer_id, party_id)
        return customer_id, party_id

    def take(self) -> list[tuple[str, list[tuple]]]:
        """The inserts for parties and customers added so far (to run before their orders)."""
        statements = []
        if self.new_parties:
            statements.append(("INSERT INTO party (id, name, email, phone, address, email_key, phone_key) "
                               "VALUES (?, ?, ?, ?, ?, ?, ?)", self.new_parties))
        if self.new_customers:
            statements.append(("INSERT INTO customer (id, code, party_id, source) VALUES (?, ?, ?, 'import')",
                               self.new_customers))
        self.new_parties, self.new_customers = [], []
        return statements


def _keys(email: str | None, phone: str | None) -> list[tuple[str, str]]:
    keys = []
    if key := email_key(email):
        keys.append(("email", key))
    if key := phone_key(phone):
        keys.append(("phone", key))
    return keys
