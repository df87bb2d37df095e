"""The finite-capacity scheduling engine: every schedule it returns is feasible, and it is good.

The feasibility checker here is written independently of the engine (plain loops over the
problem's own data), so a bug in the engine's calendar arithmetic cannot hide itself.
"""

from __future__ import annotations

import importlib.util
import json
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ROOT, SHARED
from omnictl.planning.engine import (EngineError, Job, Operation, Placement, Problem, Resource, check_schedule,
                                     optimize, resource_loads, schedule)

JOBSHOP = SHARED / "benchmarks" / "jobshop"
HAS_ORTOOLS = importlib.util.find_spec("ortools") is not None


# ----------------------------------------------------------------------------------------------
# independent feasibility checker


def working_minutes(calendar, a: int, b: int) -> int:
    if calendar is None:
        return b - a
    total = 0
    last = None
    for s, e in calendar:
        lo, hi = max(s, a), min(e, b)
        if hi > lo:
            total += hi - lo
        last = e
    if b > last:                                   # open-ended after the last interval
        total += b - max(a, last)
    return total


def is_working(calendar, t: int) -> bool:
    if calendar is None:
        return True
    return any(s <= t < e for s, e in calendar) or t >= calendar[-1][1]


def violations(problem: Problem, sched) -> list[str]:
    out = []
    res = {r.code: r for r in problem.resources}
    jobs = {j.id: j for j in problem.jobs}
    units: dict[tuple[str, int], list] = {}
    for op in problem.operations:
        pl = sched.placements[op.id]
        assert pl.job == op.job
        if op.frozen is not None:
            if (pl.start, pl.end, pl.unit, pl.resource) != (op.frozen[0], op.frozen[1], op.frozen[2], op.resource):
                out.append(f"{op.id} frozen moved")
        else:
            allowed = {op.resource: op.duration}
            for alt in op.alternatives:
                if isinstance(alt, str):
                    allowed.setdefault(alt, op.duration)
                else:
                    allowed.setdefault(alt[0], alt[1])
            if pl.resource not in allowed:
                out.append(f"{op.id} on {pl.resource}")
                continue
            need = op.setup + allowed[pl.resource]
            cal = res[pl.resource].calendar
            if working_minutes(cal, pl.start, pl.end) != need:
                out.append(f"{op.id} works {working_minutes(cal, pl.start, pl.end)} of {need}")
            if need and not is_working(cal, pl.start):
                out.append(f"{op.id} starts off shift")
            if pl.start < max(op.release, jobs[op.job].release):
                out.append(f"{op.id} before release")
        if not 0 <= pl.unit < res[pl.resource].units:
            out.append(f"{op.id} unit {pl.unit}")
        units.setdefault((pl.resource, pl.unit), []).append((pl.start, pl.end, op.id))
    for items in units.values():
        for i, (s1, e1, a) in enumerate(items):
            for s2, e2, b in items[i + 1:]:
                if s1 < e2 and s2 < e1:
                    out.append(f"{a} overlaps {b}")
    by_job: dict[str, list[Operation]] = {}
    for op in problem.operations:
        by_job.setdefault(op.job, []).append(op)
    for ops in by_job.values():
        ops.sort(key=lambda o: o.seq)
        for a, b in zip(ops, ops[1:]):
            if b.frozen is None and sched.placements[b.id].start < sched.placements[a.id].end:
                out.append(f"{b.id} before {a.id} ends")
    return out


def assert_feasible(problem, sched):
    assert violations(problem, sched) == []
    assert check_schedule(problem, sched) == []
    ends = [p.end for p in sched.placements.values()]
    assert sched.metrics.makespan == (max(ends) if ends else 0)


# ----------------------------------------------------------------------------------------------
# random problems


def shifts(day_len: int, on: int, days: int):
    return [(d * day_len, d * day_len + on) for d in range(days)]


