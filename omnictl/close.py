"""The daily close (日清日结): the plan compared with what really happened on day D.

`run_close(db, D)` runs named checks, each ok, warn or fail with details and an owner from
`close.owner.<check>[.<work center>]` (else the first role of `close.escalation`):

- channels: every active channel that sends daily files has an orders batch imported after
  the end of D; the latest batch of each channel has no rejected rows; no SKU sold is unmapped.
- production: operations planned to finish by the end of D and not reported done, with the
  quantity and hours behind (fail).
- consumption: per production order active on D and component, material issued through D
  against the bill of materials × good quantity (the most any operation has reported good)
  plus the BOM's scrap; beyond `close.consumption_tolerance_pct` fails. A done order that was
  issued less than its standard warns (consumption not recorded).
- stock: negative on hand (fail), ATP below zero (oversold, warn), the latest unapplied count
  of a location that differs from the book at its count time beyond `stock.count_tolerance` (warn).
- t3: every open production order with unfinished operations serving open sales lines that
  ship by D + `close.t_minus_days`, and every such line with neither stock nor production behind
  it, opens a forced exception; the check fails while any forced exception is open or only acted.
- escalation: exceptions still open at the close of their deadline move one level up the ladder.

Every deviation becomes an exception (see omnictl.exceptions) keyed by its subject; a re-run
of D replaces D's stored result and never duplicates an exception. The whole close is one
transaction.
"""

from __future__ import annotations

import functools
import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from pydantic import BaseModel

from omnictl import clock, settings
from omnictl.db import Database
from omnictl.errors import NotFound, UsageError
from omnictl.exceptions import (
    OPEN,
    WORK_ACTIONS,
    ExceptionInfo,
    change,
    ladder,
    list_exceptions,
    record_event,
)
from omnictl.messages import message, render

CHECKS = ("channels", "production", "consumption", "stock", "t3", "escalation")
STATUSES = ("ok", "warn", "fail")
EPS = 1e-9


class CloseCheck(BaseModel):
    name: str
    status: str                        # ok, warn or fail
    owner: str
    details: list[str] = []
    messages: list[dict] = []          # the details as messages (omnictl.messages), for other languages

    def details_in(self, lang: str) -> list[str]:
        """The detail lines in `lang` (a close stored before messages: as stored)."""
        if len(self.messages) != len(self.details):
            return self.details
        return [render(m, lang, text) for m, text in zip(self.messages, self.details)]
    exceptions: list[int] = []         # exceptions this check found on D


class CloseReport(BaseModel):
    date: str
    status: str
    checks: list[CloseCheck]
    exceptions: list[ExceptionInfo]    # found on D, and every exception still open
    kpis: dict = {}
    ran_at: str
    actor: str
    company: str | None = None
    opened: int = 0                    # exceptions this run opened (or reopened)
    cleared: int = 0                   # deviations no longer found
    escalated: int = 0
    replaced: bool = False             # D had a stored close, which this one replaced

    def check(self, name: str) -> CloseCheck:
        return next(c for c in self.checks if c.name == name)


@dataclass
class Finding:
    check: str
    subject: str
    standard_msg: dict                 # omnictl.messages: the sentence as a template key and its values
    finding_msg: dict
    work_center: str | None = None
    forced: bool = False

    @functools.cached_property
    def standard(self) -> str:
        return render(self.standard_msg)

    @functools.cached_property
    def finding(self) -> str:
        return render(self.finding_msg)


def parse_day(text: str | date | None) -> date:
    """D: a date, else yesterday by the clock (company timezone); never a day not yet begun."""
    if text is None:
        return clock.today() - timedelta(days=1)
    if isinstance(text, date):
        day = text
    else:
        try:
            day = date.fromisoformat(text.strip())
        except ValueError:
            raise UsageError(f"--date '{text}' is not a date (YYYY-MM-DD)") from None
    if day > clock.today():
        raise UsageError(f"--date {day} is in the future (today is {clock.today()}); a close looks at a day "
                         "that has happened")
    return day


