"""`omnictl plan` (orders, materials, list, explain, release) and `omnictl replenish`."""

from __future__ import annotations

from itertools import islice
from typing import Optional

import typer

from omnictl.cli import render as R
from omnictl.cli.main import app, existing_db
from omnictl.cli.options import ACTOR, JSON

plan_app = typer.Typer(no_args_is_help=True,
                       help="Production planning: orders from demand, material check, priority, release.")
app.add_typer(plan_app, name="plan")

SHOWN = 50                       # rows of a table; --json has them all
NUMBERS = {"qty", "quantity", "priority", "needed", "available", "short", "required", "safety", "on hand",
           "supply", "net", "to buy", "MOQ", "setup min", "run min"}


def _say(text: str) -> None:
    R.out.print(text, markup=False, highlight=False)


def _day(instant: str | None) -> str:
    return R.local_day(instant) if instant else ""


def _when(instant: str | None) -> str:
    """A stored UTC instant as company-time `2026-12-09 08:00`."""
    if not instant:
        return ""
    from datetime import datetime

    from omnictl import clock

    return datetime.fromisoformat(instant.replace("Z", "+00:00")).astimezone(clock.zone()).strftime("%Y-%m-%d %H:%M")


def _served_text(order, limit: int = 3) -> str:
    served = [f"{s.channel} {s.order}" if s.channel else f"line {s.line_id}" for s in order.served]
    if order.parent:
        return f"feeds {order.parent}"
    text = ", ".join(served[:limit])
    return text + (f" +{len(served) - limit}" if len(served) > limit else "")


def _parts_text(order) -> str:
    parts = order.priority_parts
    if parts is None:
        return ""
    return f"U {parts.urgency.value:.2f} · T {parts.tier.value:.2f} · M {parts.margin.value:.2f}"


def _priority(value) -> str:
    return "" if value is None else f"{value:.3f}"


@plan_app.command("orders")
def plan_orders(dry_run: bool = typer.Option(False, "--dry-run", help="Show what would change, write nothing."),
                as_json: bool = JSON):
    """Net open demand and safety stock against stock and supply into planned production orders."""
    from omnictl.planning.netting import plan_orders as run

    result = run(existing_db(), dry_run=dry_run)
    for note in result.notes:
        R.note(note)
    if as_json:
        R.dump_json(result)
        return
    changed = [o for o in result.orders if o.change != "unchanged"]
    rows = [[o.number, o.sku, o.location, R.quantity(o.quantity), o.due_on, _day(o.planned_start),
             _priority(o.priority), o.reason, _served_text(o), o.change] for o in changed[:SHOWN]]
    if rows:
        R.show(R.table(None, ["order", "sku", "location", "qty", "due", "start", "priority", "reason", "serves",
                              "change"], rows, justify_right=NUMBERS, wrap={"serves"}))
    if len(changed) > SHOWN:
        R.note(f"the first {SHOWN} of {len(changed)} changed orders are shown; `omnictl plan list` or --json "
               "shows all")
    state = "dry run, nothing written" if result.dry_run else "written"
    _say(f"{result.created} created, {result.resized} resized, {result.updated} re-dated or re-pegged, "
         f"{result.unchanged} unchanged, {result.cancelled} cancelled; {result.kept} released or started "
         f"order(s) kept as supply ({state})")


@plan_app.command("materials")
def plan_materials(as_json: bool = JSON):
    """Bought components of planned and released orders against stock and purchases by each start; exit 1 if short."""
    from omnictl.planning.materials import check_materials

    report = check_materials(existing_db())
    if as_json:
        R.dump_json(report)
    else:
        rows = [[o.number, o.sku, o.location, o.start_on, n.component, R.quantity(n.needed),
                 R.quantity(n.available), R.quantity(n.short) if n.short else "", n.short_from or "",
                 n.covered_on or ("buy" if n.short else "")]
                for o in report.orders for n in o.materials]
        if rows:
            R.show(R.table(None, ["order", "sku", "location", "start", "component", "needed", "available", "short",
                                  "short from", "covered on"], rows, justify_right=NUMBERS))
        else:
            R.note("no planned or released order needs bought components")
    if report.short_orders:
        R.note(f"{report.short_orders} order(s) short of {report.short_lines} component line(s); "
               "`omnictl replenish` lists what to buy")
        raise typer.Exit(1)