@st.composite
def problems(draw):
    n_res = draw(st.integers(1, 4))
    resources = []
    for r in range(n_res):
        cal = None
        if draw(st.booleans()):
            day = draw(st.integers(60, 200))
            cal = shifts(day, draw(st.integers(20, day)), draw(st.integers(1, 6)))
            if draw(st.booleans()):
                cal = [(s + 7, e) for s, e in cal]
        resources.append(Resource(f"R{r}", units=draw(st.integers(1, 3)), calendar=cal))
    jobs = []
    ops = []
    frozen_slots: dict[tuple[str, int], int] = {}
    for j in range(draw(st.integers(1, 6))):
        due = draw(st.one_of(st.none(), st.integers(0, 400)))
        jobs.append(Job(f"J{j}", due=due, weight=draw(st.sampled_from([1, 2, 4])),
                        release=draw(st.integers(0, 50)), priority=draw(st.sampled_from([0, 0, 1]))))
        for k in range(draw(st.integers(1, 4))):
            r = draw(st.integers(0, n_res - 1))
            duration = draw(st.integers(0, 90))
            setup = draw(st.sampled_from([0, 0, 5]))
            alts = []
            if n_res > 1 and draw(st.booleans()):
                other = draw(st.integers(0, n_res - 1))
                if other != r:
                    alts.append(f"R{other}" if draw(st.booleans()) else (f"R{other}", draw(st.integers(1, 60))))
            frozen = None
            if k == 0 and draw(st.integers(0, 4)) == 0:
                unit = draw(st.integers(0, resources[r].units - 1))
                s = frozen_slots.get((f"R{r}", unit), 0) + draw(st.integers(0, 30))
                frozen = (s, s + setup + duration + draw(st.integers(0, 20)), unit)
                frozen_slots[(f"R{r}", unit)] = frozen[1]
                alts = []
            ops.append(Operation(f"J{j}.{k}", f"J{j}", k, f"R{r}", duration, setup=setup, alternatives=tuple(alts),
                                 release=draw(st.integers(0, 120)), frozen=frozen))
    return Problem(resources, jobs, ops)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(), st.sampled_from(["auto", "makespan", "tardiness"]), st.integers(0, 3))
def test_random_problems_get_feasible_schedules(problem, objective, seed):
    sched = schedule(problem, objective=objective, max_iterations=40, seed=seed)
    assert_feasible(problem, sched)
    again = schedule(problem, objective=objective, max_iterations=40, seed=seed)
    assert {k: (p.start, p.unit) for k, p in again.placements.items()} == \
        {k: (p.start, p.unit) for k, p in sched.placements.items()}


# ----------------------------------------------------------------------------------------------
# benchmark instances


def load_jobshop(name: str) -> Problem:
    path = JOBSHOP / f"{name}.txt"
    if not path.exists():
        pytest.skip(f"{path} not available (../shared is absent)")
    rows = [list(map(int, line.split())) for line in path.read_text().splitlines() if line.strip()]
    n, m = rows[0][:2]
    ops = [Operation(f"{j}.{k}", f"J{j}", k, f"M{rows[1 + j][2 * k]}", rows[1 + j][2 * k + 1])
           for j in range(n) for k in range(m)]
    return Problem([Resource(f"M{i}") for i in range(m)], [Job(f"J{j}") for j in range(n)], ops)


def test_ft06_reaches_the_optimum():
    problem = load_jobshop("ft06")
    sched = schedule(problem, max_iterations=500)
    assert_feasible(problem, sched)
    assert sched.metrics.makespan == 55
    assert sched.objective == "makespan"
    assert sched.lower_bound == 47            # the longest job


def test_la01_within_ten_percent_and_construction_alone_is_close():
    problem = load_jobshop("la01")
    sched = schedule(problem, seconds=0.5)
    assert_feasible(problem, sched)
    assert sched.metrics.makespan <= 666 * 1.10
    quick = schedule(problem, seconds=0)
    assert_feasible(problem, quick)
    assert quick.iterations == 0 and "+" not in quick.method
    assert quick.metrics.makespan <= 666 * 1.15


