"""The console's responsiveness: launch to the first screen drawn, and a key press to the next
screen drawn, on the demo database and on a 1,000,000-line database.

Launch is timed from starting a fresh Python process (which loads the CLI as `omnictl tui`
does) to the orders table's first page being drawn (headless, 160x48), beside the same measure for a minimal Textual app that draws one
line (the floor every Textual app pays), as a ratio. Key presses are timed in one process:
from pressing the key to the next screen's table showing its first page, beside a trivial app
switching between two static screens. Targets: launch under 1 s, key under 100 ms.

    python benchmarks/tui_bench.py                          # demo + 1,000,000 lines
    python benchmarks/tui_bench.py --lines 100000 --workdir /tmp/tb
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

LAUNCH_TARGET_S = 1.0
KEY_TARGET_MS = 100.0
SIZE = (160, 48)


# -- in the child process ------------------------------------------------------------------------

async def _until(pilot, ready, timeout: float = 30.0) -> None:
    deadline = time.perf_counter() + timeout
    while not ready():
        if time.perf_counter() > deadline:
            raise TimeoutError("the screen was not drawn in time")
        await pilot.pause(0.001)


def _table_drawn(app, selector: str):
    def ready() -> bool:
        from tui.widgets.vtable import VirtualTable

        try:
            table = app.screen.query_one(selector, VirtualTable)
        except Exception:
            return False
        return 0 in table._pages or table.row_count == 0      # rows on screen (the count may follow)
    return ready


def child_console(db_path: str, keys: int) -> None:
    from omnictl.cli import main  # what `omnictl tui` loads before the app
    from omnictl.db import open_db
    from tui.app import OmniApp

    main._register()
    app = OmniApp(open_db(db_path, migrate=False), "en", poll=False, first="orders")

    async def run() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await _until(pilot, _table_drawn(app, "#orders"))
            await pilot.pause()
            print("DRAWN", flush=True)
            timings = []
            for i in range(keys):
                for key, selector in (("3", "#positions"), ("2", "#orders")):
                    started = time.perf_counter()
                    await pilot.press(key)
                    await _until(pilot, _table_drawn(app, selector))
                    await pilot.pause()
                    timings.append((f"{key} first" if i == 0 else key, time.perf_counter() - started))
            for name, seconds in timings:
                print(f"KEY {name} {seconds * 1000:.1f}", flush=True)

    asyncio.run(run())


def child_floor(keys: int) -> None:
    from textual.app import App
    from textual.screen import Screen
    from textual.widgets import Static

    class One(Screen):
        def compose(self):
            yield Static("one", id="text")

    class Two(Screen):
        def compose(self):
            yield Static("two", id="text")

    class Floor(App):
        MODES = {"one": One, "two": Two}

        def on_mount(self) -> None:
            self.switch_mode("one")

    app = Floor()

    async def run() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await _until(pilot, lambda: app.screen.query("#text"))
            await pilot.pause()
            print("DRAWN", flush=True)
            for i in range(keys):
                for mode in ("two", "one"):
                    started = time.perf_counter()
                    app.switch_mode(mode)
                    await _until(pilot, lambda mode=mode: app.current_mode == mode and app.screen.query("#text"))
                    await pilot.pause()
                    print(f"KEY {mode} {(time.perf_counter() - started) * 1000:.1f}", flush=True)

    asyncio.run(run())


# -- in the parent ------------------------------------------------------------------------------

def launch(args: list[str]) -> tuple[float, list[tuple[str, float]]]:
    """(seconds from process start to DRAWN, [(key, ms)])."""
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, __file__, *args], stdout=subprocess.PIPE, text=True,
                               env={**os.environ, "OMNICTL_TODAY": os.environ.get("OMNICTL_TODAY", "2026-11-25")})
    drawn, keys = None, []
    for line in process.stdout:
        if line.startswith("DRAWN"):
            drawn = time.perf_counter() - started
        elif line.startswith("KEY"):
            parts = line.split()
            name, ms = " ".join(parts[1:-1]), parts[-1]
            keys.append((name, float(ms)))
    if process.wait() != 0 or drawn is None:
        raise SystemExit(f"the child run failed: {args}")
    return drawn, keys


def build_demo(workdir: Path) -> Path:
    path = workdir / "demo.db"
    if not path.exists():
        from omnictl import clock
        from omnictl.demo import build_demo as build

        clock.pin("2026-11-25")
        build(path)
    return path


def paging(name: str, db_path: Path) -> None:
    """The orders table's data: its count and a page at the top, the middle and the end, beside
    raw sqlite3 reading the same ids in the same order."""
    import sqlite3

    from omnictl import browse
    from omnictl.db import open_db

    db = open_db(db_path, migrate=False)
    raw = sqlite3.connect(db_path)
    where = browse.OrderFilter()

    def best(fn) -> float:
        times = []
        for _ in range(5):
            started = time.perf_counter()
            fn()
            times.append(time.perf_counter() - started)
        return statistics.median(times) * 1000

    total = browse.count_orders(db, where)
    ours = best(lambda: browse.count_orders(db, where))
    base = best(lambda: raw.execute("SELECT count(*) FROM sales_order").fetchone())
    print(f"{name}: count of {total:,} orders  omnictl {ours:.1f} ms   sqlite3 {base:.1f} ms   ratio {ours / base:.2f}")
    for label, offset in (("top", 0), ("middle", total // 2), ("end", max(0, total - 100))):
        ours = best(lambda: browse.page_orders(db, where, offset, 100))
        base = best(lambda: raw.execute("SELECT id FROM sales_order ORDER BY ordered_on DESC, id DESC LIMIT 100 "
                                        "OFFSET ?", (offset,)).fetchall())
        print(f"{name}: page of 100 at the {label:<6}  omnictl {ours:.1f} ms   sqlite3 ids only {base:.1f} ms   "
              f"ratio {ours / base:.2f}")
    db.close()
    raw.close()


def report(name: str, db_path: Path, runs: int, keys: int) -> None:
    paging(name, db_path)
    ours = [launch(["--child", str(db_path), "--keys", str(keys)]) for _ in range(runs)]
    floor = [launch(["--floor", "--keys", str(keys)]) for _ in range(runs)]
    ours_s = statistics.median(d for d, _ in ours)
    floor_s = statistics.median(d for d, _ in floor)
    print(f"{name}: launch to first screen drawn  omnictl {ours_s:.3f} s   minimal Textual app {floor_s:.3f} s   "
          f"ratio {ours_s / floor_s:.2f}   target < {LAUNCH_TARGET_S:g} s: {'ok' if ours_s < LAUNCH_TARGET_S else 'MISSED'}")
    floor_keys = [ms for _, k in floor for _, ms in k]
    floor_ms = statistics.median(floor_keys)
    by_key: dict[str, list[float]] = {}
    for _, k in ours:
        for key, ms in k:
            by_key.setdefault(key, []).append(ms)
    for key, values in by_key.items():
        ms = statistics.median(values)
        label = {"3 first": "2→3 stock (first visit)", "2 first": "3→2 orders (first return)",
                 "3": "2→3 stock (again)", "2": "3→2 orders (again)"}[key]
        print(f"{name}:   key {label:<28} {ms:7.1f} ms   floor screen switch {floor_ms:.1f} ms   "
              f"ratio {ms / floor_ms:.1f}   target < {KEY_TARGET_MS:g} ms: {'ok' if ms < KEY_TARGET_MS else 'MISSED'}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000, help="order lines in the large database (0: skip)")
    parser.add_argument("--workdir", type=Path, help="keep and reuse the databases here")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keys", type=int, default=3)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--floor", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child_console(args.child, args.keys)
        return 0
    if args.floor:
        child_floor(args.keys)
        return 0
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="tui-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    report("demo", build_demo(workdir), args.runs, args.keys)
    if args.lines:
        from search_bench import build

        report(f"{args.lines:,} lines", build(workdir, args.lines, args.seed), args.runs, args.keys)
    return 0


if __name__ == "__main__":
    sys.exit(main())
