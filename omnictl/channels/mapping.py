"""Map a file's rows to orders and lines with a profile: grouping, parsing, states.

`map_orders` streams `OrderRecord`s and `Reject`s in file order. Rows of one order are
grouped while adjacent; a later repeat of the same order id is the importer's concern.
Plain slotted dataclasses on the hot path: no pydantic per row (PERFORMANCE-NOTES §2g).
"""

from __future__ import annotations

import re

from dataclasses import dataclass, field, fields
from datetime import date, timedelta
from operator import attrgetter, itemgetter
from typing import Callable, Iterator

from omnictl import values as V
from omnictl.channels.profile import LINE_FIELDS, ORDER_FIELDS, Profile
from omnictl.errors import brief
from omnictl.files import unescape_cell
from omnictl.tabular import Table, normalise_header

FOOTER_MAX_CELLS = 2
CURRENCY_CODE = re.compile(r"[A-Z]{3}")


@dataclass(slots=True)
class Reject:
    row_no: int
    reason: str
    raw: str
    field: str | None = None

    def __post_init__(self):
        self.reason = brief(self.reason)               # a huge value it quotes is cut


@dataclass(slots=True)
class LineRecord:
    row_no: int
    line_key: str
    external_sku: str | None
    product_name: str | None
    quantity: float
    unit_price_minor: int | None
    line_total_minor: int | None
    payment: str
    fulfilment: str
    status: str
    raw_status: str | None
    shipped_at: str | None


@dataclass(slots=True)
class OrderRecord:
    external_id: str
    first_row: int
    row_nos: list[int]
    ordered_at: str | None
    ordered_on: str | None
    ordered_raw: str | None
    currency: str | None
    subtotal_minor: int | None
    shipping_minor: int | None
    tax_minor: int | None
    discount_minor: int | None
    total_minor: int | None
    refunded_minor: int | None
    payment: str
    fulfilment: str
    status: str
    raw_status: str | None
    promised_ship_by: str | None
    promised_source: str | None
    deliver_by: str | None
    delivered_at: str | None          # UTC instant, or the source's date when it has a date only
    customer_name: str | None
    customer_email: str | None
    customer_phone: str | None
    address: str | None
    lines: list[LineRecord] = field(default_factory=list)


_ORDER_VALUES = attrgetter(*[f.name for f in fields(OrderRecord) if f.name != "lines"])
_LINE_VALUES = attrgetter(*[f.name for f in fields(LineRecord)])
_REJECT_VALUES = attrgetter(*[f.name for f in fields(Reject)])


def to_plain(record: OrderRecord | Reject) -> tuple:
    """A record as nested plain tuples: cheap to pickle across a process boundary."""
    if isinstance(record, Reject):
        return (_REJECT_VALUES(record),)
    return _ORDER_VALUES(record), [_LINE_VALUES(line) for line in record.lines]


def from_plain(plain: tuple) -> OrderRecord | Reject:
    if len(plain) == 1:
        return Reject(*plain[0])
    values, lines = plain
    return OrderRecord(*values, lines=[LineRecord(*line) for line in lines])


class RowFault(ValueError):
    """A value that cannot be read: carries the row, the header and the reason."""

    def __init__(self, row_no: int, header: str, reason: str):
        super().__init__(f"row {row_no}, column '{header}': {reason}")
        self.row_no, self.header, self.reason = row_no, header, reason


def overall_status(payment: str, fulfilment: str) -> str:
    """One word for display: cancelled, returned, refunded, delivered, shipped, paid, pending."""
    if fulfilment in ("cancelled", "returned"):
        return fulfilment
    if payment == "refunded":
        return "refunded"
    if fulfilment in ("delivered", "shipped"):
        return fulfilment
    return "paid" if payment in ("paid", "partly_refunded") else "pending"


FULFILMENT_SUMMARY_ORDER = ("open", "shipped", "delivered", "returned", "cancelled")


def summarise_fulfilment(states: list[str]) -> str:
    """An order's fulfilment from its lines: the least advanced of the live lines."""
    live = [s for s in states if s != "cancelled"] or states
    return min(live, key=FULFILMENT_SUMMARY_ORDER.index)


