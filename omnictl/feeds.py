"""Stock feeds to channels: what each listing should advertise, written in the channel's own
upload layout, and a channel's listed stock compared with it.

A channel's listings are its aliases (one row: a master SKU times a factor, e.g. a 2-pack;
several rows: a kit) plus the master SKUs sold on it as themselves (the external SKUs of its
order lines that resolve to a master SKU directly, by code or barcode).

What a listing should advertise, computed in this order (ATP at the channel's fulfilment
location, on hand minus reserved, as `omnictl stock` shows it):

1. units = min over its components of floor(ATP of the component / factor)
   (a master SKU: floor(ATP); a 2-pack: floor(ATP / 2); a kit: its scarcest component);
2. quantity = floor(units x allocation share - buffer), in listing units;
3. never below 0.

The arithmetic is decimal (ATP rounded to 6 places first), so a share of 0.29 of 100 units
is 29, not 28.
"""

from __future__ import annotations

import csv
import os
import sys
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal
from typing import TextIO

from omnictl.db import Database
from omnictl.errors import InputFileError, NotFound, UsageError, brief
from omnictl.files import safe_cell, write_whole
from omnictl.inventory import on_hand, reserved
from omnictl.models import (ChannelReconcile, ChannelReconcileLine, ChannelStock, FeedResult, ListingComponent,
                            ListingStock)
from omnictl.skumap import SkuResolver
from omnictl.tabular import Table, normalise_header, open_table
from omnictl.values import parse_quantity, quantity_text

FORMATS = ("shopify", "amazon", "plain")

# Shopify: Products -> Inventory -> Export (one row per variant per location); its import
# reads the same layout and overwrites "On hand" (Available = On hand - Committed - Unavailable).
SHOPIFY_COLUMNS = ("Handle", "Title", "Option1 Name", "Option1 Value", "Option2 Name", "Option2 Value",
                   "Option3 Name", "Option3 Value", "SKU", "HS Code", "COO", "Location", "Incoming", "Unavailable",
                   "Committed", "Available", "On hand")
# Amazon Seller Central's Price & Quantity inventory file (tab-separated): only `sku` is
# required; a blank cell keeps the value Amazon has, so only quantity is filled in.
AMAZON_COLUMNS = ("sku", "price", "minimum-seller-allowed-price", "maximum-seller-allowed-price", "quantity",
                  "handling-time", "fulfillment-channel")
PLAIN_COLUMNS = ("sku", "quantity", "location")

# Reading a listed-stock export: the SKU column, then the first quantity column found.
SKU_HEADERS = ("sku", "seller-sku", "seller sku", "merchant sku", "merchant-sku", "variant sku", "item sku")
QUANTITY_HEADERS = ("available", "available (not editable)", "quantity", "qty", "available quantity", "listed",
                    "on hand", "on hand (current)", "stock")
LOCATION_HEADERS = ("location", "location name")
# Columns that describe a variant in Shopify's older wide layout; any other column is a
# location whose name is the header and whose cells are quantities.
DESCRIPTIVE_HEADERS = {"handle", "title", "option1 name", "option1 value", "option2 name", "option2 value",
                       "option3 name", "option3 value", "hs code", "coo", "bin name", "barcode", "asin", "price",
                       "incoming", "unavailable", "committed", "product name", "item-name", "item name"}
LOST_SHARE = Decimal("0.5")      # default: lost sales when listed is below half of what it should be ...
LOST_MIN_UNITS = Decimal(2)      # ... and at least 2 units short


def format_for(profile: str) -> str:
    """The upload layout a channel's profile implies: shopify, amazon, else plain."""
    name = profile.casefold()
    if name.startswith("shopify"):
        return "shopify"
    if name.startswith("amazon"):
        return "amazon"
    return "plain"


# -- what each listing should advertise -----------------------------------------------------

def _dec(value: float) -> Decimal:
    return Decimal(repr(round(float(value), 6)))


def _floor(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_FLOOR))


