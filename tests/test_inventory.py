"""The stock ledger: orders post sales and returns, reservations, positions, the move trail."""

from __future__ import annotations

import sqlite3

import pytest

from omnictl.batches import undo_batch
from omnictl.importer import import_files
from omnictl.inventory import Move, list_moves, positions, post, why
from omnictl.skus import map_sku

from conftest import OWN_FIXTURES

SMALL = OWN_FIXTURES / "shopify" / "orders_export_small.csv"


@pytest.fixture
def shop(db):
    """Master data for the small Shopify file: SKUs, a warehouse, the channel shipping from it."""
    db.execute("INSERT INTO location (code, name) VALUES ('WH', 'Warehouse'), ('WH2', 'Second')")
    for code in ("LAMP-TR-BLK", "SHADE-LIN", "BULB-E27", "LAMP-DK-OAK", "SHADE-PAPER"):
        db.execute("INSERT INTO sku (code, name, safety_stock) VALUES (?, ?, 1)", (code, code))
    db.execute("INSERT INTO channel (code, name, profile, location, reserve_unpaid) "
               "VALUES ('shopify', 'Shop', 'shopify', 'WH', 1)")
    return db


def balances(db) -> dict[tuple[str, str], float]:
    return {(r["sku"], r["location"]): r["on_hand"] for r in db.query("SELECT * FROM stock_balance")}


def test_shipped_lines_post_sales_open_lines_reserve(shop):
    [result] = import_files(shop, [SMALL])
    assert result.stock_moves == 2                       # #2001: LAMP-TR-BLK x2 and SHADE-LIN shipped
    assert balances(shop) == {("LAMP-TR-BLK", "WH"): -2, ("SHADE-LIN", "WH"): -1}
    sale = shop.one("SELECT * FROM stock_move WHERE sku = 'LAMP-TR-BLK'")
    assert (sale["kind"], sale["quantity"], sale["batch_id"]) == ("sale", -2, result.batch)
    assert sale["effective_at"] == "2026-11-21T01:00:00Z"   # Fulfilled at 09:00 +0800
    by_key = {(p.sku, p.location): p for p in positions(shop)}
    # open: #2001 BULB-E27 x1 (paid), #2003 LAMP-DK-OAK x2 (partly refunded); #2002 voided is cancelled
    assert by_key[("BULB-E27", "WH")].reserved == 1 and by_key[("BULB-E27", "WH")].atp == -1
    assert by_key[("LAMP-DK-OAK", "WH")].reserved == 2
    assert by_key[("LAMP-TR-BLK", "WH")].reserved == 0 and by_key[("LAMP-TR-BLK", "WH")].status == "oversold"


def test_reimport_and_newer_export_never_double_post(shop, tmp_path):
    import_files(shop, [SMALL])
    import_files(shop, [SMALL])
    newer = tmp_path / "newer.csv"
    newer.write_text(SMALL.read_text(encoding="utf-8").replace("\n#2001,mia.chen@example.com,,,,,,,,,,,,,,"
                                                               "2026-11-20 10:01:55 +0800,1,Bulb E27 Warm,50.00,,"
                                                               "BULB-E27,true,true,pending",
                                                               "\n#2001,mia.chen@example.com,,,,,,,,,,,,,,"
                                                               "2026-11-20 10:01:55 +0800,1,Bulb E27 Warm,50.00,,"
                                                               "BULB-E27,true,true,fulfilled"), encoding="utf-8")
    [again] = import_files(shop, [newer])
    assert again.stock_moves == 1                        # only the bulb, now shipped
    import_files(shop, [newer])
    assert shop.scalar("SELECT count(*) FROM stock_move") == 3
    assert balances(shop)[("BULB-E27", "WH")] == -1


def test_unmapped_lines_post_when_mapped_with_their_own_time(shop):
    shop.execute("DELETE FROM sku WHERE code = 'SHADE-LIN'")
    import_files(shop, [SMALL])
    assert ("SHADE-LIN", "WH") not in balances(shop)
    map_sku(shop, "shopify", "SHADE-LIN", "SHADE-PAPER", factor=2)
    assert balances(shop)[("SHADE-PAPER", "WH")] == -2
    move = shop.one("SELECT * FROM stock_move WHERE sku = 'SHADE-PAPER'")
    assert move["effective_at"] == "2026-11-21T01:00:00Z"    # the line's shipping time, not now


def test_kit_alias_posts_its_components(shop):
    shop.execute("INSERT INTO sku_alias VALUES ('shopify', 'LAMP-TR-BLK', 'LAMP-DK-OAK', 1), "
                 "('shopify', 'LAMP-TR-BLK', 'BULB-E27', 2)")
    import_files(shop, [SMALL])
    assert balances(shop)[("LAMP-DK-OAK", "WH")] == -2 and balances(shop)[("BULB-E27", "WH")] == -4


