"""The scheduling engine at shop size: 2,000 jobs x 5 operations on 30 resources, 60 days.

Builds a synthetic problem with calendars (one, two or three 8-hour shifts on weekdays,
some resources also on Saturday mornings), 1-3 units per resource, a deliberate bottleneck,
alternatives on a fifth of the operations, material release dates, due dates (some
unreachable, so there is late work) and 20 frozen operations already running; schedules it
with the heuristic (default budget), checks the result with `check_schedule`, then re-plans
with one order pushed to the top (priority 1, a rush order) and reports both times.

    python benchmarks/schedule_bench.py
    python benchmarks/schedule_bench.py --jobs 500 --seconds 0.5 --seed 3
"""

from __future__ import annotations

import argparse
import random
import sys
import time

from omnictl.planning.engine import Job, Operation, Problem, Resource, check_schedule, schedule

DAY = 24 * 60


def calendar(days: int, shifts: int, saturday: bool) -> list[tuple[int, int]]:
    out = []
    for d in range(days):
        weekday = d % 7                      # day 0 is a Monday
        if weekday < 5:
            if shifts >= 3:
                out.append((d * DAY, (d + 1) * DAY))
            else:
                out.append((d * DAY + 6 * 60, d * DAY + (6 + 8 * shifts) * 60))
        elif weekday == 5 and saturday:
            out.append((d * DAY + 6 * 60, d * DAY + 14 * 60))
    merged = []
    for s, e in out:
        if merged and merged[-1][1] == s:
            merged[-1] = (merged[-1][0], e)
        else:
            merged.append((s, e))
    return merged


def build(jobs: int, ops: int, resources: int, days: int, seed: int) -> Problem:
    rng = random.Random(seed)
    res = []
    for r in range(resources):
        shifts = rng.choice((1, 2, 2, 2, 3))
        res.append(Resource(f"WC{r:02d}", units=rng.choice((1, 1, 2, 2, 3)),
                            calendar=calendar(days, shifts, saturday=rng.random() < 0.3)))
    capacity = {x.code: x.units * sum(e - s for s, e in x.calendar) for x in res}
    per_resource = jobs * ops / resources          # operations per resource on average
    job_list = []
    op_list = []
    busy_until: dict[str, int] = {}
    for j in range(jobs):
        release = rng.randrange(0, days * DAY * 2 // 3)
        route = rng.sample(range(resources), ops)
        if rng.random() < 0.08 and 0 not in route:
            route[rng.randrange(ops)] = 0          # WC00 gets more work: the bottleneck
        started = j % 100 == 0                     # 20 jobs have their first operation running
        total = 0
        for k, r in enumerate(route):
            code = f"WC{r:02d}"
            mean = 0.75 * capacity[code] / per_resource
            duration = max(10, int(rng.expovariate(1.0 / mean)))
            setup = rng.choice((0, 0, 15, 30))
            alts = ()
            if rng.random() < 0.2:
                other = rng.randrange(resources)
                if other != r:
                    alts = (f"WC{other:02d}",)
            frozen = None
            if started and k == 0:
                s = busy_until.get(code, 0)
                frozen = (s, s + setup + duration, 0)
                busy_until[code] = frozen[1]
                alts = ()
            op_list.append(Operation(f"O{j}.{k}", f"J{j}", k * 10, code, duration, setup=setup,
                                     alternatives=alts, release=release if k == 0 and not started else 0,
                                     frozen=frozen))
            total += setup + duration
        due = release + int(total * rng.uniform(2.0, 8.0)) + rng.randrange(DAY, 10 * DAY)
        job_list.append(Job(f"J{j}", due=due, weight=rng.choice((1, 1, 2, 4))))
    fixed = op_list
    return Problem(res, job_list, fixed, horizon=days * DAY)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--jobs", type=int, default=2000)
    ap.add_argument("--ops", type=int, default=5)
    ap.add_argument("--resources", type=int, default=30)
    ap.add_argument("--days", type=int, default=60)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--seconds", type=float, default=None, help="improvement budget (default: the engine's)")
    args = ap.parse_args(argv)

    t = time.perf_counter()
    problem = build(args.jobs, args.ops, args.resources, args.days, args.seed)
    print(f"built {len(problem.jobs)} jobs, {len(problem.operations)} operations, "
          f"{len(problem.resources)} resources in {time.perf_counter() - t:.2f} s")

    t = time.perf_counter()
    base = schedule(problem, seconds=args.seconds, seed=args.seed)
    plan_s = time.perf_counter() - t
    m = base.metrics
    print(f"schedule: {plan_s:.2f} s ({base.method}, {base.iterations} moves tried)")
    print(f"  makespan {m.makespan} min ({m.makespan / DAY:.1f} days), late jobs {len(m.late_jobs)}, "
          f"total weighted tardiness {m.total_weighted_tardiness:,.0f}")
    top = sorted(m.utilisation.items(), key=lambda kv: -kv[1])[:3]
    print(f"  bottleneck(s) {', '.join(m.bottlenecks)}; load {', '.join(f'{c} {m.load[c]:.2f}' for c in m.bottlenecks)}; "
          f"top utilisation {', '.join(f'{c} {u:.0%}' for c, u in top)}")
    t = time.perf_counter()
    errors = check_schedule(problem, base)
    print(f"  check_schedule: {len(errors)} violations ({time.perf_counter() - t:.2f} s)")

    # a rush order: the latest-due late job goes to the top
    rush_id = max(m.late_jobs, key=lambda j: m.tardiness[j]) if m.late_jobs else problem.jobs[-1].id
    jobs = [Job(j.id, j.due, j.weight, j.release, priority=1 if j.id == rush_id else 0) for j in problem.jobs]
    rushed_problem = Problem(problem.resources, jobs, problem.operations, problem.horizon)
    t = time.perf_counter()
    rushed = schedule(rushed_problem, seconds=args.seconds, seed=args.seed)
    rush_s = time.perf_counter() - t
    r = rushed.metrics
    moved = sum(1 for j in m.completion if r.completion[j] != m.completion[j])
    print(f"rush {rush_id}: {rush_s:.2f} s; its completion {m.completion[rush_id]} -> {r.completion[rush_id]} "
          f"(due {next(j.due for j in jobs if j.id == rush_id)}), {moved} jobs move, "
          f"late jobs {len(m.late_jobs)} -> {len(r.late_jobs)}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
