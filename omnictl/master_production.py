"""Production master data: calendars, work centers, routings and BOMs (`omnictl master import`).

The kinds register into `omnictl.master` (KINDS, _WRITERS, _PREPARE); the batch, rejects,
--dry-run and --strict are master.py's. What is particular to them:

- Rows are checked against each other as well as against the database. A routing (one
  SKU's steps), a BOM (one parent's lines) and a calendar are taken whole or not at all:
  when one of their rows is rejected, their other rows are rejected too, naming that row,
  so a half routing never replaces a whole one.
- The file is the truth for what it names: a SKU's routing replaces its stored steps, a
  parent's BOM replaces its stored lines; a calendar's shifts, its holidays (exceptions of
  the whole calendar) and each work center's downtime (exceptions naming it) replace the
  stored ones when the file has rows of them. Counts are of steps, BOM lines, shifts (one per weekday) and
  exceptions: created, updated, removed.
- A BOM cycle (A → B → A, longer ones, A → A) is a file-level error: nothing is written.
"""

from __future__ import annotations

import re
from datetime import date

from omnictl.db import Database
from omnictl.errors import InputFileError
from omnictl.master import KINDS, _PREPARE, _WRITERS, Col, bind_columns, _code, _non_negative, _number, _upsert
from omnictl.models import MasterImportResult, RejectInfo
from omnictl.tabular import Table

# -- values ---------------------------------------------------------------------------------

_DAY_WORDS = {"mon": 0, "monday": 0, "tue": 1, "tues": 1, "tuesday": 1, "wed": 2, "wednesday": 2,
              "thu": 3, "thur": 3, "thurs": 3, "thursday": 3, "fri": 4, "friday": 4, "sat": 5,
              "saturday": 5, "sun": 6, "sunday": 6}
_DAY_CHINESE = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_RANGE = re.compile(r"\s*[-–—~～至到]\s*")
_LIST = re.compile(r"[,;/、，；\s]+")
_CLOCK = re.compile(r"(\d{1,2})[:：](\d{2})(?:[:：](\d{2}))?")
_MOMENT = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[T ](\d{1,2})[:：](\d{2})(?:[:：](\d{2}))?)?")
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _one_day(word: str) -> int:
    key = word.strip().casefold().rstrip(".")
    if key in _DAY_WORDS:
        return _DAY_WORDS[key]
    if key.isdigit() and 1 <= int(key) <= 7:
        return int(key) - 1
    for prefix in ("星期", "礼拜", "周"):
        if key.startswith(prefix) and key[len(prefix):] in _DAY_CHINESE:
            return _DAY_CHINESE[key[len(prefix):]]
    raise ValueError


def _weekdays(text: str) -> tuple[int, ...]:
    """`Mon`, `1` (Monday = 1 … 7), `周一`, `Mon-Fri`, `Sat-Sun`, `Mon,Wed` → weekdays 0 = Monday … 6."""
    days: list[int] = []
    try:
        for part in _LIST.split(_RANGE.sub("-", text.strip())):
            if not part:
                continue
            first, _, last = part.partition("-")
            start = _one_day(first)
            end = _one_day(last) if last else start
            days += [(start + i) % 7 for i in range((end - start) % 7 + 1)]
    except ValueError:
        raise ValueError(f"'{text}' is not a weekday (Mon … Sun, 1 … 7 with Monday = 1, 周一 … 周日) "
                         "or a range of them such as Mon-Fri") from None
    return tuple(sorted(set(days)))


def _clock(text: str, *, end: bool = False) -> str:
    """`8:00`, `08:00`, `08:00:00` → `08:00`; an end may be `24:00` (stored as `00:00`: midnight)."""
    match = _CLOCK.fullmatch(text.strip())
    hour, minute, second = (int(g or 0) for g in match.groups()) if match else (99, 0, 0)
    if not (hour < 24 or (end and hour == 24 and minute == 0)) or minute > 59 or second:
        raise ValueError(f"'{text}' is not a time of day HH:MM")
    return f"{hour % 24:02d}:{minute:02d}"


