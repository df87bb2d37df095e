"""Profiles: a channel export layout described as TOML data, not code.

Built-in profiles ship in `omnictl/channels/profiles/*.toml`. Users add their own (or
override a built-in one by name) in `$OMNICTL_PROFILES`, else `~/.config/omnictl/profiles`.
The keys a profile may use are described in docs/profiles.md.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from omnictl.errors import InputFileError, NotFound, UsageError
from omnictl.tabular import Table, normalise_header

PAYMENT_STATES = ("unpaid", "paid", "partly_refunded", "refunded")
FULFILMENT_STATES = ("open", "shipped", "delivered", "cancelled", "returned")

# Canonical fields a profile may map. Order-level fields take the first non-empty value
# among an order's rows (never summed: Shopify fills them on the first row only; Etsy, JD
# and WooCommerce repeat them on every row). Line fields are read per row.
ORDER_FIELDS = {
    "order_id", "ordered_at", "ordered_time", "ordered_tz", "paid_at", "shipped_at",
    "cancelled_at", "currency", "subtotal", "shipping", "tax", "discount", "order_total",
    "refunded", "order_status", "payment_status", "fulfilment_status", "refund_status",
    "ship_by", "deliver_by", "delivered_at", "customer_name", "customer_email", "customer_phone", "address",
    "channel",      # the channel each row belongs to: a profile that maps it routes rows by it
}
LINE_FIELDS = {
    "line_id", "sku", "listing_id", "product_name", "quantity", "price", "line_total",
    "line_shipping", "line_tax", "line_discount", "line_shipping_discount", "line_status",
    "line_refund_status", "line_shipped_at", "line_currency",
}
DEFAULT_DATETIME_FORMATS = ["%Y-%m-%d %H:%M:%S %z", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d %H:%M:%S",
                            "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y-%m-%d", "%Y/%m/%d"]


@dataclass
class Profile:
    name: str
    title: str
    source: str
    detect: list[str]
    columns: dict[str, list[str]]
    required: list[str]
    vocab: dict[str, dict[str, tuple[str | None, str | None]]]
    experimental: bool = False
    timezone: str = "UTC"
    currency: str | None = None
    decimal_comma: bool | None = None
    price: str = "unit"                     # what the `price` column holds: unit or line_total
    tax_included: bool = False              # prices include the tax (VAT): tax is recorded, not added
    has_lines: bool = True
    refuse: str | None = None               # recognised, but not an order export: say why
    datetime_formats: list[str] = field(default_factory=lambda: list(DEFAULT_DATETIME_FORMATS))
    date_pattern: str | None = None
    months: dict[str, int] = field(default_factory=dict)
    join_profile: str | None = None         # a second file (same import) that holds order fields
    join_on: str | None = None              # the header both files share, e.g. 订单编号
    part_of: str | None = None              # this file is the partner of another profile
    defaults: dict[str, str] = field(default_factory=dict)   # payment / fulfilment when the file says nothing
    summary_rows: bool = False              # a row of a multi-row order with no item is not a line (eBay)
    negative_quantity: tuple[str | None, str | None] | None = None   # states of a line with qty < 0 (POS returns)
    escaped_formulas: bool = False          # cells written with files.safe_cell: a leading `'` is taken off
    notes: str = ""

    def missing_required(self, table: Table) -> list[str]:
        """Required fields none of whose header aliases is in the file."""
        present = set(table.header)
        return [f for f in self.required if not any(a in present for a in self.columns.get(f, []))]

    def matches(self, header: list[str]) -> bool:
        return not self.missing_detect(header)

    def missing_detect(self, header: list[str]) -> list[str]:
        """Detect entries not in the header; an entry `a|b` is met by either name."""
        present = _names(header)
        return [entry for entry in self.detect if not any(a in present for a in entry.split("|"))]

    def score(self, header: list[str]) -> int:
        present = _names(header)
        return sum(1 for aliases in self.columns.values() if any(a in present for a in aliases))

    def header_for(self, field_name: str) -> str:
        aliases = self.columns.get(field_name) or [field_name]
        return aliases[0]


def _names(header) -> frozenset[str]:
    """A header's names as a set; `detect` passes one set to every profile (a header may be very wide)."""
    return header if isinstance(header, frozenset) else frozenset(header)


def user_profile_dir() -> Path:
    env = os.environ.get("OMNICTL_PROFILES")
    return Path(env) if env else Path.home() / ".config" / "omnictl" / "profiles"


