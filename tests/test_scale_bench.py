"""benchmarks/scale.py at a tiny scale: every step runs and the company it builds is the one described.

No timing is asserted; the figures are for the benchmark's own output.
"""

from __future__ import annotations

import importlib.util
import json
import sqlite3
import sys

from conftest import ROOT


def load_scale():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    spec = importlib.util.spec_from_file_location("scale_bench", ROOT / "benchmarks" / "scale.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_scale_runs_every_step_on_a_tiny_company(tmp_path, capsys):
    scale = load_scale()
    assert scale.main(["--scale", "0.001", "--skip-floor", "--json", "--workdir", str(tmp_path)]) == 0
    (result,) = json.loads(capsys.readouterr().out)
    steps = {s["step"]: s for s in result["steps"]}
    for name in ("import", "stock positions", "search", "plan orders", "plan run (schedule)", "forecast run"):
        assert steps[name]["ok"] is True, name
        assert steps[name]["seconds"] > 0 and steps[name]["peak_rss_mb"] > 0, name
    for name in ("close", "TUI first screen"):       # measured, or said to be missing from this build
        assert steps[name]["ok"] is True or steps[name]["figure"] == "not available in this build"

    conn = sqlite3.connect(tmp_path / "scale-0.001" / "company.db")
    lines, first, last = conn.execute("SELECT count(*), min(o.ordered_on), max(o.ordered_on) FROM order_line l "
                                      "JOIN sales_order o ON o.id = l.order_id").fetchone()
    assert lines == result["shape"]["lines"] == 1000
    assert first[:7] == "2024-11" and last[:10] <= "2026-11-25"     # two years before the pinned today
    assert conn.execute("SELECT count(*) FROM location").fetchone()[0] == 20
    assert conn.execute("SELECT count(*) FROM order_line WHERE mapping = 'unmapped'").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM production_order").fetchone()[0] > 0
    # made SKUs were stocked with exactly what shipped, so none has anything left on hand
    made_on_hand = conn.execute("SELECT max(q) FROM (SELECT sum(m.quantity) q FROM stock_move m "
                                "JOIN routing_step r ON r.sku = m.sku AND r.seq = 10 "
                                "WHERE m.location = 'L01' GROUP BY m.sku)").fetchone()[0]
    assert made_on_hand == 0