def _moment(text: str) -> str:
    """A local date (`2026-12-04`, `2026/12/4`) or date-time (`2026-12-04 10:00`) → ISO text."""
    match = _MOMENT.fullmatch(text.strip())
    try:
        if not match:
            raise ValueError
        year, month, day, hour, minute, second = (int(g) if g else None for g in match.groups())
        value = date(year, month, day).isoformat()
        if hour is None:
            return value
        if hour > 23 or minute > 59 or second:
            raise ValueError
        return f"{value}T{hour:02d}:{minute:02d}"
    except ValueError:
        raise ValueError(f"'{text}' is not a date YYYY-MM-DD or a date-time YYYY-MM-DD HH:MM") from None


def _row_kind(text: str) -> str:
    key = text.strip().casefold()
    for kind, words in (("shift", ("shift", "班次", "班")), ("holiday", ("holiday", "day off", "closed", "假日",
                                                                        "节假日", "休息日", "放假")),
                        ("downtime", ("downtime", "maintenance", "停机", "计划停机", "保养", "维修"))):
        if key in words:
            return kind
    raise ValueError(f"'{text}' is not one of shift, holiday, downtime")


def _units(text: str) -> int:
    value = _number(text)
    if value != int(value) or value < 1:
        raise ValueError(f"'{text}' is not a whole number of 1 or more")
    return int(value)


def _positive(text: str) -> float:
    value = _number(text)
    if value <= 0:
        raise ValueError(f"'{text}' is not more than 0")
    return value


def _seq(text: str) -> int:
    value = _number(text)
    if value != int(value) or value < 1:
        raise ValueError(f"'{text}' is not a step number (a whole number of 1 or more)")
    return int(value)


def _scrap(text: str) -> float:
    """Scrap in percent: `2%` and `2` are both 2 %."""
    value = _number(text.strip().rstrip("%").strip())
    if not 0 <= value < 100:
        raise ValueError(f"'{text}' is not a scrap percentage from 0 to under 100")
    return value


def _codes(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(c for c in _LIST.split(text.strip()) if c))


# -- the kinds ------------------------------------------------------------------------------

PRODUCTION_KINDS: dict[str, list[Col]] = {
    "calendars": [
        Col("calendar", ("calendar code", "日历", "日历代码", "工作日历"), _code, True),
        Col("name", ("calendar name", "名称", "日历名称"), str),
        Col("kind", ("type", "row kind", "类型"), _row_kind, default="shift"),
        Col("weekday", ("weekdays", "day of week", "days", "星期", "工作日"), _weekdays),
        Col("starts", ("start", "from", "开始", "开始时间", "上班"), str),
        Col("ends", ("end", "to", "until", "结束", "结束时间", "下班"), str),
        Col("date", ("day", "日期"), str),
        Col("work_center", ("work center code", "wc", "resource", "machine", "工作中心", "设备"), _code),
        Col("reason", ("note", "description", "原因", "备注", "说明"), str),
    ],
    "work-centers": [
        Col("work_center", ("code", "work center code", "wc", "resource", "工作中心", "工作中心代码"), _code, True),
        Col("name", ("work center name", "description", "名称", "工作中心名称"), str, True),
        Col("units", ("parallel units", "machines", "stations", "capacity units", "台数", "设备数", "机台数"),
            _units, default=1),
        Col("calendar", ("calendar code", "日历", "工作日历", "班次"), _code, True),
        Col("ideal_rate", ("ideal rate", "rate", "units per hour", "rate per hour", "理论产能", "标准产能"),
            _positive),
        Col("location", ("site", "warehouse", "location code", "仓库", "地点"), _code),
    ],
    "routings": [
        Col("sku", ("item", "product", "sku code", "item code", "物料", "物料编码", "商家编码", "货号"), str, True),
        Col("seq", ("step", "sequence", "operation no", "op no", "op", "工序号", "序号"), _seq, True),
        Col("work_center", ("work center code", "wc", "resource", "工作中心"), str, True),
        Col("name", ("operation", "operation name", "description", "工序", "工序名称"), str),
        Col("setup_min", ("setup", "setup minutes", "setup time", "准备时间", "换型时间"), _non_negative, default=0),
        Col("run_min", ("run", "run minutes", "run time", "minutes per unit", "run min per unit", "单件工时",
                        "加工时间"), _non_negative, True),
        Col("alternatives", ("alternative", "alternative work centers", "alternates", "alt", "替代工作中心",
                             "备选工作中心"), _codes, default=()),
    ],
    "boms": [
        Col("parent", ("parent sku", "assembly", "product", "父项", "父件", "成品", "产品"), str, True),
        Col("component", ("component sku", "child", "material", "part", "子项", "子件", "物料", "组件"), str, True),
        Col("quantity", ("qty", "quantity per", "per unit", "qty per", "usage", "用量", "单位用量", "数量"),
            _positive, True),
        Col("scrap_pct", ("scrap", "scrap %", "scrap percent", "scrap rate", "loss", "损耗率", "损耗"), _scrap,
            default=0),
    ],
}