@dataclass
class _Channel:
    code: str
    profile: str
    location: str
    location_name: str
    share: Decimal
    buffer: Decimal
    resolver: SkuResolver
    atp: dict[str, float] = field(default_factory=dict)
    aliases: dict[str, list[tuple[str, float]]] = field(default_factory=dict)

    def listing(self, external_sku: str, components: list[tuple[str, float]], mapping: str) -> ListingStock:
        parts = [ListingComponent(sku=sku, factor=factor, atp=self.atp.get(sku, 0.0),
                                  units=_floor(_dec(self.atp.get(sku, 0.0)) / _dec(factor)))
                 for sku, factor in components]
        scarcest = min(parts, key=lambda p: (p.units, p.sku))
        quantity = max(0, _floor(Decimal(scarcest.units) * self.share - self.buffer))
        return ListingStock(sku=external_sku, mapping=mapping, location=self.location, components=parts,
                            units=scarcest.units, quantity=quantity,
                            limited_by=scarcest.sku if len(parts) > 1 else None)

    def resolve(self, external_sku: str) -> ListingStock | None:
        """A SKU as the channel writes it: an alias or kit, a master SKU (code or barcode), or None."""
        if external_sku in self.aliases:
            rows = self.aliases[external_sku]
            return self.listing(external_sku, rows, "kit" if len(rows) > 1 else "alias")
        sku, mapping = self.resolver.resolve(external_sku)
        return self.listing(external_sku, [(sku, 1.0)], "sku") if mapping == "sku" else None


def _channel(db: Database, code: str) -> _Channel:
    row = db.one("SELECT c.*, l.name AS location_name FROM channel c LEFT JOIN location l ON l.code = c.location "
                 "WHERE c.code = ? COLLATE NOCASE ORDER BY c.code = ? DESC", (code, code))
    if row is None:
        raise NotFound(f"no channel '{code}'; `omnictl channels list` shows them")
    code = row["code"]                            # channel codes are case-insensitive: use the stored one
    if row["location"] is None:
        raise UsageError(f"channel '{code}' has no fulfilment location, so what it should advertise is unknown; "
                         "set its `location` with `omnictl master import channels FILE`")
    location = row["location"]
    channel = _Channel(code=code, profile=row["profile"], location=location,
                       location_name=row["location_name"] or location, share=_dec(row["allocation_share"]),
                       buffer=_dec(row["buffer_qty"]), resolver=SkuResolver(db, code))
    for (sku, _), held in on_hand(db, location=location).items():
        channel.atp[sku] = held
    for (sku, _), amount in reserved(db, location=location).items():
        channel.atp[sku] = channel.atp.get(sku, 0.0) - amount
    for alias in db.query("SELECT external_sku, sku, factor FROM sku_alias WHERE channel = ? "
                          "ORDER BY external_sku, sku", (code,)):
        channel.aliases.setdefault(alias["external_sku"], []).append((alias["sku"], alias["factor"]))
    return channel


def _listings(db: Database, channel: _Channel) -> list[ListingStock]:
    result = {external: channel.resolve(external) for external in channel.aliases}
    for row in db.query("SELECT DISTINCT l.external_sku FROM order_line l JOIN sales_order o ON o.id = l.order_id "
                        "WHERE o.channel = ? AND l.mapping = 'sku' AND l.external_sku IS NOT NULL", (channel.code,)):
        external = row["external_sku"]
        if external not in result:
            listing = channel.resolve(external)
            if listing is not None:
                result[external] = listing
    return [result[key] for key in sorted(result)]


def channel_stock(db: Database, channel: str) -> ChannelStock:
    """Each of the channel's listings with what it should advertise (see the module's rule)."""
    found = _channel(db, channel)
    return ChannelStock(channel=found.code, location=found.location, allocation_share=float(found.share),
                        buffer=float(found.buffer), listings=_listings(db, found))


# -- writing the feed -----------------------------------------------------------------------

def export_channel_stock(db: Database, channel: str, path: str | os.PathLike, *, fmt: str | None = None,
                         template: str | os.PathLike | None = None,
                         channel_location: str | None = None) -> FeedResult:
    """Write what each listing should advertise in the channel's upload layout, whole or not at all
    (a temporary file beside it, then renamed). `path` '-' writes to stdout."""
    found = _channel(db, channel)
    fmt = _check_format(fmt or format_for(found.profile))
    if template is not None and fmt != "shopify":
        raise UsageError("--template is read for the Shopify layout only (it carries Handle and options over)")
    listings = _listings(db, found)
    rows = _template_rows(template, found, channel_location) if template is not None else None
    if str(path) == "-":
        result = _write(sys.stdout, fmt, found, listings, rows, channel_location)
        result.file = "-"
        return result
    result = write_whole(path, lambda stream: _write(stream, fmt, found, listings, rows, channel_location))
    result.file = str(path)
    return result