@plan_app.command("list")
def plan_list(status: Optional[str] = typer.Option(None, "--status", metavar="STATUS",
                                                   help="planned, released, started, done, cancelled or all "
                                                        "(default: planned, released and started)."),
              limit: Optional[int] = typer.Option(None, "--limit", metavar="N", min=1,
                                                  help=f"At most N orders (default {SHOWN}; --json: all)."),
              as_json: bool = JSON):
    """Production orders: SKU, quantity, due date, priority and its parts, status, served lines, shortages."""
    from omnictl.planning.orders import list_production

    orders = list_production(existing_db(), status)
    if as_json:
        R.stream_json(o.model_dump() for o in islice(orders, limit))
        return
    orders = list(orders)
    shown = limit or SHOWN
    rows = [[o.number, o.sku, o.location, R.quantity(o.quantity), o.due_on, _day(o.planned_start),
             _priority(o.priority), _parts_text(o), o.status, _served_text(o),
             ", ".join(f"{s.component} {R.quantity(s.short)}" for s in o.shortages)] for o in orders[:shown]]
    if not rows:
        R.note("no production orders; `omnictl plan orders` plans them from open demand")
        return
    if len(orders) > shown:
        R.note(f"the first {shown} of {len(orders)} orders are shown (--limit N shows more)")
    R.show(R.table(None, ["order", "sku", "location", "qty", "due", "start", "priority", "parts", "status", "serves",
                          "short"], rows, justify_right=NUMBERS, wrap={"serves", "short"}))


@plan_app.command("explain")
def plan_explain(order: str = typer.Argument(..., metavar="ORDER", help="MO number (MO-000123) or id."),
                 as_json: bool = JSON):
    """One production order: its priority's parts and weights, served lines, operations, materials, shortages."""
    from omnictl.planning.orders import explain

    view = explain(existing_db(), order)
    if as_json:
        R.dump_json(view)
        return
    o = view.order
    parent = f", feeds {o.parent}" if o.parent else ""
    _say(f"{o.number}  {o.sku} × {R.quantity(o.quantity)} at {o.location or '-'}, due {o.due_on}, {o.status} "
         f"({o.reason}{parent})")
    if o.forecast_quantity > 0:
        served = sum(line.quantity for line in o.served)
        rest = o.quantity - o.forecast_quantity - served
        _say(f"{R.quantity(o.forecast_quantity)} of {R.quantity(o.quantity)} from the forecast (make-to-stock demand "
             f"open orders have not consumed), {R.quantity(served)} for served lines"
             + (f", {R.quantity(rest)} rounding up (whole units, minimum order)" if rest > 1e-6 else ""))
    if o.planned_start:
        _say(f"planned {_when(o.planned_start)} → {_when(o.planned_end)} (company time)")
    if o.priority_parts is not None:
        _say(f"priority {o.priority:.3f}")
        parts = o.priority_parts
        R.show(R.table(None, ["part", "value", "weight", "contribution", "basis"],
                       [[name, f"{p.value:.4g}", f"{p.weight:g}", f"{p.contribution:.4g}", p.basis]
                        for name, p in (("urgency", parts.urgency), ("tier", parts.tier), ("margin", parts.margin))],
                       justify_right={"value", "weight", "contribution"}, wrap={"basis"}))
        _say(view.score_formula)
    if o.served:
        R.show(R.table("serves", ["channel", "order", "line", "qty", "ship by", "tier"],
                       [[s.channel or "(gone)", s.order or "", s.line_key or s.line_id, R.quantity(s.quantity),
                         s.ship_by or "", s.customer_tier or ""] for s in o.served], justify_right={"qty"}))
    if view.operations:
        R.show(R.table("operations", ["seq", "work center", "name", "setup min", "run min", "status", "start", "end"],
                       [[p.seq, p.work_center, p.name or "", f"{p.setup_min:g}", f"{p.run_min:g}", p.status,
                         _when(p.planned_start), _when(p.planned_end)] for p in view.operations],
                       justify_right=NUMBERS))
    if view.materials:
        R.show(R.table("materials", ["component", "needed", "available", "short", "short from", "covered on"],
                       [[n.component, R.quantity(n.needed), R.quantity(n.available),
                         R.quantity(n.short) if n.short else "", n.short_from or "",
                         n.covered_on or ("buy" if n.short else "")] for n in view.materials],
                       justify_right=NUMBERS))
    if view.components:
        _say(f"made components ordered: {', '.join(view.components)}")
    if view.made_components_from_stock:
        _say(f"made components taken from stock: {', '.join(view.made_components_from_stock)}")
    for sentence in view.waits:
        _say(f"waits: {sentence}")
    if view.late_reason:
        _say(f"late: {view.late_reason}")
    for note in view.notes:
        R.note(note)


