"""Production planning: demand netted into production orders, materials, priority, release."""

from __future__ import annotations

import json

import pytest

from omnictl.db import open_db
from omnictl.errors import Blocked, NotFound, UsageError
from omnictl.inventory import Move, post
from omnictl.planning.bom import Master
from omnictl.planning.materials import check_materials, replenish
from omnictl.planning.netting import plan_orders
from omnictl.planning.orders import explain, list_production, release


class Shop:
    """Master rows and orders written by SQL (the master import is another module's)."""

    def __init__(self, db):
        self.db = db
        self.orders = 0
        with db.write():
            db.execute("INSERT INTO setting VALUES ('company.currency', 'EUR')")
            db.execute("INSERT INTO location (code, name, kind) VALUES ('WH', 'Main warehouse', 'warehouse')")
            db.execute("INSERT INTO channel (code, name, profile, location) VALUES ('SHOP', 'Web shop', 'shopify', 'WH')")
            db.execute("INSERT INTO import_batch (id, kind, file_name, sha256, actor, started_at) "
                       "VALUES (1, 'orders', 'x.csv', 'x', 'test', '2026-11-20T00:00:00Z')")
            db.execute("INSERT INTO calendar VALUES ('STD', 'Day shift')")
            for weekday in range(5):
                db.execute("INSERT INTO calendar_shift VALUES ('STD', ?, '08:00', '16:00')", (weekday,))
            for code in ("CNC", "ASM"):
                db.execute("INSERT INTO work_center (code, name, calendar) VALUES (?, ?, 'STD')", (code, code))
            for code, tier in (("ACME", "A"), ("BOB", "B"), ("CARL", None)):
                party = db.execute("INSERT INTO party (name) VALUES (?)", (code,)).lastrowid
                db.execute("INSERT INTO customer (code, tier, party_id) VALUES (?, ?, ?)", (code, tier, party))

    def sku(self, code, kind="finished", *, cost=None, price=None, safety=0, lead=0, mts=0, moq=0, unit="ea",
            routing=()):
        with self.db.write():
            self.db.execute("INSERT INTO sku (code, name, kind, cost_minor, price_minor, safety_stock, lead_time_days, "
                            "make_to_stock, min_order_qty, unit) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            (code, code, kind, cost, price, safety, lead, mts, moq, unit))
            for seq, (wc, setup, run) in enumerate(routing, start=1):
                self.db.execute("INSERT INTO routing_step (sku, seq, work_center, setup_min, run_min) "
                                "VALUES (?, ?, ?, ?, ?)", (code, seq * 10, wc, setup, run))
        return self

    def bom(self, parent, component, quantity, scrap=0.0):
        with self.db.write():
            self.db.execute("INSERT INTO bom_line VALUES (?, ?, ?, ?)", (parent, component, quantity, scrap))
        return self

    def order(self, external_id, ship_by, *lines, customer=None, currency="EUR", ordered_on="2026-11-20"):
        """lines: (sku, quantity, unit price minor) or (external sku, quantity, price, 'kit'|'alias')."""
        with self.db.write():
            customer_id = self.db.scalar("SELECT id FROM customer WHERE code = ?", (customer,)) if customer else None
            order_id = self.db.execute(
                "INSERT INTO sales_order (channel, external_id, ordered_on, currency, payment, fulfilment, status, "
                "promised_ship_by, customer_id, first_batch_id, last_batch_id) "
                "VALUES ('SHOP', ?, ?, ?, 'paid', 'open', 'open', ?, ?, 1, 1)",
                (external_id, ordered_on, currency, ship_by, customer_id)).lastrowid
            ids = []
            for n, (sku, quantity, price, *mapping) in enumerate(lines, start=1):
                kind = mapping[0] if mapping else "sku"
                ids.append(self.db.execute(
                    "INSERT INTO order_line (order_id, line_key, external_sku, sku, mapping, quantity, unit_price_minor, "
                    "payment, fulfilment, status, first_batch_id, last_batch_id) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, 'paid', 'open', 'open', 1, 1)",
                    (order_id, str(n), sku, sku if kind == "sku" else None, kind, quantity, price)).lastrowid)
        return ids[0] if len(ids) == 1 else ids

    def stock(self, sku, quantity, location="WH"):
        with self.db.write():
            post(self.db, [Move(sku, location, quantity, "opening", "2026-11-01T00:00:00Z")], "test")
        return self

    def po(self, number, sku, quantity, expected_on, location="WH"):
        with self.db.write():
            po = self.db.execute("INSERT INTO purchase_order (number, supplier, location, expected_on) "
                                 "VALUES (?, 'Supplier', ?, ?)", (number, location, expected_on)).lastrowid
            self.db.execute("INSERT INTO purchase_line (po_id, sku, quantity) VALUES (?, ?, ?)", (po, sku, quantity))
        return self

    def cancel_line(self, line_id):
        with self.db.write():
            self.db.execute("UPDATE order_line SET fulfilment = 'cancelled', status = 'cancelled' WHERE id = ?",
                            (line_id,))


def orders(db, status="planned"):
    """{number: (sku, quantity, due, reason, {line id: pegged})} of orders with that status."""
    found = {}
    for row in db.query("SELECT * FROM production_order WHERE status = ? ORDER BY number", (status,)):
        pegs = {r[0]: r[1] for r in db.query("SELECT order_line_id, quantity FROM production_peg "
                                             "WHERE production_id = ?", (row["id"],))}
        found[row["number"]] = (row["sku"], row["quantity"], row["due_on"], row["reason"], pegs)
    return found


def counts(result):
    return (result.created, result.resized, result.updated, result.unchanged, result.cancelled, result.kept)


LAMP_ROUTING = (("CNC", 30, 6), ("ASM", 15, 3))


@pytest.fixture
def lamps(db):
    """LAMP: 3 on hand, 2 on a purchase order; lines of 4 (12-01), 6 and 5 (12-03), 3 (12-08)."""
    shop = Shop(db).sku("LAMP", cost=2000, price=5000, routing=LAMP_ROUTING)
    shop.stock("LAMP", 3).po("PO-1", "LAMP", 2, "2026-12-10")
    shop.lines = {
        "O1": shop.order("O1", "2026-12-01", ("LAMP", 4, 5000), customer="ACME"),
        "O2": shop.order("O2", "2026-12-03", ("LAMP", 6, 5000), customer="BOB"),
        "O3": shop.order("O3", "2026-12-03", ("LAMP", 5, 4000), customer="CARL", currency="USD"),
        "O4": shop.order("O4", "2026-12-08", ("LAMP", 3, 5000)),
    }
    with db.write():
        db.execute("INSERT INTO fx_rate (base, currency, on_date, rate) VALUES ('EUR', 'USD', '2026-11-19', '0.9')")
    return shop


# -- netting --------------------------------------------------------------------------------

def test_stock_and_purchases_cover_the_earliest_lines_and_the_rest_is_pegged(db, lamps):
    result = plan_orders(db)
    assert counts(result) == (2, 0, 0, 0, 0, 0)
    lines = lamps.lines
    # 3 on hand + 2 on order cover O1 (4) and 1 of O2; due = ship-by − 1 day (plan.dispatch_buffer_days)
    assert orders(db) == {
        "MO-000001": ("LAMP", 10, "2026-12-02", "order", {lines["O2"]: 5, lines["O3"]: 5}),
        "MO-000002": ("LAMP", 3, "2026-12-07", "order", {lines["O4"]: 3}),
    }
    first = db.one("SELECT * FROM production_order WHERE number = 'MO-000001'")
    # CNC 30 + 6 × 10 = 90 min, then ASM 15 + 3 × 10 = 45 min, backwards from the end of Wed 12-02 (08:00-16:00)
    assert (first["planned_start"], first["planned_end"], first["location"]) == \
        ("2026-12-02T13:45:00Z", "2026-12-02T16:00:00Z", "WH")
    ops = db.query("SELECT seq, work_center, setup_min, run_min, planned_start, planned_end, status FROM operation "
                   "WHERE production_id = ? ORDER BY seq", (first["id"],))
    assert [tuple(r) for r in ops] == [
        (10, "CNC", 30, 60, "2026-12-02T13:45:00Z", "2026-12-02T15:15:00Z", "planned"),
        (20, "ASM", 15, 30, "2026-12-02T15:15:00Z", "2026-12-02T16:00:00Z", "planned")]
    second = db.one("SELECT planned_start FROM production_order WHERE number = 'MO-000002'")
    assert second["planned_start"] == "2026-12-07T14:48:00Z"          # 48 + 24 min before Mon 12-07 16:00
    assert [(o.number, o.change, [s.order for s in o.served]) for o in result.orders] == [
        ("MO-000001", "created", ["O2", "O3"]), ("MO-000002", "created", ["O4"])]


def test_starts_are_estimated_in_company_time_around_holidays(db, lamps):
    with db.write():
        db.execute("INSERT INTO setting VALUES ('company.timezone', 'Asia/Shanghai')")
        db.execute("INSERT INTO calendar_exception VALUES ('STD', '2026-12-02', '2026-12-02', NULL, 'holiday')")
        db.execute("INSERT INTO calendar_exception VALUES ('STD', '2026-12-01T15:00', '2026-12-01T16:00', 'ASM', "
                   "'maintenance')")
    from omnictl import clock

    clock.set_zone("Asia/Shanghai")
    plan_orders(db)
    ops = db.query("SELECT o.work_center, o.planned_start, o.planned_end FROM operation o JOIN production_order p "
                   "ON p.id = o.production_id WHERE p.number = 'MO-000001' ORDER BY seq")
    # due Wed 12-02, a holiday: ASM's 45 min end at 15:00 Tue (its downtime after), CNC's 90 min before them,
    # Shanghai time (UTC+8)
    assert [tuple(r) for r in ops] == [("CNC", "2026-12-01T04:45:00Z", "2026-12-01T06:15:00Z"),
                                       ("ASM", "2026-12-01T06:15:00Z", "2026-12-01T07:00:00Z")]


def test_replanning_the_same_demand_changes_nothing(db, lamps):
    plan_orders(db)
    before = orders(db)
    again = plan_orders(db)
    assert counts(again) == (0, 0, 0, 2, 0, 0)
    assert orders(db) == before
    assert db.scalar("SELECT count(*) FROM production_order") == 2
    with db.write():                                 # as a schedule run would: a later, finite-capacity slot
        db.execute("UPDATE production_order SET planned_start = '2026-12-03T08:00:00Z', "
                   "planned_end = '2026-12-03T10:15:00Z' WHERE number = 'MO-000001'")
    assert counts(plan_orders(db)) == (0, 0, 0, 2, 0, 0)
    row = db.one("SELECT planned_start, planned_end, priority_parts FROM production_order WHERE number = 'MO-000001'")
    assert (row["planned_start"], row["planned_end"]) == ("2026-12-03T08:00:00Z", "2026-12-03T10:15:00Z")
    assert json.loads(row["priority_parts"])["urgency"]["value"] == 0.7143      # 8 days of slack now


def test_cancelled_demand_shrinks_then_cancels_planned_orders(db, lamps):
    plan_orders(db)
    lamps.cancel_line(lamps.lines["O3"])
    result = plan_orders(db)
    assert counts(result) == (0, 1, 0, 1, 0, 0)
    assert orders(db)["MO-000001"] == ("LAMP", 5, "2026-12-02", "order", {lamps.lines["O2"]: 5})
    assert db.scalar("SELECT planned_start FROM production_order WHERE number = 'MO-000001'") == "2026-12-02T14:30:00Z"
    assert db.scalar("SELECT run_min FROM operation o JOIN production_order p ON p.id = o.production_id "
                     "WHERE p.number = 'MO-000001' AND seq = 10") == 30
    lamps.cancel_line(lamps.lines["O4"])
    result = plan_orders(db)
    assert counts(result) == (0, 0, 0, 1, 1, 0)
    assert [(o.number, o.status, o.change) for o in result.orders] == [
        ("MO-000001", "planned", "unchanged"), ("MO-000002", "cancelled", "cancelled")]
    assert orders(db, "cancelled") == {"MO-000002": ("LAMP", 3, "2026-12-07", "order", {})}
    assert db.scalar("SELECT count(*) FROM production_order") == 2          # cancelled, never deleted


def test_a_later_ship_by_re_dates_the_same_order(db, lamps):
    plan_orders(db)
    with db.write():
        db.execute("UPDATE sales_order SET promised_ship_by = '2026-12-10' WHERE external_id = 'O4'")
    result = plan_orders(db)
    assert counts(result) == (0, 0, 1, 1, 0, 0)
    assert orders(db)["MO-000002"] == ("LAMP", 3, "2026-12-09", "order", {lamps.lines["O4"]: 3})


def test_released_orders_stay_put_and_count_as_supply(db, lamps):
    plan_orders(db)
    info = release(db, "MO-000001", "planner")
    assert (info.status, info.change) == ("released", "released")
    row = db.one("SELECT released_by, released_at FROM production_order WHERE number = 'MO-000001'")
    assert tuple(row) == ("planner", "2026-11-25T12:00:00Z")
    o5 = lamps.order("O5", "2026-12-03", ("LAMP", 4, 5000))
    lamps.cancel_line(lamps.lines["O2"])                 # would shrink MO-000001 if it were planned
    result = plan_orders(db)
    # supply: 3 on hand + 2 purchased + 10 released = 15 covers O1 4, O3 5, O5 4 and 2 of O4
    assert counts(result) == (0, 1, 0, 0, 0, 1)
    assert orders(db, "released") == {
        "MO-000001": ("LAMP", 10, "2026-12-02", "order", {lamps.lines["O2"]: 5, lamps.lines["O3"]: 5})}
    assert orders(db) == {"MO-000002": ("LAMP", 1, "2026-12-07", "order", {lamps.lines["O4"]: 1})}
    assert o5 not in {line for *_, pegs in orders(db).values() for line in pegs}
    assert release(db, "MO-000001", "planner").change == "already released"
    with db.write():
        db.execute("UPDATE production_order SET status = 'cancelled' WHERE number = 'MO-000002'")
    with pytest.raises(Blocked, match="MO-000002 is cancelled; only a planned order can be released"):
        release(db, "MO-000002", "planner")
    with pytest.raises(NotFound):
        release(db, "MO-000404", "planner")


def test_min_order_qty_surplus_covers_later_lines(db):
    shop = Shop(db).sku("DESK", moq=10, routing=(("ASM", 0, 10),))
    a = shop.order("D1", "2026-12-02", ("DESK", 4, 9000))
    shop.order("D2", "2026-12-04", ("DESK", 3, 9000))
    shop.order("D3", "2026-12-09", ("DESK", 5, 9000))
    plan_orders(db)
    # 10 made for D1 (MOQ); 6 left cover D2 and 3 of D3; 2 of D3 need another order of 10
    d3 = db.scalar("SELECT id FROM order_line WHERE order_id = (SELECT id FROM sales_order WHERE external_id = 'D3')")
    assert orders(db) == {"MO-000001": ("DESK", 10, "2026-12-01", "order", {a: 4}),
                          "MO-000002": ("DESK", 10, "2026-12-08", "order", {d3: 2})}


def test_safety_stock_is_part_of_the_net_requirement(db):
    shop = Shop(db).sku("DESK", safety=3, lead=2, routing=(("ASM", 0, 10),))
    line = shop.order("D1", "2026-12-03", ("DESK", 4, 9000))
    shop.stock("DESK", 5)
    plan_orders(db)                                  # 4 + 3 − 5 = 2: the 2 above safety stock go to D1
    assert orders(db) == {"MO-000001": ("DESK", 2, "2026-12-02", "order", {line: 2})}
    with db.write():
        post(db, [Move("DESK", "WH", -4, "adjustment", "2026-11-24T00:00:00Z")], "test")
    result = plan_orders(db)                         # 4 + 3 − 1 = 6: all of D1, and 2 back to safety stock
    assert counts(result) == (1, 1, 0, 0, 0, 0)
    assert orders(db) == {"MO-000001": ("DESK", 4, "2026-12-02", "order", {line: 4}),
                          "MO-000002": ("DESK", 2, "2026-11-27", "stock", {})}


def test_make_to_stock_without_demand_gets_a_stock_order_for_its_safety_gap(db):
    shop = Shop(db).sku("VASE", safety=8, lead=4, mts=1, moq=10, price=3000, cost=1200, routing=(("ASM", 0, 5),))
    shop.stock("VASE", 3)
    result = plan_orders(db)
    assert orders(db) == {"MO-000001": ("VASE", 10, "2026-11-29", "stock", {})}
    [order] = result.orders
    assert (order.priority_parts.tier.value, order.priority_parts.margin.value) == (0.3, 0.6)
    from omnictl import clock

    clock.pin("2026-11-26")                          # a day later the same gap: the order keeps its date
    assert counts(plan_orders(db)) == (0, 0, 0, 1, 0, 0)
    assert orders(db)["MO-000001"][2] == "2026-11-29"
    shop.stock("VASE", 6)                            # 9 on hand: above safety stock
    result = plan_orders(db)
    assert counts(result) == (0, 0, 0, 0, 1, 0)


def test_kit_lines_are_netted_as_their_components(db):
    shop = Shop(db).sku("LAMP", cost=2000, routing=LAMP_ROUTING).sku("SHADE", kind="component",
                                                                     routing=(("ASM", 5, 1),))
    with db.write():
        db.execute("INSERT INTO sku_alias VALUES ('SHOP', 'SET-1', 'LAMP', 1), ('SHOP', 'SET-1', 'SHADE', 2)")
    kit = shop.order("K1", "2026-12-03", ("SET-1", 2, 12000, "kit"))
    result = plan_orders(db)
    assert orders(db) == {"MO-000001": ("LAMP", 2, "2026-12-02", "order", {kit: 2}),
                          "MO-000002": ("SHADE", 4, "2026-12-02", "order", {kit: 4})}
    margin = result.orders[0].priority_parts.margin
    assert (margin.value, margin.basis) == (0.0, "no usable price on the served lines (kit lines or missing "
                                                 "rates): margin unknown, counted 0")


def test_lines_beyond_the_horizon_wait_for_a_later_run(db):
    shop = Shop(db).sku("LAMP", routing=LAMP_ROUTING)
    shop.order("LATE", "2027-03-01", ("LAMP", 2, 5000))
    result = plan_orders(db)
    assert result.created == 0
    assert result.notes == ["1 open line(s) due beyond the 28-day horizon (plan.horizon_days) are left for a "
                            "later run"]


def test_bought_finished_goods_are_not_planned_but_named(db):
    shop = Shop(db).sku("CANDLE")                    # no routing: bought for resale
    shop.order("C1", "2026-12-03", ("CANDLE", 2, 900))
    result = plan_orders(db)
    assert result.created == 0
    assert result.notes[0].startswith("1 finished SKU(s) with open demand have no routing, so they are bought")


def test_dry_run_writes_nothing(db, lamps):
    result = plan_orders(db, dry_run=True)
    assert (result.dry_run, result.created, [o.number for o in result.orders]) == (True, 2, ["MO-000001", "MO-000002"])
    assert db.scalar("SELECT count(*) FROM production_order") == 0
    assert db.scalar("SELECT count(*) FROM operation") == 0


# -- multi-level ----------------------------------------------------------------------------

@pytest.fixture
def chairs(db):
    """CHAIR (ASM) ← FRAME (CNC) ← PART (CNC) ← RESIN; PART is also a direct CHAIR component."""
    shop = Shop(db)
    shop.sku("CHAIR", cost=4000, routing=(("ASM", 0, 48),))
    shop.sku("FRAME", kind="component", routing=(("CNC", 0, 24),))
    shop.sku("PART", kind="component", routing=(("CNC", 0, 1),))
    shop.sku("RESIN", kind="raw", unit="kg")
    shop.sku("BOLT", kind="raw", moq=100, lead=5)
    shop.sku("GLUE", kind="raw", unit="kg", safety=5, lead=2)
    shop.bom("CHAIR", "FRAME", 2, 5).bom("CHAIR", "PART", 1).bom("FRAME", "PART", 3, 10)
    shop.bom("PART", "RESIN", 0.5).bom("FRAME", "BOLT", 4)
    shop.stock("FRAME", 3).stock("PART", 5).stock("RESIN", 20).stock("BOLT", 10).stock("GLUE", 2.5)
    shop.po("PO-R", "RESIN", 30, "2026-12-08")
    shop.line = shop.order("C1", "2026-12-10", ("CHAIR", 10, 9000), customer="ACME")
    return shop


def test_multi_level_bom_with_scrap_nets_a_component_used_at_two_levels_once(db, chairs):
    m = Master(db)
    assert (m.level_of("CHAIR"), m.level_of("FRAME"), m.level_of("PART"), m.level_of("RESIN")) == (0, 1, 2, 3)
    result = plan_orders(db)
    assert counts(result) == (4, 0, 0, 0, 0, 0)
    rows = {r["number"]: (r["sku"], r["quantity"], r["due_on"], r["reason"], r["parent"], r["planned_start"])
            for r in db.query("SELECT p.*, q.number AS parent FROM production_order p "
                              "LEFT JOIN production_order q ON q.id = p.parent_id ORDER BY p.number")}
    assert rows == {
        # 10 chairs: 480 min of ASM, the whole of Wed 12-09
        "MO-000001": ("CHAIR", 10, "2026-12-09", "order", None, "2026-12-09T08:00:00Z"),
        # frames: 10 × 2 / 0.95 = 21.052632 − 3 on hand → 19; 456 min of CNC before the chairs start
        "MO-000002": ("FRAME", 19, "2026-12-09", "component", "MO-000001", "2026-12-08T08:24:00Z"),
        # parts, netted once after both parents: the frames' 19 × 3 / 0.9 = 63.333333 come first and take
        # the 5 on hand → 59; the chairs' 10 × 1 → 10
        "MO-000003": ("PART", 59, "2026-12-08", "component", "MO-000002", "2026-12-07T15:25:00Z"),
        "MO-000004": ("PART", 10, "2026-12-09", "component", "MO-000001", "2026-12-08T15:50:00Z"),
    }
    assert orders(db)["MO-000001"][4] == {chairs.line: 10}
    assert counts(plan_orders(db)) == (0, 0, 0, 4, 0, 0)
    # fewer chairs: every level follows
    with db.write():
        db.execute("UPDATE order_line SET quantity = 5 WHERE id = ?", (chairs.line,))
    result = plan_orders(db)
    assert {o.number: (o.quantity, o.change) for o in result.orders} == {
        "MO-000001": (5, "resized"),
        "MO-000002": (8, "resized"),            # 5 × 2 / 0.95 = 10.526316 − 3 → 8
        "MO-000003": (22, "resized"),           # 8 × 3 / 0.9 = 26.666667 − 5 → 22
        "MO-000004": (5, "resized")}


def test_released_parent_keeps_its_component_orders(db, chairs):
    plan_orders(db)
    release(db, "MO-000001", "planner")
    result = plan_orders(db)
    assert counts(result) == (0, 0, 0, 3, 0, 1)
    assert db.scalar("SELECT count(*) FROM production_order WHERE status = 'planned'") == 3


def test_materials_shortage_with_its_date_and_cover(db, chairs):
    plan_orders(db)
    report = check_materials(db)
    found = {(o.number, n.component): (n.needed, n.available, n.short, n.short_from, n.covered_on)
             for o in report.orders for n in o.materials}
    assert found == {
        ("MO-000002", "BOLT"): (76, 10, 66, "2026-12-08", None),          # 19 frames × 4; nothing on order
        # 59 parts × 0.5 = 29.5 kg from Mon 12-07: 20 on hand, the 30 ordered arrive 12-08
        ("MO-000003", "RESIN"): (29.5, 20, 9.5, "2026-12-07", "2026-12-08"),
        ("MO-000004", "RESIN"): (5, 5, 0, None, None),
    }
    assert [o.number for o in report.orders] == ["MO-000003", "MO-000002", "MO-000004", "MO-000001"]
    assert (report.short_orders, report.short_lines) == (2, 2)


def test_replenish_rounds_up_to_the_minimum_order_quantity(db, chairs):
    plan_orders(db)
    lines = {(r.sku, r.location): r for r in replenish(db)}
    assert set(lines) == {("BOLT", "WH"), ("GLUE", "WH")}
    bolt = lines[("BOLT", "WH")]
    assert (bolt.required, bolt.on_hand, bolt.open_supply, bolt.net, bolt.to_buy, bolt.need_by, bolt.order_by,
            bolt.late) == (76, 10, 0, 66, 100, "2026-12-08", "2026-12-03", False)
    glue = lines[("GLUE", "WH")]                     # below safety stock today: 2.5 of 5 kg, whole units
    assert (glue.required, glue.net, glue.to_buy, glue.need_by, glue.order_by, glue.late) == \
        (0, 2.5, 3, "2026-11-25", "2026-11-23", True)
    assert db.scalar("SELECT count(*) FROM purchase_order") == 1          # a suggestion: nothing written


def test_a_bom_cycle_is_an_error_naming_it(db):
    shop = Shop(db).sku("A", routing=(("ASM", 0, 1),)).sku("B", kind="component", routing=(("ASM", 0, 1),))
    shop.bom("A", "B", 1).bom("B", "A", 1)
    with pytest.raises(UsageError, match="the BOM has a cycle: A → B → A"):
        plan_orders(db)


# -- priority and explain -------------------------------------------------------------------

def test_priority_parts_urgency_tier_and_margin_in_base_currency(db, lamps):
    plan_orders(db)
    row = db.one("SELECT priority, priority_parts FROM production_order WHERE number = 'MO-000001'")
    parts = json.loads(row["priority_parts"])
    # starts 12-02, 7 days from today: 1 − 7/28; best tier served B; margin: O2 5 × 50.00 EUR, O3 5 × 40.00 USD
    # at 0.9 (the rate of 11-19, the latest before the order date) = 36.00 → price 43.00, cost 20.00
    assert {k: (v["value"], v["weight"], v["contribution"]) for k, v in parts.items()} == {
        "urgency": (0.75, 0.6, 0.45), "tier": (0.6, 0.25, 0.15), "margin": (0.5349, 0.15, 0.0802)}
    assert row["priority"] == 0.6802
    assert parts["margin"]["basis"] == "price 43.00 − cost 20.00 EUR per unit (2 served lines): 53.5%"
    assert parts["tier"]["basis"] == "tier B: the most important customer served"
    assert parts["urgency"]["basis"] == "7 day(s) of slack before it must start, of a 28-day horizon"


def test_weights_come_from_settings(db, lamps):
    with db.write():
        db.execute("INSERT INTO setting VALUES ('plan.weight.urgency', '1'), ('plan.weight.tier', '0'), "
                   "('plan.weight.margin', '1')")
    plan_orders(db)
    # (1 × 0.75 + 0 × 0.6 + 1 × 0.5349) / 2
    assert db.scalar("SELECT priority FROM production_order WHERE number = 'MO-000001'") == 0.6425


def test_explain_and_list(db, chairs):
    plan_orders(db)
    view = explain(db, "mo-2")
    assert (view.order.number, view.order.parent, view.components, view.made_components_from_stock) == \
        ("MO-000002", "MO-000001", ["MO-000003"], [])
    assert [(op.seq, op.work_center, op.run_min) for op in view.operations] == [(10, "CNC", 456)]
    assert [(n.component, n.short) for n in view.materials] == [("BOLT", 66)]
    parts = view.order.priority_parts
    assert parts.tier.basis == "tier A: the most important customer served (of MO-000001)"
    top = explain(db, "MO-000001")
    assert [(s.channel, s.order, s.quantity, s.ship_by, s.customer_tier) for s in top.order.served] == \
        [("SHOP", "C1", 10, "2026-12-10", "A")]
    assert explain(db, str(top.order.id)).order.number == "MO-000001"
    listed = list(list_production(db))
    assert [(o.number, o.due_on, [s.component for s in o.shortages]) for o in listed] == [
        ("MO-000003", "2026-12-08", ["RESIN"]), ("MO-000002", "2026-12-09", ["BOLT"]),   # due, then priority
        ("MO-000004", "2026-12-09", []), ("MO-000001", "2026-12-09", [])]
    with pytest.raises(NotFound):
        explain(db, "MO-000999")
    with pytest.raises(UsageError):
        explain(db, "chair")
    with pytest.raises(UsageError):
        list(list_production(db, "open"))


# -- the command line -----------------------------------------------------------------------

@pytest.fixture
def plan_cli(cli, db_path):
    database = open_db(db_path)
    shop = Shop(database)
    shop.sku("LAMP", cost=2000, routing=LAMP_ROUTING).sku("BULB", kind="raw", moq=50)
    shop.bom("LAMP", "BULB", 1)
    shop.stock("BULB", 2)
    shop.order("O1", "2026-12-03", ("LAMP", 4, 5000), customer="ACME")
    database.close()
    return cli


def test_cli_plan_orders_list_explain_release_materials_replenish(plan_cli):
    dry = plan_cli("plan", "orders", "--dry-run", "--json")
    assert dry.code == 0, dry
    assert (dry.json()["dry_run"], dry.json()["created"]) == (True, 1)
    result = plan_cli("plan", "orders", "--json")
    data = result.json()
    assert set(data) == {"dry_run", "created", "resized", "updated", "unchanged", "cancelled", "kept", "orders",
                         "notes"}
    [order] = data["orders"]
    assert (order["number"], order["sku"], order["quantity"], order["due_on"], order["change"]) == \
        ("MO-000001", "LAMP", 4, "2026-12-02", "created")
    assert set(order["priority_parts"]) == {"urgency", "tier", "margin"}
    assert set(order["priority_parts"]["tier"]) == {"value", "weight", "contribution", "basis"}
    assert [s["order"] for s in order["served"]] == ["O1"]
    text = plan_cli("plan", "orders")
    assert text.code == 0 and "0 created, 0 resized, 0 re-dated or re-pegged, 1 unchanged" in text.stdout

    listed = plan_cli("plan", "list", "--json")
    assert listed.code == 0
    [row] = listed.json()
    assert (row["number"], row["status"], row["shortages"][0]["component"], row["shortages"][0]["short"]) == \
        ("MO-000001", "planned", "BULB", 2)
    assert "MO-000001" in plan_cli("plan", "list").stdout

    materials = plan_cli("plan", "materials", "--json")
    assert materials.code == 1 and materials.json()["short_orders"] == 1
    assert "1 order(s) short of 1 component line(s)" in materials.stderr

    shown = plan_cli("plan", "explain", "MO-000001")
    assert shown.code == 0 and "urgency" in shown.stdout and "BULB" in shown.stdout
    assert plan_cli("plan", "explain", "MO-000001", "--json").json()["order"]["number"] == "MO-000001"
    missing = plan_cli("plan", "explain", "MO-000009")
    assert missing.code == 2 and "no production order MO-000009" in missing.stderr

    buy = plan_cli("replenish", "--json")
    assert buy.code == 0
    assert [(r["sku"], r["to_buy"], r["need_by"]) for r in buy.json()] == [("BULB", 50, "2026-12-02")]

    released = plan_cli("plan", "release", "MO-000001", "--actor", "ann", "--json")
    assert released.code == 0 and released.json()["status"] == "released"
    assert plan_cli("plan", "list", "--status", "planned", "--json").json() == []
    bad = plan_cli("plan", "list", "--status", "open")
    assert bad.code == 2 and "is not one of" in bad.stderr


def test_cli_release_refuses_a_cancelled_order(plan_cli, db_path):
    plan_cli("plan", "orders")
    database = open_db(db_path)
    with database.write():
        database.execute("UPDATE production_order SET status = 'cancelled'")
    database.close()
    result = plan_cli("plan", "release", "MO-000001")
    assert result.code == 1 and "only a planned order can be released" in result.stderr


def test_planning_modules_load_no_ui_library():
    import subprocess
    import sys

    code = ("import sys\nimport omnictl.planning.netting, omnictl.planning.materials, omnictl.planning.orders\n"
            "print(','.join(m for m in ('typer', 'textual', 'rich', 'click') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""