def _check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise UsageError(f"--format '{fmt}' is not one of {', '.join(FORMATS)}")
    return fmt


def _write(stream: TextIO, fmt: str, channel: _Channel, listings: list[ListingStock], template,
           channel_location: str | None) -> FeedResult:
    result = FeedResult(file="-", channel=channel.code, location=channel.location, format=fmt,
                        listings=list(listings))
    if not listings:
        result.notes.append(f"channel '{channel.code}' has no listings (no aliases and no master SKUs on its "
                            "orders); only the header was written")
    if fmt == "amazon":
        stream.write("\t".join(AMAZON_COLUMNS) + "\n")
        for listing in listings:
            if any(c in listing.sku for c in "\t\r\n"):
                result.notes.append(f"listing '{listing.sku}' holds a tab or line break and was left out")
                continue
            stream.write("\t".join([listing.sku, "", "", "", str(listing.quantity), "", ""]) + "\n")
            result.rows += 1
        return result
    writer = csv.writer(stream, lineterminator="\n")
    if fmt == "plain":
        writer.writerow(PLAIN_COLUMNS)
        for listing in listings:
            writer.writerow([safe_cell(listing.sku), listing.quantity, safe_cell(channel.location)])
            result.rows += 1
        return result
    if template is None:
        result.notes.append("Shopify matches rows on Handle and options, which omnictl does not know: pass the "
                            "shop's inventory export with --template to carry them over")
        writer.writerow(SHOPIFY_COLUMNS)
        location = channel_location or channel.location_name
        for listing in listings:
            writer.writerow(["", "", "", "", "", "", "", "", listing.sku, "", "", location, 0, 0, 0,
                             listing.quantity, listing.quantity])
            result.rows += 1
        return result
    by_sku = {listing.sku: listing for listing in listings}
    header, rows, columns = template
    writer.writerow(header)
    written: dict[str, int] = {}
    for row_no, values in rows:
        values = values + [""] * (len(header) - len(values))
        sku = values[columns["sku"]].strip()
        if sku and sku not in by_sku:                  # a master SKU the shop lists but has not sold yet
            extra = channel.resolve(sku)
            if extra is not None:
                by_sku[sku] = extra
                result.listings.append(extra)
        listing = by_sku.get(sku)
        if listing is None:
            continue
        if listing.sku in written:
            result.notes.append(f"SKU '{listing.sku}' is on rows {written[listing.sku]} and {row_no} of the "
                                f"template; only row {written[listing.sku]} was written")
            continue
        held = sum(_count(values[columns[name]]) for name in ("committed", "unavailable") if name in columns)
        if "available" in columns:
            values[columns["available"]] = str(listing.quantity)
        values[columns["on hand"]] = str(listing.quantity + held)
        writer.writerow(values)
        written[listing.sku] = row_no
        result.rows += 1
    result.listings.sort(key=lambda listing: listing.sku)
    result.not_in_template = [listing.sku for listing in listings if listing.sku not in written]
    if result.not_in_template:
        result.notes.append(f"{len(result.not_in_template)} listing(s) are not in the template and were not "
                            f"written: {', '.join(result.not_in_template[:10])}"
                            + (" ..." if len(result.not_in_template) > 10 else ""))
    return result


def _count(text: str) -> int:
    try:
        value = parse_quantity(text.strip()) if text.strip() else 0
    except ValueError:
        return 0
    return int(value)


def _template_rows(path, channel: _Channel, channel_location: str | None):
    table = open_table(path)
    columns = _columns(table, {"sku": SKU_HEADERS, "on hand": ("on hand (new)", "on hand"),
                               "available": ("available",), "committed": ("committed", "committed (not editable)"),
                               "unavailable": ("unavailable", "unavailable (not editable)"),
                               "location": LOCATION_HEADERS, "handle": ("handle",)})
    if "handle" not in columns or "on hand" not in columns or "sku" not in columns:
        raise InputFileError(f"{table.name}: is not a Shopify inventory export (it needs the columns Handle, SKU "
                             "and On hand, as Products -> Inventory -> Export writes them)")
    rows = list(table.data_rows())
    if "location" in columns:
        rows = _at_location(table, rows, columns["location"], channel, channel_location)
    return table.raw_header, rows, columns