def test_jobshop_benchmark_json(capsys):
    if not (JOBSHOP / "ft06.txt").exists():
        pytest.skip("../shared is absent")
    spec = importlib.util.spec_from_file_location("jobshop_bench", ROOT / "benchmarks" / "jobshop.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main([str(JOBSHOP / "ft06.txt"), "--json", "--seconds", "0.3"]) == 0
    (item,) = json.loads(capsys.readouterr().out)
    assert item["instance"] == "ft06" and item["makespan"] == 55
    rows = [list(map(int, line.split())) for line in (JOBSHOP / "ft06.txt").read_text().splitlines() if line.strip()]
    busy: dict[int, list] = {}
    for j, starts in enumerate(item["starts"]):
        assert len(starts) == 6
        t = 0
        for k, s in enumerate(starts):
            machine, d = rows[1 + j][2 * k], rows[1 + j][2 * k + 1]
            assert s >= t
            t = s + d
            busy.setdefault(machine, []).append((s, s + d))
    for intervals in busy.values():
        intervals.sort()
        assert all(b[0] >= a[1] for a, b in zip(intervals, intervals[1:]))
    assert max(s + rows[1 + j][2 * k + 1] for j, st_ in enumerate(item["starts"]) for k, s in enumerate(st_)) == 55


# ----------------------------------------------------------------------------------------------
# units, calendars, frozen operations, alternatives, releases, priorities


def test_units_run_operations_side_by_side():
    problem = Problem([Resource("OVEN", units=2)], [Job(f"J{i}") for i in range(3)],
                      [Operation(f"O{i}", f"J{i}", 1, "OVEN", 60) for i in range(3)])
    sched = schedule(problem)
    assert_feasible(problem, sched)
    starts = sorted((p.start, p.unit) for p in sched.placements.values())
    assert [s for s, _ in starts] == [0, 0, 60]
    assert {u for s, u in starts if s == 0} == {0, 1}
    assert sched.metrics.makespan == 120
    assert sched.metrics.utilisation == {"OVEN": 0.75}      # 180 busy of 2 x 120 available


def test_an_operation_splits_across_a_shift_gap():
    # shifts 0-480 and 960-1440: 600 minutes of work = 480 today + 120 tomorrow
    problem = Problem([Resource("CNC", calendar=[(0, 480), (960, 1440)])], [Job("J")],
                      [Operation("cut", "J", 1, "CNC", 570, setup=30)])
    sched = schedule(problem)
    assert_feasible(problem, sched)
    pl = sched.placements["cut"]
    assert (pl.start, pl.end) == (0, 1080)
    assert sched.metrics.utilisation == {"CNC": 1.0}        # 600 working minutes in [0, 1080]


def test_work_starts_at_the_next_shift_and_after_its_predecessor():
    problem = Problem([Resource("A"), Resource("B", calendar=[(100, 200), (300, 400)])], [Job("J")],
                      [Operation("a", "J", 1, "A", 150), Operation("b", "J", 2, "B", 60)])
    sched = schedule(problem)
    assert_feasible(problem, sched)
    assert (sched.placements["b"].start, sched.placements["b"].end) == (150, 310)   # 50 today, 10 next shift
    problem2 = Problem(problem.resources, problem.jobs,
                       [Operation("a", "J", 1, "A", 210), Operation("b", "J", 2, "B", 60)])
    sched2 = schedule(problem2)
    assert (sched2.placements["b"].start, sched2.placements["b"].end) == (300, 360)


def test_frozen_operation_is_kept_and_blocks_its_unit():
    problem = Problem(
        [Resource("PRESS")],
        [Job("RUNNING"), Job("NEW")],
        [Operation("r1", "RUNNING", 1, "PRESS", 100, frozen=(100, 200, 0)),
         Operation("r2", "RUNNING", 2, "PRESS", 10),
         Operation("n1", "NEW", 1, "PRESS", 150)])
    sched = schedule(problem, objective="makespan")
    assert_feasible(problem, sched)
    assert (sched.placements["r1"].start, sched.placements["r1"].end) == (100, 200)
    # n1 (150 min) does not fit before the frozen block at 100: it goes after it
    assert sched.placements["n1"].start >= 200
    assert sched.placements["r2"].start >= 200
    assert sched.metrics.makespan == 360


def test_alternative_resource_is_used_when_the_primary_is_busy():
    problem = Problem(
        [Resource("LASER"), Resource("PLASMA")],
        [Job("OLD"), Job("NEW")],
        [Operation("old", "OLD", 1, "LASER", 500, frozen=(0, 500, 0)),
         Operation("new", "NEW", 1, "LASER", 60, alternatives=(("PLASMA", 90),))])
    sched = schedule(problem)
    assert_feasible(problem, sched)
    pl = sched.placements["new"]
    assert (pl.resource, pl.start, pl.end) == ("PLASMA", 0, 90)


def test_primary_is_kept_when_it_finishes_sooner():
    problem = Problem([Resource("LASER"), Resource("PLASMA")], [Job("J")],
                      [Operation("new", "J", 1, "LASER", 60, alternatives=(("PLASMA", 90),))])
    pl = schedule(problem).placements["new"]
    assert (pl.resource, pl.start, pl.end) == ("LASER", 0, 60)


def test_release_dates_hold():
    problem = Problem([Resource("M")], [Job("A", release=30), Job("B")],
                      [Operation("a", "A", 1, "M", 10), Operation("b", "B", 1, "M", 10, release=100)])
    sched = schedule(problem)
    assert_feasible(problem, sched)
    assert sched.placements["a"].start == 30
    assert sched.placements["b"].start == 100


def test_weighted_tardiness_metrics_and_the_rush_order():
    def build(priority_b: int):
        return Problem([Resource("M")],
                       [Job("A", due=100, weight=2), Job("B", due=100, weight=1, priority=priority_b)],
                       [Operation("a", "A", 1, "M", 80), Operation("b", "B", 1, "M", 80)])
    plain = schedule(build(0))
    assert plain.objective == "tardiness"
    assert plain.placements["a"].start == 0 and plain.placements["b"].start == 80
    assert plain.metrics.late_jobs == ["B"]
    assert plain.metrics.tardiness == {"B": 60}
    assert plain.metrics.total_weighted_tardiness == 60
    rush = schedule(build(1))                    # B's lateness now weighs 1 x 10
    assert rush.placements["b"].start == 0 and rush.placements["a"].start == 80
    assert rush.metrics.late_jobs == ["A"]
    assert rush.metrics.total_weighted_tardiness == 120


def test_loads_and_bottleneck():
    problem = Problem([Resource("SAW"), Resource("LATHE", units=2), Resource("PAINT", calendar=[(0, 60)])],
                      [Job("J1"), Job("J2")],
                      [Operation("1a", "J1", 1, "SAW", 40), Operation("1b", "J1", 2, "LATHE", 60),
                       Operation("2a", "J2", 1, "SAW", 40), Operation("2b", "J2", 2, "PAINT", 50)],
                      horizon=100)
    assert resource_loads(problem) == {"SAW": 0.8, "LATHE": 0.3, "PAINT": 50 / 60}
    sched = schedule(problem)
    assert_feasible(problem, sched)
    assert sched.metrics.bottlenecks == ["PAINT"]             # 0.83 beats 0.80 by more than 2 %
    assert sched.metrics.horizon == 100
    assert sched.metrics.utilisation["SAW"] == 0.8


def test_check_schedule_reports_overlaps_and_precedence():
    problem = Problem([Resource("M")], [Job("A"), Job("B")],
                      [Operation("a1", "A", 1, "M", 10), Operation("a2", "A", 2, "M", 10),
                       Operation("b1", "B", 1, "M", 10)])
    sched = schedule(problem)
    assert check_schedule(problem, sched) == []
    sched.placements["b1"] = Placement("b1", "B", "M", 0, sched.placements["a1"].start, sched.placements["a1"].end)
    sched.placements["a2"] = Placement("a2", "A", "M", 0, 0, 10)
    found = check_schedule(problem, sched)
    assert any("overlap" in f for f in found)
    assert any(f.startswith("a2: starts at 0 before a1") for f in found)


def test_malformed_problems_are_refused():
    with pytest.raises(EngineError, match="unknown resource"):
        schedule(Problem([Resource("M")], [Job("J")], [Operation("o", "J", 1, "X", 5)]))
    with pytest.raises(EngineError, match="same seq"):
        schedule(Problem([Resource("M")], [Job("J")], [Operation("o", "J", 1, "M", 5), Operation("p", "J", 1, "M", 5)]))
    with pytest.raises(EngineError, match="no working time"):
        schedule(Problem([Resource("M", calendar=[])], [Job("J")], [Operation("o", "J", 1, "M", 5)]))


# ----------------------------------------------------------------------------------------------
# CP-SAT


def test_optimize_without_ortools_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "ortools", None)
    monkeypatch.setitem(sys.modules, "ortools.sat", None)
    monkeypatch.setitem(sys.modules, "ortools.sat.python", None)
    problem = Problem([Resource("M")], [Job("J")], [Operation("o", "J", 1, "M", 5)])
    with pytest.raises(EngineError, match=r"pip install 'omnictl\[optimize\]'"):
        optimize(problem, 1)