# -- checking rows against the database and each other --------------------------------------

class _Context:
    """What the checks of one file share: header names, stored codes, the rejects so far."""

    def __init__(self, db: Database, kind: str, table: Table, result: MasterImportResult):
        self.db, self.kind, self.table, self.result = db, kind, table, result
        self.bound = bind_columns(kind, table)
        self._codes: dict[str, set[str]] = {}

    def column(self, name: str) -> str:
        ix = self.bound.get(name)
        return self.table.raw_header[ix].strip() if ix is not None else name

    def codes(self, table: str) -> set[str]:
        if table not in self._codes:
            self._codes[table] = {row[0] for row in self.db.conn.execute(f"SELECT code FROM {table}")}
        return self._codes[table]

    def fault(self, row_no: int, name: str, message: str) -> ValueError:
        return _Fault(f"row {row_no}, column '{self.column(name)}': {message}", name)

    def text(self, values: list[str], name: str) -> str:
        ix = self.bound.get(name)
        return values[ix].strip() if ix is not None and ix < len(values) else ""

    def reject(self, row_no: int, values: list[str], reason: str, field: str | None = None) -> None:
        self.result.rejects.append(RejectInfo(row=row_no, field=field, reason=reason,
                                              raw=self.table.raw_text(values)))


class _Fault(ValueError):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def _prepare(kind: str, check, group_of: str | None = None, group_name: str = ""):
    """A _PREPARE hook: check each parsed row (`check` raises _Fault: a reject), then reject
    every other row of a group (a routing, a BOM, a calendar) that has a rejected row."""

    def prepare(db: Database, table: Table, records: list, failed: list, result: MasterImportResult) -> list:
        ctx = _Context(db, kind, table, result)
        bad: dict[str, int] = {}
        for row_no, values in failed if group_of else ():   # rows whose values did not parse
            key = ctx.text(values, group_of)
            if key and key not in bad:
                bad[key] = row_no
        checked = []
        seen: dict = {}
        for row_no, values, record in records:
            try:
                check(ctx, record, row_no, seen)
                checked.append((row_no, values, record))
            except _Fault as fault:
                ctx.reject(row_no, values, str(fault), fault.field)
                if group_of:
                    bad.setdefault(record[group_of], row_no)
        kept = []
        for row_no, values, record in checked:
            key = record[group_of] if group_of else None
            if key in bad:
                ctx.reject(row_no, values, f"row {row_no}: not imported because row {bad[key]} of the same "
                           f"{group_name} ({key}) was rejected; a {group_name} is taken whole or not at all")
            else:
                kept.append((row_no, values, record))
        result.rejects.sort(key=lambda r: r.row)
        return kept

    return prepare