def end_of_day_utc(day: date) -> str:
    """The first instant after D in the company timezone, as stored instants are written."""
    moment = datetime.combine(day + timedelta(days=1), time(0), tzinfo=clock.zone())
    return clock.to_utc_iso(moment)


class _Context:
    """What every check reads: D, its end, the settings, owners."""

    def __init__(self, db: Database, day: date, actor: str):
        self.db, self.day, self.actor = db, day, actor
        self.d = day.isoformat()
        self.end = end_of_day_utc(day)
        self.roles = ladder(db)
        self.deadline = (day + timedelta(days=settings.get(db, "close.deadline_days"))).isoformat()
        self.t_minus = settings.get(db, "close.t_minus_days")
        self.tolerance = settings.get(db, "close.consumption_tolerance_pct")
        self.owners = {k[len("close.owner."):]: v for k, v in
                       ((r["key"], r["value"]) for r in db.query("SELECT key, value FROM setting WHERE key LIKE "
                                                                 "'close.owner.%'"))}

    def owner(self, check: str, work_center: str | None = None) -> str:
        if work_center and f"{check}.{work_center}" in self.owners:
            return self.owners[f"{check}.{work_center}"]
        return self.owners.get(check) or self.roles[0]


# -- the checks: each returns its details and findings; the status follows ------------------------

def _channels(cx: _Context) -> tuple[str, list[dict], list[Finding]]:
    db, found = cx.db, []
    std_fresh = message("channels.fresh_std", day=cx.d)
    for ch in db.query("SELECT c.code, c.daily_files, (SELECT max(b.started_at) FROM import_batch b "
                       "WHERE b.channel = c.code AND b.kind = 'orders' AND b.undone_at IS NULL) AS last "
                       "FROM channel c WHERE c.active = 1 ORDER BY c.code"):
        if not ch["daily_files"]:
            continue
        if ch["last"] is None or ch["last"] < cx.end:
            text = (message("channels.stale", channel=ch["code"], day=cx.d, latest=ch["last"]) if ch["last"] else
                    message("channels.never", channel=ch["code"], day=cx.d))
            found.append(Finding("channels", f"channels:stale:{ch['code']}:{cx.d}", std_fresh, text))
    for batch in db.query("SELECT b.id, b.channel, b.file_name, b.rejected FROM import_batch b WHERE b.id IN "
                          "(SELECT max(id) FROM import_batch WHERE kind = 'orders' AND undone_at IS NULL "
                          "AND channel IS NOT NULL GROUP BY channel) AND b.rejected > 0 ORDER BY b.channel"):
        text = message("channels.rejects", channel=batch["channel"], batch=batch["id"], file=batch["file_name"],
                       rejected=batch["rejected"])
        found.append(Finding("channels", f"channels:rejects:{batch['id']}", message("channels.rejects_std"), text))
    for row in db.query("SELECT o.channel, l.external_sku, count(*) AS lines, sum(l.quantity) AS qty "
                        "FROM order_line l INDEXED BY order_line_unmapped JOIN sales_order o ON o.id = l.order_id "
                        "WHERE l.mapping = 'unmapped' AND l.fulfilment != 'cancelled' "
                        "GROUP BY o.channel, l.external_sku ORDER BY o.channel, l.external_sku"):
        text = message("channels.unmapped", channel=row["channel"], lines=row["lines"], qty=row["qty"],
                       external=row["external_sku"])
        found.append(Finding("channels", f"channels:unmapped:{row['channel']}:{row['external_sku']}",
                             message("channels.unmapped_std"), text))
    return ("warn" if found else "ok"), [f.finding_msg for f in found], found


_BEHIND_SQL = """
SELECT o.id, o.seq, o.work_center, o.status, o.qty_done, o.setup_min, o.run_min, o.planned_end,
       p.number, p.quantity, p.sku
FROM operation o INDEXED BY operation_planned_end JOIN production_order p ON p.id = o.production_id
WHERE o.status != 'done' AND o.planned_end IS NOT NULL AND o.planned_end <= ?
  AND p.status IN ('planned', 'released', 'started')
ORDER BY o.planned_end, p.number, o.seq
"""


def _local(instant: str) -> str:
    moment = datetime.fromisoformat(instant).astimezone(clock.zone())
    return moment.strftime("%Y-%m-%d %H:%M")