def _columns(table: Table, wanted: dict[str, tuple[str, ...]]) -> dict[str, int]:
    found = {}
    for key, names in wanted.items():
        for name in names:
            if name in table.header:
                found[key] = table.header.index(name)
                break
    return found


def _at_location(table: Table, rows, column: int, channel: _Channel, channel_location: str | None):
    """The rows of the channel's location when a file holds several (by --channel-location, else by
    the omnictl location's code or name); a file of one location is taken as it is."""
    def where(values) -> str:
        return values[column].strip() if column < len(values) else ""

    names = list(dict.fromkeys(where(values) for _, values in rows if where(values)))
    wanted = {normalise_header(channel_location)} if channel_location else \
        {normalise_header(channel.location), normalise_header(channel.location_name)}
    matching = [name for name in names if normalise_header(name) in wanted]
    if channel_location and not matching:
        raise UsageError(f"{table.name}: no row is at location '{channel_location}'; the file's locations are "
                         f"{', '.join(names) or 'blank'}")
    if not channel_location and len(names) <= 1:
        return rows
    if not matching:
        raise UsageError(f"{table.name}: holds stock at several locations ({', '.join(names)}) and none is the "
                         f"channel's location {channel.location} ({channel.location_name}); name it with "
                         "--channel-location")
    keep = {normalise_header(name) for name in matching}
    return [(row_no, values) for row_no, values in rows if normalise_header(where(values)) in keep]


# -- reconciling what the channel lists -----------------------------------------------------

def parse_tolerance(text: str | None) -> tuple[Decimal, bool] | None:
    """`--tolerance N` (units) or `P%` (of what the listing should advertise)."""
    if text is None:
        return None
    raw = text.strip()
    percent = raw.endswith("%")
    try:
        value = Decimal(raw.rstrip("%").strip())
    except ArithmeticError:
        value = Decimal(-1)
    if not value.is_finite() or value < 0:
        raise UsageError(f"--tolerance '{text}' is not a number of units or a percentage (e.g. 3 or 20%)")
    return value, percent


def status_of(listed: Decimal, should: int, tolerance: tuple[Decimal, bool] | None) -> str:
    """oversell_risk: listed above what it should be; lost_sales: listed far below it (more than the
    tolerance short, or by default below half of it and at least 2 units short); else ok."""
    if listed > should:
        return "oversell_risk"
    short = should - listed
    if tolerance is None:
        lost = listed < should * LOST_SHARE and short >= LOST_MIN_UNITS
    else:
        amount, percent = tolerance
        lost = short > (should * amount / 100 if percent else amount)
    return "lost_sales" if lost else "ok"


def reconcile_channel(db: Database, channel: str, path: str | os.PathLike, *, tolerance: str | None = None,
                      channel_location: str | None = None) -> ChannelReconcile:
    """Compare a channel's listed-stock export (Shopify inventory export, Amazon inventory report,
    or a plain sku,quantity[,location] file) with what each listing should advertise."""
    limit = parse_tolerance(tolerance)
    found = _channel(db, channel)
    listed = _read_listed(path, found, channel_location)
    report = ChannelReconcile(file=str(path), channel=found.code, location=found.location,
                              file_location=listed.location_column, tolerance=tolerance,
                              blank_skus=listed.blank, rejects=listed.rejects,
                              duplicates=[sku for sku, rows in listed.rows.items() if len(rows) > 1])
    seen = set()
    for sku, amount in listed.quantities.items():
        listing = found.resolve(sku)
        if listing is None:
            report.unknown_skus.append(sku)
            continue
        seen.add(sku)
        report.lines.append(_line(listing, amount, listed.rows[sku], limit))
    for listing in _listings(db, found):
        if listing.sku not in seen:
            report.missing_skus.append(listing.sku)
            report.lines.append(ChannelReconcileLine(sku=listing.sku, mapping=listing.mapping,
                                                     master_skus=[c.sku for c in listing.components],
                                                     location=listing.location, listed=None,
                                                     should=listing.quantity, difference=None, status="missing"))
    report.lines.sort(key=lambda line: line.sku)
    report.oversell_risk = sum(line.status == "oversell_risk" for line in report.lines)
    report.lost_sales = sum(line.status == "lost_sales" for line in report.lines)
    return report


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _line(listing: ListingStock, amount: Decimal, rows: list[int], limit) -> ChannelReconcileLine:
    return ChannelReconcileLine(sku=listing.sku, mapping=listing.mapping,
                                master_skus=[c.sku for c in listing.components], location=listing.location,
                                listed=_number(amount), should=listing.quantity,
                                difference=_number(amount - listing.quantity),
                                status=status_of(amount, listing.quantity, limit), rows=rows)


