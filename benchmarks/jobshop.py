"""Classic job-shop (and flexible job-shop) instances through the planning engine.

    python benchmarks/jobshop.py ../shared/benchmarks/jobshop/*.txt
    python benchmarks/jobshop.py ../shared/benchmarks/jobshop/ft10.txt --json
    python benchmarks/jobshop.py ../shared/benchmarks/jobshop/*.txt --optimize 10
    python benchmarks/jobshop.py ../shared/benchmarks/fjsp/*.fjs

Job-shop files (OR-Library / JSPLIB format): first line `jobs machines`, then one line per job
with `machine duration` pairs in route order, machines 0-based; lines starting with `#` and
text before the first numeric line are skipped. Flexible job-shop files (`.fjs`, Brandimarte
format): first line `jobs machines [average]`, then per job `n_ops` and per operation
`k` followed by `k` pairs `machine duration`, machines 1-based.

Each instance goes into the same engine as `plan run`: jobs as jobs (no due dates), machines
as single-unit resources without calendars, durations in minutes; the objective is the
makespan. The optimum (or best known value) comes from `optima.csv` or `best_known.csv` beside
the file when present (column `optimum_or_best_known`). `--json` prints a list of
{"instance", "makespan", "seconds", "starts": [[start of op 0 of job 0, ...], ...]} (plus
"machines" for flexible instances: the machine chosen for each operation, 0-based).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path

from omnictl.planning.engine import EngineError, Job, Operation, Problem, Resource, optimize, schedule


def _numbers(path: Path) -> list[list[int]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            rows.append([int(float(x)) for x in line.split()])
        except ValueError:
            if rows:
                raise
            continue                       # a title line before the data
    return rows


def load_instance(path: Path) -> tuple[Problem, bool]:
    """The engine problem for one file, and whether it is a flexible instance."""
    rows = _numbers(path)
    if not rows:
        raise EngineError(f"{path}: no data")
    n_jobs, n_machines = rows[0][0], rows[0][1]
    flexible = path.suffix == ".fjs" or len(rows[0]) >= 3
    resources = [Resource(f"M{m}") for m in range(n_machines)]
    jobs = [Job(f"J{j}") for j in range(n_jobs)]
    ops = []
    for j in range(n_jobs):
        row = rows[1 + j]
        if not flexible:
            for k in range(len(row) // 2):
                m, d = row[2 * k], row[2 * k + 1]
                ops.append(Operation(f"J{j}.{k}", f"J{j}", k, f"M{m}", d))
            continue
        count, i = row[0], 1
        for k in range(count):
            options = []
            for _ in range(row[i]):
                options.append((f"M{row[i + 1] - 1}", row[i + 2]))
                i += 2
            i += 1
            (code, d), rest = options[0], options[1:]
            ops.append(Operation(f"J{j}.{k}", f"J{j}", k, code, d, alternatives=tuple(rest)))
    return Problem(resources, jobs, ops), flexible


def load_optima(folder: Path) -> dict[str, int]:
    out = {}
    for name in ("optima.csv", "best_known.csv"):
        path = folder / name
        if path.exists():
            with path.open(encoding="utf-8", newline="") as fh:
                for row in csv.DictReader(fh):
                    try:
                        out[row["name"]] = int(row["optimum_or_best_known"])
                    except (KeyError, ValueError):
                        continue
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="+", type=Path)
    ap.add_argument("--json", action="store_true", help="print a JSON list with every operation's start")
    ap.add_argument("--optimize", type=float, metavar="SECONDS", default=None,
                    help="improve each heuristic schedule with CP-SAT for SECONDS")
    ap.add_argument("--seconds", type=float, default=None, help="heuristic improvement budget (default: by size)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    optima: dict[Path, dict[str, int]] = {}
    results = []
    gaps = []
    if not args.json:
        print(f"{'instance':<10} {'size':>7} {'makespan':>9} {'optimum':>8} {'gap %':>7} {'seconds':>8}  method")
    for path in args.files:
        problem, flexible = load_instance(path)
        started = time.perf_counter()
        sched = schedule(problem, objective="makespan", seconds=args.seconds, seed=args.seed)
        if args.optimize is not None:
            try:
                sched = optimize(problem, args.optimize, start=sched, objective="makespan", seed=args.seed)
            except EngineError as exc:
                print(f"error: {exc}", file=sys.stderr)
                return 2
        seconds = time.perf_counter() - started
        folder = path.parent
        if folder not in optima:
            optima[folder] = load_optima(folder)
        best = optima[folder].get(path.stem)
        makespan = sched.metrics.makespan
        gap = None if not best else 100.0 * (makespan - best) / best
        if gap is not None:
            gaps.append(gap)
        n_jobs = len(problem.jobs)
        starts = []
        machines = []
        for j in range(n_jobs):
            row_s, row_m = [], []
            k = 0
            while f"J{j}.{k}" in sched.placements:
                pl = sched.placements[f"J{j}.{k}"]
                row_s.append(pl.start)
                row_m.append(int(pl.resource[1:]))
                k += 1
            starts.append(row_s)
            machines.append(row_m)
        item = {"instance": path.stem, "makespan": makespan, "seconds": round(seconds, 3), "starts": starts}
        if flexible:
            item["machines"] = machines
        results.append(item)
        if not args.json:
            size = f"{n_jobs}x{len(problem.resources)}"
            print(f"{path.stem:<10} {size:>7} {makespan:>9} {best if best else '-':>8} "
                  f"{'-' if gap is None else f'{gap:.2f}':>7} {seconds:>8.2f}  {sched.method}", flush=True)
    if args.json:
        print(json.dumps(results))
    elif gaps:
        print(f"average gap over {len(gaps)} instances: {sum(gaps) / len(gaps):.2f} %")
    return 0


if __name__ == "__main__":
    sys.exit(main())
