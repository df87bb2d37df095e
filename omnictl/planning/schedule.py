"""Finite-capacity scheduling of the production orders: the database side of the engine.

`run_schedule` turns open production orders into an engine problem (work centers with units
and calendars, operations in routing order, material release dates, started operations
frozen), schedules it bottleneck first, stores the run with its metrics, makes it current
and writes planned start and end onto orders and operations. `rush` re-plans with one order
at the top without touching the stored plan and reports the difference; `--accept` makes it
current. Times on the engine's axis are whole minutes from the horizon start.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from omnictl import audit, clock, settings
from omnictl.db import Database
from omnictl.errors import NotFound, UsageError
from omnictl.models import (BottleneckDay, BottleneckReport, RushResult, ScheduledOrder, ScheduleRunInfo)
from omnictl.planning import engine
from omnictl.planning.calendars import as_minutes, working_intervals

OPEN_ORDERS = ("planned", "released", "started")
CALENDAR_SPAN = 3                     # calendars reach this many horizons ahead: late work still gets dates
IMPROVE_ITERATIONS = 3000            # improvement moves per run: small plans are repeatable
RUSH_PRIORITY = 3                     # the engine weighs a job by 10 ** priority: a rush order comes first


@dataclass
class _Loaded:
    problem: engine.Problem
    origin: datetime
    orders: dict[str, dict]           # job id (MO number) → production order row
    operation_ids: dict[str, int]     # engine operation id → operation.id


def _origin() -> datetime:
    now = clock.now().astimezone(timezone.utc)
    return now.replace(second=0, microsecond=0)


def _minutes(origin: datetime, value: datetime) -> int:
    return int((value - origin).total_seconds() // 60)


def _instant(origin: datetime, minutes: int) -> str:
    return clock.to_utc_iso(origin + timedelta(minutes=minutes))


def _end_of_day(day: str) -> datetime:
    return datetime.combine(date.fromisoformat(day), time(23, 59), tzinfo=clock.zone())


def load_problem(db: Database, horizon_days: int, priorities: dict[str, int] | None = None,
                 dues: dict[str, str] | None = None) -> _Loaded:
    """The open production orders as an engine problem (with optional priority or due overrides)."""
    origin = _origin()
    span_end = origin + timedelta(days=horizon_days * CALENDAR_SPAN)
    resources = []
    for wc in db.query("SELECT code, units, calendar FROM work_center ORDER BY code"):
        intervals = working_intervals(db, wc["calendar"], origin, span_end, work_center=wc["code"])
        resources.append(engine.Resource(wc["code"], wc["units"], as_minutes(intervals, origin)))
    releases = _material_releases(db, origin)
    rows = db.query(f"SELECT * FROM production_order WHERE status IN ({', '.join('?' * len(OPEN_ORDERS))}) "
                    "ORDER BY id", OPEN_ORDERS)
    orders = {row["number"]: dict(row) for row in rows}
    jobs, operations, operation_ids = [], [], {}
    for root, members in _jobs(orders).items():
        head = orders[root]
        due_on = (dues or {}).get(root, head["due_on"])
        jobs.append(engine.Job(root, due=_minutes(origin, _end_of_day(due_on)), weight=1 + (head["priority"] or 0),
                               priority=(priorities or {}).get(root, 0)))
        seq = 0
        for number in members:                     # components first, deepest first: they feed the next
            order = orders[number]
            for op in db.query("SELECT * FROM operation WHERE production_id = ? AND status != 'done' ORDER BY seq",
                               (order["id"],)):
                seq += 1
                op_id = f"{number}/{op['seq']}"
                operation_ids[op_id] = op["id"]
                work = max(1, round(op["setup_min"] + op["run_min"] * _remaining_share(op, order)))
                operations.append(engine.Operation(op_id, root, seq, op["work_center"], work,
                                                   release=releases.get(order["id"], 0),
                                                   frozen=_frozen(op, origin, work)))
    if not operations:
        raise UsageError("no open production orders with operations to schedule; run `omnictl plan orders` first")
    return _Loaded(engine.Problem(resources, jobs, operations, horizon=horizon_days * 24 * 60), origin, orders,
                   operation_ids)


def _jobs(orders: dict[str, dict]) -> dict[str, list[str]]:
    """One engine job per top order, holding the component orders that feed it (their
    operations come first, deepest level first): a lamp is not assembled before its shade is sewn."""
    by_id = {order["id"]: number for number, order in orders.items()}
    depth: dict[str, int] = {}
    root_of: dict[str, str] = {}
    for number in orders:
        chain, current = [number], number
        while orders[current]["parent_id"] in by_id and len(chain) <= len(orders):
            current = by_id[orders[current]["parent_id"]]
            chain.append(current)
        root_of[number], depth[number] = chain[-1], len(chain) - 1
    jobs: dict[str, list[str]] = {}
    for number in sorted(orders, key=lambda n: (-depth[n], orders[n]["id"])):
        jobs.setdefault(root_of[number], []).append(number)
    return {root: members for root, members in sorted(jobs.items(), key=lambda item: orders[item[0]]["id"])}


def _remaining_share(op, order) -> float:
    done = op["qty_done"] or 0
    return max(0.0, (order["quantity"] - done) / order["quantity"]) if order["quantity"] else 1.0


def _frozen(op, origin: datetime, work: int):
    """A started operation stays where it is: from its planned start (or now) for its work."""
    if op["status"] not in ("started", "partly done"):
        return None
    start = origin
    if op["planned_start"]:
        start = min(origin, datetime.fromisoformat(op["planned_start"].replace("Z", "+00:00")))
    begin = _minutes(origin, start)
    return begin, max(begin + work, 1), (op["unit"] or 0)


def _material_releases(db: Database, origin: datetime) -> dict[int, int]:
    """Per production order, the minute its short materials arrive (by their open purchases);
    materials with no supply in sight do not hold the order back, `plan materials` lists them."""
    from omnictl.planning.materials import check_materials

    releases = {}
    for order in check_materials(db).orders:
        dates = [m.covered_on for m in order.materials if m.short and m.covered_on]
        if dates:
            arrive = datetime.combine(date.fromisoformat(max(dates)), time(0), tzinfo=clock.zone())
            releases[order.id] = max(0, _minutes(origin, arrive))
    return releases


def _solve(loaded: _Loaded, optimize_seconds: float | None) -> engine.Schedule:
    # An iteration budget (with the engine's time budget as a ceiling): the same data gives the same
    # plan, so a rush what-if differs from the stored plan only by what the rush changes.
    result = engine.schedule(loaded.problem, objective="auto", max_iterations=IMPROVE_ITERATIONS,
                             seconds=engine.default_seconds(len(loaded.problem.operations)))
    if optimize_seconds:
        try:
            result = engine.optimize(loaded.problem, optimize_seconds, start=result)
        except engine.EngineError as err:
            raise UsageError(str(err)) from None
    return result


def _orders_of(loaded: _Loaded, result: engine.Schedule) -> list[ScheduledOrder]:
    by_order: dict[str, list[engine.Placement]] = {}
    for placement in result.placements.values():
        by_order.setdefault(placement.operation.rsplit("/", 1)[0], []).append(placement)
    out = []
    for number, placements in sorted(by_order.items()):
        order = loaded.orders[number]
        start, end = min(p.start for p in placements), max(p.end for p in placements)
        due = _minutes(loaded.origin, _end_of_day(order["due_on"]))
        out.append(ScheduledOrder(number=number, sku=order["sku"], quantity=order["quantity"],
                                  due_on=order["due_on"], status=order["status"],
                                  start=_instant(loaded.origin, start), end=_instant(loaded.origin, end),
                                  late_minutes=max(0, end - due)))
    return out


def _metrics(loaded: _Loaded, result: engine.Schedule) -> dict:
    m = result.metrics
    return {"late_orders": sorted(o.number for o in _orders_of(loaded, result) if o.late_minutes),
            "weighted_tardiness": round(m.total_weighted_tardiness, 1),
            "makespan_end": _instant(loaded.origin, m.makespan),
            "utilisation": {k: round(v, 3) for k, v in m.utilisation.items()},
            "load": {k: round(v, 3) for k, v in m.load.items()}, "bottlenecks": m.bottlenecks,
            "method": result.method, "seconds": round(result.seconds, 2)}


def run_schedule(db: Database, *, horizon_days: int | None = None, optimize_seconds: float | None = None,
                 actor: str = "omnictl") -> ScheduleRunInfo:
    """Schedule every open production order and make the run current."""
    horizon_days = horizon_days or settings.get(db, "plan.horizon_days")
    loaded = load_problem(db, horizon_days)
    result = _solve(loaded, optimize_seconds)
    with db.write():
        run_id = _store(db, loaded, result, "run", {"horizon_days": horizon_days, "optimize": optimize_seconds},
                        actor)
        _make_current(db, run_id, actor, reason=None)
    return _run_info(db, run_id, loaded, result)


def _store(db: Database, loaded: _Loaded, result: engine.Schedule, kind: str, parameters: dict,
           actor: str) -> int:
    run_id = db.execute(
        "INSERT INTO schedule_run (kind, created_at, created_by, horizon_start, horizon_end, parameters, metrics) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (kind, clock.utc_now_iso(), actor, clock.to_utc_iso(loaded.origin),
         _instant(loaded.origin, loaded.problem.horizon), json.dumps(parameters), json.dumps(_metrics(loaded, result)))
    ).lastrowid
    db.conn.executemany(
        "INSERT INTO scheduled_op (run_id, operation_id, work_center, unit, starts, ends) VALUES (?, ?, ?, ?, ?, ?)",
        [(run_id, loaded.operation_ids[p.operation], p.resource, p.unit, _instant(loaded.origin, p.start),
          _instant(loaded.origin, p.end)) for p in result.placements.values()])
    return run_id


def _make_current(db: Database, run_id: int, actor: str, reason: str | None) -> None:
    """The run becomes the plan: orders and operations get its planned start and end."""
    db.execute("UPDATE schedule_run SET is_current = 0 WHERE is_current = 1")
    db.execute("UPDATE schedule_run SET is_current = 1, accepted_at = ?, accepted_by = ?, reason = ? WHERE id = ?",
               (clock.utc_now_iso(), actor, reason, run_id))
    db.execute("UPDATE operation SET planned_start = s.starts, planned_end = s.ends, unit = s.unit, "
               "work_center = s.work_center FROM scheduled_op s WHERE s.run_id = ? AND s.operation_id = operation.id",
               (run_id,))
    db.execute("UPDATE production_order SET planned_start = (SELECT min(starts) FROM scheduled_op s JOIN operation o "
               "ON o.id = s.operation_id WHERE s.run_id = ? AND o.production_id = production_order.id), "
               "planned_end = (SELECT max(ends) FROM scheduled_op s JOIN operation o ON o.id = s.operation_id "
               "WHERE s.run_id = ? AND o.production_id = production_order.id) "
               "WHERE id IN (SELECT o.production_id FROM scheduled_op s JOIN operation o ON o.id = s.operation_id "
               "WHERE s.run_id = ?)", (run_id, run_id, run_id))


def _run_info(db: Database, run_id: int, loaded: _Loaded, result: engine.Schedule) -> ScheduleRunInfo:
    row = db.one("SELECT * FROM schedule_run WHERE id = ?", (run_id,))
    return ScheduleRunInfo(id=run_id, kind=row["kind"], created_at=row["created_at"], created_by=row["created_by"],
                           horizon_start=row["horizon_start"], horizon_end=row["horizon_end"],
                           is_current=bool(row["is_current"]), metrics=json.loads(row["metrics"]),
                           orders=_orders_of(loaded, result))


# -- rush orders (插单) ------------------------------------------------------------------------

def rush(db: Database, key: str, *, due: str | None = None, accept: bool = False, reason: str | None = None,
         horizon_days: int | None = None, actor: str = "omnictl") -> RushResult:
    """Re-plan with the production orders of `key` (a production order, or a sales order whose
    lines they serve) at the top; compare with the current plan; store it only with `accept`."""
    horizon_days = horizon_days or settings.get(db, "plan.horizon_days")
    numbers = _rush_orders(db, key)
    if due is not None:
        try:
            date.fromisoformat(due)
        except ValueError:
            raise UsageError(f"--due '{due}' is not a date (YYYY-MM-DD)") from None
    if accept and not reason:
        raise UsageError("say why the rush order is accepted: --reason TEXT")
    after_loaded = load_problem(db, horizon_days, priorities={n: RUSH_PRIORITY for n in numbers},
                                dues={n: due for n in numbers} if due else None)
    after = _solve(after_loaded, None)
    current = db.scalar("SELECT id FROM schedule_run WHERE is_current = 1")
    if current is None:                             # nothing stored yet: compare with a fresh plan
        before_loaded = load_problem(db, horizon_days)
        before_orders, before_loads = _orders_of(before_loaded, (before := _solve(before_loaded, None))), \
            before.metrics.load
    else:
        before_orders, before_loads = _stored_orders(db, current), json.loads(
            db.scalar("SELECT metrics FROM schedule_run WHERE id = ?", (current,))).get("load", {})
    result = _compare(before_orders, before_loads, _orders_of(after_loaded, after), after, numbers)
    if accept:
        with db.write():
            run_id = _store(db, after_loaded, after, "rush", {"rush": key, "orders": numbers, "due": due,
                                                                "horizon_days": horizon_days}, actor)
            _make_current(db, run_id, actor, reason)
            audit.record(db, actor, "plan.accept", f"rush {key}", {"current_run": current},
                         {"current_run": run_id, "reason": reason, "due": due})
        result.accepted_run = run_id
    return result


def _rush_orders(db: Database, key: str) -> list[str]:
    row = db.one("SELECT number FROM production_order WHERE number = ? OR CAST(id AS TEXT) = ?", (key, key))
    if row is not None:
        return [row["number"]]
    from omnictl.orders import find_order_id

    order_id = find_order_id(db, key)
    numbers = [r["number"] for r in db.query(
        "SELECT DISTINCT p.number FROM production_order p JOIN production_peg g ON g.production_id = p.id "
        "JOIN order_line l ON l.id = g.order_line_id WHERE l.order_id = ? AND p.status IN ('planned', 'released', "
        "'started') ORDER BY p.number", (order_id,))]
    if not numbers:
        raise NotFound(f"order '{key}' has no open production orders to rush (its lines are served from stock, "
                       "or `omnictl plan orders` has not run)")
    return numbers


def _stored_orders(db: Database, run_id: int) -> list[ScheduledOrder]:
    """The orders of a stored run, as `_orders_of` gives them for a fresh one."""
    out = []
    for row in db.query("SELECT p.number, p.sku, p.quantity, p.due_on, p.status, min(s.starts) AS starts, "
                        "max(s.ends) AS ends FROM scheduled_op s JOIN operation o ON o.id = s.operation_id "
                        "JOIN production_order p ON p.id = o.production_id WHERE s.run_id = ? GROUP BY p.id "
                        "ORDER BY p.number", (run_id,)):
        due = _end_of_day(row["due_on"])
        late = int(max(0.0, (datetime.fromisoformat(row["ends"].replace("Z", "+00:00")) - due).total_seconds()) // 60)
        out.append(ScheduledOrder(number=row["number"], sku=row["sku"], quantity=row["quantity"],
                                  due_on=row["due_on"], status=row["status"], start=row["starts"], end=row["ends"],
                                  late_minutes=late))
    return out


def _compare(before: list[ScheduledOrder], before_loads: dict, after: list[ScheduledOrder],
             after_result: engine.Schedule, rushed: list[str]) -> RushResult:
    old = {o.number: o for o in before}
    new = {o.number: o for o in after}
    moved = []
    for number, order in new.items():
        was = old.get(number)
        if was is None:
            continue
        shift = _minutes_between(was.end, order.end)
        if shift or number in rushed:
            moved.append({"order": number, "end_before": was.end, "end_after": order.end, "shift_minutes": shift,
                          "late_before": was.late_minutes, "late_after": order.late_minutes})
    moved.sort(key=lambda m: (-abs(m["shift_minutes"]), m["order"]))
    newly_late = sorted(n for n, o in new.items() if o.late_minutes and n in old and not old[n].late_minutes)
    binding = after_result.metrics.bottlenecks
    return RushResult(rushed=rushed, moved=moved, newly_late=newly_late,
                      otd_before=_on_time(old.values()), otd_after=_on_time(new.values()),
                      bottleneck_load_before={code: round(before_loads.get(code, 0.0), 3) for code in binding},
                      bottleneck_load_after=_bottleneck_load(after_result), bottlenecks=binding,
                      orders_after=list(new.values()))


def _minutes_between(a: str, b: str) -> int:
    parse = lambda text: datetime.fromisoformat(text.replace("Z", "+00:00"))  # noqa: E731
    return int((parse(b) - parse(a)).total_seconds() // 60)


def _on_time(orders) -> float:
    orders = list(orders)
    return round(sum(1 for o in orders if not o.late_minutes) / len(orders), 3) if orders else 1.0


def _bottleneck_load(result: engine.Schedule) -> dict[str, float]:
    return {code: round(result.metrics.load.get(code, 0.0), 3) for code in result.metrics.bottlenecks}


# -- bottlenecks ----------------------------------------------------------------------------

def current_run_id(db: Database) -> int:
    run_id = db.scalar("SELECT id FROM schedule_run WHERE is_current = 1")
    if run_id is None:
        raise NotFound("no current schedule; run `omnictl plan run` first")
    return run_id


def bottlenecks(db: Database, days: int | None = None) -> BottleneckReport:
    """Load against capacity per work center and day in the current plan, the binding
    resource, and the queue of work (hours) waiting in front of it."""
    run_id = current_run_id(db)
    run = db.one("SELECT * FROM schedule_run WHERE id = ?", (run_id,))
    start = datetime.fromisoformat(run["horizon_start"].replace("Z", "+00:00"))
    days = days or max(1, round((datetime.fromisoformat(run["horizon_end"].replace("Z", "+00:00")) - start)
                                .total_seconds() / 86400))
    zone = clock.zone()
    first = start.astimezone(zone).date()
    report = BottleneckReport(run=run_id, days=[], binding=json.loads(run["metrics"]).get("bottlenecks", []))
    ops = db.query("SELECT work_center, starts, ends FROM scheduled_op WHERE run_id = ?", (run_id,))
    for wc in db.query("SELECT code, units, calendar FROM work_center ORDER BY code"):
        mine = [(datetime.fromisoformat(o["starts"].replace("Z", "+00:00")),
                 datetime.fromisoformat(o["ends"].replace("Z", "+00:00"))) for o in ops if o["work_center"] == wc["code"]]
        for n in range(days):
            day = first + timedelta(days=n)
            lo = datetime.combine(day, time(0), tzinfo=zone)
            hi = lo + timedelta(days=1)
            working = working_intervals(db, wc["calendar"], lo, hi, work_center=wc["code"])
            capacity = sum((b - a).total_seconds() for a, b in working) / 3600 * wc["units"]
            load = sum(_overlap_hours(a, b, working) for a, b in mine)
            if capacity or load:
                report.days.append(BottleneckDay(work_center=wc["code"], day=day.isoformat(),
                                                 load_hours=round(load, 2), capacity_hours=round(capacity, 2),
                                                 utilisation=round(load / capacity, 3) if capacity else None))
        if wc["code"] in report.binding:
            now = clock.now().astimezone(timezone.utc)
            report.queue_hours[wc["code"]] = round(sum(
                _overlap_hours(max(a, now), b, [(a, b)]) for a, b in mine if b > now) / wc["units"], 2)
    return report


def _overlap_hours(a: datetime, b: datetime, working) -> float:
    """Working hours of [a, b) inside the working intervals."""
    return sum(max(0.0, (min(b, y) - max(a, x)).total_seconds()) for x, y in working) / 3600


# -- the Gantt of the current plan ------------------------------------------------------------

def gantt_rows(db: Database, by: str = "resource", start: str | None = None, end: str | None = None):
    """Rows of bars for the current plan, by work center or by production order, with the
    window to draw: (rows, window start, window end). Late and bottleneck work is flagged."""
    from omnictl.planning.gantt import GanttBar, GanttRow

    if by not in ("resource", "order"):
        raise UsageError(f"--by '{by}' is not one of resource, order")
    run_id = current_run_id(db)
    run = db.one("SELECT * FROM schedule_run WHERE id = ?", (run_id,))
    binding = set(json.loads(run["metrics"]).get("bottlenecks", []))
    ops = db.query("SELECT s.work_center, s.starts, s.ends, o.seq, p.number, p.sku, p.due_on, p.status, "
                   "o.status AS op_status "
                   "FROM scheduled_op s JOIN operation o ON o.id = s.operation_id "
                   "JOIN production_order p ON p.id = o.production_id WHERE s.run_id = ? ORDER BY s.starts", (run_id,))
    parse = lambda text: datetime.fromisoformat(text.replace("Z", "+00:00"))  # noqa: E731
    ends = {}
    for op in ops:
        ends[op["number"]] = max(ends.get(op["number"], parse(op["ends"])), parse(op["ends"]))
    rows: dict[str, list] = {}
    for op in ops:
        due = _end_of_day(op["due_on"])
        late = ends[op["number"]] > due
        key, label = (op["work_center"], op["number"]) if by == "resource" else (op["number"], op["work_center"])
        rows.setdefault(key, []).append(GanttBar(parse(op["starts"]), parse(op["ends"]), label, late=late,
                                                 bottleneck=op["work_center"] in binding,
                                                 frozen=op["op_status"] != "planned",
                                                 due=due if by == "order" else None))
    window_start = _window(start, "--from") or min((parse(o["starts"]) for o in ops), default=_origin())
    window_end = _window(end, "--to") or max((parse(o["ends"]) for o in ops), default=window_start + timedelta(days=1))
    if window_end <= window_start:
        raise UsageError("--to must be after --from")
    if by == "resource":
        labels = {wc["code"]: wc["code"] + (" *" if wc["code"] in binding else "")
                  for wc in db.query("SELECT code FROM work_center ORDER BY code")}
        ordered = [GanttRow(labels[code], rows.get(code, [])) for code in labels]
    else:
        skus = {op["number"]: op["sku"] for op in ops}
        ordered = [GanttRow(f"{number} {skus[number]}", bars) for number, bars in sorted(rows.items())]
    return ordered, window_start, window_end


def _window(text: str | None, option: str) -> datetime | None:
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{option} '{text}' is not a date or time (YYYY-MM-DD or YYYY-MM-DDTHH:MM)") from None
    return value if value.tzinfo else value.replace(tzinfo=clock.zone())


# -- what the plan means for customers ---------------------------------------------------------

def expected_ship(db: Database, order_ids: list[int]) -> dict[int, str]:
    """Per sales order whose open lines production serves: the day (company time) it can ship by
    the current plan, the last planned end of those production orders plus the dispatch buffer."""
    if not order_ids:
        return {}
    buffer = timedelta(days=settings.get(db, "plan.dispatch_buffer_days"))
    zone = clock.zone()
    found: dict[int, str] = {}
    for start in range(0, len(order_ids), 500):
        part = order_ids[start:start + 500]
        for row in db.query(
                "SELECT l.order_id, max(p.planned_end) AS ends FROM order_line l JOIN production_peg g "
                "ON g.order_line_id = l.id JOIN production_order p ON p.id = g.production_id "
                f"WHERE l.order_id IN ({', '.join('?' * len(part))}) AND l.fulfilment = 'open' "
                "AND p.status IN ('planned', 'released', 'started') AND p.planned_end IS NOT NULL "
                "GROUP BY l.order_id", part):
            ends = datetime.fromisoformat(row["ends"].replace("Z", "+00:00")).astimezone(zone)
            found[row["order_id"]] = (ends.date() + buffer).isoformat()
    return found


def waits(db: Database, production_id: int) -> tuple[list[str], str | None]:
    """Where an order waits in the current plan, and why it is late if it is: sentences."""
    run = db.one("SELECT id, metrics FROM schedule_run WHERE is_current = 1")
    if run is None:
        return [], None
    binding = set(json.loads(run["metrics"]).get("bottlenecks", []))
    parse = lambda text: datetime.fromisoformat(text.replace("Z", "+00:00"))  # noqa: E731
    order = db.one("SELECT * FROM production_order WHERE id = ?", (production_id,))
    ops = db.query("SELECT o.seq, s.work_center, s.starts, s.ends FROM scheduled_op s JOIN operation o "
                   "ON o.id = s.operation_id WHERE s.run_id = ? AND o.production_id = ? ORDER BY o.seq",
                   (run["id"], production_id))
    if not ops:
        return [], None
    feeders = db.query("SELECT p.number, max(s.ends) AS ends FROM production_order p JOIN operation o "
                       "ON o.production_id = p.id JOIN scheduled_op s ON s.operation_id = o.id AND s.run_id = ? "
                       "WHERE p.parent_id = ? GROUP BY p.id ORDER BY ends DESC", (run["id"], production_id))
    horizon = db.scalar("SELECT horizon_start FROM schedule_run WHERE id = ?", (run["id"],))
    ready, reason = parse(horizon), "the start of the plan"
    if feeders and parse(feeders[0]["ends"]) > ready:
        ready, reason = parse(feeders[0]["ends"]), f"its component order {feeders[0]['number']}"
    sentences, longest = [], (0.0, "")
    for op in ops:
        start = parse(op["starts"])
        hours = (start - ready).total_seconds() / 3600
        where = op["work_center"] + (" (the bottleneck)" if op["work_center"] in binding else "")
        if hours >= 0.5:
            sentences.append(f"operation {op['seq']} waits {hours:.1f} h for {where} after {reason}")
            longest = max(longest, (hours, f"{hours:.1f} h before operation {op['seq']} on {where}"))
        ready, reason = parse(op["ends"]), f"operation {op['seq']}"
    late = (parse(ops[-1]["ends"]) - _end_of_day(order["due_on"])).total_seconds() / 3600
    if late <= 0:
        return sentences, None
    if longest[0]:
        why = f"late by {late:.1f} h: its longest wait is {longest[1]}"
    else:
        why = f"late by {late:.1f} h: its work does not fit between now and its due date {order['due_on']}"
    if feeders and ops and parse(feeders[0]["ends"]) >= parse(ops[0]["starts"]) - timedelta(minutes=1):
        why += f"; it cannot start before its component order {feeders[0]['number']} is done"
    return sentences, why
