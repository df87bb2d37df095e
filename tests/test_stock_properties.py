"""Property tests of the stock ledger: any sequence of imports, re-imports, state changes,
cancellations, late mappings, adjustments and undos keeps the ledger's rules."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from omnictl.batches import undo_batch
from omnictl.db import open_db
from omnictl.errors import Blocked, UsageError
from omnictl.exporter import COLUMNS
from omnictl.importer import import_files
from omnictl.inventory import Move, post
from omnictl.skus import map_sku

SKUS = ("LAMP", "BULB", "LATE")          # LATE is unknown until a step maps it
STATES = ("open", "shipped", "delivered", "cancelled", "returned")

line = st.tuples(st.sampled_from(SKUS), st.integers(min_value=-2, max_value=5).filter(bool), st.sampled_from(STATES))
order = st.lists(line, min_size=1, max_size=3)
export = st.dictionaries(st.sampled_from([f"A-{n}" for n in range(6)]), order, min_size=1, max_size=4)
step = st.one_of(
    st.tuples(st.just("import"), export),
    st.tuples(st.just("reimport"), st.none()),
    st.tuples(st.just("map"), st.none()),
    st.tuples(st.just("adjust"), st.tuples(st.sampled_from(SKUS[:2]), st.integers(-5, 5).filter(bool))),
    st.tuples(st.just("undo"), st.none()),
)


def write(folder: Path, n: int, orders: dict) -> Path:
    path = folder / f"export-{n}.csv"
    rows = [",".join(COLUMNS)]
    for order_id, lines in orders.items():
        for i, (sku, qty, state) in enumerate(lines, 1):
            rows.append(f"{order_id},{i},shop,2026-11-20T08:00:00Z,,,paid,{state},,{sku},{qty},10.00,EUR,,,")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def expected_moves(db) -> dict[tuple[int, str], float]:
    """What every line should have moved by the rule, from the lines as they are now."""
    wanted: dict[tuple[int, str], float] = {}
    for row in db.query("SELECT id, sku, quantity, fulfilment FROM order_line WHERE mapping != 'unmapped'"):
        units = 0.0
        if row["fulfilment"] in ("shipped", "delivered"):
            units = -row["quantity"]
        elif row["fulfilment"] == "returned" and row["quantity"] < 0:
            units = -row["quantity"]
        if units:
            wanted[(row["id"], row["sku"])] = units
    return wanted


def posted_moves(db) -> dict[tuple[int, str], float]:
    return {(r["order_line_id"], r["sku"]): r["q"] for r in db.query(
        "SELECT order_line_id, sku, sum(quantity) AS q FROM stock_move WHERE order_line_id IS NOT NULL "
        "GROUP BY 1, 2 HAVING abs(sum(quantity)) > 1e-9")}


def check_invariants(db) -> None:
    derived = {(r["sku"], r["location"]): r["q"] for r in db.query(
        "SELECT sku, location, sum(quantity) AS q FROM stock_move GROUP BY 1, 2")}
    kept = {(r["sku"], r["location"]): r["on_hand"] for r in db.query("SELECT * FROM stock_balance")}
    assert kept == derived                                     # on hand is the sum of the moves
    live = {key: q for key, q in posted_moves(db).items()
            if db.one("SELECT 1 FROM order_line WHERE id = ?", (key[0],))}
    assert live == expected_moves(db)                          # every line moved what the rule says
    gone = {key: q for key, q in posted_moves(db).items() if key not in live}
    assert gone == {}                                          # removed lines were reversed


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=st.lists(step, min_size=1, max_size=8))
def test_any_sequence_keeps_the_ledger_right(steps):
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        db = open_db(folder / "p.db")
        db.execute("INSERT INTO location (code, name) VALUES ('WH', 'Warehouse')")
        db.execute("INSERT INTO sku (code, name) VALUES ('LAMP', 'Lamp'), ('BULB', 'Bulb'), ('SHADE', 'Shade')")
        db.execute("INSERT INTO channel (code, name, profile, location) VALUES ('shop', 'Shop', 'omnictl', 'WH')")
        last_file, batches = None, []
        try:
            for n, (kind, arg) in enumerate(steps):
                if kind == "import":
                    last_file = write(folder, n, arg)
                    batches += [r.batch for r in import_files(db, [last_file], actor="p") if r.batch]
                elif kind == "reimport" and last_file is not None:
                    before = db.scalar("SELECT count(*) FROM stock_move")
                    [again] = import_files(db, [last_file], actor="p")
                    if again.already_imported_as is None:      # its batch was undone: it imports again
                        batches.append(again.batch)
                    else:
                        assert db.scalar("SELECT count(*) FROM stock_move") == before   # never double-posts
                elif kind == "map":
                    map_sku(db, "shop", "LATE", "SHADE", actor="p")
                elif kind == "adjust":
                    with db.write():
                        post(db, [Move(arg[0], "WH", arg[1], "adjustment", "2026-11-21T00:00:00Z", reason="p")], "p")
                elif kind == "undo" and batches:
                    try:
                        undo_batch(db, batches.pop(), "p")
                    except (Blocked, UsageError):
                        pass
                check_invariants(db)
        finally:
            db.close()