@dataclass
class _Listed:
    quantities: dict[str, Decimal] = field(default_factory=dict)
    rows: dict[str, list[int]] = field(default_factory=dict)
    blank: int = 0
    rejects: list[str] = field(default_factory=list)
    location_column: str | None = None      # the wide layout's location column read


def _read_listed(path, channel: _Channel, channel_location: str | None) -> _Listed:
    table = open_table(path)
    columns = _columns(table, {"sku": SKU_HEADERS, "quantity": QUANTITY_HEADERS, "location": LOCATION_HEADERS})
    if "sku" not in columns:
        raise InputFileError(f"{table.name}: has no SKU column (looked for {', '.join(SKU_HEADERS[:3])}); "
                             "a listed-stock export needs one")
    listed = _Listed()
    if "quantity" not in columns:
        columns["quantity"] = _wide_column(table, columns, channel, channel_location)
        listed.location_column = table.raw_header[columns["quantity"]].strip()
        channel_location = None           # the column is the location; a location column is only a note
    rows = list(table.data_rows())
    if "location" in columns and listed.location_column is None:
        rows = _at_location(table, rows, columns["location"], channel, channel_location)
    quantity_name = table.raw_header[columns["quantity"]].strip()
    for row_no, values in rows:
        sku = values[columns["sku"]].strip() if columns["sku"] < len(values) else ""
        if not sku:
            listed.blank += 1
            continue
        text = values[columns["quantity"]].strip() if columns["quantity"] < len(values) else ""
        try:
            amount = Decimal(str(parse_quantity(text))) if text and text.casefold() != "not stocked" else Decimal(0)
        except ValueError:
            listed.rejects.append(brief(f"row {row_no}, column '{quantity_name}': '{text}' is not a quantity"))
            continue
        listed.quantities[sku] = listed.quantities.get(sku, Decimal(0)) + amount
        listed.rows.setdefault(sku, []).append(row_no)
    return listed


def _wide_column(table: Table, columns: dict[str, int], channel: _Channel, channel_location: str | None) -> int:
    """Shopify's older layout: each location is a column of quantities named after it."""
    used = set(columns.values())
    candidates = [ix for ix, name in enumerate(table.header)
                  if ix not in used and name and name not in DESCRIPTIVE_HEADERS and name not in SKU_HEADERS]
    if not candidates:
        raise InputFileError(f"{table.name}: has no quantity column (looked for Available, quantity, qty, On hand, "
                             "or a location column as in Shopify's older layout)")
    wanted = {normalise_header(channel_location)} if channel_location else \
        {normalise_header(channel.location), normalise_header(channel.location_name)}
    matching = [ix for ix in candidates if table.header[ix] in wanted]
    if len(matching) == 1:
        return matching[0]
    if len(candidates) == 1 and not channel_location:
        return candidates[0]
    names = ", ".join(table.raw_header[ix].strip() for ix in candidates)
    raise UsageError(f"{table.name}: has quantity columns for several locations ({names}) and none is the "
                     f"channel's location {channel.location} ({channel.location_name}); name it with "
                     "--channel-location")


def describe(listing: ListingStock) -> str:
    """`A-2PK = A x2`, `KIT = A + B x2`: what a listing is made of, for display."""
    return " + ".join(c.sku + ("" if c.factor == 1 else f" x{quantity_text(c.factor)}") for c in listing.components)
