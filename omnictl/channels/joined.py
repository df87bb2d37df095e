"""Exports that come as two files (Taobao: an order file and a detail file joined on 订单编号).

The detail file's profile names its partner in `[join]`; given both in one import, they are
read as one table: each detail row extended with its order's row.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Iterator

from omnictl.channels.profile import all_profiles, detect
from omnictl.errors import InputFileError
from omnictl.tabular import Table


@dataclass
class JoinedTable:
    detail: Table
    orders: Table
    on: str
    profile_name: str
    joined: bool = True

    def __post_init__(self):
        self.path = self.detail.path
        self.raw_header = self.detail.raw_header + self.orders.raw_header
        self.header = self.detail.header + self.orders.header
        self.delimiter = self.detail.delimiter
        self.encoding = self.detail.encoding
        combined = hashlib.sha256((self.detail.sha256 + self.orders.sha256).encode())
        self.sha256 = combined.hexdigest()
        self._order_rows: dict[str, list[str]] | None = None

    @property
    def name(self) -> str:
        return f"{self.orders.name} + {self.detail.name}"

    def _index_orders(self) -> dict[str, list[str]]:
        column = self.orders.header.index(self.on)
        index = {}
        for _row_no, values in self.orders.data_rows():
            if column < len(values):
                index.setdefault(values[column].strip().strip("\t"), values)
        return index

    def data_rows(self) -> Iterator[tuple[int, list[str]]]:
        if self._order_rows is None:
            self._order_rows = self._index_orders()
        column = self.detail.header.index(self.on)
        blank = [""] * len(self.orders.header)
        width = len(self.detail.header)
        for row_no, values in self.detail.data_rows():
            if len(values) < width:
                yield row_no, values          # short: the mapper rejects it
                continue
            key = values[column].strip().strip("\t")
            yield row_no, values[:width] + self._order_rows.get(key, blank)

    def raw_text(self, values: list[str]) -> str:
        return self.detail.raw_text(values[: len(self.detail.header)])


def pair_files(tables: list[Table]) -> list:
    """Replace each detail file and its partner by one joined table; others pass through."""
    profiles = all_profiles()
    detected = {id(t): detect(t).profile for t in tables}
    used: set[int] = set()
    units = []
    for table in tables:
        profile = detected[id(table)]
        if profile is None or not profile.join_profile:
            continue
        partner = next((t for t in tables if id(t) not in used and detected[id(t)] is not None
                        and detected[id(t)].name == profile.join_profile), None)
        if partner is None:
            partner_title = profiles[profile.join_profile].title
            raise InputFileError(f"{table.path}: is a {profile.title}; import it together with its "
                                 f"{partner_title} in one command")
        used.update({id(table), id(partner)})
        units.append(JoinedTable(table, partner, profile.join_on, profile.name))
    return units + [t for t in tables if id(t) not in used]
