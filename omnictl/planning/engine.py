"""Finite-capacity scheduling engine: pure Python, no database.

The engine knows nothing about production orders or the database: the caller turns its data
into a `Problem` (resources, jobs, operations, times in whole minutes from the horizon start)
and gets back a `Schedule` (one `Placement` per operation, and `Metrics`).

Model
-----
- A `Resource` has `units` identical units (machines, workers of a work center) and a
  `calendar`: a sorted list of working intervals ``(start, end)`` in minutes, or ``None`` for
  always working. After the last listed interval the resource is treated as always working
  (the calendar is open-ended), so overloaded work still gets a finite date; the caller
  passes a calendar that covers the horizon and sees the spill-over as late work.
- An `Operation` belongs to a job and runs after the job's operations with a smaller `seq`
  (precedence). It needs ``setup + duration`` minutes of WORKING time on one unit of its
  resource or of one of its `alternatives` (a code, or ``(code, duration)`` when the duration
  differs there). It may not start before its `release` (material availability) nor before
  its job's release.
- Splitting: an operation may be interrupted by non-working time (a shift ends, it continues
  with the next shift); its unit stays occupied through the gap (the work stays on the
  machine), so `start`..`end` is one block on one unit. It always starts at a working minute.
  It is never interrupted by another operation.
- A `frozen` operation ``(start, end, unit)`` (already started or fixed by hand) is placed
  exactly there, on unit `unit` of its `resource`, and blocks that unit; nothing else may
  overlap it. Its job's later operations start after it ends. Earlier operations of its job
  that are not frozen are not forced before it (the shop floor has already decided).

Method
------
1. Load analysis: work needed per resource (alternatives share their work out in proportion
   to capacity) over working capacity in the horizon; the most loaded resource is the
   bottleneck.
2. Bottleneck first: the bottleneck is sequenced as a one-machine problem (Schrage's rule
   with heads = upstream work, tails = downstream work for makespan; latest bottleneck
   finish derived from the due date for tardiness); that sequence gives every operation of
   every job a planned start (drum-buffer-rope: upstream work is pulled to feed the
   bottleneck in its sequence, downstream work follows).
3. Construction: a non-delay, event-driven dispatcher (units, calendars, alternatives,
   release dates, frozen blocks) runs several priority rules -- bottleneck plan, most work
   remaining, most work remaining with bottleneck work weighted, shortest processing time
   with bottleneck weighting, earliest due date, minimum slack, apparent tardiness cost --
   and keeps the best by the objective.
4. Improvement: tabu search on the disjunctive graph (swaps of adjacent operations at the
   ends of critical blocks -- the N5 neighbourhood -- plus moving a critical operation to
   another unit or alternative resource) with Taillard's head/tail estimates, restarts from
   the best schedule with random perturbations, for makespan. For weighted tardiness a
   local search swaps operations on the critical paths of the most tardy jobs, evaluating
   every move exactly. Both stop at the time budget (`seconds`), at `max_iterations`, or when
   the schedule meets the lower bound. Everything random uses `random.Random(seed)`; with
   `max_iterations` and no time budget the result does not depend on machine speed.

`optimize()` improves a schedule with OR-Tools CP-SAT when `ortools` is installed.

Objectives: "makespan" (then weighted tardiness), "tardiness" (total weighted tardiness,
then makespan), "auto" = tardiness when any job has a due date. A job's effective weight is
``weight * 10 ** priority``: raising `priority` by one makes a job's lateness count ten times
as much (and dispatchers serve higher priorities first), which is how a rush order goes to the
top.
"""

from __future__ import annotations

import math
import os
import random
import time
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from heapq import heapify, heappop, heappush
from typing import Sequence, Union

__all__ = [
    "EngineError", "Resource", "Operation", "Job", "Problem", "Placement", "Metrics", "Schedule",
    "schedule", "optimize", "check_schedule", "resource_loads",
]

NEG = -(1 << 62)
INF = 1 << 62


class EngineError(ValueError):
    """The problem is malformed, or an optional capability is missing."""


# ----------------------------------------------------------------------------------------------
# Public data


@dataclass(frozen=True)
class Resource:
    code: str
    units: int = 1
    calendar: Sequence[tuple[int, int]] | None = None


Alternative = Union[str, tuple[str, int]]


@dataclass(frozen=True)
class Operation:
    id: str
    job: str
    seq: int
    resource: str
    duration: int
    setup: int = 0
    alternatives: Sequence[Alternative] = ()
    release: int = 0
    frozen: tuple[int, int, int] | None = None      # (start, end, unit on `resource`)


@dataclass(frozen=True)
class Job:
    id: str
    due: int | None = None
    weight: float = 1.0
    release: int = 0
    priority: int = 0


@dataclass
class Problem:
    resources: Sequence[Resource]
    jobs: Sequence[Job]
    operations: Sequence[Operation]
    horizon: int | None = None        # minutes; utilisation and load are measured over [0, horizon]


@dataclass(frozen=True)
class Placement:
    operation: str
    job: str
    resource: str
    unit: int
    start: int
    end: int


@dataclass
class Metrics:
    makespan: int
    late_jobs: list[str]
    total_weighted_tardiness: float
    tardiness: dict[str, int]                 # job -> minutes late (late jobs only)
    completion: dict[str, int]                # job -> end of its last operation
    utilisation: dict[str, float]             # busy / available working minutes in the horizon
    load: dict[str, float]                    # work needed / working capacity in the horizon
    bottlenecks: list[str]                    # the most loaded resource(s)
    horizon: int                              # the horizon the ratios use


@dataclass
class Schedule:
    placements: dict[str, Placement]
    metrics: Metrics
    objective: str
    method: str
    seconds: float
    lower_bound: int = 0
    iterations: int = 0
    notes: list[str] = field(default_factory=list)

    def start_of(self, operation: str) -> int:
        return self.placements[operation].start


# ----------------------------------------------------------------------------------------------
# Calendars


class _Calendar:
    """Working intervals with prefix sums: next working minute, working minutes, finish time."""

    __slots__ = ("starts", "ends", "cum", "cumend", "total", "last", "key")

    def __init__(self, intervals: Sequence[tuple[int, int]], code: str):
        merged: list[list[int]] = []
        previous = None
        for pair in intervals:
            s, e = int(pair[0]), int(pair[1])
            if previous is not None and s < previous:
                raise EngineError(f"calendar of {code} is not sorted")
            previous = s
            if e <= s:
                continue
            if merged and s <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], e)
            else:
                merged.append([s, e])
        if not merged:
            raise EngineError(f"resource {code} has no working time in its calendar")
        self.starts = [m[0] for m in merged]
        self.ends = [m[1] for m in merged]
        self.cum = []
        self.cumend = []
        c = 0
        for s, e in merged:
            self.cum.append(c)
            c += e - s
            self.cumend.append(c)
        self.total = c
        self.last = self.ends[-1]
        self.key = tuple(zip(self.starts, self.ends))

    def next_work(self, t: int) -> int:
        i = bisect_right(self.starts, t) - 1
        if i >= 0 and t < self.ends[i]:
            return t
        if i + 1 < len(self.starts):
            return self.starts[i + 1]
        return t                                   # open-ended after the last interval

    def cum_at(self, t: int) -> int:
        """Working minutes in [first interval start, t)."""
        i = bisect_right(self.starts, t) - 1
        if i < 0:
            return 0
        e = self.ends[i]
        if t < e:
            return self.cum[i] + t - self.starts[i]
        if i == len(self.starts) - 1:
            return self.total + t - e
        return self.cumend[i]

    def working(self, a: int, b: int) -> int:
        return self.cum_at(b) - self.cum_at(a) if b > a else 0

    def listed(self, a: int, b: int) -> int:
        """Working minutes in [a, b) inside the listed intervals only (capacity, busy time)."""
        if b <= a:
            return 0
        last = self.last
        return self.cum_at(min(b, last)) - self.cum_at(min(a, last))

    def at_cum(self, c: int) -> int:
        """The first instant by which `c` working minutes have been done (inverse of cum_at)."""
        if c <= 0:
            return self.starts[0]
        j = bisect_left(self.cumend, c)
        if j == len(self.cumend):
            return self.last + c - self.total
        return self.starts[j] + c - self.cum[j]

    def finish(self, t: int, work: int) -> tuple[int, int]:
        s = self.next_work(t)
        if work <= 0:
            return s, s
        target = self.cum_at(s) + work
        j = bisect_left(self.cumend, target)
        if j == len(self.cumend):
            return s, self.last + target - self.total
        return s, self.starts[j] + target - self.cum[j]


