"""Rendering for the CLI: rich tables on a terminal, one JSON document under --json.

stdout carries data only; notes and counts go to stderr.
"""

from __future__ import annotations

import json
from pathlib import Path
import re
import sys
from typing import Iterable

from pydantic import BaseModel
from rich import box
from rich.console import Console
from rich.table import Table

from omnictl.values import minor_digits

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """Text from files (names, rejects' raw rows) with control characters shown as `\\x1b`, so an
    escape sequence in a file cannot retitle, clear or recolour the terminal it is shown on."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


class _Console(Console):
    def render_str(self, text: str, **kwargs):      # every string printed, table cells too, passes here
        return super().render_str(printable(text), **kwargs)


out = _Console(soft_wrap=False)
if not out.is_terminal:          # piped or redirected: never cut a table to 80 columns
    out.width = max(out.width, 200)
err = _Console(stderr=True, soft_wrap=True)


def note(message: str) -> None:
    err.print(message, markup=False, highlight=False)


def dump_json(data) -> None:
    if isinstance(data, BaseModel):
        data = data.model_dump(mode="json")
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def stream_json(items: Iterable[BaseModel | dict]) -> int:
    """A JSON array written item by item, so a million rows never sit in memory."""
    write = sys.stdout.write
    count = 0
    write("[")
    for item in items:
        data = item.model_dump(mode="json") if isinstance(item, BaseModel) else item
        write(("\n  " if count == 0 else ",\n  ") + json.dumps(data, ensure_ascii=False))
        count += 1
    write("\n]\n" if count else "]\n")
    return count


def money(minor: int | None, currency: str | None, with_code: bool = True) -> str:
    if minor is None:
        return ""
    digits = minor_digits(currency)
    amount = f"{minor / 10 ** digits:,.{digits}f}"
    return f"{amount} {currency}" if with_code and currency else amount


def quantity(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def table(title: str | None, columns: list[str], rows: Iterable[Iterable], *,
          justify_right: set[str] = frozenset(), wrap: set[str] = frozenset()) -> Table:
    """A light table. Columns in `wrap` (free text) fold onto more lines; the others (codes,
    numbers, dates) keep their width up to 24 characters and are shortened only beyond that."""
    cells = [["" if v is None else str(v) for v in row] for row in rows]
    grid = Table(title=title, title_justify="left", header_style="bold", box=box.SIMPLE_HEAD,
                 pad_edge=False, show_edge=False)
    for ix, column in enumerate(columns):
        widest = max([len(row[ix]) for row in cells] + [len(column)])
        grid.add_column(column, justify="right" if column in justify_right else "left",
                        no_wrap=column not in wrap, overflow="fold" if column in wrap else "ellipsis",
                        min_width=min(widest, 12) if column in wrap else min(widest, 24))
    for row in cells:
        grid.add_row(*row)
    return grid


def show(renderable) -> None:
    out.print(renderable)


class progress_bar:
    """A rich progress line on a terminal (stderr), silent otherwise. Yields a callback:
    `callback(rows)` counting rows, or with `total`, `callback(done, stage)` filling a bar."""

    def __init__(self, label: str, total: float | None = None):
        self.label = label
        self.total = total
        self._progress = None

    def __enter__(self):
        if not err.is_terminal:
            return None
        from rich.progress import (BarColumn, Progress, SpinnerColumn, TaskProgressColumn, TextColumn,
                                   TimeElapsedColumn)

        if self.total is None:
            self._progress = Progress(SpinnerColumn(), TextColumn("{task.description}"),
                                      TextColumn("{task.completed:,} rows"), TimeElapsedColumn(),
                                      console=err, transient=True)
        else:
            self._progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                                      TaskProgressColumn(), TimeElapsedColumn(), console=err, transient=True)
        self._progress.start()
        task = self._progress.add_task(self.label, total=self.total)
        if self.total is None:
            return lambda rows: self._progress.update(task, completed=rows)
        return lambda done, stage=None: self._progress.update(
            task, completed=done, description=f"{self.label}: {stage}" if stage else self.label)

    def __exit__(self, *exc):
        if self._progress is not None:
            self._progress.stop()
        return False


def show_import_results(results) -> None:
    rows = []
    for r in results:
        batch = ("dry run" if r.dry_run else r.batch) if r.already_imported_as is None \
            else f"{r.already_imported_as} (same file)"
        rows.append((Path(r.file).name, r.channel, batch, r.orders_created, r.orders_updated, r.lines,
                     r.rejected, r.unmapped))
    numbers = {"new", "updated", "lines", "rejected", "unmapped"}
    show(table(None, ["file", "channel", "batch", "new", "updated", "lines", "rejected", "unmapped"], rows,
               justify_right=numbers, wrap={"file"}))


def show_master_result(result) -> None:
    state = "dry run, nothing written" if result.dry_run else f"batch {result.batch}"
    extra = f", {result.lines_remapped} unmapped line(s) now mapped" if result.lines_remapped else ""
    removed = f", {result.removed} removed" if result.removed else ""
    out.print(f"{result.kind}: {result.created} created, {result.updated} updated{removed}, "
              f"{result.rejected} rejected of {result.rows_read} rows ({state}){extra}", markup=False)


def show_channels(channels, profiles) -> None:
    show(table("Channels", ["channel", "name", "profile", "timezone", "location", "lead", "orders"],
               [(c.code, c.name, c.profile, c.timezone, c.location, c.lead_time_days, c.orders) for c in channels],
               justify_right={"lead", "orders"}, wrap={"name"}))
    show(table("Profiles", ["profile", "status", "channels", "title"],
               [(p.name, "experimental" if p.experimental else "confirmed", ", ".join(p.channels), p.title)
                for p in profiles], wrap={"title", "channels"}))
    note("confirmed: tested on a real export; experimental: built from documented layouts only")


def show_channel_or_profile(item) -> None:
    from omnictl.models import ChannelInfo

    if isinstance(item, ChannelInfo):
        for key, value in item.model_dump().items():
            out.print(f"{key:>17}: {value}", markup=False, highlight=False)
        return
    out.print(f"{item.name}: {item.title}" + (" (experimental)" if item.experimental else ""), markup=False)
    out.print(f"source: {item.source}; channels: {', '.join(item.channels) or 'none'}", markup=False)
    if item.notes:
        out.print(item.notes, markup=False)
    out.print(f"detected by: {', '.join(item.detect)}", markup=False)
    show(table("Columns", ["field", "header names accepted"],
               [(k, " | ".join(v)) for k, v in item.columns.items()]))


def show_detection(result) -> None:
    layout = f"{result.encoding}, delimiter {result.delimiter!r}" if result.encoding else "XLSX workbook"
    out.print(f"{result.file}: {layout}, {result.columns} columns", markup=False)
    out.print(f"profile: {result.profile or 'none'} ({result.reason})", markup=False)
    show(table("Candidates", ["profile", "matches", "mapped", "missing detect columns"],
               [(c["profile"], "yes" if c["matched"] else "no", c["columns_mapped"],
                 ", ".join(c["missing_detect_columns"])) for c in result.candidates],
               justify_right={"mapped"}, wrap={"missing detect columns"}))
    for item in result.preview:
        if "reject" in item:
            out.print(f"row {item['row']}: REJECT {item['reject']}", markup=False)
            continue
        out.print(f"row {item['row']}: order {item['order']} at {item['ordered_at']}, {item['status']}, "
                  f"total {money(item['total_minor'], item['currency'])}", markup=False)
        for line in item["lines"]:
            out.print(f"    {line['quantity']} x {line['sku']} at "
                      f"{money(line['unit_price_minor'], item['currency'])} ({line['status']})", markup=False)


def show_batches(batches) -> None:
    show(table("Import batches", ["batch", "file", "channel", "new", "updated", "rejected", "when"],
               [(f"{b.id}{' undone' if b.undone_at else ''}", b.file if b.kind == "orders" else f"{b.file} ({b.kind})",
                 b.channel or "", b.orders_created, b.orders_updated, b.rejected,
                 (b.started_at or "")[5:16].replace("T", " ")) for b in batches],
               justify_right={"new", "updated", "rejected"}, wrap={"file"}))


def show_batch(info) -> None:
    for key in ("id", "kind", "file", "sha256", "channel", "profile", "rows_read", "imported", "rejected",
                "orders_created", "orders_updated", "lines", "unmapped", "actor", "started_at",
                "finished_at", "undone_at", "undone_by"):
        value = getattr(info, key)
        out.print(f"{key:>15}: {'-' if value is None else value}", markup=False, highlight=False)
    if info.rejects:
        show(table("Rejected rows", ["row", "reason", "raw"],
                   [(r.row, r.reason, r.raw[:160]) for r in info.rejects], justify_right={"row"},
                   wrap={"reason", "raw"}))


def show_unmapped(items) -> None:
    if not items:
        out.print("Every channel SKU maps to a master SKU.")
        return
    show(table("Unmapped channel SKUs", ["channel", "channel sku", "product", "lines", "quantity", "orders"],
               [(i.channel, i.external_sku or "(none)", i.product_name, i.lines, quantity(i.quantity), i.orders)
                for i in items], justify_right={"lines", "quantity", "orders"}, wrap={"product"}))
    out.print("Map one with: omnictl skus map CHANNEL CHANNEL_SKU SKU", markup=False)


def show_orders(orders, limit) -> None:
    if not orders:
        note("no orders match")
        return
    columns = ["order", "channel", "ordered", "status", "ship by", "total", "customer", "lines"]
    if out.width < 110:                   # a narrow terminal: the order date and line count give way
        columns = ["order", "channel", "status", "ship by", "total", "customer"]
    rows = [{"order": o.external_id, "channel": o.channel, "ordered": o.ordered_on, "status": o.status,
             "ship by": o.promised_ship_by, "total": money(o.total_minor, o.currency),
             "customer": o.customer_name or o.customer, "lines": o.line_count} for o in orders]
    show(table(None, columns, [[row[c] for c in columns] for row in rows], justify_right={"total", "lines"},
               wrap={"customer"}))
    if limit and len(orders) == limit:
        note(f"showing the first {limit}; use --limit N or --json for all")


def local_day(utc_iso: str) -> str:
    """`11-26`: the company-time month and day of a stored UTC instant."""
    from datetime import datetime

    from omnictl import clock

    return datetime.fromisoformat(utc_iso.replace("Z", "+00:00")).astimezone(clock.zone()).strftime("%m-%d")


def history_text(steps) -> str:
    """`pending 11-20 → paid 11-21 → shipped 11-23`: each status with the day (company time) it was recorded."""
    return " → ".join(f"{step.status} {local_day(step.at)}" for step in steps or ())


def show_found_orders(orders, limit, empty: str) -> None:
    """Search results and a customer's orders: what matched, and each order's status history."""
    if not orders:
        note(empty)
        return
    columns = ["order", "channel", "ordered", "status", "ship by", "total", "customer", "matched", "history"]
    if out.width < 110:
        columns = ["order", "channel", "status", "ship by", "total", "customer", "history"]
    if all(o.matched is None for o in orders):
        columns.remove("matched") if "matched" in columns else None
    if any(o.expected_ship_on for o in orders):
        columns.insert(columns.index("ship by") + 1, "expected")
    rows = [{"order": o.external_id, "channel": o.channel, "ordered": o.ordered_on, "status": o.status,
             "ship by": o.promised_ship_by, "total": money(o.total_minor, o.currency),
             "customer": o.customer_name or o.customer, "matched": o.matched, "expected": o.expected_ship_on,
             "history": history_text(o.status_history)} for o in orders]
    show(table(None, columns, [[row[c] for c in columns] for row in rows], justify_right={"total"},
               wrap={"customer", "history"}))
    if limit and len(orders) == limit:
        note(f"showing the best {limit}; use --limit N for more")


def show_customer(view) -> None:
    c = view.customer
    out.print(f"Customer {c.code or '-'} {c.name or ''}" + (f" (tier {c.tier})" if c.tier else ""),
              markup=False, highlight=False)
    out.print(f"email {c.email or '-'}  phone {c.phone or '-'}  orders {c.first_order or '-'} … "
              f"{c.last_order or '-'}" + (f"  records {', '.join(c.codes)}" if len(c.codes) > 1 else ""),
              markup=False, highlight=False)
    rows = [[t.channel, t.orders, t.open_orders,
             ", ".join(money(v, k) for k, v in sorted(t.totals_minor.items())),
             money(t.base_total_minor, t.base_currency)] for t in view.channels]
    show(table("Per channel", ["channel", "orders", "open", "total", "in base currency"], rows,
               justify_right={"orders", "open", "total", "in base currency"}))
    for warning in view.warnings:
        note(f"warning: {warning}")
    show_found_orders(view.orders, None, "no orders")


def show_order(o) -> None:
    out.print(f"Order {o.external_id} ({o.channel}, id {o.id}): {o.status.upper()}  "
              f"payment {o.payment}, fulfilment {o.fulfilment}", markup=False, highlight=False)
    out.print(f"ordered {o.ordered_at} (source text '{o.ordered_raw}'); ship by {o.promised_ship_by} "
              f"({o.promised_source})" + (f"; deliver by {o.deliver_by}" if o.deliver_by else "")
              + (f"; expected to ship {o.expected_ship_on} by the production plan" if o.expected_ship_on else ""),
              markup=False, highlight=False)
    out.print(f"customer {o.customer or '-'} {o.customer_name or ''} {o.customer_email or ''} "
              f"{o.customer_phone or ''}".rstrip(), markup=False, highlight=False)
    amounts = [("subtotal", o.subtotal_minor), ("shipping", o.shipping_minor), ("tax", o.tax_minor),
               ("discount", o.discount_minor), ("total", o.total_minor), ("refunded", o.refunded_minor)]
    out.print("  ".join(f"{k} {money(v, o.currency)}" for k, v in amounts if v is not None), markup=False)
    out.print(f"source: batch {o.source_batch} ({o.source_file}), row {o.source_row}; raw status "
              f"'{o.raw_status or ''}'", markup=False, highlight=False)
    show(table(f"Lines (prices in {o.currency})", ["channel sku", "sku", "product", "qty", "price", "payment",
                                                    "fulfilment", "row"],
               [(l.external_sku or l.line_key, l.sku or l.mapping, l.product_name,
                 quantity(l.quantity), money(l.unit_price_minor, o.currency, with_code=False), l.payment,
                 l.fulfilment, l.source_row) for l in o.lines], justify_right={"qty", "price", "row"},
               wrap={"product"}))
    show(table("History", ["at", "batch", "line", "change"],
               [(e.at, e.batch, e.line_key, _change(e)) for e in o.history]))


def _change(event) -> str:
    if event.field == "created":
        return f"created ({event.new})"
    if event.field == "line created":
        return "line created"
    return f"{event.field}: {event.old} → {event.new}"


def show_demo_tour(tour) -> None:
    """`omnictl demo`: what was built, what came from which channel, where to look next."""
    from rich.markup import escape

    say = lambda text="": out.print(text, highlight=False)  # noqa: E731
    verb = "rebuilt" if tour.replaced else "built"
    say(f"[bold]{escape(tour.company)}[/bold]: demo database {verb} at {escape(tour.database)}, "
        f"today being {tour.today} ({tour.timezone})")
    say()
    say(escape(" ".join(tour.story.split())))
    say()
    say("Master data: " + ", ".join(f"{count} {kind}" for kind, count in tour.master.items()))
    rows = [(c.channel, c.profile, c.orders, c.lines, c.rejected, c.unmapped) for c in tour.channels]
    rows.append(("total", "", tour.orders, tour.lines, tour.rejected, tour.unmapped))
    show(table("Imported from each channel's export", ["channel", "profile", "orders", "lines", "rejected",
                                                       "unmapped"], rows,
               justify_right={"orders", "lines", "rejected", "unmapped"}))
    due = tour.due
    say(f"{tour.open_orders} orders are open: [bold red]{due['late']} late[/bold red], "
        f"[bold]{due['today']} due today[/bold], {due['tomorrow']} due tomorrow, {due['in_3_days']} due in 3 days")
    say()
    say("[bold]Worth a look[/bold]")
    for o in tour.highlights:
        say(f"  [bold]{escape(o.channel)} {escape(o.external_id)}[/bold]: {escape(o.why)}")
        say(f"    {o.status}, {o.lines} line(s), {money(o.total_minor, o.currency)}, ship by "
            f"{o.promised_ship_by}, customer {escape(o.customer_name or o.customer or '-')}")
    customer = tour.cross_channel_customer
    if customer:
        say(f"  [bold]customer {escape(customer.code)}[/bold] {escape(customer.name or '')} (tier {customer.tier}): "
            f"{len(customer.orders)} orders on {', '.join(customer.channels)}")
        if customer.note:
            say(f"    {escape(customer.note)}")
    if tour.stock:
        _show_demo_stock(tour.stock, tour.currency, say, escape)
    if tour.plan:
        plan = tour.plan
        say()
        say(f"[bold]Production[/bold]: {plan.orders} planned orders ({plan.for_sales} for sales lines, the rest "
            f"components and stock); {plan.short_orders} short of {plan.short_lines} bought material line(s)")
        for line in plan.for_sales_orders:
            say(f"  {escape(line)}")
        if plan.late:
            say(f"  [bold red]late already[/bold red]: {escape('; '.join(plan.late))}")
        if plan.bottleneck:
            say(f"  scheduled bottleneck first ({escape(plan.bottleneck)}): {len(plan.scheduled_late)} order(s) "
                f"finish late: {escape('; '.join(plan.scheduled_late))}")
        if plan.rush_order:
            pushed = "; ".join(plan.rush_pushes) or "no other order (the plan has room for it)"
            say(f"  rushing sales order {escape(plan.rush_order)} (插单) would push back {escape(pushed)}")
        for line in plan.gantt:
            out.print(f"  {line}", markup=False, highlight=False, soft_wrap=True)
    if tour.forecast:
        _show_demo_forecast(tour.forecast, say, escape)
    if tour.close:
        _show_demo_close(tour, say, escape)
    say()
    if tour.exports_dir:
        say(f"The exports it imported are kept in {escape(tour.exports_dir)}")
    say("[bold]Try next[/bold]")
    for command in tour.try_next:
        out.print(f"  {command}", markup=False, highlight=False, soft_wrap=True)   # never wrapped: copyable


def _show_demo_close(tour, say, escape) -> None:
    close = tour.close
    say()
    say(f"[bold]Daily close (日清日结) of {close.date}[/bold], after the shop floor's reports and issues "
        f"({escape(', '.join(close.files))}): [bold red]{close.status}[/bold red]; "
        + ", ".join(f"{name} {status}" for name, status in close.checks.items()))
    for line in close.consumption:
        say(f"  material: {escape(line)}")
    for line in close.t3:
        say(f"  [bold red]T-3[/bold red]: {escape(line)}")
    say(f"  {close.open_exceptions} open exception(s), each with a standard, a deadline and an owner; see "
        f"omnictl --db {escape(tour.database)} close show {close.date}")


def _show_demo_forecast(forecast, say, escape) -> None:
    say()
    say(f"[bold]Forecast[/bold]: {forecast.history_orders} past orders from the order book "
        f"({escape(forecast.history_file)}), then forecast run {forecast.run_id} for {forecast.skus} SKUs by day")
    for line in forecast.shown:
        say(f"  {escape(line)}")
    if forecast.stockouts:
        say(f"  [bold red]stock-outs ahead[/bold red] (replenish --forecast): {len(forecast.stockouts)} SKU-location(s)")
        for line in forecast.stockouts[:4]:
            say(f"    {escape(line)}")


def _show_demo_stock(stock, currency: str, say, escape) -> None:
    say()
    say(f"[bold]Stock[/bold]: {stock.opening_moves} opening balances, then {stock.sales_moves} sales and returns "
        "posted by the orders")
    if stock.oversold:
        say(f"  [bold red]oversold[/bold red]: {escape(', '.join(stock.oversold))}; {stock.at_risk} more below "
            "safety stock")
    say(f"  {stock.purchase_lines} open purchase lines are supply ({stock.late_purchase_lines} late)")
    say(f"  the count of {stock.count_location} ({escape(stock.count_file)}) differs on {stock.count_differences} "
        f"SKUs, worth {money(stock.count_value_minor, currency)} at cost"
        + (f", and names an unknown SKU {escape(', '.join(stock.count_unknown))}" if stock.count_unknown else ""))
    if stock.oversell_risk:
        say(f"  {escape(stock.listing_channel)} lists more than it should: {escape('; '.join(stock.oversell_risk))}")


def _setting_text(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return repr(value).removesuffix(".0")
    return ", ".join(value) if isinstance(value, list) else str(value)


def show_settings(items) -> None:
    show(table(None, ["key", "value", "from", "meaning"],
               [(i.key, _setting_text(i.value), "set" if i.is_set else ("" if i.key.endswith("*") else "default"),
                 i.description) for i in items], wrap={"meaning", "value"}))
    note("change one with `omnictl config set KEY VALUE` (`--unset` returns it to its default), "
         "or all with `omnictl config edit`")


def show_settings_result(result) -> None:
    if not result.changes:
        note("no changes")
    for change in result.changes:
        new = f"{change.new}" if change.new is not None else f"unset (default: {'none' if change.value is None else _setting_text(change.value)})"
        out.print(f"{change.key}: {change.old if change.old is not None else '(not set)'} → {new}",
                  markup=False, highlight=False)
    if result.orders_redated:
        note(f"{result.orders_redated} order(s) now fall on another calendar date in the new timezone"
             + (f"; {result.ship_by_moved} derived ship-by date(s) moved with them" if result.ship_by_moved else ""))
    for warning in result.warnings:
        note(f"Warning: {warning}")


def show_fx_result(result) -> None:
    name = Path(result.file).name
    if result.already_imported_as is not None:
        note(f"{name} was already imported as batch {result.already_imported_as}; nothing changed")
        return
    state = "dry run, nothing written" if result.dry_run else f"batch {result.batch}"
    out.print(f"{name}: {result.created} created, {result.updated} updated, {result.unchanged} unchanged, "
              f"{result.rejected} rejected of {result.rows_read} rows ({state}); rates in "
              f"{result.base_currency} per unit", markup=False, highlight=False)


def show_rates(rates) -> None:
    if not rates:
        note("no exchange rates match; import them with `omnictl fx import FILE`")
        return
    base = rates[0].base_currency or "base currency"
    show(table(f"Exchange rates ({base} per unit)", ["currency", "date", "rate", "batch"],
               [(r.currency, r.on_date, r.rate, r.batch) for r in rates], justify_right={"rate", "batch"}))


def _bytes(count: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if count < 1024 or unit == "GiB":
            return f"{count:,} bytes" if unit == "bytes" else f"{count:,.1f} {unit}"
        count /= 1024
    return str(count)


def show_db_info(info) -> None:
    def say(text: str) -> None:
        out.print(text, markup=False, highlight=False)

    say(f"database {info.path}: {_bytes(info.size_bytes)} ({_bytes(info.wal_bytes)} of it in the WAL), "
        f"{info.page_count:,} pages of {info.page_size:,} bytes, {info.free_pages:,} free")
    newest = "the newest" if info.schema_version == info.schema_latest else f"this omnictl knows {info.schema_latest}"
    say(f"schema version {info.schema_version} ({newest}); SQLite {info.sqlite_version}, "
        f"journal mode {info.journal_mode}")
    say(f"company timezone {info.timezone or '-'}, currency {info.currency or 'not set'}")
    show(table("Rows per table", ["table", "rows"], [(name, f"{count:,}") for name, count in info.tables.items()],
               justify_right={"rows"}))
    if info.last_batches:
        show_batches(info.last_batches)
    else:
        note("no import batches yet")


def show_check_report(report) -> None:
    show(table("Database check", ["check", "status", "details"],
               [(c.name, c.status.upper() if c.status == "fail" else c.status, c.details) for c in report.checks],
               wrap={"details"}))
    for check in report.checks:
        if check.status != "fail":
            continue
        more = check.problem_count - len(check.problems)
        out.print(f"{check.name}: {check.problem_count} problem(s)" + (f", the first {len(check.problems)}:"
                  if more > 0 else ":"), markup=False, highlight=False)
        for problem in check.problems:
            out.print(f"  {problem}", markup=False, highlight=False)
    failed = sum(c.status == "fail" for c in report.checks)
    note("every check passed" if report.ok else f"{failed} of {len(report.checks)} checks failed")


def show_backup(result) -> None:
    state = "quick_check ok" if result.integrity_ok else "quick_check FAILED: " + "; ".join(result.integrity)
    out.print(f"backup written to {result.path}: {_bytes(result.bytes)} in {result.seconds:.2f} s, {state}",
              markup=False, highlight=False)


def show_vacuum(result) -> None:
    out.print(f"vacuumed {result.path}: {_bytes(result.bytes_before)} → {_bytes(result.bytes_after)} "
              f"({result.free_pages_before:,} free pages before, {result.free_pages_after:,} after) "
              f"in {result.seconds:.2f} s", markup=False, highlight=False)


def show_positions(rows, short: bool) -> None:
    if not rows:
        note("no SKU is short" if short else "no stock, reservations or supply recorded")
        return
    columns = ["sku", "location", "on hand", "reserved", "ATP", "open supply", "next supply", "projected", "status"]
    body = [[r.sku, r.location, quantity(r.on_hand), quantity(r.reserved), quantity(r.atp), quantity(r.open_supply),
             r.next_supply_on or "", quantity(r.projected), r.status] for r in rows]
    totals = [sum(getattr(r, f) for r in rows) for f in ("on_hand", "reserved", "atp", "open_supply", "projected")]
    body.append(["total", f"{len({r.sku for r in rows})} SKUs", *map(quantity, totals[:4]), "",
                 quantity(totals[4]), ""])
    show(table(None, columns, body, justify_right={"on hand", "reserved", "ATP", "open supply", "projected"}))


def show_moves(moves) -> None:
    if not moves:
        note("no moves")
        return
    rows = [[m.id, m.effective_at, m.location, m.kind, quantity(m.quantity), quantity(m.balance or 0),
             m.reason or "", m.actor] for m in moves]
    show(table(None, ["move", "effective", "location", "kind", "qty", "on hand", "reason", "actor"], rows,
               justify_right={"qty", "on hand"}, wrap={"reason"}))


def show_trace(trace) -> None:
    m = trace.move
    out.print(f"move {m.id}: {m.kind} {quantity(m.quantity)} {m.sku} at {m.location}, effective {m.effective_at}, "
              f"recorded {m.recorded_at} by {m.actor}", markup=False, highlight=False)
    out.print(f"cause: {trace.cause}", markup=False, highlight=False)
    if trace.file:
        out.print("source: " + (f"batch {trace.batch}, " if trace.batch is not None else "") + f"file {trace.file}"
                  + (f", row {trace.row}" if trace.row else "")
                  + f" (sha256 {trace.sha256[:12]}…)", markup=False, highlight=False)


# -- counts, snapshots and opening balances -------------------------------------------------

def _rows_text(rows) -> str:
    return ", ".join(str(r) for r in rows[:8]) + (", …" if len(rows) > 8 else "")


def _heading(text: str) -> None:
    out.print(text, markup=False, highlight=False)


def show_reconcile(report) -> None:
    differing = [line for line in report.lines if line.difference != 0]
    if differing:
        body = [[line.sku, line.location, quantity(line.book), quantity(line.counted), quantity(line.difference),
                 money(line.value_minor, report.currency, with_code=False), line.moves_since,
                 "yes" if line.over_tolerance else "", _rows_text(line.rows) or "not counted"]
                for line in differing]
        show(table(None, ["sku", "location", "book", "counted", "difference", "value", "moves since", "over",
                          "rows"], body, justify_right={"book", "counted", "difference", "value", "moves since"}))
    if report.unknown_skus:
        _heading("\nCounted, but not master SKUs (never posted):")
        show(table(None, ["sku", "location", "counted", "rows"],
                   [[u.sku, u.location, quantity(u.counted), _rows_text(u.rows)] for u in report.unknown_skus],
                   justify_right={"counted"}))
    if report.not_counted:
        _heading("\nNot in the file (" + ("counted as 0: --scope full" if report.scope == "full"
                                          else "left alone: --scope partial") + "):")
        show(table(None, ["sku", "location", "book"], [[n.sku, n.location, quantity(n.book)]
                                                       for n in report.not_counted], justify_right={"book"}))
    if report.late_moves:
        _heading("\nLate moves (recorded after an applied count, effective before its count time):")
        show(table(None, ["move", "sku", "location", "kind", "qty", "effective", "recorded", "count", "counted at"],
                   [[m.move, m.sku, m.location, m.kind, quantity(m.quantity), m.effective_at, m.recorded_at,
                     m.count_id, m.counted_at] for m in report.late_moves], justify_right={"qty"}))


def note_reconcile(report) -> None:
    """The summary and the file's quirks, on stderr."""
    for reject in report.rejects:
        note(f"rejected: {reject.reason}")
    for dup in report.duplicates:
        note(f"duplicate: {dup.sku} at {dup.location} is on rows {_rows_text(dup.rows)}; summed to "
             f"{quantity(dup.counted)}")
    for neg in report.negative:
        note(f"negative: {neg.sku} at {neg.location} counted {quantity(neg.counted)} (row {_rows_text(neg.rows)}), "
             "kept as data")
    if report.skipped:
        note(f"{report.skipped} quantit{'y' if report.skipped == 1 else 'ies'} of other locations or not stocked "
             "skipped")
    where = report.location or ", ".join(report.locations) or "no location"
    counted = sum(1 for line in report.lines if line.rows)
    note(f"{report.kind} {report.count_id} of {Path(report.file).name} at {where}, counted at {report.counted_at} "
         f"({report.scope}): {counted} SKU line(s) counted, {report.differences} differ from the book, "
         f"{report.over_tolerance} over tolerance {report.tolerance}; net value "
         f"{money(report.value_minor, report.currency) or '0'}; {len(report.unknown_skus)} unknown SKU(s)")
    if report.already_applied_as is not None:
        note(f"{Path(report.file).name} was already applied at {where} as count {report.already_applied_as} "
             f"(at {report.applied_at}); nothing posted")
    elif report.applied:
        note(f"applied: {report.moves_posted} count move(s) posted effective {report.counted_at}; the book now "
             f"equals the count at that time")
    if report.late_moves:
        note(f"{len(report.late_moves)} late move(s): recorded after an applied count but effective before it; "
             "they change the book that count set")