def _production(cx: _Context) -> tuple[str, list[dict], list[Finding]]:
    found, by_center = [], defaultdict(lambda: [0.0, 0.0, 0])
    for op in cx.db.query(_BEHIND_SQL, (cx.end,)):
        behind = max(op["quantity"] - op["qty_done"], 0.0)
        minutes = op["run_min"] * behind / op["quantity"] + (op["setup_min"] if op["status"] == "planned" else 0)
        hours = minutes / 60
        where = dict(order=op["number"], seq=op["seq"], center=op["work_center"], qty=op["quantity"], sku=op["sku"])
        standard = message("production.std", **where, end=_local(op["planned_end"]))
        text = message("production.behind", **where, done=op["qty_done"], behind=behind, hours=hours)
        found.append(Finding("production", f"production:{op['number']}/{op['seq']}", standard, text,
                             work_center=op["work_center"]))
        total = by_center[op["work_center"]]
        total[0] += behind
        total[1] += hours
        total[2] += 1
    details = [message("production.center", center=center, operations=count, units=qty, hours=hours)
               for center, (qty, hours, count) in sorted(by_center.items())]
    details += [f.finding_msg for f in found]
    return ("fail" if found else "ok"), details, found


_ACTIVE_SQL = """
SELECT DISTINCT production_id FROM shopfloor_report WHERE report_date = :d
UNION SELECT DISTINCT production_id FROM material_issue INDEXED BY material_issue_date WHERE issue_date = :d
"""


def _consumption(cx: _Context) -> tuple[str, list[dict], list[Finding]]:
    db, found, worst = cx.db, [], "ok"
    active = [r[0] for r in db.execute(_ACTIVE_SQL, {"d": cx.d})]
    if not active:
        return "ok", [message("consumption.none", day=cx.d)], []
    tolerance = cx.tolerance
    for start in range(0, len(active), 500):
        part = active[start:start + 500]
        marks = ", ".join("?" * len(part))
        orders = {r["id"]: r for r in db.query(
            f"SELECT p.id, p.number, p.sku, p.quantity, p.status, (SELECT work_center FROM operation o WHERE "
            f"o.production_id = p.id ORDER BY o.seq LIMIT 1) AS work_center FROM production_order p "
            f"WHERE p.id IN ({marks})", part)}
        good = {r[0]: r[1] for r in db.execute(
            f"SELECT production_id, max(good) FROM (SELECT production_id, operation_id, sum(good_qty) AS good "
            f"FROM shopfloor_report WHERE production_id IN ({marks}) AND report_date <= ? "
            f"GROUP BY production_id, operation_id) GROUP BY production_id", (*part, cx.d))}
        issued = defaultdict(dict)
        for r in db.execute(f"SELECT production_id, component, sum(quantity) FROM material_issue "
                            f"WHERE production_id IN ({marks}) AND issue_date <= ? GROUP BY 1, 2", (*part, cx.d)):
            issued[r[0]][r[1]] = r[2]
        boms = defaultdict(dict)
        for r in db.query(f"SELECT parent, component, quantity, scrap_pct FROM bom_line WHERE parent IN "
                          f"(SELECT sku FROM production_order WHERE id IN ({marks}))", part):
            boms[r["parent"]][r["component"]] = (r["quantity"], r["scrap_pct"])
        for pid in sorted(orders, key=lambda i: orders[i]["number"]):
            order = orders[pid]
            made = good.get(pid, 0.0)
            bom = boms.get(order["sku"], {})
            given = issued.get(pid, {})
            for component in sorted(bom.keys() | given.keys()):
                per, scrap = bom.get(component, (0.0, 0.0))
                standard = per * made * (1 + scrap / 100)
                actual = given.get(component, 0.0)
                limit = standard * (1 + tolerance / 100)
                over = actual > limit + EPS
                under = (order["status"] == "done" and given and actual < standard * (1 - tolerance / 100) - EPS)
                if not (over or under):
                    continue
                of = dict(order=order["number"], sku=order["sku"], component=component)
                if component in bom:
                    std_text = message("consumption.std", **of, made=made, per=per, scrap=scrap, standard=standard,
                                       tolerance=tolerance)
                else:
                    std_text = message("consumption.not_in_bom_std", **of)
                gap = actual - standard
                share = f" ({gap / standard * 100:+.0f}%)" if standard > EPS else ""
                text = message("consumption.over" if gap > 0 else "consumption.under", order=order["number"],
                               component=component, actual=actual, standard=standard, gap=abs(gap), share=share)
                found.append(Finding("consumption", f"consumption:{order['number']}:{component}", std_text, text,
                                     work_center=order["work_center"]))
                worst = "fail" if over else (worst if worst == "fail" else "warn")
    details = [f.finding_msg for f in found] or [message("consumption.ok", orders=len(active), day=cx.d,
                                                         tolerance=tolerance)]
    return worst, details, found