# ----------------------------------------------------------------------------------------------
# Compiled model


class _Model:
    """Arrays over operations 0..n-1 and machines (= resource units) 0..M-1."""

    def __init__(self, problem: Problem):
        self.problem = problem
        self.res_codes: list[str] = []
        self.res_index: dict[str, int] = {}
        self.units: list[int] = []
        self.cals: list[_Calendar | None] = []
        for res in problem.resources:
            if res.code in self.res_index:
                raise EngineError(f"resource {res.code} is listed twice")
            units = int(res.units)
            if units < 1:
                raise EngineError(f"resource {res.code} needs at least one unit")
            self.res_index[res.code] = len(self.res_codes)
            self.res_codes.append(res.code)
            self.units.append(units)
            self.cals.append(_Calendar(res.calendar, res.code) if res.calendar is not None else None)
        R = len(self.res_codes)
        self.mres: list[int] = []
        self.munit: list[int] = []
        self.res_machines: list[list[int]] = []
        for r in range(R):
            ms = []
            for u in range(self.units[r]):
                ms.append(len(self.mres))
                self.mres.append(r)
                self.munit.append(u)
            self.res_machines.append(ms)
        self.M = len(self.mres)
        self.mcal = [self.cals[r] for r in self.mres]

        self.job_ids: list[str] = []
        job_index: dict[str, int] = {}
        self.due: list[int | None] = []
        self.weight: list[float] = []
        self.prio: list[int] = []
        self.jrel: list[int] = []
        for job in problem.jobs:
            if job.id in job_index:
                raise EngineError(f"job {job.id} is listed twice")
            job_index[job.id] = len(self.job_ids)
            self.job_ids.append(job.id)
            self.due.append(None if job.due is None else int(job.due))
            self.weight.append(float(job.weight) * (10.0 ** int(job.priority)))
            self.prio.append(int(job.priority))
            self.jrel.append(int(job.release))
        self.job_index = job_index

        by_job: list[list[Operation]] = [[] for _ in self.job_ids]
        seen: set[str] = set()
        for op in problem.operations:
            if op.id in seen:
                raise EngineError(f"operation {op.id} is listed twice")
            seen.add(op.id)
            if op.job not in job_index:
                raise EngineError(f"operation {op.id} belongs to unknown job {op.job}")
            by_job[job_index[op.job]].append(op)

        self.op_ids: list[str] = []
        self.op_job: list[int] = []
        self.jp: list[int] = []
        self.js: list[int] = []
        self.rel: list[int] = []
        self.cand: list[list[tuple[int, int]]] = []        # (resource, working minutes)
        self.frozen: list[tuple[int, int, int] | None] = []  # (start, end, machine)
        self.job_ops: list[list[int]] = []
        for j, ops in enumerate(by_job):
            ops.sort(key=lambda o: o.seq)
            for a, b in zip(ops, ops[1:]):
                if a.seq == b.seq:
                    raise EngineError(f"operations {a.id} and {b.id} of job {a.job} have the same seq")
            idx = []
            for k, op in enumerate(ops):
                o = len(self.op_ids)
                idx.append(o)
                self.op_ids.append(op.id)
                self.op_job.append(j)
                self.jp.append(o - 1 if k else -1)
                self.js.append(o + 1 if k + 1 < len(ops) else -1)
                self.rel.append(max(int(op.release), self.jrel[j]))
                if op.resource not in self.res_index:
                    raise EngineError(f"operation {op.id} needs unknown resource {op.resource}")
                if op.duration < 0 or op.setup < 0:
                    raise EngineError(f"operation {op.id} has a negative duration or setup")
                base = int(op.setup) + int(op.duration)
                cands = [(self.res_index[op.resource], base)]
                for alt in op.alternatives or ():
                    if isinstance(alt, str):
                        code, work = alt, base
                    else:
                        code, work = alt[0], int(op.setup) + int(alt[1])
                    if code not in self.res_index:
                        raise EngineError(f"operation {op.id} names unknown alternative {code}")
                    r = self.res_index[code]
                    if all(r != c[0] for c in cands):
                        cands.append((r, work))
                self.cand.append(cands)
                if op.frozen is not None:
                    fs, fe, fu = (int(x) for x in op.frozen[:3])
                    r0 = self.res_index[op.resource]
                    if not 0 <= fu < self.units[r0]:
                        raise EngineError(f"frozen operation {op.id}: unit {fu} does not exist on {op.resource}")
                    if fe < fs:
                        raise EngineError(f"frozen operation {op.id} ends before it starts")
                    self.frozen.append((fs, fe, self.res_machines[r0][fu]))
                else:
                    self.frozen.append(None)
            self.job_ops.append(idx)
        self.n = n = len(self.op_ids)
        self.op_index = {oid: o for o, oid in enumerate(self.op_ids)}

        # effective job arcs: nothing leads into a frozen operation
        self.jpe = list(self.jp)
        self.jse = list(self.js)
        for o in range(n):
            if self.frozen[o] is not None and self.jp[o] >= 0:
                self.jse[self.jp[o]] = -1
                self.jpe[o] = -1

        blocks: list[list[tuple[int, int]]] = [[] for _ in range(self.M)]
        for o in range(n):
            f = self.frozen[o]
            if f is not None:
                blocks[f[2]].append((f[0], f[1]))
        for b in blocks:
            b.sort()
        self.blocks = blocks
        self.block_starts = [[s for s, _ in b] for b in blocks]
        self.block_ends = [[e for _, e in b] for b in blocks]
        self.has_blocks = [bool(b) for b in blocks]
        self.fast = all(c is None for c in self.cals) and not any(self.has_blocks)
        self.frozen_ops = [o for o in range(n) if self.frozen[o] is not None]
        self.free_ops = [o for o in range(n) if self.frozen[o] is None]
        self.pmin = [min(p for _, p in self.cand[o]) for o in range(n)]
        self.flexible = any(len(self.cand[o]) > 1 or self.units[self.cand[o][0][0]] > 1
                            for o in self.free_ops)
        self.last_op = [ops[-1] if ops else -1 for ops in self.job_ops]
        # machine options per op: (machine, working minutes)
        self.mopts: list[list[tuple[int, int]]] = []
        for o in range(n):
            opts = []
            for r, p in self.cand[o]:
                for m in self.res_machines[r]:
                    opts.append((m, p))
            self.mopts.append(opts)

    # placement on one unit: calendar and frozen blocks
    def place(self, m: int, work: int, ready: int) -> tuple[int, int]:
        cal = self.mcal[m]
        t = ready
        while True:
            if cal is None:
                s, e = t, t + work
            else:
                s, e = cal.finish(t, work)
            if not self.has_blocks[m]:
                return s, e
            bends = self.block_ends[m]
            i = bisect_right(bends, s)
            if i < len(bends):
                bs = self.blocks[m][i][0]
                if bs < max(e, s + 1):
                    t = bends[i]
                    continue
            return s, e

    # lower bound on the makespan (exact only without calendars)
    def lower_bound(self) -> int:
        if any(c is not None for c in self.cals):
            return 0
        lb = 0
        for j, ops in enumerate(self.job_ops):
            t = self.jrel[j]
            for o in ops:
                f = self.frozen[o]
                if f is not None:
                    t = f[1]
                else:
                    t = max(t, self.rel[o]) + self.pmin[o]
            lb = max(lb, t)
        work = [0] * len(self.res_codes)
        earliest = [INF] * len(self.res_codes)
        for o in self.free_ops:
            if len(self.cand[o]) == 1:
                r, p = self.cand[o][0]
                work[r] += p
                earliest[r] = min(earliest[r], self.rel[o])
        for r, w in enumerate(work):
            if w:
                frozen = [(s, e) for m in self.res_machines[r] for s, e in self.blocks[m]]
                first = min([earliest[r]] + [s for s, _ in frozen])
                total = w + sum(e - s for s, e in frozen)
                lb = max(lb, first + -(-total // self.units[r]))
        return lb


class _Sol:
    """Machine assignment and per-machine sequences as doubly linked lists."""

    __slots__ = ("mach", "p", "mp", "ms", "mfirst")

    def __init__(self, mach, p, mp, ms, mfirst):
        self.mach = mach
        self.p = p
        self.mp = mp
        self.ms = ms
        self.mfirst = mfirst

    def copy(self) -> "_Sol":
        return _Sol(self.mach[:], self.p[:], self.mp[:], self.ms[:], self.mfirst[:])

    def sequence(self, m: int) -> list[int]:
        out = []
        o = self.mfirst[m]
        while o >= 0:
            out.append(o)
            o = self.ms[o]
        return out


def _sol_from_lists(model: _Model, mach: list[int], lists: list[list[int]]) -> _Sol:
    n = model.n
    p = [0] * n
    for o in range(n):
        m = mach[o]
        r = model.mres[m]
        for rr, w in model.cand[o]:
            if rr == r:
                p[o] = w
                break
    mp = [-1] * n
    ms = [-1] * n
    mfirst = [-1] * model.M
    for m, seq in enumerate(lists):
        prev = -1
        for o in seq:
            if prev >= 0:
                ms[prev] = o
            else:
                mfirst[m] = o
            mp[o] = prev
            prev = o
    return _Sol(mach, p, mp, ms, mfirst)


def _timing(model: _Model, sol: _Sol):
    """Semi-active timing of a solution: (start, end, critical predecessor, topological order)."""
    n = model.n
    jp = model.jpe
    js = model.jse
    mp = sol.mp
    ms = sol.ms
    p = sol.p
    rel = model.rel
    frozen = model.frozen
    indeg = [0] * n
    for o in range(n):
        indeg[o] = (jp[o] >= 0) + (mp[o] >= 0)
    stack = [o for o in range(n) if indeg[o] == 0]
    start = [0] * n
    end = [0] * n
    cp = [-1] * n
    order = []
    fast = model.fast
    place = model.place
    mach = sol.mach
    push = stack.append
    pop = stack.pop
    add = order.append
    while stack:
        o = pop()
        add(o)
        f = frozen[o]
        if f is not None:
            start[o] = f[0]
            end[o] = f[1]
        else:
            r = rel[o]
            c = -1
            a = jp[o]
            if a >= 0:
                ea = end[a]
                if ea > r:
                    r = ea
                    c = a
            b = mp[o]
            if b >= 0:
                eb = end[b]
                if eb > r or (eb == r and c >= 0):
                    r = eb
                    c = b
            cp[o] = c
            if fast:
                start[o] = r
                end[o] = r + p[o]
            else:
                start[o], end[o] = place(mach[o], p[o], r)
        a = js[o]
        if a >= 0:
            indeg[a] -= 1
            if indeg[a] == 0:
                push(a)
        b = ms[o]
        if b >= 0:
            indeg[b] -= 1
            if indeg[b] == 0:
                push(b)
    if len(order) < n:
        return None
    return start, end, cp, order


class _Eval:
    __slots__ = ("key", "makespan", "twt", "completion")

    def __init__(self, key, makespan, twt, completion):
        self.key = key
        self.makespan = makespan
        self.twt = twt
        self.completion = completion


def _evaluate(model: _Model, end: list[int], objective: str) -> _Eval:
    makespan = max(end) if end else 0
    twt = 0.0
    completion = []
    for j, last in enumerate(model.last_op):
        c = end[last] if last >= 0 else model.jrel[j]
        completion.append(c)
        d = model.due[j]
        if d is not None and c > d:
            twt += model.weight[j] * (c - d)
    twt = round(twt, 6)
    key = (makespan, twt) if objective == "makespan" else (twt, makespan)
    return _Eval(key, makespan, twt, completion)


# ----------------------------------------------------------------------------------------------
# Loads and the bottleneck


def _work_and_capacity(model: _Model, horizon: int) -> tuple[list[float], list[int]]:
    R = len(model.res_codes)
    cap = []
    for r in range(R):
        cal = model.cals[r]
        avail = horizon if cal is None else cal.listed(0, horizon) if horizon > 0 else 0
        cap.append(avail * model.units[r])
    work = [0.0] * R
    for o in range(model.n):
        f = model.frozen[o]
        if f is not None:
            r = model.mres[f[2]]
            cal = model.cals[r]
            s, e = max(f[0], 0), min(f[1], horizon)
            work[r] += 0 if e <= s else (e - s if cal is None else cal.listed(s, e))
            continue
        cands = model.cand[o]
        if len(cands) == 1:
            work[cands[0][0]] += cands[0][1]
        else:
            total = sum(max(cap[r], 1) for r, _ in cands)
            for r, p in cands:
                work[r] += p * max(cap[r], 1) / total
    return work, cap


def _load_horizon(model: _Model) -> int:
    """The horizon for loads when the problem gives none: when the busiest resource would be done."""
    if model.problem.horizon:
        return int(model.problem.horizon)
    R = len(model.res_codes)
    work = [0.0] * R
    for o in model.free_ops:
        cands = model.cand[o]
        share = 1.0 / len(cands)
        for r, p in cands:
            work[r] += p * share
    h = 1
    for r in range(R):
        per_unit = int(math.ceil(work[r] / model.units[r]))
        cal = model.cals[r]
        h = max(h, per_unit if cal is None else cal.finish(0, per_unit)[1])
    return h


def _loads(model: _Model, horizon: int) -> list[float]:
    work, cap = _work_and_capacity(model, horizon)
    return [w / c if c > 0 else (math.inf if w > 0 else 0.0) for w, c in zip(work, cap)]


def resource_loads(problem: Problem, horizon: int | None = None) -> dict[str, float]:
    """Work needed per resource over its working capacity in [0, horizon] (before scheduling)."""
    model = _Model(problem)
    h = int(horizon) if horizon else _load_horizon(model)
    return dict(zip(model.res_codes, _loads(model, h)))


def _bottleneck_plan(model: _Model, objective: str) -> tuple[list[float], int]:
    """Sequence the most loaded resource first; return a planned start per operation."""
    n = model.n
    loads = _loads(model, _load_horizon(model))
    B = max(range(len(loads)), key=lambda r: (loads[r], -r)) if loads else 0
    plan = [0.0] * n
    jobs_b = []
    shifts = [0.0] * len(model.job_ops)
    heads_by_job = []
    for j, ops in enumerate(model.job_ops):
        head = model.jrel[j]
        heads = []
        first_b = -1
        for o in ops:
            f = model.frozen[o]
            if f is not None:
                head = f[1]
                heads.append(f[0])
                continue
            head = max(head, model.rel[o])
            heads.append(head)
            if first_b < 0 and any(r == B for r, _ in model.cand[o]):
                first_b = o
            head += model.pmin[o]
        heads_by_job.append(heads)
        if first_b >= 0:
            k = ops.index(first_b)
            pb = next(p for r, p in model.cand[first_b] if r == B)
            tail = sum(model.pmin[x] for x in ops[k + 1:])
            jobs_b.append((heads[k], pb, tail, j))
    # Schrage on the bottleneck with its units
    jobs_b.sort()
    units = [0] * model.units[B]
    heapify(units)
    avail: list = []
    i = 0
    est_end = 0
    while i < len(jobs_b) or avail:
        t = heappop(units)
        if not avail and i < len(jobs_b) and jobs_b[i][0] > t:
            t = jobs_b[i][0]
        while i < len(jobs_b) and jobs_b[i][0] <= t:
            head, pb, tail, j = jobs_b[i]
            d = model.due[j]
            if objective == "makespan" or d is None:
                key = (-model.prio[j], -tail, head)
            else:
                key = (-model.prio[j], d - tail - pb, -tail)
            heappush(avail, (key, head, pb, tail, j))
            i += 1
        _, head, pb, tail, j = heappop(avail)
        s = max(t, head)
        shifts[j] = s - head
        est_end = max(est_end, s + pb + tail)
        heappush(units, s + pb)
    has_b = {j for _, _, _, j in jobs_b}
    for j, ops in enumerate(model.job_ops):
        if j not in has_b and ops:
            total = heads_by_job[j][-1] + model.pmin[ops[-1]]
            d = model.due[j]
            target = est_end if d is None else min(d, est_end)
            shifts[j] = max(0, target - total)
        for k, o in enumerate(ops):
            plan[o] = heads_by_job[j][k] + shifts[j]
    return plan, B


# ----------------------------------------------------------------------------------------------
# Construction: event-driven non-delay dispatching


def _rule_keys(model: _Model, rule: str, plan: list[float], B: int, rng: random.Random):
    n = model.n
    rem = [0] * n
    remb = [0] * n
    for ops in model.job_ops:
        acc = 0
        accb = 0
        for o in reversed(ops):
            if model.frozen[o] is None:
                acc += model.pmin[o]
                if any(r == B for r, _ in model.cand[o]):
                    accb += model.pmin[o]
            rem[o] = acc
            remb[o] = accb
    due = [model.due[model.op_job[o]] for o in range(n)]
    prio = [-model.prio[model.op_job[o]] for o in range(n)]
    pbar = max(1.0, sum(model.pmin) / max(1, n))
    if rule == "mwkr":
        return [(prio[o], -rem[o], o) for o in range(n)], rem
    if rule == "mwkr_bn":
        return [(prio[o], -(rem[o] + remb[o]), -rem[o], o) for o in range(n)], rem
    if rule == "spt_bn":
        return [(prio[o], model.pmin[o] - (pbar if remb[o] else 0), -rem[o], o) for o in range(n)], rem
    if rule == "bneck":
        return [(prio[o], plan[o], -rem[o], o) for o in range(n)], rem
    if rule == "edd":
        return [(prio[o], INF if due[o] is None else due[o], -rem[o], o) for o in range(n)], rem
    if rule == "slack":
        return [(prio[o], INF if due[o] is None else due[o] - rem[o], -rem[o], o) for o in range(n)], rem
    if rule.startswith("rand"):
        return [(prio[o], -rem[o] * (0.85 + 0.3 * rng.random()), o) for o in range(n)], rem
    if rule == "atc":
        return None, rem
    raise EngineError(f"unknown dispatch rule {rule}")


def _dispatch(model: _Model, keys, rem, atc: bool = False) -> _Sol:
    n = model.n
    M = model.M
    R = len(model.res_codes)
    mach = [-1] * n
    start = [0] * n
    end = [0] * n
    done = [False] * n
    for o in model.frozen_ops:
        f = model.frozen[o]
        mach[o] = f[2]
        start[o], end[o] = f[0], f[1]
        done[o] = True
    free_at = [NEG] * M
    pools: list[list] = [[] for _ in range(R)]
    events: list = []
    READY, FREE, WAKE = 0, 1, 2
    for o in model.free_ops:
        a = model.jpe[o]
        if a < 0:
            events.append((model.rel[o], READY, o))
        elif model.frozen[a] is not None:
            events.append((max(model.rel[o], model.frozen[a][1]), READY, o))
    heapify(events)
    cand = model.cand
    cals = model.cals
    res_machines = model.res_machines
    place = model.place
    jse = model.jse
    rel = model.rel
    ready_at = [0] * n
    pbar = max(1.0, sum(model.pmin) / max(1, n))
    weight = model.weight
    due = model.due
    op_job = model.op_job
    prio = model.prio

    def atc_key(o, t):
        j = op_job[o]
        d = due[j]
        p = max(1, model.pmin[o])
        if d is None:
            return (-prio[j], 0.0, -rem[o], o)
        slack = d - t - rem[o]
        idx = weight[j] / p * math.exp(-max(0.0, slack) / (2.0 * pbar))
        return (-prio[j], -idx, -rem[o], o)

    remaining = len(model.free_ops)
    while events and remaining:
        t = events[0][0]
        touched = set()
        while events and events[0][0] == t:
            _, kind, x = heappop(events)
            if kind == READY:
                ready_at[x] = t
                for r, _ in cand[x]:
                    if atc:
                        pools[r].append(x)
                    else:
                        heappush(pools[r], keys[x])
                    touched.add(r)
            else:
                touched.add(x)
        for r in sorted(touched):
            pool = pools[r]
            if not pool:
                continue
            cal = cals[r]
            if cal is not None:
                tw = cal.next_work(t)
                if tw > t:
                    heappush(events, (tw, WAKE, r))
                    continue
            idle = [m for m in res_machines[r] if free_at[m] <= t]
            if not idle:
                continue
            deferred = []
            wake = INF
            while idle and pool:
                if atc:
                    best = None
                    bi = -1
                    k = 0
                    while k < len(pool):
                        o = pool[k]
                        if done[o]:
                            pool[k] = pool[-1]
                            pool.pop()
                            continue
                        key = atc_key(o, t)
                        if best is None or key < best:
                            best = key
                            bi = k
                        k += 1
                    if bi < 0:
                        break
                    o = pool[bi]
                    pool[bi] = pool[-1]
                    pool.pop()
                    entry = o
                else:
                    entry = heappop(pool)
                    o = entry[-1]
                    if done[o]:
                        continue
                work = next(p for rr, p in cand[o] if rr == r)
                if len(cand[o]) > 1:
                    mine = cal.finish(t, work)[1] if cal is not None else t + work
                    better = INF
                    for r2, p2 in cand[o]:
                        if r2 == r:
                            continue
                        f2 = min(free_at[m2] for m2 in res_machines[r2])
                        if f2 <= t:
                            continue             # idle elsewhere: that resource decides itself
                        c2 = cals[r2]
                        fin = c2.finish(f2, p2)[1] if c2 is not None else f2 + p2
                        if fin < mine:
                            better = min(better, f2)
                    if better < INF:
                        deferred.append(entry)
                        wake = min(wake, better)
                        continue
                chosen = -1
                for m in idle:
                    s, e = place(m, work, t)
                    if s == t:
                        chosen = m
                        break
                    wake = min(wake, s)
                if chosen < 0:
                    deferred.append(entry)
                    continue
                idle.remove(chosen)
                done[o] = True
                remaining -= 1
                mach[o] = chosen
                start[o], end[o] = s, e
                free_at[chosen] = e
                heappush(events, (e, FREE, r))
                nxt = jse[o]
                if nxt >= 0:
                    heappush(events, (max(e, rel[nxt]), READY, nxt))
            for entry in deferred:
                if atc:
                    pool.append(entry)
                else:
                    heappush(pool, entry)
            if deferred and wake < INF:
                heappush(events, (max(wake, t + 1), WAKE, r))
    if remaining:
        raise EngineError("the dispatcher could not place every operation")  # pragma: no cover
    lists = [[] for _ in range(M)]
    for o in model.free_ops:
        lists[mach[o]].append(o)
    for m in range(M):
        lists[m].sort(key=lambda o: (start[o], end[o], o))
    return _sol_from_lists(model, mach, lists)


# ----------------------------------------------------------------------------------------------
# Improvement: tabu search (makespan) and exact local search (tardiness)


def _tails(model: _Model, sol: _Sol, start, end, order) -> list[int]:
    n = model.n
    q = [0] * n
    js = model.jse
    ms = sol.ms
    for o in reversed(order):
        best = 0
        a = js[o]
        if a >= 0:
            v = end[a] - start[a] + q[a]
            if v > best:
                best = v
        b = ms[o]
        if b >= 0:
            v = end[b] - start[b] + q[b]
            if v > best:
                best = v
        q[o] = best
    return q


def _critical_path(cp, target: int) -> list[int]:
    path = []
    o = target
    while o >= 0:
        path.append(o)
        o = cp[o]
    path.reverse()
    return path


def _blocks(path, sol: _Sol) -> list[list[int]]:
    blocks = []
    cur = [path[0]] if path else []
    for x, y in zip(path, path[1:]):
        if sol.mp[y] == x:
            cur.append(y)
        else:
            blocks.append(cur)
            cur = [y]
    if cur:
        blocks.append(cur)
    return blocks


def _swap(sol: _Sol, u: int, v: int) -> None:
    """Swap adjacent u (before) and v on their machine."""
    mp = sol.mp
    ms = sol.ms
    a = mp[u]
    b = ms[v]
    mp[v] = a
    ms[v] = u
    mp[u] = v
    ms[u] = b
    if a >= 0:
        ms[a] = v
    else:
        sol.mfirst[sol.mach[u]] = v
    if b >= 0:
        mp[b] = u


def _unlink(sol: _Sol, o: int) -> None:
    a = sol.mp[o]
    b = sol.ms[o]
    if a >= 0:
        sol.ms[a] = b
    else:
        sol.mfirst[sol.mach[o]] = b
    if b >= 0:
        sol.mp[b] = a
    sol.mp[o] = sol.ms[o] = -1


def _link_before(sol: _Sol, o: int, m: int, nxt: int) -> None:
    """Insert o on machine m before nxt (or at the end when nxt < 0)."""
    if nxt >= 0:
        a = sol.mp[nxt]
        sol.mp[nxt] = o
    else:
        a = sol.mfirst[m]
        if a >= 0:
            while sol.ms[a] >= 0:
                a = sol.ms[a]
    sol.mp[o] = a
    sol.ms[o] = nxt
    if a >= 0:
        sol.ms[a] = o
    else:
        sol.mfirst[m] = o
    sol.mach[o] = m


def _move_machine(model: _Model, sol: _Sol, o: int, m: int, nxt: int, work: int):
    """Move o to machine m before nxt; returns an undo record."""
    undo = (o, sol.mach[o], sol.ms[o], sol.p[o])
    _unlink(sol, o)
    _link_before(sol, o, m, nxt)
    sol.p[o] = work
    return undo


def _undo_move(sol: _Sol, undo) -> None:
    o, m, nxt, p = undo
    _unlink(sol, o)
    _link_before(sol, o, m, nxt)
    sol.p[o] = p


def _insertion_point(sol: _Sol, m: int, ready: int, start) -> int:
    """The first operation on m that starts after `ready` (-1 = append)."""
    x = sol.mfirst[m]
    while x >= 0 and start[x] <= ready:
        x = sol.ms[x]
    return x


class _Search:
    def __init__(self, model: _Model, objective: str, deadline: float, max_iter: int, rng: random.Random,
                 lb: int):
        self.model = model
        self.objective = objective
        self.deadline = deadline
        self.max_iter = max_iter
        self.rng = rng
        self.lb = lb
        self.iterations = 0

    def out_of_budget(self) -> bool:
        return self.iterations >= self.max_iter or time.perf_counter() >= self.deadline

    def done(self, ev: _Eval) -> bool:
        return ev.makespan <= self.lb and ev.twt == 0

    # --- makespan: tabu search -------------------------------------------------------------
    def tabu(self, sol: _Sol) -> tuple[_Sol, _Eval]:
        model = self.model
        rng = self.rng
        tm = _timing(model, sol)
        best_sol = sol.copy()
        best = _evaluate(model, tm[1], self.objective)
        if self.done(best):
            return best_sol, best
        n_jobs = max(1, len(model.job_ops))
        n_mach = max(1, model.M)
        lmin = 10 + n_jobs // n_mach
        lmax = int(1.4 * lmin) + 1
        tabu: dict = {}
        stall = 0
        stall_limit = max(250, min(2500, 4 * model.n))
        cur = sol
        jpe = model.jpe
        jse = model.jse
        rel = model.rel
        frozen = model.frozen
        while not self.out_of_budget():
            self.iterations += 1
            it = self.iterations
            if tm is None:              # pragma: no cover - moves are checked before acceptance
                cur = best_sol.copy()
                tm = _timing(model, cur)
            start, end, cp, order = tm
            ev = _evaluate(model, end, self.objective)
            if ev.key < best.key:
                best = ev
                best_sol = cur.copy()
                stall = 0
                if self.done(best):
                    break
            else:
                stall += 1
            if stall > stall_limit:
                cur = best_sol.copy()
                tm = self._perturb(cur)
                tabu.clear()
                stall = 0
                continue
            q = _tails(model, cur, start, end, order)
            target = max(range(model.n), key=end.__getitem__)
            path = _critical_path(cp, target)
            blocks = _blocks(path, cur)
            moves = []
            nb = len(blocks)
            d = [e - s for s, e in zip(start, end)]

            def qv(x):
                return d[x] + q[x] if x >= 0 else 0

            def head_end(x):
                return end[x] if x >= 0 else NEG

            for bi, blk in enumerate(blocks):
                if len(blk) < 2:
                    continue
                pairs = []
                if bi > 0:
                    pairs.append((blk[0], blk[1]))
                if bi < nb - 1 and (len(blk) > 2 or bi == 0):
                    pairs.append((blk[-2], blk[-1]))
                if nb == 1:
                    pairs = [(blk[0], blk[1]), (blk[-2], blk[-1])]
                for u, v in pairs:
                    if frozen[u] is not None or frozen[v] is not None:
                        continue
                    a = cur.mp[u]
                    b = cur.ms[v]
                    rv = max(rel[v], head_end(jpe[v]), head_end(a))
                    ev_ = rv + d[v]
                    ru = max(rel[u], head_end(jpe[u]), ev_)
                    eu = ru + d[u]
                    qu = max(qv(jse[u]), qv(b))
                    qv_ = max(qv(jse[v]), d[u] + qu)
                    est = max(ev_ + qv_, eu + qu)
                    moves.append((est, 0, u, v, -1, 0))
            if model.flexible:
                for o in path:
                    if frozen[o] is not None or len(model.mopts[o]) < 2:
                        continue
                    ready = max(rel[o], head_end(jpe[o]))
                    for m, work in model.mopts[o]:
                        if m == cur.mach[o]:
                            continue
                        nxt = _insertion_point(cur, m, ready, start)
                        prev = cur.mp[nxt] if nxt >= 0 else self._last(cur, m)
                        s = max(ready, head_end(prev))
                        est = s + work + max(qv(jse[o]), qv(nxt))
                        # the old machine loses o: paths through it shrink, estimate via neighbours
                        moves.append((est, 1, o, m, nxt, work))
            if not moves:
                break                      # the critical path has no machine arcs to reverse
            moves.sort(key=lambda mv: (mv[0], rng.random()))
            chosen = None
            for mv in moves:
                est, kind, x, y, nxt, work = mv
                if kind == 0:
                    is_tabu = tabu.get((x, y), 0) >= it      # swapping x, y puts y before x
                else:
                    is_tabu = tabu.get(("m", x, y), 0) >= it
                if not is_tabu or est < best.makespan:
                    chosen = mv
                    break
            if chosen is None:
                chosen = moves[rng.randrange(len(moves))]
            est, kind, x, y, nxt, work = chosen
            tenure = rng.randint(lmin, lmax)
            if kind == 0:
                _swap(cur, x, y)
                new_tm = _timing(model, cur)
                if new_tm is None:
                    _swap(cur, y, x)
                    tabu[(x, y)] = it + tenure
                    continue
                tabu[(y, x)] = it + tenure        # forbid putting x before y again
            else:
                old_m = cur.mach[x]
                undo = _move_machine(model, cur, x, y, nxt, work)
                new_tm = _timing(model, cur)
                if new_tm is None:
                    _undo_move(cur, undo)
                    tabu[("m", x, y)] = it + tenure
                    continue
                tabu[("m", x, old_m)] = it + tenure
            tm = new_tm
        return best_sol, best

    @staticmethod
    def _last(sol: _Sol, m: int) -> int:
        a = sol.mfirst[m]
        if a < 0:
            return -1
        while sol.ms[a] >= 0:
            a = sol.ms[a]
        return a

    def _perturb(self, sol: _Sol):
        """A few random swaps inside critical blocks (each keeps the graph acyclic)."""
        model = self.model
        rng = self.rng
        tm = _timing(model, sol)
        for _ in range(rng.randint(2, 6)):
            start, end, cp, order = tm
            target = max(range(model.n), key=end.__getitem__)
            path = _critical_path(cp, target)
            pairs = [(x, y) for x, y in zip(path, path[1:]) if sol.mp[y] == x
                     and model.frozen[x] is None and model.frozen[y] is None]
            if not pairs:
                break
            u, v = pairs[rng.randrange(len(pairs))]
            _swap(sol, u, v)
            new_tm = _timing(model, sol)
            if new_tm is None:
                _swap(sol, v, u)
                continue
            tm = new_tm
        return tm

    # --- tardiness: exact local search --------------------------------------------------------
    def descend(self, sol: _Sol) -> tuple[_Sol, _Eval]:
        model = self.model
        rng = self.rng
        tm = _timing(model, sol)
        cur = sol
        cur_ev = _evaluate(model, tm[1], self.objective)
        best_sol = cur.copy()
        best = cur_ev
        fails = 0
        idle = 0
        while not self.out_of_budget() and not self.done(best) and idle < 50:
            self.iterations += 1
            start, end, cp, order = tm
            # target: a tardy job drawn in proportion to its weighted tardiness, else the makespan
            tardy = []
            total = 0.0
            for j, c in enumerate(cur_ev.completion):
                dj = model.due[j]
                if dj is not None and c > dj and model.last_op[j] >= 0:
                    w = model.weight[j] * (c - dj)
                    tardy.append((w, model.last_op[j]))
                    total += w
            if tardy and rng.random() < 0.9:
                x = rng.random() * total
                target = tardy[-1][1]
                for w, o in tardy:
                    x -= w
                    if x <= 0:
                        target = o
                        break
            else:
                target = max(range(model.n), key=end.__getitem__)
            path = _critical_path(cp, target)
            moves = []
            for x, y in zip(path, path[1:]):
                if cur.mp[y] == x and model.frozen[x] is None and model.frozen[y] is None:
                    moves.append((0, x, y, -1, 0))
            if model.flexible:
                for o in path:
                    if model.frozen[o] is None and len(model.mopts[o]) > 1:
                        ready = max(model.rel[o], end[model.jpe[o]] if model.jpe[o] >= 0 else NEG)
                        for m, work in model.mopts[o]:
                            if m != cur.mach[o]:
                                moves.append((1, o, m, _insertion_point(cur, m, ready, start), work))
            idle = idle + 1 if not moves else 0          # nothing left to try anywhere: stop
            rng.shuffle(moves)
            improved = False
            for kind, x, y, nxt, work in moves[:24]:
                self.iterations += 1
                if kind == 0:
                    _swap(cur, x, y)
                else:
                    undo = _move_machine(model, cur, x, y, nxt, work)
                new_tm = _timing(model, cur)
                if new_tm is not None:
                    ev = _evaluate(model, new_tm[1], self.objective)
                    if ev.key < cur_ev.key:
                        tm, cur_ev = new_tm, ev
                        improved = True
                        break
                if kind == 0:
                    _swap(cur, y, x)
                else:
                    _undo_move(cur, undo)
                if self.out_of_budget():
                    break
            if improved:
                fails = 0
                if cur_ev.key < best.key:
                    best = cur_ev
                    best_sol = cur.copy()
            else:
                fails += 1
                if fails > 30:
                    # kick: a few random critical swaps from the best schedule
                    cur = best_sol.copy()
                    tm = self._perturb(cur)
                    cur_ev = _evaluate(model, tm[1], self.objective)
                    fails = 0
                    if cur_ev.key < best.key:
                        best = cur_ev
                        best_sol = cur.copy()
        return best_sol, best


# ----------------------------------------------------------------------------------------------
# Results


def _metrics(model: _Model, sol: _Sol, start, end, objective: str) -> Metrics:
    ev = _evaluate(model, end, objective)
    horizon = int(model.problem.horizon) if model.problem.horizon else max(ev.makespan, 1)
    R = len(model.res_codes)
    busy = [0] * R
    for o in range(model.n):
        m = sol.mach[o] if model.frozen[o] is None else model.frozen[o][2]
        r = model.mres[m]
        s, e = max(start[o], 0), min(end[o], horizon)
        if e > s:
            cal = model.cals[r]
            busy[r] += e - s if cal is None else cal.listed(s, e)
    util = {}
    for r in range(R):
        cal = model.cals[r]
        avail = (horizon if cal is None else cal.listed(0, horizon)) * model.units[r]
        util[model.res_codes[r]] = round(busy[r] / avail, 6) if avail else 0.0
    loads = _loads(model, horizon)
    top = max(loads) if loads else 0.0
    bottlenecks = [model.res_codes[r] for r in sorted(range(R), key=lambda r: -loads[r])
                   if top > 0 and loads[r] >= top * 0.98]
    late = []
    tard = {}
    completion = {}
    for j, c in enumerate(ev.completion):
        completion[model.job_ids[j]] = c
        d = model.due[j]
        if d is not None and c > d:
            late.append(model.job_ids[j])
            tard[model.job_ids[j]] = c - d
    return Metrics(makespan=ev.makespan, late_jobs=late, total_weighted_tardiness=ev.twt, tardiness=tard,
                   completion=completion, utilisation=util,
                   load={model.res_codes[r]: round(loads[r], 6) for r in range(R)},
                   bottlenecks=bottlenecks, horizon=horizon)


def _result(model: _Model, sol: _Sol, tm, objective: str, method: str, seconds: float, lb: int,
            iterations: int, notes=None) -> Schedule:
    start, end = tm[0], tm[1]
    placements = {}
    for o in range(model.n):
        m = sol.mach[o] if model.frozen[o] is None else model.frozen[o][2]
        oid = model.op_ids[o]
        placements[oid] = Placement(oid, model.job_ids[model.op_job[o]], model.res_codes[model.mres[m]],
                                    model.munit[m], start[o], end[o])
    return Schedule(placements=placements, metrics=_metrics(model, sol, start, end, objective),
                    objective=objective, method=method, seconds=round(seconds, 4), lower_bound=lb,
                    iterations=iterations, notes=list(notes or []))


def _resolve_objective(model: _Model, objective: str) -> str:
    if objective == "auto":
        return "tardiness" if any(d is not None for d in model.due) else "makespan"
    if objective not in ("makespan", "tardiness"):
        raise EngineError(f"unknown objective {objective!r} (makespan, tardiness or auto)")
    return objective


def default_seconds(n_operations: int) -> float:
    """The improvement budget when none is given: 0.2 s plus a little per operation, at most 2 s."""
    return min(2.0, 0.2 + n_operations / 150.0)


MAKESPAN_RULES = ("bneck", "mwkr", "mwkr_bn", "spt_bn", "rand1", "rand2")
TARDINESS_RULES = ("bneck", "atc", "slack", "edd", "mwkr")


def schedule(problem: Problem, *, objective: str = "auto", seconds: float | None = None, seed: int = 0,
             max_iterations: int | None = None, rules: Sequence[str] | None = None) -> Schedule:
    """Schedule every operation: bottleneck-first construction, then improvement.

    `seconds` is the improvement budget (default `default_seconds(n)`; 0 = construction only).
    `max_iterations` caps the improvement by work instead; with it and `seconds=None` the run is
    reproducible for a given `seed` on any machine.
    """
    t0 = time.perf_counter()
    model = _Model(problem)
    obj = _resolve_objective(model, objective)
    rng = random.Random(seed)
    lb = model.lower_bound()
    if model.n == 0:
        sol = _sol_from_lists(model, [], [[] for _ in range(model.M)])
        return _result(model, sol, ([], [], [], []), obj, "empty", time.perf_counter() - t0, lb, 0)
    plan, B = _bottleneck_plan(model, obj)
    rule_list = list(rules) if rules else list(MAKESPAN_RULES if obj == "makespan" else TARDINESS_RULES)
    best = None
    for rule in rule_list:
        keys, rem = _rule_keys(model, rule, plan, B, rng)
        sol = _dispatch(model, keys, rem, atc=(rule == "atc"))
        tm = _timing(model, sol)
        ev = _evaluate(model, tm[1], obj)
        if best is None or ev.key < best[2].key:
            best = (sol, tm, ev, rule)
    sol, tm, ev, rule = best
    method = f"dispatch:{rule}"
    iterations = 0
    if max_iterations is not None and seconds is None:
        budget = math.inf
    else:
        budget = default_seconds(model.n) if seconds is None else float(seconds)
    max_iter = max_iterations if max_iterations is not None else (1 << 60)
    if budget > 0 and max_iter > 0 and not (ev.makespan <= lb and ev.twt == 0):
        search = _Search(model, obj, time.perf_counter() + budget, max_iter, rng, lb)
        if obj == "makespan":
            new_sol, new_ev = search.tabu(sol.copy())
            name = "tabu"
        else:
            new_sol, new_ev = search.descend(sol.copy())
            name = "local-search"
        iterations = search.iterations
        if new_ev.key < ev.key:
            sol = new_sol
            tm = _timing(model, sol)
            method += f"+{name}"
    return _result(model, sol, tm, obj, method, time.perf_counter() - t0, lb, iterations)


# ----------------------------------------------------------------------------------------------
# CP-SAT


def _sol_from_schedule(model: _Model, sched: Schedule) -> _Sol:
    mach = [-1] * model.n
    keyed = []
    machine_of = {}
    for m in range(model.M):
        machine_of[(model.res_codes[model.mres[m]], model.munit[m])] = m
    for o in model.free_ops:
        pl = sched.placements.get(model.op_ids[o])
        if pl is None:
            raise EngineError(f"the start schedule has no placement for {model.op_ids[o]}")
        m = machine_of.get((pl.resource, pl.unit))
        if m is None or all(r != model.mres[m] for r, _ in model.cand[o]):
            raise EngineError(f"the start schedule puts {model.op_ids[o]} on {pl.resource}/{pl.unit}")
        mach[o] = m
        keyed.append((pl.start, pl.end, o))
    keyed.sort()
    lists = [[] for _ in range(model.M)]
    for _, _, o in keyed:
        lists[mach[o]].append(o)
    return _sol_from_lists(model, mach, lists)


def optimize(problem: Problem, seconds: float, start: Schedule | None = None, *, objective: str = "auto",
             seed: int = 0, workers: int | None = None) -> Schedule:
    """Improve a schedule with OR-Tools CP-SAT within `seconds` (hinted with `start`).

    Calendars: when every resource has the same calendar (or none has one), the model works
    on the working-time axis, which is exact (splitting included). When calendars differ,
    non-working time is modelled as fixed unavailable intervals (a simplification: in the CP
    model an operation cannot be split, so one longer than a working stretch can only go after
    the calendar's last interval); the solver's unit sequences are then re-timed by the engine
    with splitting allowed, so the result is always feasible under the engine's rules. Either way the returned schedule is the better of the
    start schedule and the solver's.
    """
    try:
        from ortools.sat.python import cp_model
    except ImportError as exc:
        raise EngineError("optimize needs OR-Tools: pip install 'omnictl[optimize]'") from exc
    t0 = time.perf_counter()
    model = _Model(problem)
    obj = _resolve_objective(model, objective)
    if start is None:
        start = schedule(problem, objective=obj, seed=seed)
    start_sol = _sol_from_schedule(model, start)
    start_tm = _timing(model, start_sol)
    if start_tm is None:
        raise EngineError("the start schedule is not consistent with the problem")
    start_ev = _evaluate(model, start_tm[1], obj)
    lb = model.lower_bound()
    notes = []

    cals = {c.key if c is not None else None for c in model.cals}
    if cals == {None}:
        mode = "plain"
        fmap = lambda t: t                                  # noqa: E731
    elif len(cals) == 1:
        mode = "axis"
        cal0 = next(c for c in model.cals if c is not None)
        fmap = cal0.cum_at
        notes.append("one shared calendar: solved on the working-time axis")
    else:
        mode = "gaps"
        fmap = lambda t: t                                  # noqa: E731
        notes.append("calendars differ: the solver may not split operations across non-working time")

    cm = cp_model.CpModel()
    total_work = sum(max(p for _, p in model.cand[o]) for o in model.free_ops)
    top = max([fmap(start.metrics.makespan)] + [fmap(model.rel[o]) for o in range(model.n)]
              + [fmap(f[1]) for f in (model.frozen[o] for o in model.frozen_ops)] + [0])
    H = top + total_work + 1
    lo = min([0] + [fmap(f[0]) for f in (model.frozen[o] for o in model.frozen_ops)])
    machine_intervals: list[list] = [[] for _ in range(model.M)]
    s_var = {}
    e_var = {}
    lits = {}
    for o in model.free_ops:
        opts = model.mopts[o]              # after its last interval a calendar is open: all fit
        s = cm.NewIntVar(lo, H, f"s{o}")
        e = cm.NewIntVar(lo, H, f"e{o}")
        s_var[o], e_var[o] = s, e
        cm.Add(s >= fmap(model.rel[o]))
        if len(opts) == 1:
            m, p = opts[0]
            machine_intervals[m].append(cm.NewIntervalVar(s, p, e, f"i{o}"))
        else:
            ls = []
            for m, p in opts:
                lit = cm.NewBoolVar(f"x{o}_{m}")
                machine_intervals[m].append(cm.NewOptionalIntervalVar(s, p, e, lit, f"i{o}_{m}"))
                ls.append(lit)
                lits[(o, m)] = lit
            cm.AddExactlyOne(ls)
    for o in model.frozen_ops:
        fs, fe, m = model.frozen[o]
        a, b = fmap(fs), fmap(fe)
        machine_intervals[m].append(cm.NewIntervalVar(a, b - a, b, f"f{o}"))
    if mode == "gaps":
        for m in range(model.M):
            cal = model.mcal[m]
            if cal is None:
                continue
            prev = lo
            for s, e in zip(cal.starts, cal.ends):
                if s > prev:
                    machine_intervals[m].append(cm.NewIntervalVar(prev, s - prev, s, f"g{m}_{s}"))
                prev = e
    for m in range(model.M):
        if len(machine_intervals[m]) > 1:
            cm.AddNoOverlap(machine_intervals[m])
    for o in model.free_ops:
        a = model.jpe[o]
        if a >= 0 and model.frozen[a] is not None:
            cm.Add(s_var[o] >= fmap(model.frozen[a][1]))
        elif a >= 0:
            cm.Add(s_var[o] >= e_var[a])
    ends = [e_var[o] for o in model.free_ops]
    cmax = cm.NewIntVar(0, H, "cmax")
    if ends:
        cm.AddMaxEquality(cmax, ends + [cm.NewConstant(max([0] + [fmap(model.frozen[o][1]) for o in model.frozen_ops]))])
    tard_terms = []
    for j, last in enumerate(model.last_op):
        d = model.due[j]
        if d is None or last < 0 or model.frozen[last] is not None:
            continue
        t = cm.NewIntVar(0, H, f"t{j}")
        cm.Add(t >= e_var[last] - fmap(d))
        w = max(1, int(round(model.weight[j] * 100)))
        tard_terms.append(w * t)
    if mode != "gaps":
        cm.Add(cmax >= lb)
        if obj == "makespan":
            cm.Add(cmax <= fmap(start_ev.makespan))       # the start schedule is a solution
    if obj == "makespan" or not tard_terms:
        cm.Minimize(cmax)
    else:
        total_w = sum(max(1, int(round(w * 100))) for w in model.weight)
        if total_w * (H + 1) * (H + 1) < (1 << 62):
            cm.Minimize(sum(tard_terms) * (H + 1) + cmax)   # tardiness first, then makespan
        else:
            cm.Minimize(sum(tard_terms))
    # hints from the start schedule
    for o in model.free_ops:
        cm.AddHint(s_var[o], fmap(start_tm[0][o]))
        cm.AddHint(e_var[o], fmap(start_tm[0][o]) + start_sol.p[o] if mode != "gaps" else fmap(start_tm[1][o]))
        for m, _ in model.mopts[o]:
            lit = lits.get((o, m))
            if lit is not None:
                cm.AddHint(lit, start_sol.mach[o] == m)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.1, float(seconds))
    solver.parameters.num_workers = workers or max(1, min(8, os.cpu_count() or 1))
    solver.parameters.random_seed = seed
    status = solver.Solve(cm)
    name = solver.StatusName(status)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        notes.append(f"CP-SAT: {name}")
        out = _result(model, start_sol, start_tm, obj, start.method + f"+cp-sat:{name.lower()}",
                      time.perf_counter() - t0, lb, start.iterations, notes)
        return out
    mach = [-1] * model.n
    for o in model.free_ops:
        opts = model.mopts[o]
        if len(opts) == 1 or (mode == "gaps" and sum(1 for k in lits if k[0] == o) == 0):
            mach[o] = opts[0][0] if len(opts) == 1 else next(m for m, _ in opts)
        for m, _ in opts:
            lit = lits.get((o, m))
            if lit is not None and solver.Value(lit):
                mach[o] = m
    lists = [[] for _ in range(model.M)]
    for o in sorted(model.free_ops, key=lambda o: (solver.Value(s_var[o]), solver.Value(e_var[o]), o)):
        lists[mach[o]].append(o)
    sol = _sol_from_lists(model, mach, lists)
    tm = _timing(model, sol)
    ev = _evaluate(model, tm[1], obj) if tm is not None else None
    if status == cp_model.OPTIMAL and mode != "gaps":
        notes.append("CP-SAT proved the schedule optimal")
    if ev is not None and ev.key <= start_ev.key:
        return _result(model, sol, tm, obj, start.method + f"+cp-sat:{name.lower()}",
                       time.perf_counter() - t0, lb, start.iterations, notes)
    notes.append("CP-SAT found nothing better than the start schedule")
    return _result(model, start_sol, start_tm, obj, start.method, time.perf_counter() - t0, lb,
                   start.iterations, notes)


# ----------------------------------------------------------------------------------------------
# Feasibility


def check_schedule(problem: Problem, sched: Schedule) -> list[str]:
    """Every way `sched` breaks the rules of `problem` (empty list = feasible)."""
    model = _Model(problem)
    problems = []
    by_code = {r.code: r for r in problem.resources}
    per_unit: dict[tuple[str, int], list[tuple[int, int, str]]] = {}
    jobs = {j.id: j for j in problem.jobs}
    for op in problem.operations:
        pl = sched.placements.get(op.id)
        if pl is None:
            problems.append(f"{op.id}: not scheduled")
            continue
        if op.frozen is not None:
            fs, fe, fu = op.frozen[:3]
            if (pl.start, pl.end, pl.unit, pl.resource) != (fs, fe, fu, op.resource):
                problems.append(f"{op.id}: frozen at {fs}-{fe} unit {fu}, scheduled {pl.start}-{pl.end} unit {pl.unit}")
        else:
            work = None
            if pl.resource == op.resource:
                work = op.setup + op.duration
            for alt in op.alternatives or ():
                code = alt if isinstance(alt, str) else alt[0]
                if code == pl.resource and work is None:
                    work = op.setup + (op.duration if isinstance(alt, str) else int(alt[1]))
            if work is None:
                problems.append(f"{op.id}: resource {pl.resource} is not allowed")
                continue
            res = by_code[pl.resource]
            if not 0 <= pl.unit < res.units:
                problems.append(f"{op.id}: unit {pl.unit} does not exist on {pl.resource}")
            cal = model.cals[model.res_index[pl.resource]]
            done = (pl.end - pl.start) if cal is None else cal.working(pl.start, pl.end)
            if done != work:
                problems.append(f"{op.id}: {done} working minutes between start and end, needs {work}")
            if cal is not None and work > 0 and cal.next_work(pl.start) != pl.start:
                problems.append(f"{op.id}: starts at {pl.start}, outside working time")
            release = max(op.release, jobs[op.job].release)
            if pl.start < release:
                problems.append(f"{op.id}: starts at {pl.start} before its release {release}")
        per_unit.setdefault((pl.resource, pl.unit), []).append((pl.start, pl.end, op.id))
    for idx in model.job_ops:
        for a, b in zip(idx, idx[1:]):
            if model.frozen[b] is not None:
                continue
            pa = sched.placements.get(model.op_ids[a])
            pb = sched.placements.get(model.op_ids[b])
            if pa and pb and pb.start < pa.end:
                problems.append(f"{model.op_ids[b]}: starts at {pb.start} before {model.op_ids[a]} ends at {pa.end}")
    for key, items in per_unit.items():
        items.sort()
        for (s1, e1, o1), (s2, e2, o2) in zip(items, items[1:]):
            if s2 < e1 and (e2 > s2 or s2 > s1):
                problems.append(f"{o1} and {o2} overlap on {key[0]} unit {key[1]}")
    return problems