def show_opening(result) -> None:
    for reject in result.rejects:
        note(f"rejected: {reject.reason}")
    for dup in result.duplicates:
        note(f"duplicate: {dup.sku} at {dup.location} is on rows {_rows_text(dup.rows)}; summed to "
             f"{quantity(dup.counted)}")
    for neg in result.negative:
        note(f"negative: {neg.sku} at {neg.location} is {quantity(neg.counted)}, kept as data")
    name = Path(result.file).name
    if result.already_imported_as is not None:
        note(f"{name} was already imported as opening batch {result.already_imported_as}; nothing posted")
        return
    out.print(f"{name} ({result.layout}), batch {result.batch}: {result.lines} SKU and location pair(s) set at "
              f"{result.at} with {result.moves} opening move(s) (net {quantity(result.units)}); "
              f"{result.rows_read} row(s) read, {result.rejected} rejected", markup=False, highlight=False)
    if result.rejected:
        note(f"{name}: {result.rejected} row(s) rejected; `omnictl imports show {result.batch}` lists them")


def show_schedule_run(info) -> None:
    m = info.metrics
    note(f"schedule run {info.id} ({m['method']}, {m['seconds']} s): {len(info.orders)} order(s), "
         f"{len(m['late_orders'])} late, weighted tardiness {m['weighted_tardiness']:g} min, "
         f"done by {m['makespan_end']}; bottleneck {', '.join(m['bottlenecks']) or '-'}")
    show_scheduled_orders(info.orders)
    rows = [[code, f"{m['load'].get(code, 0):.0%}", f"{value:.0%}"] for code, value in sorted(m["utilisation"].items())]
    show(table("Work centers over the horizon", ["work center", "load", "utilisation"], rows,
               justify_right={"load", "utilisation"}))


