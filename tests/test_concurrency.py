"""Several writer and reader processes on one database file, as cron and staff use it.

Writers run the real CLI (`omnictl import`, `omnictl stock adjust`, `omnictl close run`) in parallel processes;
readers check, inside one read transaction each time, that every batch is seen whole and
that the stock balance equals the sum of the ledger. At the end every write is there once,
and no process saw "database is locked".
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from omnictl.db import open_db

WRITERS, READERS = 4, 4
WRITES_EACH = 5           # each write is one import file and one stock adjustment
ORDERS_PER_FILE, LINES_PER_ORDER = 20, 2
HEADER = ("order_id,line_id,channel,ordered_at,promised_ship_by,shipped_at,payment,fulfilment,status,"
          "sku,quantity,unit_price,currency,customer_name,customer_phone,customer_email\n")

READER = r"""
import json, os, sys, time
from omnictl.db import open_db
db = open_db(sys.argv[1])
stop, deadline, checks, problems = sys.argv[2], time.monotonic() + 300, 0, []
while not os.path.exists(stop) and time.monotonic() < deadline:
    try:
        db.execute("BEGIN")
        batches = db.query("SELECT b.id, b.lines_written, count(l.id) AS seen FROM import_batch b "
                           "LEFT JOIN order_line l ON l.first_batch_id = b.id WHERE b.kind = 'orders' "
                           "GROUP BY b.id")
        half = [dict(b) for b in batches if b["seen"] != b["lines_written"]]
        ledger = db.scalar("SELECT coalesce(sum(quantity), 0) FROM stock_move WHERE sku = 'SKU-A'")
        balance = db.scalar("SELECT coalesce(sum(on_hand), 0) FROM stock_balance WHERE sku = 'SKU-A'")
        db.execute("COMMIT")
    except Exception as err:
        problems.append(f"{type(err).__name__}: {err}")
        break
    if half:
        problems.append(f"half a batch seen: {half}")
    if abs(ledger - balance) > 1e-9:
        problems.append(f"balance {balance} != ledger {ledger}")
    checks += 1
print(json.dumps({"checks": checks, "problems": problems}))
"""


def _order_file(folder: Path, writer: int, write: int) -> Path:
    rows = []
    for n in range(ORDERS_PER_FILE):
        order = f"W{writer}-{write}-{n}"
        for line in range(LINES_PER_ORDER):
            rows.append(f"{order},{line + 1},web,2026-11-20T08:00:00Z,2026-11-28,,paid,open,paid,"
                        f"SKU-A,1,9.90,EUR,Buyer {writer},,\n")
    path = folder / f"orders-w{writer}-{write}.csv"
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    return path


def _writer_script(db_path: Path, folder: Path, writer: int) -> str:
    """One shell line per write: an import, then an adjustment; stops at the first failure."""
    omnictl = Path(sys.executable).with_name("omnictl")
    steps = []
    for write in range(WRITES_EACH):
        path = _order_file(folder, writer, write)
        steps.append(f"'{omnictl}' --db '{db_path}' import '{path}'")
        steps.append(f"'{omnictl}' --db '{db_path}' stock adjust SKU-A 1 --location WH --reason 'w{writer}'")
    return " && ".join(steps)


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("OMNICTL_BUSY_TIMEOUT", None)       # the real default wait, as in production
    return env


def test_parallel_writers_and_readers_lose_nothing_and_never_see_half(tmp_path):
    db_path = tmp_path / "shared.db"
    db = open_db(db_path)
    with db.write():
        db.execute("INSERT INTO location (code, name) VALUES ('WH', 'Warehouse')")
        db.execute("INSERT INTO sku (code, name) VALUES ('SKU-A', 'Lamp')")
    db.close()

    env = _environment()
    writers = [subprocess.Popen(["bash", "-c", _writer_script(db_path, tmp_path, w)], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for w in range(WRITERS)]
    omnictl = Path(sys.executable).with_name("omnictl")
    closes = [subprocess.Popen([str(omnictl), "--db", str(db_path), "--today", "2026-11-25", "close", "run"], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    stop = tmp_path / "writers-done"
    readers = [subprocess.Popen([sys.executable, "-c", READER, str(db_path), str(stop)], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for _ in range(READERS)]
    written = [w.communicate(timeout=300) + (w.returncode,) for w in writers]
    stop.touch()
    read = [r.communicate(timeout=60) for r in readers]

    for _out, err, code in written:
        assert code == 0, err
        assert "locked" not in err
    for close in closes:                   # the daily close ran beside them: found problems at most
        _out, err = close.communicate(timeout=300)
        assert close.returncode in (0, 1) and "locked" not in err and "Traceback" not in err, err
    reports = [json.loads(out) for out, _ in read if out.strip()]
    assert reports, [err for _, err in read]
    assert all(report["problems"] == [] for report in reports), reports
    assert sum(report["checks"] for report in reports) > 0

    db = open_db(db_path)
    total_lines = WRITERS * WRITES_EACH * ORDERS_PER_FILE * LINES_PER_ORDER
    assert db.scalar("SELECT count(*) FROM sales_order") == WRITERS * WRITES_EACH * ORDERS_PER_FILE
    assert db.scalar("SELECT count(*) FROM order_line") == total_lines
    assert db.scalar("SELECT count(*) FROM import_batch WHERE kind = 'orders'") == WRITERS * WRITES_EACH
    assert db.scalar("SELECT sum(quantity) FROM stock_move WHERE kind = 'adjustment'") == WRITERS * WRITES_EACH
    from omnictl.dbtools import check_database

    report = check_database(db)
    assert report.ok, report
    db.close()