def _stock(cx: _Context) -> tuple[str, list[dict], list[Finding]]:
    from omnictl.inventory import positions

    db, found, status = cx.db, [], "ok"
    for r in db.query("SELECT sku, location, on_hand FROM stock_balance WHERE on_hand < -1e-9 ORDER BY sku, location"):
        at = dict(sku=r["sku"], location=r["location"])
        found.append(Finding("stock", f"stock:negative:{r['sku']}@{r['location']}",
                             message("stock.negative_std", **at), message("stock.negative", **at, on_hand=r["on_hand"])))
        status = "fail"
    for p in positions(db, short=True):
        if p.status != "oversold":
            continue
        at = dict(sku=p.sku, location=p.location)
        text = message("stock.oversold", **at, on_hand=p.on_hand, reserved=p.reserved, atp=p.atp)
        found.append(Finding("stock", f"stock:oversold:{p.sku}@{p.location}", message("stock.oversold_std", **at),
                             text))
        status = status if status == "fail" else "warn"
    for text, subject in _unapplied_counts(cx):
        found.append(Finding("stock", subject, message("stock.count_std"), text))
        status = status if status == "fail" else "warn"
    return status, [f.finding_msg for f in found], found


def _unapplied_counts(cx: _Context) -> list[tuple[dict, str]]:
    """The latest count of each location by the end of D, when unapplied and off the book."""
    from omnictl.reconcile import book_at

    db = cx.db
    limit = settings.get(db, "stock.count_tolerance")
    out = []
    counts = db.query("SELECT c.* FROM stock_count c WHERE c.kind = 'count' AND c.applied_at IS NULL "
                      "AND c.counted_at < ? AND NOT EXISTS (SELECT 1 FROM stock_count n WHERE n.kind = 'count' "
                      "AND n.location = c.location AND n.counted_at < ? AND (n.counted_at > c.counted_at "
                      "OR (n.counted_at = c.counted_at AND n.id > c.id))) ORDER BY c.location",
                      (cx.end, cx.end))
    known = {r[0] for r in db.execute("SELECT code FROM sku")}
    for count in counts:
        book = book_at(db, [count["location"]], count["counted_at"])
        counted = defaultdict(float)
        for line in db.query("SELECT sku, location, counted FROM count_line WHERE count_id = ?", (count["id"],)):
            if line["sku"] in known:
                counted[(line["sku"], line["location"])] += line["counted"]
        keys = counted.keys() | ({k for k in book if k[1] == count["location"]} if count["scope"] == "full" else set())
        off = [k for k in keys if abs(counted.get(k, 0.0) - book.get(k, (0.0, 0))[0]) > limit + EPS]
        if off:
            text = message("stock.count", count=count["id"], location=count["location"], file=str(count["file_name"]),
                           at=_local(count["counted_at"]), skus=len(off))
            out.append((text, f"stock:count:{count['id']}"))
    return out


_T3_ORDERS_SQL = """
SELECT p.id, p.number, p.sku, p.quantity, min(s.promised_ship_by) AS ship_by, count(DISTINCT l.id) AS lines,
       group_concat(DISTINCT s.channel || ' ' || s.external_id) AS served
FROM production_order p
JOIN production_peg g ON g.production_id = p.id
JOIN order_line l ON l.id = g.order_line_id
JOIN sales_order s ON s.id = l.order_id
WHERE p.status IN ('planned', 'released', 'started') AND l.fulfilment = 'open'
  AND s.promised_ship_by IS NOT NULL AND s.promised_ship_by <= ?
GROUP BY p.id
ORDER BY ship_by, p.number
"""