def show_scheduled_orders(orders) -> None:
    rows = [[o.number, o.sku, quantity(o.quantity), o.due_on, o.start[:16].replace("T", " "),
             o.end[:16].replace("T", " "), f"{o.late_minutes / 60:.1f} h late" if o.late_minutes else "on time"]
            for o in orders]
    show(table(None, ["order", "sku", "qty", "due", "start (UTC)", "end (UTC)", ""], rows, justify_right={"qty"}))


def show_rush(result) -> None:
    note(f"rush {', '.join(result.rushed)}: on-time orders {result.otd_before:.0%} → {result.otd_after:.0%}; "
         + "; ".join(f"{code} load {result.bottleneck_load_before.get(code, 0):.0%} → "
                     f"{result.bottleneck_load_after.get(code, 0):.0%}" for code in result.bottlenecks))
    rows = [[m["order"], m["end_before"][:16].replace("T", " "), m["end_after"][:16].replace("T", " "),
             f"{m['shift_minutes'] / 60:+.1f} h", "late" if m["late_after"] else ""] for m in result.moved]
    if rows:
        show(table("Orders that move", ["order", "end before", "end after", "shift", ""], rows,
                   justify_right={"shift"}))
    if result.newly_late:
        note(f"become late: {', '.join(result.newly_late)}")
    note(f"accepted as run {result.accepted_run}" if result.accepted_run else
         "not accepted: the current plan is unchanged (add --accept --reason TEXT)")