def _parse_vocab(name: str, field_name: str, table: dict) -> dict[str, tuple[str | None, str | None]]:
    vocab = {}
    for raw, meaning in table.items():
        payment = fulfilment = None
        for part in str(meaning).split("+"):
            part = part.strip()
            if part in PAYMENT_STATES:
                payment = part
            elif part in FULFILMENT_STATES:
                fulfilment = part
            elif part:
                raise ValueError(f"profile {name}: [vocab.{field_name}] '{raw}' maps to unknown state '{part}'")
        vocab[normalise_header(raw)] = (payment, fulfilment)
    return vocab


def load_profile(text: str, source: str) -> Profile:
    data = tomllib.loads(text)
    name = data["name"]
    columns = {}
    for field_name, aliases in data.get("columns", {}).items():
        if field_name not in ORDER_FIELDS | LINE_FIELDS:
            raise ValueError(f"profile {name}: unknown field '{field_name}' in [columns]")
        aliases = [aliases] if isinstance(aliases, str) else aliases
        columns[field_name] = [normalise_header(a) for a in aliases]
    vocab = {f: _parse_vocab(name, f, t) for f, t in data.get("vocab", {}).items()}
    dates = data.get("dates", {})
    join = data.get("join", {})
    return Profile(
        name=name,
        title=data.get("title", name),
        source=source,
        detect=["|".join(normalise_header(a) for a in ([h] if isinstance(h, str) else h))
                for h in data.get("detect", [])],
        columns=columns,
        required=data.get("required", ["order_id"]),
        vocab=vocab,
        experimental=data.get("experimental", False),
        timezone=data.get("timezone", "UTC"),
        currency=data.get("currency"),
        decimal_comma=data.get("decimal_comma"),
        price=data.get("price", "unit"),
        tax_included=data.get("tax_included", False),
        has_lines=data.get("lines", True),
        refuse=data.get("refuse"),
        datetime_formats=dates.get("formats", list(DEFAULT_DATETIME_FORMATS)),
        date_pattern=dates.get("pattern"),
        months=dates.get("months", {}),
        join_profile=join.get("profile"),
        join_on=normalise_header(join["on"]) if join.get("on") else None,
        part_of=data.get("part_of"),
        defaults=data.get("defaults", {}),
        summary_rows=data.get("summary_rows", False),
        negative_quantity=(_parse_vocab(name, "negative_quantity", {"-": data["negative_quantity"]})["-"]
                           if "negative_quantity" in data else None),
        escaped_formulas=data.get("escaped_formulas", False),
        notes=data.get("notes", ""),
    )


_cache: dict[str, Profile] | None = None


def all_profiles(reload: bool = False) -> dict[str, Profile]:
    """Built-in profiles, then the user's (a user profile with a built-in's name replaces it)."""
    global _cache
    if _cache is not None and not reload:
        return _cache
    found: dict[str, Profile] = {}
    for entry in sorted(resources.files("omnictl.channels.profiles").iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            profile = load_profile(entry.read_text(encoding="utf-8"), f"built-in:{entry.name}")
            found[profile.name] = profile
    user_dir = user_profile_dir()
    if user_dir.is_dir():
        for path in sorted(user_dir.glob("*.toml")):
            try:
                profile = load_profile(path.read_text(encoding="utf-8"), str(path))
            except (tomllib.TOMLDecodeError, KeyError, ValueError) as err:
                raise UsageError(f"user profile {path} is not valid: {err}") from None
            found[profile.name] = profile
    _cache = found
    return found


def get_profile(name: str) -> Profile:
    profiles = all_profiles()
    if name not in profiles:
        raise NotFound(f"no profile named '{name}'; `omnictl channels list` shows the profiles")
    return profiles[name]


@dataclass
class Detection:
    profile: Profile | None
    candidates: list[tuple[str, int, bool]]   # (name, score, all detect headers present)


def detect(table: Table) -> Detection:
    """The profile whose detect headers are all in the file, most mapped columns first."""
    scored = []
    header = frozenset(table.header)
    for profile in all_profiles().values():
        scored.append((profile.name, profile.score(header), profile.matches(header)))
    scored.sort(key=lambda c: (c[2], c[1]), reverse=True)
    winner = scored[0] if scored and scored[0][2] else None
    return Detection(all_profiles()[winner[0]] if winner else None, scored)


def require_match(profile: Profile, table: Table, forced_by: str) -> None:
    """A forced profile must still fit the file: its required fields must be present."""
    missing = profile.missing_required(table)
    if missing:
        wanted = ", ".join(f"'{profile.header_for(f)}'" for f in missing)
        raise InputFileError(
            f"{table.path}: does not fit profile {profile.name}, {profile.title} ({forced_by}): "
            f"missing required column {wanted}"
        )