def _t3_findings(cx: _Context) -> list[Finding]:
    db = cx.db
    window = (cx.day + timedelta(days=cx.t_minus)).isoformat()
    standard = message("t3.std", days=cx.t_minus)
    found = []
    orders = db.query(_T3_ORDERS_SQL, (window,))
    unfinished = defaultdict(list)
    if orders:
        ids = [o["id"] for o in orders]
        for start in range(0, len(ids), 500):
            part = ids[start:start + 500]
            for op in db.query(f"SELECT production_id, seq, work_center, qty_done FROM operation WHERE status != "
                               f"'done' AND production_id IN ({', '.join('?' * len(part))}) ORDER BY seq", part):
                unfinished[op["production_id"]].append(op)
    for o in orders:
        ops = unfinished.get(o["id"])
        if not ops:
            continue
        first = ops[0]
        text = message("t3.order", order=o["number"], qty=o["quantity"], sku=o["sku"], ops=len(ops), seq=first["seq"],
                       center=first["work_center"], done=first["qty_done"], served=o["served"], ship_by=o["ship_by"])
        found.append(Finding("t3", f"t3:{o['number']}", standard, text, work_center=first["work_center"],
                             forced=True))
    found.extend(_t3_uncovered_lines(cx, window, standard))
    return found


def _t3_uncovered_lines(cx: _Context, window: str, standard: dict) -> list[Finding]:
    """Open lines shipping within the window that neither stock (allocated by ship-by date)
    nor an open production order covers."""
    from omnictl.inventory import open_demand

    db = cx.db
    pegged = defaultdict(float)
    for r in db.execute("SELECT g.order_line_id, sum(g.quantity) FROM production_peg g JOIN production_order p "
                        "ON p.id = g.production_id WHERE p.status IN ('planned', 'released', 'started') "
                        "AND g.order_line_id IS NOT NULL GROUP BY 1"):
        pegged[r[0]] = r[1]
    stock = defaultdict(float)
    for sku, location, qty in db.execute("SELECT sku, location, on_hand FROM stock_balance"):
        stock[(sku, location)] = max(qty, 0.0)
    short: dict[int, list] = {}
    demand = sorted(open_demand(db), key=lambda r: (r["ship_by"] or "9999", r["line_id"], r["sku"]))
    for r in demand:
        key = (r["sku"], r["location"])
        need = r["quantity"] - pegged.get(r["line_id"], 0.0) * r["factor"]
        if need <= EPS:
            continue
        taken = min(need, stock[key])
        stock[key] -= taken
        if need - taken > EPS and r["ship_by"] and r["ship_by"] <= window:
            short.setdefault(r["line_id"], []).append((r["sku"], r["location"], need - taken))
    if not short:
        return []
    found = []
    ids = sorted(short)
    lines = {}
    for start in range(0, len(ids), 500):
        part = ids[start:start + 500]
        for r in db.query(f"SELECT l.id, l.line_key, l.quantity, s.channel, s.external_id, s.promised_ship_by "
                          f"FROM order_line l JOIN sales_order s ON s.id = l.order_id "
                          f"WHERE l.id IN ({', '.join('?' * len(part))})", part):
            lines[r["id"]] = r
    for line_id in sorted(ids, key=lambda i: (lines[i]["promised_ship_by"], lines[i]["channel"],
                                              lines[i]["external_id"], i)):
        line = lines[line_id]
        missing = [message("t3.missing", qty=q, sku=sku, location=loc) for sku, loc, q in short[line_id]]
        text = message("t3.line", channel=line["channel"], external=line["external_id"], line=line["line_key"],
                       ship_by=line["promised_ship_by"], missing=missing)
        found.append(Finding("t3", f"t3:line:{line_id}", standard, text, forced=True))
    return found


# -- the register -------------------------------------------------------------------------------

