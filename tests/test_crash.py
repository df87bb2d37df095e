"""SIGKILL at random moments during an import, a count apply, a plan run and a daily close.

Each time the database must stay consistent (`db check` passes, no half batch), and running
the same command again must finish the work exactly as an uninterrupted run does.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from omnictl.db import open_db
from omnictl.dbtools import check_database

KILLS_PER_COMMAND = 6
OMNICTL = str(Path(sys.executable).with_name("omnictl"))
HEADER = ("order_id,line_id,channel,ordered_at,promised_ship_by,shipped_at,payment,fulfilment,status,"
          "sku,quantity,unit_price,currency,customer_name,customer_phone,customer_email\n")


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "OMNICTL_BUSY_TIMEOUT"}
    env["OMNICTL_TODAY"] = "2026-11-25"
    return env


def _run(args: list[str], db: Path) -> subprocess.CompletedProcess:
    return subprocess.run([OMNICTL, "--db", str(db), *args], env=_env(), capture_output=True, text=True,
                          timeout=300)


def _timed(args: list[str], db: Path) -> float:
    started = time.monotonic()
    result = _run(args, db)
    assert result.returncode in (0, 1), result.stderr
    return time.monotonic() - started


def _kill_somewhere(args: list[str], db: Path, within: float, rng: random.Random) -> float:
    """Start the command and SIGKILL it after a random delay; returns the delay."""
    delay = rng.uniform(0.05, within)
    proc = subprocess.Popen([OMNICTL, "--db", str(db), *args], env=_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(delay)
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    return delay


def _state(db_path: Path, queries: tuple[str, ...]) -> list:
    db = open_db(db_path)
    try:
        report = check_database(db)
        assert report.ok, [c for c in report.checks if c.status == "fail"]
        return [[tuple(r) for r in db.query(sql)] for sql in queries]
    finally:
        db.close()


def _survives_kills(base: Path, tmp_path: Path, args: list[str], queries: tuple[str, ...], seed: int) -> int:
    """Kill `args` on copies of `base` at random times; each must recover to the clean result."""
    clean = tmp_path / "clean.db"
    shutil.copy(base, clean)
    before = _state(clean, queries)
    duration = _timed(args, clean)
    expected = _state(clean, queries)
    rng = random.Random(seed)
    for attempt in range(KILLS_PER_COMMAND):
        victim = tmp_path / f"killed-{attempt}.db"
        shutil.copy(base, victim)
        delay = _kill_somewhere(args, victim, duration * 1.1, rng)
        assert _state(victim, queries) in (before, expected), f"half done after a kill at {delay:.2f} s"
        rerun = _run(args, victim)
        assert rerun.returncode in (0, 1), f"after a kill at {delay:.2f} s: {rerun.stderr}"
        assert _state(victim, queries) == expected, f"after a kill at {delay:.2f} s of {duration:.2f} s"
    return KILLS_PER_COMMAND


def _orders_file(path: Path, orders: int) -> Path:
    rows = "".join(f"K{n},{line},web,2026-11-20T08:00:00Z,2026-11-28,,paid,open,paid,SKU-{n % 50},1,9.90,EUR,"
                   f"Buyer {n},+86 138 {n:04d} 0000,b{n}@example.cn\n" for n in range(orders) for line in (1, 2))
    path.write_text(HEADER + rows, encoding="utf-8")
    return path


def test_a_killed_import_leaves_nothing_half_done_and_a_rerun_completes(tmp_path):
    base = tmp_path / "base.db"
    open_db(base).close()
    orders = _orders_file(tmp_path / "orders.csv", 6000)
    queries = ("SELECT count(*) FROM sales_order", "SELECT count(*) FROM order_line",
               "SELECT count(*), sum(lines_written) FROM import_batch WHERE undone_at IS NULL",
               "SELECT count(*) FROM party")
    _survives_kills(base, tmp_path, ["import", str(orders)], queries, seed=7)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("crash-demo")
    result = subprocess.run([OMNICTL, "--db", str(folder / "demo.db"), "demo"], env=_env(),
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return folder / "demo.db"


def test_a_killed_count_apply_posts_all_or_nothing(demo_db, tmp_path):
    count = demo_db.parent / "demo-exports" / "count_wh_hz.csv"
    args = ["reconcile", "count", str(count), "--location", "WH-HZ", "--apply", "--reason", "year-end count"]
    queries = ("SELECT sku, location, kind, quantity FROM stock_move WHERE kind = 'count' ORDER BY id",
               "SELECT count(*) FROM stock_count")
    _survives_kills(demo_db, tmp_path, args, queries, seed=11)


def test_a_killed_plan_run_keeps_one_current_schedule(demo_db, tmp_path):
    queries = ("SELECT count(*) FROM schedule_run WHERE is_current = 1",
               "SELECT count(*) FROM scheduled_op so JOIN schedule_run r ON r.id = so.run_id WHERE r.is_current = 1")
    _survives_kills(demo_db, tmp_path, ["plan", "run"], queries, seed=13)


def test_a_killed_close_stores_all_of_it_or_none(demo_db, tmp_path):
    queries = ("SELECT close_date, status FROM close_run ORDER BY close_date",
               "SELECT count(*) FROM close_check",
               "SELECT subject, status, level FROM exception ORDER BY subject",
               "SELECT count(*) FROM exception_event")
    _survives_kills(demo_db, tmp_path, ["close", "run", "--date", "2026-11-23"], queries, seed=17)