def _check_calendar(ctx: _Context, r: dict, row_no: int, seen: dict) -> None:
    def given(*names):
        for name in names:
            if r[name] not in (None, "", ()):
                raise ctx.fault(row_no, name, f"is not used on a {r['kind']} row; leave it empty")

    def need(name):
        if not r[name]:
            raise ctx.fault(row_no, name, f"is empty; a {r['kind']} row needs it")

    def moment(name):
        try:
            return _moment(r[name])
        except ValueError as err:
            raise ctx.fault(row_no, name, str(err)) from None

    if r["kind"] == "shift":
        given("date", "work_center")
        for name in ("weekday", "starts", "ends"):
            need(name)
        try:
            starts = _clock(r["starts"])
        except ValueError as err:
            raise ctx.fault(row_no, "starts", str(err)) from None
        try:
            ends = _clock(r["ends"], end=True)
        except ValueError as err:
            raise ctx.fault(row_no, "ends", str(err)) from None
        if starts == ends and r["ends"].strip() not in ("24:00", "24:00:00"):
            raise ctx.fault(row_no, "ends", f"the shift starts and ends at {starts}; write a 24-hour shift "
                                            "as 00:00 to 24:00")
        r["shifts"] = [(day, starts, ends) for day in r["weekday"]]
        for day, begin, finish in r["shifts"]:           # overlapping shifts of one calendar
            a = day * 1440 + _minutes(begin)
            b = day * 1440 + _minutes(finish) + (1440 if finish <= begin else 0)
            for (other_a, other_b), (other_row, text) in seen.get(("shift", r["calendar"]), {}).items():
                if any(a + shift < other_b and other_a < b + shift for shift in (-10080, 0, 10080)):
                    raise ctx.fault(row_no, "starts", f"{DAY_NAMES[day]} {begin}–{finish} overlaps the "
                                                      f"shift {text} on row {other_row}")
        for day, begin, finish in r["shifts"]:
            a = day * 1440 + _minutes(begin)
            b = day * 1440 + _minutes(finish) + (1440 if finish <= begin else 0)
            seen.setdefault(("shift", r["calendar"]), {})[(a, b)] = (row_no, f"{DAY_NAMES[day]} {begin}–{finish}")
        return
    given("weekday")
    if r["kind"] == "holiday":
        if r["work_center"]:
            raise ctx.fault(row_no, "work_center", "a holiday closes the whole calendar; planned downtime of "
                                                   "one work center is kind downtime")
        if r["date"] and (r["starts"] or r["ends"]):
            raise ctx.fault(row_no, "date", "give either date or starts (and ends), not both")
        if not (r["date"] or r["starts"]):
            raise ctx.fault(row_no, "date", "is empty; a holiday needs date (or starts and ends)")
        starts = moment("date" if r["date"] else "starts")
        if len(starts) > 10 and not r["ends"]:
            raise ctx.fault(row_no, "ends", "is empty; a holiday that starts at a time needs ends")
        ends = moment("ends") if r["ends"] else starts
    else:
        given("date")
        for name in ("work_center", "starts", "ends"):
            need(name)
        starts, ends = moment("starts"), moment("ends")
        found = ctx.db.one("SELECT calendar FROM work_center WHERE code = ?", (r["work_center"],))
        if found is None:
            raise ctx.fault(row_no, "work_center", f"no work center '{r['work_center']}' "
                                                   "(`omnictl master import work-centers FILE` adds it)")
        if found["calendar"] != r["calendar"]:
            raise ctx.fault(row_no, "calendar", f"work center '{r['work_center']}' works to calendar "
                                                f"'{found['calendar']}', not '{r['calendar']}'")
    if len(starts) != len(ends):
        raise ctx.fault(row_no, "ends", "give starts and ends both as dates or both as date-times")
    if ends < starts or (ends == starts and len(ends) > 10):
        raise ctx.fault(row_no, "ends", f"{ends} is {'before' if ends < starts else 'not after'} {starts}")
    key = (r["calendar"], r["work_center"] or None, starts, ends)
    if key in seen:
        raise ctx.fault(row_no, "starts", f"{starts} to {ends} is already given on row {seen[key]}")
    seen[key] = row_no
    r["exception"] = (r["work_center"] or None, starts, ends, r["reason"])


def _minutes(clock_text: str) -> int:
    return int(clock_text[:2]) * 60 + int(clock_text[3:])