class _Register:
    """Findings into exceptions: open new ones, refresh known ones, clear the ones gone."""

    def __init__(self, cx: _Context):
        self.cx = cx
        self.opened = self.cleared = self.escalated = 0

    def record(self, finding: Finding) -> int:
        cx, db = self.cx, self.cx.db
        messages = tuple(json.dumps(m, ensure_ascii=False) for m in (finding.standard_msg, finding.finding_msg))
        row = db.one("SELECT * FROM exception WHERE subject = ?", (finding.subject,))
        if row is None:
            now = clock.utc_now_iso()
            new_id = db.execute(
                "INSERT INTO exception (check_name, subject, work_center, standard, finding, deadline, level, owner, "
                "forced, opened_on, opened_at, last_seen_on, standard_msg, finding_msg) "
                "VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?)",
                (finding.check, finding.subject, finding.work_center, finding.standard, finding.finding,
                 cx.deadline, cx.owner(finding.check, finding.work_center), int(finding.forced), cx.d, now,
                 cx.d, *messages)).lastrowid
            record_event(db, new_id, "opened", cx.actor, None,
                         {"standard": finding.standard, "finding": finding.finding, "deadline": cx.deadline},
                         f"close of {cx.d}")
            self.opened += 1
            return new_id
        if row["last_seen_on"] < cx.d:
            db.execute("UPDATE exception SET last_seen_on = ? WHERE id = ?", (cx.d, row["id"]))
        if (row["standard_msg"], row["finding_msg"]) != messages:
            db.execute("UPDATE exception SET standard_msg = ?, finding_msg = ? WHERE id = ?", (*messages, row["id"]))
        texts = {"standard": finding.standard, "finding": finding.finding}
        if any(row[k] != v for k, v in texts.items()):
            change(db, row, "updated", cx.actor, {k: v for k, v in texts.items() if row[k] != v},
                   f"close of {cx.d}")
            row = db.one("SELECT * FROM exception WHERE id = ?", (row["id"],))
        if row["status"] == "cleared" or (row["status"] == "redated" and self._window_reached(row)):
            change(db, row, "reopened", cx.actor, {"status": "open", "deadline": cx.deadline},
                   f"found again by the close of {cx.d}")
            self.opened += 1
        return row["id"]

    def _window_reached(self, row) -> bool:
        new_date = row["new_date"]
        return bool(new_date) and date.fromisoformat(new_date) - timedelta(days=self.cx.t_minus) <= self.cx.day

    def clear_missing(self, check: str, subjects: set[str]) -> None:
        """A deviation this check no longer finds is cleared; a forced one stays for a person."""
        cx = self.cx
        for row in cx.db.query("SELECT * FROM exception WHERE check_name = ? AND forced = 0 AND status IN "
                               f"({', '.join('?' * len(OPEN))}) AND last_seen_on <= ?", (check, *OPEN, cx.d)):
            if row["subject"] not in subjects:
                change(cx.db, row, "cleared", cx.actor, {"status": "cleared"},
                       f"no longer found by the close of {cx.d}")
                self.cleared += 1

    def escalate(self) -> list[dict]:
        cx, roles, details = self.cx, self.cx.roles, []
        for row in cx.db.query("SELECT * FROM exception WHERE status IN (?, ?) AND deadline <= ? AND "
                               "(escalated_on IS NULL OR escalated_on < ?) ORDER BY id", (*OPEN, cx.d, cx.d)):
            level = min(row["level"] + 1, len(roles) - 1)
            change(cx.db, row, "escalated", cx.actor,
                   {"level": level, "deadline": cx.deadline, "escalated_on": cx.d},
                   f"past its deadline {row['deadline']} at the close of {cx.d}")
            details.append(message("escalation.top" if level == row["level"] else "escalation.line", id=row["id"],
                                   subject=row["subject"], deadline=row["deadline"], level=level, role=roles[level],
                                   owner=row["owner"], new_deadline=cx.deadline))
            self.escalated += 1
        return details