def show_bottlenecks(report) -> None:
    rows = [[d.work_center + (" *" if d.work_center in report.binding else ""), d.day, f"{d.load_hours:g}",
             f"{d.capacity_hours:g}", f"{d.utilisation:.0%}" if d.utilisation is not None else "-"]
            for d in report.days if d.load_hours]
    show(table(None, ["work center", "day", "load h", "capacity h", "utilisation"], rows,
               justify_right={"load h", "capacity h", "utilisation"}))
    for code, hours in report.queue_hours.items():
        note(f"binding resource {code}: {hours:g} h of work queued in front of it")


GANTT_STYLES = {"bar": "on blue", "late": "bold white on red", "bottleneck": "black on yellow",
                "frozen": "on grey35", "today": "bold magenta", "due": "bold red", "axis": "dim", "label": "bold"}


def show_gantt(lines, plain: bool) -> None:
    from rich.text import Text

    for line in lines:
        if plain:
            sys.stdout.write(line.text.rstrip() + "\n")
            continue
        text = Text(line.text, no_wrap=True)
        for span in line.char_spans():
            text.stylize(GANTT_STYLES.get(span.style, ""), span.start, span.end)
        out.print(text, soft_wrap=True)


def file_notes(result) -> None:
    """A file import's rejected rows and notes on stderr, with where to read them again."""
    name = Path(result.file).name
    for reject in result.rejects:
        note(f"rejected: {name} {reject.reason}")
    for message in result.notes:
        note(message)
    if result.rejected:
        note(f"{result.rejected} row(s) of {name} rejected (`omnictl imports show {result.batch}` lists them)"
             if result.batch else f"{result.rejected} row(s) of {name} rejected")
