"""Production orders as a planner reads them: the list, one order explained, release."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from typing import Iterator

from omnictl import audit, clock
from omnictl.db import Database
from omnictl.errors import Blocked, NotFound, UsageError
from omnictl.models import MaterialNeed, OperationInfo, OrderExplain, PriorityParts, ProductionOrderInfo, ServedLine
from omnictl.planning.bom import Master
from omnictl.planning.materials import check_materials
from omnictl.planning.priority import FORMULA

STATUSES = ("planned", "released", "started", "done", "cancelled")
OPEN = ("planned", "released", "started")

_ORDERS_SQL = """
SELECT p.*, parent.number AS parent_number FROM production_order p
LEFT JOIN production_order parent ON parent.id = p.parent_id
WHERE p.status IN ({marks}) {extra}
ORDER BY p.due_on, coalesce(p.priority, 0) DESC, p.number
"""

_SERVED_SQL = """
SELECT pg.production_id, pg.order_line_id, pg.quantity, l.line_key, o.channel, o.external_id,
       o.promised_ship_by, c.tier
FROM production_peg pg JOIN production_order p ON p.id = pg.production_id
LEFT JOIN order_line l ON l.id = pg.order_line_id
LEFT JOIN sales_order o ON o.id = l.order_id
LEFT JOIN customer c ON c.id = o.customer_id
WHERE p.status IN ({marks}) {extra}
ORDER BY pg.production_id, o.promised_ship_by, pg.order_line_id
"""


def _key_filter(key: str) -> tuple[str, tuple]:
    text = key.strip()
    match = re.fullmatch(r"(?i)mo-?0*(\d+)", text)
    if match:
        return "p.number = ?", (f"MO-{int(match[1]):06d}",)
    if text.isdigit():
        return "p.id = ?", (int(text),)
    raise UsageError(f"'{key}' is not a production order; give its number (MO-000123) or id")


def find_order(db: Database, key: str):
    where, params = _key_filter(key)
    row = db.one(f"SELECT p.*, parent.number AS parent_number FROM production_order p "
                 f"LEFT JOIN production_order parent ON parent.id = p.parent_id WHERE {where}", params)
    if row is None:
        raise NotFound(f"no production order {key}; `omnictl plan list` shows them")
    return row


def _served(db: Database, statuses: tuple, extra: str = "", params: tuple = ()) -> dict[int, list[ServedLine]]:
    found: dict[int, list[ServedLine]] = defaultdict(list)
    marks = ", ".join("?" * len(statuses))
    for r in db.query(_SERVED_SQL.format(marks=marks, extra=extra), (*statuses, *params)):
        found[r["production_id"]].append(ServedLine(
            line_id=r["order_line_id"], channel=r["channel"], order=r["external_id"], line_key=r["line_key"],
            quantity=r["quantity"], ship_by=r["promised_ship_by"], customer_tier=r["tier"]))
    return found


def _info(row, served: list[ServedLine], shortages=()) -> ProductionOrderInfo:
    parts = row["priority_parts"]
    return ProductionOrderInfo(
        id=row["id"], number=row["number"], sku=row["sku"], location=row["location"], quantity=row["quantity"],
        due_on=row["due_on"], status=row["status"], reason=row["reason"], parent=row["parent_number"],
        priority=row["priority"], priority_parts=PriorityParts.from_dict(json.loads(parts)) if parts else None,
        planned_start=row["planned_start"], planned_end=row["planned_end"], served=served,
        shortages=list(shortages), forecast_quantity=row["forecast_quantity"])


def list_production(db: Database, status: str | None = None) -> Iterator[ProductionOrderInfo]:
    """Production orders (open ones unless `status` names one, or `all`) by due date, then
    priority: SKU, quantity, priority and its parts, served sales lines, material shortages."""
    if status is None:
        statuses = OPEN
    elif status == "all":
        statuses = STATUSES
    elif status in STATUSES:
        statuses = (status,)
    else:
        raise UsageError(f"--status '{status}' is not one of {', '.join(STATUSES)} or all")
    marks = ", ".join("?" * len(statuses))
    rows = db.query(_ORDERS_SQL.format(marks=marks, extra=""), statuses)
    served = _served(db, statuses)
    shortages: dict[int, list] = {}
    if any(r["status"] in ("planned", "released") for r in rows):
        for entry in check_materials(db).orders:
            short = [need for need in entry.materials if need.short > 0]
            if short:
                shortages[entry.id] = short
    return (_info(r, served.get(r["id"], []), shortages.get(r["id"], ())) for r in rows)


def explain(db: Database, key: str) -> OrderExplain:
    """One order: its priority's parts with their weights, the lines it serves, its operations,
    materials and shortages, and the component orders that feed it."""
    row = find_order(db, key)
    served = _served(db, STATUSES, "AND p.id = ?", (row["id"],)).get(row["id"], [])
    ops = [OperationInfo(seq=r["seq"], work_center=r["work_center"], name=r["name"], setup_min=r["setup_min"],
                         run_min=r["run_min"], status=r["status"], qty_done=r["qty_done"],
                         planned_start=r["planned_start"], planned_end=r["planned_end"])
           for r in db.query("SELECT * FROM operation WHERE production_id = ? ORDER BY seq", (row["id"],))]
    m = Master(db)
    notes = []
    if row["status"] in ("planned", "released"):
        materials = next((e.materials for e in check_materials(db, m).orders if e.id == row["id"]), [])
    else:
        materials = [MaterialNeed(component=line.component, location=row["location"],
                                  needed=line.need(row["quantity"]), available=0, short=0, short_from=None,
                                  covered_on=None) for line in m.bought_lines(row["sku"])]
        notes.append(f"materials are checked for planned and released orders only; this order is {row['status']}")
    children = db.query("SELECT number, sku FROM production_order WHERE parent_id = ? AND status != 'cancelled' "
                        "ORDER BY number", (row["id"],))
    fed = {r["sku"] for r in children}
    from_stock = [line.component for line in m.bom.get(row["sku"], ())
                  if m.made(line.component) and line.component not in fed]
    if row["priority"] is None:
        notes.append("no priority yet: `omnictl plan orders` scores planned orders")
    info = _info(row, served, [need for need in materials if need.short > 0])
    from omnictl.planning.schedule import waits

    waiting, late_reason = waits(db, row["id"])
    return OrderExplain(order=info, score_formula=FORMULA, operations=ops, materials=materials,
                        components=[r["number"] for r in children], made_components_from_stock=from_stock,
                        waits=waiting, late_reason=late_reason, notes=notes)


def release(db: Database, key: str, actor: str) -> ProductionOrderInfo:
    """Planned → released: re-planning leaves it alone from now on (it counts as supply)."""
    with db.write():
        row = find_order(db, key)
        if row["status"] == "released":
            info = _info(row, _served(db, STATUSES, "AND p.id = ?", (row["id"],)).get(row["id"], []))
            info.change = "already released"
            return info
        if row["status"] != "planned":
            raise Blocked(f"{row['number']} is {row['status']}; only a planned order can be released")
        db.execute("UPDATE production_order SET status = 'released', released_at = ?, released_by = ?, "
                   "updated_at = ? WHERE id = ?", (clock.utc_now_iso(), actor, clock.utc_now_iso(), row["id"]))
        row = find_order(db, str(row["id"]))
        audit.record(db, actor, "plan.release", row["number"], {"status": "planned"}, {"status": "released"})
        info = _info(row, _served(db, STATUSES, "AND p.id = ?", (row["id"],)).get(row["id"], []))
        info.change = "released"
        return info