class Mapper:
    """Binds a profile to a table's header, then maps its rows.

    Values are pulled out of a row by one `itemgetter` per row (a C call) into a dict of
    stripped texts; order-level fields from an order's first row, gaps filled from the rest.
    """

    def __init__(self, profile: Profile, table: Table, *, timezone: str, lead_time_days: int,
                 default_currency: str | None, company_zone):
        self.profile, self.table = profile, table
        self.width = len(table.header)
        self.lead_time = timedelta(days=lead_time_days)
        self.default_currency = profile.currency or default_currency
        self.company_zone = company_zone
        self.index = self._bind(table.header)
        self.headers = {f: table.raw_header[ix[0]].strip() for f, ix in self.index.items()}
        self.dates = V.DateParser(profile.datetime_formats, timezone, profile.months, profile.date_pattern,
                                  company_zone)
        self.order_status_fields = [f for f in ("order_status", "payment_status", "fulfilment_status",
                                                "refund_status") if f in self.index]
        self.line_status_fields = [f for f in ("line_status", "line_refund_status") if f in self.index]
        self.line_charges = [(line_field, attribute) for line_field, order_field, attribute in self.LINE_CHARGES
                             if line_field in self.index and order_field not in self.index]
        self.order_values = _extractor([f for f in self.index if f in ORDER_FIELDS], self.index)
        self.line_values = _extractor([f for f in self.index if f in LINE_FIELDS], self.index)
        self._states_seen: dict[tuple[str, str], tuple[str | None, str | None]] = {}
        self._money_seen: dict[tuple[str, str | None], int] = {}

    def _bind(self, header: list[str]) -> dict[str, list[int]]:
        position = {}
        for ix, name in enumerate(header):
            position.setdefault(name, ix)
        bound = {}
        for field_name, aliases in self.profile.columns.items():
            found = [position[a] for a in aliases if a in position]
            if found:
                bound[field_name] = found
        return bound

    # -- reading values -------------------------------------------------------------------

    def _fault(self, row_no: int, field_name: str, reason: str) -> RowFault:
        return RowFault(row_no, self.headers.get(field_name, field_name), reason)

    def _money(self, text: str, row_no: int, field_name: str, currency: str | None) -> int | None:
        if not text:
            return None
        key = (text, currency)
        hit = self._money_seen.get(key)
        if hit is None:
            try:
                hit = V.to_minor(V.parse_decimal(text, self.profile.decimal_comma), currency)
            except ValueError as err:
                raise self._fault(row_no, field_name, str(err)) from None
            if len(self._money_seen) > 100_000:
                self._money_seen.clear()
            self._money_seen[key] = hit
        return hit

    def _date(self, text: str, row_no: int, field_name: str, tz_name: str | None = None):
        try:
            return self.dates(text, tz_name)
        except ValueError as err:
            raise self._fault(row_no, field_name, str(err)) from None

    # -- rows to orders -------------------------------------------------------------------

    def map_orders(self) -> Iterator[OrderRecord | Reject]:
        group: list[tuple[int, list[str]]] = []
        group_id = None
        order_ix = self.index.get("order_id", [0])
        unescape = self.profile.escaped_formulas
        for row_no, values in self.table.data_rows():
            if unescape:
                values = [unescape_cell(v) if v[:1] == "'" else v for v in values]
            problem = self._row_shape_problem(values)
            if problem and len(values) <= FOOTER_MAX_CELLS < self.width:
                continue                          # a footer line of one or two fields ("3 record(s) downloaded")
            order_id = "" if problem else _first_text(values, order_ix)
            if not problem and not order_id:
                if sum(1 for v in values if v.strip()) <= FOOTER_MAX_CELLS:
                    continue                      # a footer or note line, not data
                problem = f"has no order id (column '{self.headers.get('order_id', 'order id')}')"
            if problem:
                yield Reject(row_no, f"row {row_no} {problem}", self.table.raw_text(values), "order_id")
                continue
            if order_id != group_id and group:
                yield from self._finish(group_id, group)
                group = []
            group_id = order_id
            group.append((row_no, values))
        if group:
            yield from self._finish(group_id, group)

    def _row_shape_problem(self, values: list[str]) -> str | None:
        if len(values) < self.width:
            return (f"has {len(values)} fields where the header has {self.width}: "
                    "the row is truncated or misaligned")
        if len(values) > self.width and any(v.strip() for v in values[self.width:]):
            return f"has {len(values)} fields where the header has {self.width}: the row is misaligned"
        return None

    def _finish(self, order_id: str, rows: list[tuple[int, list[str]]]) -> Iterator[OrderRecord | Reject]:
        try:
            V.check_id(order_id, "order id")
            fields, field_rows = self._order_fields(rows)
            order, states = self._order(order_id, rows, fields, field_rows)
        except (RowFault, ValueError) as err:
            reason = f"order {order_id}: {err}"
            for row_no, values in rows:
                yield Reject(row_no, reason, self.table.raw_text(values), getattr(err, "header", "order_id"))
            return
        seen: dict[tuple, int] = {}
        occurrences: dict[str, int] = {}
        summary = self._summary_rows(rows)
        for row_no, values in rows if self.profile.has_lines else ():   # lines = false: order-only file
            if row_no in summary:
                continue                          # the order's own row (eBay): order fields only
            if len(rows) > 1:
                key = tuple(values)
                if key in seen:
                    yield Reject(row_no, f"row {row_no} repeats row {seen[key]} exactly",
                                 self.table.raw_text(values))
                    continue
                seen[key] = row_no
            try:
                order.lines.append(self._line(order, states, row_no, values, occurrences))
            except (RowFault, ValueError) as err:
                yield Reject(row_no, str(err), self.table.raw_text(values), getattr(err, "header", None))
        if self.profile.has_lines and not order.lines and not summary:
            return
        self._summarise(order, states)
        yield order

    ITEM_FIELDS = ("line_id", "sku", "listing_id", "product_name")

    def _summary_rows(self, rows) -> set[int]:
        """With `summary_rows`, an order's rows that name no item: order fields only. When no
        row names an item, the order has no lines (an order-level row)."""
        if not self.profile.summary_rows:
            return set()
        item_ix = [self.index[f] for f in self.ITEM_FIELDS if f in self.index]
        return {row_no for row_no, values in rows if not any(_first_text(values, ix) for ix in item_ix)}

    def _order_fields(self, rows) -> tuple[dict[str, str], dict[str, int]]:
        """Order-level texts: the first row's, each gap filled from the first later row that has it."""
        fields = self.order_values(rows[0][1])
        field_rows: dict[str, int] = {}
        missing = [f for f, text in fields.items() if not text]
        for row_no, values in rows[1:]:
            if not missing:
                break
            for name in missing:
                text = _first_text(values, self.index[name])
                if text:
                    fields[name], field_rows[name] = text, row_no
            missing = [f for f in missing if not fields[f]]
        return fields, field_rows

    def _order(self, order_id: str, rows, fields: dict[str, str], field_rows: dict[str, int]):
        first = rows[0][0]
        get = fields.get
        at = lambda name: field_rows.get(name, first)  # noqa: E731
        ordered_raw = get("ordered_at", "")
        if not ordered_raw:
            raise self._fault(first, "ordered_at", "the order date is empty")
        time_text, tz_text = get("ordered_time", ""), get("ordered_tz", "")
        full = f"{ordered_raw} {time_text}" if time_text else ordered_raw
        try:
            ordered_at, _local_day, ordered_on = self.dates.full(full, tz_text or None)
        except ValueError as err:
            raise self._fault(at("ordered_at"), "ordered_at", str(err)) from None
        currency = self._currency(rows, get)
        money = {name: self._money(get(name, ""), at(name), name, currency)
                 for name in ("subtotal", "shipping", "tax", "discount", "order_total", "refunded")}
        ship_by, source = self._ship_by(get, at, ordered_on)
        deliver_text = get("deliver_by", "")
        deliver_by = self._date(deliver_text, at("deliver_by"), "deliver_by")[1] if deliver_text else None
        delivered_text = get("delivered_at", "")
        delivered_at = None
        if delivered_text:
            utc, day = self._date(delivered_text, at("delivered_at"), "delivered_at")
            delivered_at = utc or day
        order = OrderRecord(
            external_id=order_id, first_row=first, row_nos=[r for r, _ in rows],
            ordered_at=ordered_at, ordered_on=ordered_on, ordered_raw=full, currency=currency,
            subtotal_minor=money["subtotal"], shipping_minor=money["shipping"], tax_minor=money["tax"],
            discount_minor=money["discount"], total_minor=money["order_total"],
            refunded_minor=money["refunded"], payment="unpaid", fulfilment="open", status="pending",
            raw_status=None, promised_ship_by=ship_by, promised_source=source, deliver_by=deliver_by,
            delivered_at=delivered_at,
            customer_name=get("customer_name") or None, customer_email=get("customer_email") or None,
            customer_phone=get("customer_phone") or None, address=get("address") or None,
        )
        return order, self._states(get, at)

    def _currency(self, rows, get) -> str | None:
        text = get("currency", "")
        if text:
            return self._currency_code(text, rows[0][0], "currency")
        for name in ("order_total", "price", "line_total", "subtotal"):
            for ix in self.index.get(name, ()):
                symbol = V.currency_symbol(rows[0][1][ix])
                if symbol:
                    return symbol
        return self.default_currency

    def _currency_code(self, text: str, row_no: int, field_name: str) -> str:
        code = V.SYMBOLS.get(text.strip(), text.upper())      # `€` in a currency column is EUR
        if not CURRENCY_CODE.fullmatch(code):
            raise self._fault(row_no, field_name, f"'{text}' is not a currency code (three letters, ISO 4217)")
        return code

    def _ship_by(self, get, at, ordered_on: str) -> tuple[str | None, str | None]:
        text = get("ship_by", "")
        if text:
            return self._date(text, at("ship_by"), "ship_by")[1], "channel"
        if ordered_on:
            return (date.fromisoformat(ordered_on) + self.lead_time).isoformat(), "derived"
        return None, None

    def _vocab_state(self, field_name: str, text: str, row_no: int) -> tuple[str | None, str | None]:
        hit = self._states_seen.get((field_name, text))
        if hit is not None:
            return hit
        table = self.profile.vocab.get(field_name)
        if table is None:
            return None, None
        key = normalise_header(text)
        if key not in table:
            raise self._fault(row_no, field_name, f"unknown status '{text}' (the profile "
                              f"{self.profile.name} knows: {', '.join(sorted(table)) or 'none'})")
        self._states_seen[(field_name, text)] = table[key]
        return table[key]

    def _states(self, get, at) -> dict:
        """Order-level payment and fulfilment, and the raw words they came from."""
        payment = fulfilment = None
        raw_words = []
        for name in self.order_status_fields:
            text = get(name, "")
            if text:
                raw_words.append(text)
                p, f = self._vocab_state(name, text, at(name))
                payment, fulfilment = p or payment, f or fulfilment
        paid_at, shipped_at, cancelled_at = get("paid_at", ""), get("shipped_at", ""), get("cancelled_at", "")
        if payment is None and "paid_at" in self.index:
            payment = "paid" if paid_at else "unpaid"
        if cancelled_at:
            fulfilment = "cancelled"
        elif fulfilment is None and get("delivered_at", ""):
            fulfilment = "delivered"
        elif fulfilment is None and shipped_at:
            fulfilment = "shipped"
        shipped_iso = None
        if shipped_at:
            utc, day = self._date(shipped_at, at("shipped_at"), "shipped_at")
            shipped_iso = utc or day
        return {"payment": payment, "fulfilment": fulfilment, "raw": " | ".join(raw_words) or None,
                "shipped_at": shipped_iso}

    def _line(self, order: OrderRecord, states: dict, row_no: int, values: list[str],
              occurrences: dict) -> LineRecord:
        row = self.line_values(values)
        get = row.get
        sku, listing, product = get("sku", ""), get("listing_id", ""), get("product_name", "")
        if sku:
            V.check_id(sku, "SKU")
        line_id = get("line_id", "")
        if line_id:
            key = V.check_id(line_id, "line id")
        else:
            base = sku or listing or product or "line"
            occurrences[base] = occurrences.get(base, 0) + 1
            key = f"{base}#{occurrences[base]}"
        qty_text = get("quantity", "")
        if qty_text == "" and "quantity" in self.profile.required:
            raise self._fault(row_no, "quantity", "the quantity is empty")
        try:
            quantity = V.parse_quantity(qty_text) if qty_text else 1
        except ValueError as err:
            raise self._fault(row_no, "quantity", str(err)) from None
        line_currency = get("line_currency", "")
        currency = self._currency_code(line_currency, row_no, "line_currency") if line_currency else order.currency
        if order.currency is None and currency:
            order.currency = currency
        price = self._money(get("price", ""), row_no, "price", currency)
        total = self._money(get("line_total", ""), row_no, "line_total", currency)
        if self.profile.price == "line_total":
            total = price if total is None else total
            unit = round(total / quantity) if total is not None and quantity else None
        else:
            unit = price
            if total is None and unit is not None:
                total = round(unit * quantity)
        payment, fulfilment, raw = self._line_states(states, row_no, get)
        if quantity < 0 and self.profile.negative_quantity:      # a return at the till (POS)
            p, f = self.profile.negative_quantity
            payment, fulfilment = p or payment, f or fulfilment
        shipped = None
        shipped_text = get("line_shipped_at", "")
        if shipped_text:
            utc, day = self._date(shipped_text, row_no, "line_shipped_at")
            shipped = utc or day
            if fulfilment == "open":
                fulfilment = "shipped"
        if shipped is None and fulfilment in ("shipped", "delivered"):
            shipped = states["shipped_at"]
        if self.line_charges:
            self._add_line_charges(order, get, row_no, currency)
        return LineRecord(row_no, key, sku or listing or None, product or None, quantity, unit, total,
                          payment, fulfilment, overall_status(payment, fulfilment), raw, shipped)

    # Order charges given per line (Amazon shipping-price, item-tax) add up to the order's,
    # unless the profile also maps the order-level column.
    LINE_CHARGES = (("line_shipping", "shipping", "shipping_minor"), ("line_tax", "tax", "tax_minor"),
                    ("line_discount", "discount", "discount_minor"),
                    ("line_shipping_discount", "discount", "discount_minor"))

    def _add_line_charges(self, order: OrderRecord, get, row_no: int, currency: str | None) -> None:
        for line_field, attribute in self.line_charges:
            amount = self._money(get(line_field, ""), row_no, line_field, currency)
            if amount is not None:
                if attribute == "discount_minor":
                    amount = abs(amount)          # a discount reduces, however the file signs it
                setattr(order, attribute, (getattr(order, attribute) or 0) + amount)

    def _line_states(self, states: dict, row_no: int, get) -> tuple[str, str, str | None]:
        payment, fulfilment = states["payment"], states["fulfilment"]
        raw = [states["raw"]] if states["raw"] else []
        if fulfilment != "cancelled":
            for name in self.line_status_fields:
                text = get(name, "")
                if text:
                    raw.append(text)
                    p, f = self._vocab_state(name, text, row_no)
                    payment, fulfilment = p or payment, f or fulfilment
        defaults = self.profile.defaults
        payment = payment or defaults.get("payment", "unpaid")
        fulfilment = fulfilment or defaults.get("fulfilment", "open")
        return payment, fulfilment, " | ".join(raw) or None

    def _summarise(self, order: OrderRecord, states: dict) -> None:
        defaults = self.profile.defaults
        payment = states["payment"] or defaults.get("payment", "unpaid")
        if order.lines:
            fulfilment = summarise_fulfilment([line.fulfilment for line in order.lines])
            if states["payment"] is None:
                payment = order.lines[0].payment
        else:
            fulfilment = states["fulfilment"] or defaults.get("fulfilment", "open")
        if order.total_minor is None and order.lines:
            items = [line.line_total_minor for line in order.lines if line.line_total_minor is not None]
            if items:
                tax = 0 if self.profile.tax_included else (order.tax_minor or 0)
                order.total_minor = (sum(items) + (order.shipping_minor or 0) + tax
                                     - (order.discount_minor or 0))
        payment = _apply_refund(payment, order.refunded_minor, order.total_minor)
        if payment in ("refunded", "partly_refunded"):
            for line in order.lines:
                if line.payment == "paid":
                    line.payment = payment
                    line.status = overall_status(line.payment, line.fulfilment)
        if payment == "paid" and any(line.payment in ("refunded", "partly_refunded") for line in order.lines):
            whole = all(line.payment == "refunded" for line in order.lines)   # refunds given per line (Douyin)
            payment = "refunded" if whole else "partly_refunded"
        order.payment, order.fulfilment = payment, fulfilment
        order.status = overall_status(payment, fulfilment)
        order.raw_status = states["raw"]


def _extractor(fields: list[str], index: dict[str, list[int]]) -> Callable[[list[str]], dict[str, str]]:
    """A function from a row to {field: stripped text}; alternatives fill an empty first choice."""
    if not fields:
        return lambda values: {}
    firsts = [index[f][0] for f in fields]
    getter = itemgetter(*firsts) if len(firsts) > 1 else (lambda values, ix=firsts[0]: (values[ix],))
    alternatives = [(f, index[f][1:]) for f in fields if len(index[f]) > 1]
    strip = str.strip

    def extract(values: list[str]) -> dict[str, str]:
        row = dict(zip(fields, map(strip, getter(values))))
        for name, more in alternatives:
            if not row[name]:
                row[name] = _first_text(values, more)
        return row

    return extract


def _first_text(values: list[str], indexes) -> str:
    for ix in indexes:
        text = values[ix].strip()
        if text:
            return text
    return ""



def _apply_refund(payment: str, refunded: int | None, total: int | None) -> str:
    if not refunded or refunded <= 0 or payment not in ("paid", "partly_refunded"):
        return payment
    return "refunded" if total is not None and refunded >= total else "partly_refunded"