def _check_work_center(ctx: _Context, r: dict, row_no: int, seen: dict) -> None:
    if r["calendar"] not in ctx.codes("calendar"):
        raise ctx.fault(row_no, "calendar", f"no calendar '{r['calendar']}' "
                                            "(`omnictl master import calendars FILE` adds it)")
    if r["location"] and r["location"] not in ctx.codes("location"):
        raise ctx.fault(row_no, "location", f"no location '{r['location']}'")
    if r["work_center"] in seen:
        raise ctx.fault(row_no, "work_center", f"'{r['work_center']}' is already given on row {seen[r['work_center']]}")
    seen[r["work_center"]] = row_no


def _check_routing(ctx: _Context, r: dict, row_no: int, seen: dict) -> None:
    if r["sku"] not in ctx.codes("sku"):
        raise ctx.fault(row_no, "sku", f"no master SKU '{r['sku']}'")
    centers = ctx.codes("work_center")
    if r["work_center"] not in centers:
        raise ctx.fault(row_no, "work_center", f"no work center '{r['work_center']}' "
                                               "(`omnictl master import work-centers FILE` adds it)")
    for code in r["alternatives"]:
        if code not in centers:
            raise ctx.fault(row_no, "alternatives", f"no work center '{code}'")
    r["alternatives"] = tuple(c for c in r["alternatives"] if c != r["work_center"])
    key = (r["sku"], r["seq"])
    if key in seen:
        raise ctx.fault(row_no, "seq", f"step {r['seq']} of {r['sku']} is already given on row {seen[key]}")
    seen[key] = row_no


def _check_bom(ctx: _Context, r: dict, row_no: int, seen: dict) -> None:
    skus = ctx.codes("sku")
    for name in ("parent", "component"):
        if r[name] not in skus:
            raise ctx.fault(row_no, name, f"no master SKU '{r[name]}'")
    key = (r["parent"], r["component"])
    if key in seen:
        raise ctx.fault(row_no, "component", f"{r['component']} in {r['parent']} is already given on "
                                             f"row {seen[key]}")
    seen[key] = row_no
    r["row"] = row_no


def _prepare_boms(db: Database, table: Table, records: list, failed: list, result: MasterImportResult) -> list:
    kept = _prepare_bom_rows(db, table, records, failed, result)
    cycle = _find_cycle(db, [r for _, _, r in kept])
    if cycle:
        path = " → ".join([edge[0] for edge in cycle] + [cycle[0][0]])
        rows = [f"row {row}" if row else f"the stored line {a} → {b}" for a, b, row in cycle]
        raise InputFileError(f"{table.path}: BOM cycle {path} ({', '.join(rows)}): a SKU cannot contain "
                             "itself; nothing was written")
    return kept


def _find_cycle(db: Database, records: list[dict]) -> list[tuple[str, str, int | None]]:
    """The first cycle in the BOMs as they would be after writing `records`: the file's lines
    for the parents it names, the stored lines for every other parent. Edges (parent,
    component, row or None when stored); [] when there is none."""
    replaced = {r["parent"] for r in records}
    edges: dict[str, list[tuple[str, int | None]]] = {}
    for parent, component in db.conn.execute("SELECT parent, component FROM bom_line ORDER BY parent, component"):
        if parent not in replaced:
            edges.setdefault(parent, []).append((component, None))
    for r in records:
        edges.setdefault(r["parent"], []).append((r["component"], r["row"]))
    state: dict[str, int] = {}                       # 1: on the current path, 2: done
    for root in [r["parent"] for r in records]:
        if state.get(root):
            continue
        path: list[tuple[str, str, int | None]] = []
        stack = [(root, iter(edges.get(root, ())))]
        state[root] = 1
        while stack:
            node, children = stack[-1]
            for child, row in children:
                if state.get(child) == 1:
                    start = next(i for i, edge in enumerate(path + [(node, child, row)]) if edge[0] == child)
                    return (path + [(node, child, row)])[start:]
                if not state.get(child):
                    state[child] = 1
                    path.append((node, child, row))
                    stack.append((child, iter(edges.get(child, ()))))
                    break
            else:
                state[node] = 2
                stack.pop()
                if path:
                    path.pop()
    return []


# -- writing --------------------------------------------------------------------------------