@pytest.mark.skipif(not HAS_ORTOOLS, reason="ortools not installed")
def test_optimize_proves_ft06_and_respects_calendars():
    problem = load_jobshop("ft06")
    start = schedule(problem, seconds=0)
    best = optimize(problem, 5, start=start)
    assert_feasible(problem, best)
    assert best.metrics.makespan == 55
    # a shared two-shift calendar, a frozen operation and units: solved on the working-time axis
    cal = [(0, 480), (960, 1440), (1920, 2400)]
    problem = Problem([Resource("A", units=2, calendar=cal), Resource("B", calendar=cal)],
                      [Job("J1", due=900), Job("J2", due=500), Job("J3")],
                      [Operation("1a", "J1", 1, "A", 300), Operation("1b", "J1", 2, "B", 200),
                       Operation("2a", "J2", 1, "A", 100, frozen=(0, 100, 1)), Operation("2b", "J2", 2, "B", 250),
                       Operation("3a", "J3", 1, "B", 100, alternatives=("A",))])
    sched = optimize(problem, 5)
    assert_feasible(problem, sched)
    assert sched.metrics.late_jobs == [] or sched.metrics.total_weighted_tardiness <= \
        schedule(problem).metrics.total_weighted_tardiness
    assert sched.placements["2a"].start == 0 and sched.placements["2a"].unit == 1


@pytest.mark.skipif(not HAS_ORTOOLS, reason="ortools not installed")
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(), st.sampled_from(["makespan", "tardiness"]))
def test_optimize_keeps_random_schedules_feasible_and_never_worse(problem, objective):
    base = schedule(problem, objective=objective, max_iterations=20)
    best = optimize(problem, 0.2, start=base, objective=objective, workers=1)
    assert_feasible(problem, best)

    def key(m):
        pair = (m.makespan, m.total_weighted_tardiness)
        return pair if objective == "makespan" else pair[::-1]
    assert key(best.metrics) <= key(base.metrics)
