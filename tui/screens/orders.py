"""Orders (key 2): every channel's orders, paged from the database; `/` searches; filters by
channel, status and date; Enter opens the order with everything needed to answer a customer."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Input, Select, Static

from omnictl import browse, clock
from tui.screens.common import ConsoleScreen, NavBar, localize_bindings
from tui.widgets.keybar import KeyBar
from tui.widgets.vtable import Column, Source, VirtualTable, rows_source
from tui.work import Loaded, load

if TYPE_CHECKING:
    from omnictl.order_card import OrderCard

SEARCH_LIMIT = 500
# At 80 columns the order number matters more than its ship-by (shown on the order card).
COLUMNS = (Column("channel", 7, grow=4), Column("order", 10, grow=12), Column("date", 10), Column("customer", 11, grow=14),
           Column("status", 9, vocabulary=True), Column("total", 11, right=True, grow=3),
           Column("ship by", 10, hide_below=100))


def _shown(row: tuple) -> tuple:
    """ORDER_COLUMNS without the line count: the id stays first (a key, not shown)."""
    return row[:6] + row[7:]


def _paged(where: browse.OrderFilter) -> Source:
    return Source("orders", COLUMNS, lambda db: browse.count_orders(db, where),
                  lambda db, offset, limit: [_shown(r) for r in browse.page_orders(db, where, offset, limit)],
                  key=("all", where), skip=1)


def _search(db, text: str, where: browse.OrderFilter) -> list[tuple]:
    from omnictl.search import search_orders

    where.where()                                   # a bad date says so before searching
    rows = []
    for order in search_orders(db, text, limit=SEARCH_LIMIT):
        day = order.ordered_on or ""
        if ((where.channel and order.channel != where.channel) or (where.status and order.status != where.status)
                or (where.since and day < where.since) or (where.until and day > where.until)):
            continue
        rows.append(_shown(browse.summary_row(order)))
    return rows


class OrdersScreen(ConsoleScreen):
    AUTO_FOCUS = "#orders"
    BINDINGS = [
        Binding("slash", "search", "key.search"),
        Binding("escape", "clear", "key.clear", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        localize_bindings(self, self.app.t)
        self.search_text = ""
        self.where = browse.OrderFilter()

    def compose(self) -> ComposeResult:
        t = self.app.t
        yield NavBar("orders")
        with Horizontal(classes="filters"):
            yield Input(placeholder=t("orders.search"), id="search", compact=True)
            yield Select([], prompt=t("orders.channel"), id="channel", compact=True)
            yield Select([(t.word(s), s) for s in browse.STATUSES], prompt=t("orders.status"), id="status",
                         compact=True)
            yield Input(placeholder=t("orders.from"), id="since", compact=True, max_length=10)
            yield Input(placeholder=t("orders.to"), id="until", compact=True, max_length=10)
        yield VirtualTable(id="orders")
        yield KeyBar()

    def on_mount(self) -> None:
        self._retitle()
        load(self, "channels", browse.channel_codes)

    def _retitle(self) -> None:
        self.sub_title = self.app.t("screen.orders")

    def commands(self):
        yield SystemCommand(self.app.t("key.search"), self.app.t("orders.search"), self.action_search)

    # -- attributes down --------------------------------------------------------------------

    def refresh_data(self) -> None:
        """Show the listing or the search again, keeping the cursor and the filter."""
        if self.search_text:
            load(self, "search", _search, self.search_text, self.where)
        else:
            self.query_one("#orders", VirtualTable).show(_paged(self.where))

    def on_loaded(self, message: Loaded) -> None:
        if message.purpose == "channels":
            self.query_one("#channel", Select).set_options([(c, c) for c in message.result])
        elif message.purpose == "search":
            table = self.query_one("#orders", VirtualTable)
            table.show(rows_source("orders", COLUMNS, message.result, key=(self.search_text, self.where), skip=1))
            self.notify(self.app.t("orders.found", count=len(message.result), text=self.search_text), timeout=3)

    # -- input ----------------------------------------------------------------------------

    def action_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_clear(self) -> None:
        search = self.query_one("#search", Input)
        if self.search_text or search.value:
            search.value = ""
            self.search_text = ""
            self.refresh_data()
        self.query_one("#orders", VirtualTable).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "search":
            self.search_text = event.value.strip()
        else:
            self.where = browse.OrderFilter(self.where.channel, self.where.status,
                                            self.query_one("#since", Input).value.strip() or None,
                                            self.query_one("#until", Input).value.strip() or None)
        self.refresh_data()
        self.query_one("#orders", VirtualTable).focus()

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        value = None if event.value is Select.NULL else event.value
        if event.select.id == "channel":
            self.where = browse.OrderFilter(value, self.where.status, self.where.since, self.where.until)
        else:
            self.where = browse.OrderFilter(self.where.channel, value, self.where.since, self.where.until)
        self.refresh_data()

    def on_virtual_table_selected(self, event: VirtualTable.Selected) -> None:
        event.stop()
        self.app.push_screen(OrderScreen(event.row[0]))


class OrderScreen(Screen):
    """One order: lines, amounts, payment and fulfilment history, stock per line, production and
    the expected ship date. Esc goes back to the list where it was."""

    BINDINGS = [Binding("escape", "back", "key.back")]

    def __init__(self, order_id: int) -> None:
        super().__init__()
        localize_bindings(self, self.app.t)
        self.order_id = order_id
        self.card: OrderCard | None = None

    def compose(self) -> ComposeResult:
        yield Static(self.app.t("table.loading"), id="order-title", classes="nav")
        with VerticalScroll(id="order-body"):
            yield Static(id="order-card")
        yield KeyBar()

    def on_mount(self) -> None:
        self.refresh_data()
        self.query_one("#order-body").focus()

    def refresh_data(self) -> None:
        from omnictl.order_card import order_card

        load(self, "card", order_card, self.order_id)

    def action_back(self) -> None:
        self.app.pop_screen()

    def on_loaded(self, message: Loaded) -> None:
        card: OrderCard = message.result
        self.card = card
        order, t = card.order, self.app.t
        self.query_one("#order-title", Static).update(
            Text(f" {t('order.title', channel=order.channel, number=order.external_id)}  ·  {t.word(order.status)}  ·  "
                 f"{order.ordered_on or ''}", style="bold"))
        self.query_one("#order-card", Static).update(render_card(card, t))


def _table(*headers: str, right: tuple[int, ...] = ()) -> Table:
    table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold", expand=False)
    for i, header in enumerate(headers):
        table.add_column(header, justify="right" if i in right else "left", overflow="fold")
    return table


def _qty(value) -> str:
    return "" if value is None else f"{value:g}"


def render_card(card: OrderCard, t) -> Group:
    order = card.order
    parts = []
    who = " · ".join(x for x in (order.customer_name, order.customer, order.customer_email, order.customer_phone) if x)
    parts.append(Text(f"{t('order.customer')}: {who}"))
    if order.promised_ship_by:
        promise = Text(t("order.ship_by", day=order.promised_ship_by))
        if card.days_late:
            promise.append("  " + t("order.days_late", days=card.days_late), style="bold red")
        parts.append(promise)
    if order.expected_ship_on:
        expected = Text(t("order.expected", day=order.expected_ship_on), style="bold")
        if card.expected_days_late:
            expected.append("  " + t("order.expected_late", days=card.expected_days_late), style="bold red")
        parts.append(expected)
    elif not card.production:
        parts.append(Text(t("order.no_plan"), style="dim"))
    lines = _table(t("col.sku"), t("col.product"), t("col.qty"), t("col.total"), t("col.status"), right=(2, 3))
    for line in order.lines:
        sku = line.sku or f"{line.external_sku} ({t('order.unmapped')})"
        lines.add_row(sku, line.product_name or "", _qty(line.quantity),
                      browse.money(line.line_total_minor, order.currency),
                      f"{t.word(line.payment)}/{t.word(line.fulfilment)}")
    parts += [Text(""), Text(t("order.lines"), style="bold underline"), lines]
    amounts = [(t("order.subtotal"), order.subtotal_minor), (t("order.shipping"), order.shipping_minor),
               (t("order.tax"), order.tax_minor), (t("order.discount"), order.discount_minor),
               (t("order.refunded"), order.refunded_minor), (t("order.total"), order.total_minor)]
    parts += [Text(""), Text(t("order.amounts"), style="bold underline"),
              Text("  ".join(f"{name} {browse.money(v, order.currency)}" for name, v in amounts if v is not None))]
    location = next((s.location for s in card.stock if s.location), "-")
    stock = _table(t("col.sku"), t("col.qty"), t("col.on hand"), t("col.atp"), t("col.open supply"),
                   t("col.status"), right=(1, 2, 3, 4))
    for s in card.stock:
        stock.add_row(s.sku or t("order.unmapped"), _qty(s.quantity), _qty(s.on_hand), _qty(s.atp),
                      _qty(s.open_supply), t.word(s.fulfilment))
    parts += [Text(""), Text(t("order.stock", location=location), style="bold underline"), stock]
    if card.production:
        production = _table("MO", t("col.sku"), t("col.qty"), t("col.status"), t("col.date"), right=(2,))
        for p in card.production:
            production.add_row(p.number, p.sku, _qty(p.quantity), t.word(p.status),
                               clock.local(p.planned_end, "%Y-%m-%d %H:%M"))
        parts += [Text(""), Text(t("order.production"), style="bold underline"), production]
    history = _table(t("col.time"), "", t("col.status"))
    for step in card.status_history:
        history.add_row(clock.local(step.at, "%Y-%m-%d %H:%M"), "", t.word(step.status))
    for event in order.history:
        if event.field not in ("created", "status"):
            history.add_row(clock.local(event.at, "%Y-%m-%d %H:%M"), f"{event.line_key or ''} {event.field}".strip(),
                            f"{event.old or ''} → {event.new or ''}")
    parts += [Text(""), Text(t("order.history"), style="bold underline"), history]
    return Group(*parts)