def _t3_status(cx: _Context, found_ids: list[int]) -> tuple[str, list[dict]]:
    pending = cx.db.query("SELECT id, subject, owner, status, action, deadline FROM exception WHERE forced = 1 "
                          f"AND status IN ({', '.join('?' * len(OPEN))}) ORDER BY id", OPEN)
    details = [message("t3.acted", **r) if r["action"] else message("t3.no_action", **r, actions=list(WORK_ACTIONS))
               for r in map(dict, pending)]
    closed = len(found_ids) - sum(1 for r in pending if r["id"] in set(found_ids))
    if found_ids:
        details.insert(0, message("t3.summary", found=len(found_ids), days=cx.t_minus, day=cx.d, closed=closed))
    return ("fail" if pending else "ok"), details


# -- the close ------------------------------------------------------------------------------------

_RUNNERS: dict[str, Callable[[_Context], tuple[str, list[str], list[Finding]]]] = {
    "channels": _channels, "production": _production, "consumption": _consumption, "stock": _stock,
}


def run_close(db: Database, day: str | date | None = None, *, actor: str = "unknown",
              progress: Callable[[int], None] | None = None) -> CloseReport:
    """Run the checks for D (default yesterday), record exceptions, store D's result; one transaction."""
    day = parse_day(day)
    with db.write():
        cx = _Context(db, day, actor)
        register = _Register(cx)
        checks: list[CloseCheck] = []
        seen: set[int] = set()
        for name in CHECKS:
            if name in _RUNNERS:
                status, details, found = _RUNNERS[name](cx)
                ids = [register.record(f) for f in found]
                register.clear_missing(name, {f.subject for f in found})
            elif name == "t3":
                ids = [register.record(f) for f in _t3_findings(cx)]
                status, details = _t3_status(cx, ids)
            else:
                details = register.escalate()
                status, ids = ("warn" if details else "ok"), []
            seen.update(ids)
            checks.append(CloseCheck(name=name, status=status, owner=cx.owner(name), details=list(map(render, details)),
                                     messages=details, exceptions=sorted(set(ids))))
            if progress:
                progress(len(checks))
        report = CloseReport(
            date=cx.d, status=max((c.status for c in checks), key=STATUSES.index), checks=checks,
            exceptions=[], kpis=_kpis(db, day), ran_at=clock.utc_now_iso(), actor=actor,
            company=db.setting("company.name"), opened=register.opened, cleared=register.cleared,
            escalated=register.escalated)
        open_ids = [r[0] for r in db.execute(f"SELECT id FROM exception WHERE status IN "
                                             f"({', '.join('?' * len(OPEN))}) OR last_seen_on = ?", (*OPEN, cx.d))]
        report.exceptions = list(list_exceptions(db, ids=sorted(seen | set(open_ids))))
        report.replaced = _store(db, report)
    return report


KPI_FIELDS = {"label", "value", "target", "unit", "status", "notes"}
OEE_FIELDS = {"work_center", "oee_pct", "availability_pct", "performance_pct", "quality_pct", "status",
              "downtime_min", "downtime_by_reason"}
TREND_DAYS = 30


def _kpis(db: Database, day: date) -> dict:
    """The day's KPIs (each with value, target, unit, status and notes), OEE per work center,
    and the trend of the 30 days ending D (omnictl.kpi's definitions)."""
    from omnictl.kpi import kpi_report, kpi_trend

    report = kpi_report(db, day, day)
    kpis: dict = {f.name: f.model_dump(mode="json", include=KPI_FIELDS) for f in report.kpis}
    kpis["oee_by_work_center"] = [line.model_dump(mode="json", include=OEE_FIELDS)
                                  for line in report.oee_by_work_center]
    kpis["trend"] = [d.model_dump(mode="json") for d in kpi_trend(db, day, TREND_DAYS)]
    return kpis


def _store(db: Database, report: CloseReport) -> bool:
    replaced = db.scalar("SELECT 1 FROM close_run WHERE close_date = ?", (report.date,)) is not None
    db.execute("DELETE FROM close_check WHERE close_date = ?", (report.date,))
    db.execute("DELETE FROM close_run WHERE close_date = ?", (report.date,))
    report.replaced = replaced
    db.execute("INSERT INTO close_run (close_date, status, ran_at, actor, result) VALUES (?, ?, ?, ?, ?)",
               (report.date, report.status, report.ran_at, report.actor, report.model_dump_json()))
    db.conn.executemany("INSERT INTO close_check (close_date, seq, name, status, owner, details) VALUES "
                        "(?, ?, ?, ?, ?, ?)",
                        [(report.date, seq, c.name, c.status, c.owner, json.dumps(c.details, ensure_ascii=False))
                         for seq, c in enumerate(report.checks)])
    return replaced