def test_undo_posts_reversals_and_keeps_the_trail(shop):
    [result] = import_files(shop, [SMALL])
    undo_batch(shop, result.batch, "tester")
    assert all(v == 0 for v in balances(shop).values())
    assert shop.scalar("SELECT count(*) FROM stock_move") == 4          # two sales, two reversals
    trace = why(shop, shop.scalar("SELECT max(id) FROM stock_move"))
    assert "removed by an undone import" in trace.cause


def test_a_return_puts_goods_back_a_refund_does_not(shop, tmp_path):
    import_files(shop, [SMALL])
    returned = tmp_path / "returned.csv"
    returned.write_text(SMALL.read_text(encoding="utf-8").replace("partial,", "restocked,", 1)
                        .replace("LAMP-TR-BLK,true,true,fulfilled", "LAMP-TR-BLK,true,true,restocked"),
                        encoding="utf-8")
    import_files(shop, [returned])
    kinds = [(r["kind"], r["quantity"]) for r in shop.query("SELECT * FROM stock_move WHERE sku = 'LAMP-TR-BLK' "
                                                             "ORDER BY id")]
    assert kinds == [("sale", -2), ("return", 2)]


def test_paid_only_channels_reserve_paid_lines_only(shop, tmp_path):
    shop.execute("UPDATE channel SET reserve_unpaid = 0")
    unpaid = tmp_path / "unpaid.csv"
    unpaid.write_text(SMALL.read_text(encoding="utf-8").replace("#2001,mia.chen@example.com,paid,",
                                                                "#2001,mia.chen@example.com,pending,"),
                      encoding="utf-8")
    import_files(shop, [unpaid])
    by_key = {(p.sku, p.location): p for p in positions(shop)}
    assert ("BULB-E27", "WH") not in by_key or by_key[("BULB-E27", "WH")].reserved == 0
    assert by_key[("LAMP-DK-OAK", "WH")].reserved == 2          # #2003 is (partly refunded, so) paid


def test_ledger_is_append_only(shop):
    with shop.write():
        post(shop, [Move("BULB-E27", "WH", 5, "adjustment", "2026-11-01T00:00:00Z", reason="found")], "tester")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        shop.execute("UPDATE stock_move SET quantity = 6")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        shop.execute("DELETE FROM stock_move")


def test_as_of_and_the_running_balance(shop):
    with shop.write():
        post(shop, [Move("BULB-E27", "WH", 10, "opening", "2026-11-01T00:00:00Z"),
                    Move("BULB-E27", "WH", -3, "adjustment", "2026-11-10T00:00:00Z", reason="broken")], "tester")
    [early] = positions(shop, sku="BULB-E27", as_of="2026-11-05")
    assert early.on_hand == 10
    [now] = positions(shop, sku="BULB-E27")
    assert now.on_hand == 7 and now.status == "ok"
    assert [m.balance for m in list_moves(shop, "BULB-E27")] == [10, 7]


def test_the_last_moves_keep_their_running_balances_per_location(shop):
    shop.execute("INSERT INTO location (code, name) VALUES ('ST', 'Store')")
    with shop.write():
        post(shop, [Move("BULB-E27", "WH" if i % 3 else "ST", 5 - i % 4, "adjustment",
                         f"2026-11-{1 + i // 2:02d}T0{i % 2}:00:00Z") for i in range(20)], "tester")
    every = [(m.id, m.location, m.balance) for m in list_moves(shop, "BULB-E27")]
    assert [(m.id, m.location, m.balance) for m in list_moves(shop, "BULB-E27", last=7)] == every[-7:]
    assert [m.balance for m in list_moves(shop, "BULB-E27", location="ST", last=2)] == \
        [b for _, loc, b in every if loc == "ST"][-2:]


def test_cli_stock_positions_moves_why(shop, cli, db_path):
    shop.close()
    import shutil

    shutil.copy(shop.path, db_path)
    assert cli("import", SMALL).code == 0
    listed = cli("stock", "--json").json()
    assert {"sku", "location", "on_hand", "reserved", "atp", "open_supply"} <= set(listed[0])
    short = cli("stock", "--short", "--json").json()
    assert {(r["sku"], r["status"]) for r in short} >= {("LAMP-TR-BLK", "oversold"), ("BULB-E27", "oversold")}
    moves = cli("stock", "moves", "LAMP-TR-BLK", "--json").json()
    assert [m["quantity"] for m in moves] == [-2]
    trace = cli("stock", "why", str(moves[0]["id"]))
    assert trace.code == 0 and "order shopify #2001" in trace.stdout and "row 2" in trace.stdout
    assert cli("stock", "why", "999").stderr.startswith("Error: no stock move 999")
    assert cli("stock", "--as-of", "soon").code == 2
    assert cli("stock", "moves", "NOPE").stderr.startswith("Error: no master SKU 'NOPE'")