def _replace(db: Database, result: MasterImportResult, table: str, where: dict, key: tuple[str, ...],
             rows: list[dict]) -> None:
    """Make `table`'s rows matching `where` exactly `rows`, counting by `key`: created,
    updated (same key, other values), removed."""
    condition = " AND ".join(f"{name} IS ?" for name in where)
    stored = {tuple(row[k] for k in key): dict(row)
              for row in db.query(f"SELECT * FROM {table} WHERE {condition}", tuple(where.values()))}
    fresh = {tuple(row[k] for k in key): {**where, **row} for row in rows}
    result.removed += sum(1 for k in stored if k not in fresh)
    for k, row in fresh.items():
        if k not in stored:
            result.created += 1
        elif any(stored[k].get(name) != value for name, value in row.items()):
            result.updated += 1
    if stored == fresh:
        return
    db.execute(f"DELETE FROM {table} WHERE {condition}", tuple(where.values()))
    if fresh:
        names = list(next(iter(fresh.values())))
        db.conn.executemany(f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
                            [tuple(row[n] for n in names) for row in fresh.values()])


def _write_calendars(db, records, result):
    names: dict[str, str | None] = {}
    shifts: dict[str, list[dict]] = {}
    exceptions: dict[tuple[str, str | None], list[dict]] = {}
    for r in records:
        if not names.get(r["calendar"]):
            names[r["calendar"]] = r["name"]
        if r["kind"] == "shift":
            shifts.setdefault(r["calendar"], []).extend(
                {"weekday": day, "starts": starts, "ends": ends} for day, starts, ends in r["shifts"])
        else:
            wc, starts, ends, reason = r["exception"]
            exceptions.setdefault((r["calendar"], wc), []).append({"starts": starts, "ends": ends, "reason": reason})
    for code, name in names.items():
        stored = db.one("SELECT name FROM calendar WHERE code = ?", (code,))
        if stored is None:
            db.execute("INSERT INTO calendar (code, name) VALUES (?, ?)", (code, name or code))
        elif name and name != stored["name"]:
            db.execute("UPDATE calendar SET name = ? WHERE code = ?", (name, code))
    for code, rows in shifts.items():
        _replace(db, result, "calendar_shift", {"calendar": code}, ("weekday", "starts"), rows)
    for (code, wc), rows in exceptions.items():
        _replace(db, result, "calendar_exception", {"calendar": code, "work_center": wc}, ("starts", "ends"), rows)


def _write_work_centers(db, records, result):
    for r in records:
        _upsert(db, "work_center", "code", {"code": r["work_center"], "name": r["name"], "units": r["units"],
                                            "calendar": r["calendar"], "ideal_rate": r["ideal_rate"],
                                            "location": r["location"]}, result)


def _write_routings(db, records, result):
    steps: dict[str, list[dict]] = {}
    for r in records:
        steps.setdefault(r["sku"], []).append({
            "seq": r["seq"], "work_center": r["work_center"], "name": r["name"], "setup_min": r["setup_min"],
            "run_min": r["run_min"], "alternatives": ",".join(r["alternatives"]) or None})
    for sku, rows in steps.items():
        _replace(db, result, "routing_step", {"sku": sku}, ("seq",), rows)


def _write_boms(db, records, result):
    lines: dict[str, list[dict]] = {}
    for r in records:
        lines.setdefault(r["parent"], []).append({"component": r["component"], "quantity": r["quantity"],
                                                  "scrap_pct": r["scrap_pct"]})
    for parent, rows in lines.items():
        _replace(db, result, "bom_line", {"parent": parent}, ("component",), rows)


_prepare_bom_rows = _prepare("boms", _check_bom, "parent", "BOM")

KINDS.update(PRODUCTION_KINDS)
_WRITERS.update({"calendars": _write_calendars, "work-centers": _write_work_centers,
                 "routings": _write_routings, "boms": _write_boms})
_PREPARE.update({"calendars": _prepare("calendars", _check_calendar, "calendar", "calendar"),
                 "work-centers": _prepare("work-centers", _check_work_center),
                 "routings": _prepare("routings", _check_routing, "sku", "routing"),
                 "boms": _prepare_boms})