def show_close(db: Database, day: str | None = None) -> CloseReport:
    """The stored close of D (default: the latest close run)."""
    if day is None:
        row = db.one("SELECT result FROM close_run ORDER BY close_date DESC LIMIT 1")
        if row is None:
            raise NotFound("no close has been run yet; `omnictl close run` runs one")
    else:
        try:
            key = date.fromisoformat(day.strip()).isoformat()
        except ValueError:
            raise UsageError(f"'{day}' is not a date (YYYY-MM-DD)") from None
        row = db.one("SELECT result FROM close_run WHERE close_date = ?", (key,))
        if row is None:
            raise NotFound(f"no close stored for {key}; `omnictl close run --date {key}` runs it")
    return CloseReport.model_validate_json(row["result"])


class CloseBrief(BaseModel):
    """The latest stored close without its details and exceptions (a company's runs to megabytes)."""
    date: str
    status: str
    ran_at: str
    actor: str
    checks: dict[str, str]             # check → status
    kpis: dict = {}


def latest_close_brief(db: Database) -> CloseBrief | None:
    """The latest close's status, checks and KPIs, read out of its stored report by SQLite."""
    row = db.one("SELECT close_date, json_extract(result, '$.status', '$.ran_at', '$.actor', '$.kpis') AS head "
                 "FROM close_run ORDER BY close_date DESC LIMIT 1")
    if row is None:
        return None
    status, ran_at, actor, kpis = json.loads(row["head"])
    checks = {name: check_status for name, check_status in db.execute(
        "SELECT json_extract(c.value, '$.name'), json_extract(c.value, '$.status') "
        "FROM close_run r, json_each(r.result, '$.checks') c WHERE r.close_date = ? ORDER BY c.key",
        (row["close_date"],))}
    return CloseBrief(date=row["close_date"], status=status, ran_at=ran_at, actor=actor, checks=checks,
                      kpis=kpis or {})


def close_exit_code(report: CloseReport, fail_on: str = "fail") -> int:
    """0 when nothing fails (nothing warns, under fail_on='warn'), else 1."""
    if fail_on not in ("warn", "fail"):
        raise UsageError(f"--fail-on '{fail_on}' is not one of warn, fail")
    worst = STATUSES.index(report.status)
    return 1 if worst >= STATUSES.index(fail_on) else 0


SUMMARY_DETAILS = 20          # details per check a webhook carries; the report has them all


def summary(report: CloseReport) -> dict:
    """The close in brief, as a webhook posts it: the fields of `close run --json`, with each
    check's first details and only the open exceptions."""
    return {"date": report.date, "status": report.status, "company": report.company,
            "checks": [{"name": c.name, "status": c.status, "owner": c.owner,
                        "details": c.details[:SUMMARY_DETAILS]} for c in report.checks],
            "exceptions": [e.model_dump(mode="json", include={"id", "check", "subject", "status", "owner", "deadline",
                                                               "level", "level_role", "standard", "finding"})
                           for e in report.exceptions if e.is_open],
            "kpis": report.kpis}


def close_and_notify(db: Database, day: str | date | None = None, *, actor: str = "unknown",
                     urls: list[str] | tuple[str, ...] = (), lang: str = "en",
                     progress: Callable[[int], None] | None = None) -> tuple[CloseReport, list]:
    """Run the close, then post its summary to each webhook URL (checked before the close
    runs). A failed delivery is in its `Delivery`, never raised: it does not change the close."""
    from omnictl import notify

    urls = list(urls)
    if urls:
        notify.check_urls(urls)
    report = run_close(db, day, actor=actor, progress=progress)
    deliveries = notify.deliver(urls, summary(report), lang=lang) if urls else []
    return report, deliveries

