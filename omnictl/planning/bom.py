"""Production master data as planning reads it: SKUs, routings, BOMs and low-level codes.

A SKU is *made* in-house when it has a routing; any other SKU is *bought* (planning orders
none of it: `omnictl replenish` suggests what to buy). A BOM line's requirement is the
parent quantity × per unit / (1 − scrap%), the scrap expected when making the parent.

The low-level code of a SKU is the deepest level it appears at in any BOM (finished goods
sold alone are 0), so a component used at two levels is netted once, after all its parents.
"""

from __future__ import annotations

from dataclasses import dataclass

from omnictl.db import Database
from omnictl.errors import UsageError


@dataclass(slots=True)
class SkuInfo:
    code: str
    kind: str
    unit: str
    safety_stock: float
    lead_time_days: int
    make_to_stock: bool
    min_order_qty: float
    cost_minor: int | None
    price_minor: int | None


@dataclass(slots=True)
class Step:
    seq: int
    work_center: str
    name: str | None
    setup_min: float
    run_min: float                   # per unit


@dataclass(slots=True)
class BomLine:
    component: str
    quantity: float                  # per unit of the parent
    scrap_pct: float

    def need(self, parent_quantity: float) -> float:
        """Units of the component to make `parent_quantity` of the parent, scrap included."""
        return round(parent_quantity * self.quantity / (1 - self.scrap_pct / 100), 6)


class Master:
    def __init__(self, db: Database):
        self.skus = {r["code"]: SkuInfo(r["code"], r["kind"], r["unit"], r["safety_stock"] or 0.0,
                                        r["lead_time_days"] or 0, bool(r["make_to_stock"]),
                                        r["min_order_qty"] or 0.0, r["cost_minor"], r["price_minor"])
                     for r in db.query("SELECT * FROM sku")}
        self.routing: dict[str, list[Step]] = {}
        for r in db.query("SELECT sku, seq, work_center, name, setup_min, run_min FROM routing_step ORDER BY sku, seq"):
            self.routing.setdefault(r["sku"], []).append(Step(r["seq"], r["work_center"], r["name"], r["setup_min"],
                                                              r["run_min"]))
        self.bom: dict[str, list[BomLine]] = {}
        for r in db.query("SELECT parent, component, quantity, scrap_pct FROM bom_line ORDER BY parent, component"):
            self.bom.setdefault(r["parent"], []).append(BomLine(r["component"], r["quantity"], r["scrap_pct"]))
        self.level = low_level_codes(self.bom)

    def made(self, sku: str) -> bool:
        return sku in self.routing

    def level_of(self, sku: str) -> int:
        return self.level.get(sku, 0)

    def bought_lines(self, sku: str) -> list[BomLine]:
        return [line for line in self.bom.get(sku, ()) if line.component not in self.routing]


def low_level_codes(bom: dict[str, list[BomLine]]) -> dict[str, int]:
    """Deepest BOM level of every SKU in a BOM; a cycle is an error naming it."""
    nodes = set(bom) | {line.component for lines in bom.values() for line in lines}
    parents_left = dict.fromkeys(nodes, 0)
    for lines in bom.values():
        for line in lines:
            parents_left[line.component] += 1
    level = dict.fromkeys(nodes, 0)
    ready = sorted(node for node, count in parents_left.items() if count == 0)
    done = 0
    while ready:
        node = ready.pop()
        done += 1
        for line in bom.get(node, ()):
            level[line.component] = max(level[line.component], level[node] + 1)
            parents_left[line.component] -= 1
            if parents_left[line.component] == 0:
                ready.append(line.component)
    if done < len(nodes):
        raise UsageError(f"the BOM has a cycle: {' → '.join(_cycle(bom, parents_left))}; a SKU cannot be "
                         "its own component; fix the BOM (`omnictl master import boms FILE`)")
    return level


def _cycle(bom: dict[str, list[BomLine]], parents_left: dict[str, int]) -> list[str]:
    """One cycle among the SKUs Kahn's walk could not reach."""
    left = {node for node, count in parents_left.items() if count > 0}
    node = min(left)
    path: list[str] = []
    seen: dict[str, int] = {}
    while node not in seen:
        seen[node] = len(path)
        path.append(node)
        node = next(line.component for line in bom.get(node, ()) if line.component in left) \
            if any(line.component in left for line in bom.get(node, ())) else node
    return path[seen[node]:] + [node]


def warehouses(db: Database) -> set[str]:
    return {r[0] for r in db.execute("SELECT code FROM location WHERE kind = 'warehouse'")}


def home_warehouse(db: Database) -> str | None:
    """Where safety stock of a SKU seen nowhere yet is held: the warehouse most active
    channels ship from (then by code); None without warehouses."""
    return db.scalar("SELECT l.code FROM location l LEFT JOIN channel c ON c.location = l.code AND c.active = 1 "
                     "WHERE l.kind = 'warehouse' GROUP BY l.code ORDER BY count(c.code) DESC, l.code LIMIT 1")


def producing_warehouses(db: Database) -> dict[str, str]:
    """Per made SKU: the warehouse its routing's work centers stand in (the first step's that
    has one); a SKU whose work centers have no warehouse is left out (callers use the home one)."""
    out: dict[str, str] = {}
    for r in db.query("SELECT s.sku, w.location FROM routing_step s JOIN work_center w ON w.code = s.work_center "
                      "JOIN location l ON l.code = w.location WHERE l.kind = 'warehouse' ORDER BY s.sku, s.seq"):
        out.setdefault(r["sku"], r["location"])
    return out


def stores(db: Database) -> set[str]:
    """Locations of kind store: stocked from a warehouse, never producing."""
    return {r[0] for r in db.execute("SELECT code FROM location WHERE kind = 'store'")}


def safety_locations(present: set, stores: set[str], home: str | None) -> set:
    """The warehouses among `present` where safety stock is held, else the home warehouse."""
    return {loc for loc in present if loc in stores} or ({home} if home else set())