@plan_app.command("release")
def plan_release(order: str = typer.Argument(..., metavar="MO", help="MO number (MO-000123) or id."),
                 actor: Optional[str] = ACTOR, as_json: bool = JSON):
    """Release a planned order to the shop floor: re-planning no longer changes it and counts it as supply."""
    from omnictl.importer import actor_name
    from omnictl.planning.orders import release

    info = release(existing_db(), order, actor_name(actor))
    if as_json:
        R.dump_json(info.model_dump())
    elif info.change == "already released":
        R.note(f"{info.number} was already released; nothing changed")
    else:
        _say(f"{info.number} released ({info.sku} × {R.quantity(info.quantity)}, due {info.due_on})")


@app.command("replenish")
def replenish(forecast: bool = typer.Option(False, "--forecast",
                                            help="Forecast-driven: safety stock, reorder point, projected stock-out "
                                                 "and a buy or produce suggestion per SKU and location. The whole "
                                                 "plan is stored for the console and reused while nothing it is "
                                                 "computed from has changed."),
              horizon: int = typer.Option(28, "--horizon", metavar="DAYS", min=1,
                                          help="With --forecast: days projected (default 28)."),
              sku: Optional[str] = typer.Option(None, "--sku", metavar="SKU", help="With --forecast: only this SKU."),
              location: Optional[str] = typer.Option(None, "--location", metavar="L",
                                                     help="With --forecast: only this location."),
              as_json: bool = JSON):
    """What to buy per bought SKU and location: production needs and sales + safety stock − stock − purchases."""
    if forecast:
        _replenish_forecast(horizon, sku, location, as_json)
        return
    from omnictl.planning.materials import replenish as suggest

    lines = suggest(existing_db())
    if as_json:
        R.dump_json([line.model_dump(mode="json") for line in lines])
        return
    if not lines:
        R.note("nothing to buy: stock and open purchases cover every need and safety stock")
        return
    R.show(R.table(None, ["sku", "location", "required", "safety", "on hand", "supply", "net", "to buy", "MOQ",
                          "need by", "order by"],
                   [[r.sku, r.location, R.quantity(r.required), R.quantity(r.safety_stock), R.quantity(r.on_hand),
                     R.quantity(r.open_supply), R.quantity(r.net), R.quantity(r.to_buy), R.quantity(r.min_order_qty),
                     r.need_by, r.order_by + (" LATE" if r.late else "")] for r in lines], justify_right=NUMBERS))


def _replenish_forecast(horizon: int, sku: Optional[str], location: Optional[str], as_json: bool) -> None:
    from omnictl import clock
    from omnictl.replenish import replenish_plan, stored_lines, stored_plan, update_stored_plan

    db = existing_db()
    kept = ""
    if sku or location:
        lines = replenish_plan(db, horizon_days=horizon, sku=sku, location=location)
    else:                                        # the whole plan: kept for the console, reused while current
        before = stored_plan(db)
        plan = update_stored_plan(db, horizon)
        lines = sorted(stored_lines(db), key=lambda line: (line.sku, line.location))
        reused = before is not None and before.current and before.horizon_days == horizon
        kept = (f"; the plan computed {clock.local(plan.computed_at, '%Y-%m-%d %H:%M')} is reused (nothing it is "
                "computed from has changed)" if reused else "; the plan is stored for the console (`omnictl tui`, key 6)")
    if as_json:
        R.dump_json([line.model_dump(mode="json") for line in lines])
        return
    if not lines:
        R.note("nothing to plan: no SKU has stock, supply, open demand or a forecast")
        return
    R.show(R.table(None, ["sku", "location", "on hand", "ATP", "daily fc", "consumed", "safety", "reorder pt",
                          "stock-out", "suggestion", "order by"],
                   [[r.sku, r.location, R.quantity(r.on_hand), R.quantity(r.atp), f"{r.daily_forecast:.2f}",
                     R.quantity(r.consumed), R.quantity(r.safety_stock), R.quantity(r.reorder_point), r.stockout_on or "",
                     f"{r.action} {R.quantity(r.suggested)}" + (f" from {r.source}" if r.source else "")
                     if r.suggested else "",
                     (r.order_by or "") + (" LATE" if r.late else "")] for r in lines],
                   justify_right=NUMBERS | {"ATP", "daily fc", "consumed", "reorder pt"}))
    short = sum(1 for r in lines if r.stockout_on)
    R.note(f"{len(lines)} SKU/location(s) over {horizon} days; {short} projected to stock out; "
           f"{sum(1 for r in lines if r.suggested)} suggestion(s); 'consumed': forecast that open orders already "
           f"account for (not counted twice){kept}")
