"""`omnictl demo`: the sample company built from sample_data/, its story pinned to the clock."""

from __future__ import annotations

import hashlib
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from omnictl import clock
from omnictl.db import open_db
from omnictl.demo import TOKEN, build_demo, load_manifest, render_text, resolve_token, sample_files
from omnictl.errors import UsageError
from omnictl.orders import get_order
from omnictl.skus import unmapped

TODAY = date(2026, 11, 25)          # conftest pins OMNICTL_TODAY to this date (noon, company time)

PER_CHANNEL = {  # channel: (orders, lines, rejected rows, unmapped lines)
    "shopify": (11, 18, 0, 1),
    "amazon": (10, 13, 0, 1),
    "etsy": (6, 8, 0, 1),
    "taobao": (9, 12, 1, 1),
    "social": (7, 9, 2, 1),
    "store_hz": (6, 9, 0, 1),
    "store_sh": (4, 5, 0, 0),
}


@pytest.fixture
def demo(tmp_path):
    """The demo built into tmp_path; yields (tour, open database)."""
    tour = build_demo(tmp_path / "demo.db")
    database = open_db(tmp_path / "demo.db")
    yield tour, database
    database.close()


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_counts_per_channel_and_master_data(demo):
    tour, db = demo
    assert {c.channel: (c.orders, c.lines, c.rejected, c.unmapped) for c in tour.channels} == PER_CHANNEL
    assert (tour.orders, tour.lines, tour.rejected, tour.unmapped) == (53, 74, 3, 6)
    assert tour.master == {"locations": 4, "skus": 34, "calendars": 14, "work-centers": 8, "routings": 33,
                           "boms": 69, "channels": 7, "aliases": 16, "customers": 7, "fx rates": 22}
    assert db.scalar("SELECT count(*) FROM sales_order WHERE channel != 'orderbook'") == 53   # + the order book's history
    assert db.scalar("SELECT count(*) FROM sku WHERE kind = 'raw'") == 9
    assert db.scalar("SELECT count(*) FROM location WHERE kind = 'store'") == 2
    assert tour.today == "2026-11-25" and tour.timezone == "Asia/Shanghai"
    assert db.setting("company.currency") == "CNY" and db.setting("demo.built_at") == "2026-11-25T04:00:00Z"
    assert tour.open_orders == 20
    assert tour.due == {"late": 5, "today": 3, "tomorrow": 5, "in_3_days": 3}


def test_production_master_data_follows_the_clock(demo):
    _, db = demo
    rows = lambda sql: [tuple(row) for row in db.query(sql)]  # noqa: E731
    assert rows("SELECT calendar, starts, ends, work_center, reason FROM calendar_exception "
                    "ORDER BY calendar, starts") == [
        ("WS", "2026-12-04", "2026-12-04", None, "Company day 厂庆日 (workshop closed)"),
        ("WS-SAT", "2026-11-27T13:00", "2026-11-27T17:00", "LATHE", "Lathe spindle bearing replacement 车床换主轴轴承"),
        ("WS-SAT", "2026-12-04", "2026-12-04", None, "Company day 厂庆日 (workshop closed)")]
    assert rows("SELECT weekday, starts, ends FROM calendar_shift WHERE calendar = 'WS-SAT' AND weekday = 5") == \
        [(5, "08:00", "12:00")]
    assert rows("SELECT code, units, calendar FROM work_center WHERE code = 'LATHE'") == [("LATHE", 1, "WS-SAT")]
    # a component at two levels: the floor lamp takes oil directly and through its oak base
    assert rows("SELECT parent, quantity FROM bom_line WHERE component = 'RAW-OIL' ORDER BY parent") == \
        [("BASE-OAK", 0.02), ("BASE-WAL", 0.02), ("QS-FL-OAK", 0.05)]
    assert db.scalar("SELECT count(DISTINCT sku) FROM routing_step") == 16


def test_rejects_say_why(demo):
    tour, db = demo
    reasons = {row["channel"]: [] for row in db.query("SELECT code AS channel FROM channel")}
    for row in db.query("SELECT b.channel, r.row_no, r.reason FROM import_reject r "
                        "JOIN import_batch b ON b.id = r.batch_id ORDER BY b.id, r.row_no"):
        reasons[row["channel"]].append((row["row_no"], row["reason"]))
    [(taobao_row, excel)] = reasons["taobao"]
    assert taobao_row == 8 and "'1.23457E+18' was turned into a number by Excel" in excel
    [(row_status, status), (row_date, bad_date)] = reasons["social"]
    assert row_status == 8 and "unknown status '定金'" in status
    assert row_date == 9 and "'周五' is not a date" in bad_date


def test_unmapped_skus_wait_for_a_mapping(demo):
    _, db = demo
    waiting = {(u.channel, u.external_sku): u.quantity for u in unmapped(db)}
    assert waiting == {("shopify", "SPARE-SHADE-30"): 1, ("amazon", "QSL-LANTERN-S-RED"): 1,
                       ("etsy", "RABBIT-ENGRAVED"): 1, ("taobao", "QS-LT-M"): 3,
                       ("social", "CUSTOM-SHADE"): 1, ("store_hz", "6901234567892"): 3}


def test_multi_line_shopify_order_kit_and_factor_aliases(demo):
    tour, db = demo
    order = get_order(db, "#2047", "shopify")
    assert order.ordered_at == "2026-11-21T23:40:00Z"        # 07:40 +0800, three days before today
    assert (order.total_minor, order.currency, order.discount_minor) == (31320, "USD", 3480)
    assert order.status == "paid" and order.promised_ship_by == "2026-11-24"   # late: 2-day lead time
    assert [(l.external_sku, l.sku, l.mapping, l.fulfilment) for l in order.lines] == [
        ("QS-WL-BRS", "QS-WL-BRS", "sku", "shipped"), ("SPARE-SHADE-30", None, "unmapped", "open"),
        ("HILL-OAK-BUNDLE", None, "kit", "open"), ("BULB-E27", "BULB-E27", "sku", "open")]
    assert tour.highlights[0].external_id == "#2047" and tour.highlights[0].lines == 4
    amazon = get_order(db, "302-9120488-5530112")
    assert [(l.external_sku, l.sku, l.mapping) for l in amazon.lines] == [
        ("QSL-BULB-2PK", "BULB-E27", "alias"), ("QSL-HILL-WAL", "QS-DL-WAL", "alias")]
    assert db.scalar("SELECT factor FROM sku_alias WHERE channel = 'amazon' AND external_sku = 'QSL-BULB-2PK'") == 2
    gift = get_order(db, "3920338714025569913")
    assert gift.lines[0].mapping == "kit" and gift.status == "shipped" and gift.total_minor == 103900
    pos = get_order(db, "HZ-00324")                          # scanned barcode → master SKU
    assert pos.lines[0].sku == "QS-DL-OAK" and pos.total_minor == 84900 and pos.status == "delivered"


def test_cross_channel_customer(demo):
    tour, db = demo
    customer = tour.cross_channel_customer
    assert customer.code == "C-WANGFANG" and customer.tier == "A"
    assert customer.channels == ["social", "store_hz", "taobao"]
    assert len(customer.orders) == 5
    emma = {row["channel"] for row in db.query(
        "SELECT o.channel FROM sales_order o JOIN customer c ON c.id = o.customer_id WHERE c.code = 'C-EMMA'")}
    assert emma == {"shopify", "social"}                      # by email on Shopify, by phone on WhatsApp


def test_demo_rates_follow_the_clock_and_convert_totals(demo):
    from omnictl.fx import rates_for

    _, db = demo
    assert db.scalar("SELECT min(on_date) || ' ' || max(on_date) FROM fx_rate") == "2026-09-16 2026-11-25"
    rates = rates_for(db)
    assert rates.to_base(10000, "USD", "2026-11-24") == (71072, None)     # the weekly rate of 11-18: 7.1072
    assert rates.to_base(10000, "USD", "2026-11-25") == (71150, None)     # that day's own rate
    assert rates.to_base(10000, "CNY", "2026-11-24") == (10000, None)


def test_due_dates_follow_the_clock(demo):
    tour, db = demo
    today = clock.today()
    assert today == TODAY
    tomorrow = (today + timedelta(days=1)).isoformat()
    assert get_order(db, "#2049").promised_ship_by == tomorrow            # derived: D-1 + 2 days
    sheet = get_order(db, "WX-0588")
    assert (sheet.promised_ship_by, sheet.promised_source) == (tomorrow, "channel")
    assert get_order(db, "3920904471162205831").promised_ship_by == today.isoformat()
    assert get_order(db, "WX-0585").promised_ship_by == (today + timedelta(days=3)).isoformat()
    assert get_order(db, "3302561147").promised_ship_by == (today + timedelta(days=3)).isoformat()  # Etsy, 5 days
    newest = db.scalar("SELECT max(ordered_at) FROM sales_order WHERE ordered_at IS NOT NULL")
    assert newest <= clock.utc_now_iso()                                  # no order from the future


def test_another_pinned_day_moves_the_whole_story(tmp_path, monkeypatch):
    monkeypatch.setenv("OMNICTL_TODAY", "2027-03-01")
    tour = build_demo(tmp_path / "march.db", keep_exports=False)
    assert tour.today == "2027-03-01" and tour.exports_dir is None
    assert tour.due == {"late": 5, "today": 3, "tomorrow": 5, "in_3_days": 3}
    db = open_db(tmp_path / "march.db")
    try:
        assert get_order(db, "#2047").ordered_at == "2027-02-25T23:40:00Z"
        assert get_order(db, "#2049").promised_ship_by == "2027-03-02"
    finally:
        db.close()


def test_pinned_clock_reproduces_the_demo(tmp_path):
    first = build_demo(tmp_path / "a.db", keep_exports=False)
    second = build_demo(tmp_path / "b.db", keep_exports=False)
    dump = lambda t: t.model_dump(exclude={"database", "try_next"})  # noqa: E731
    assert dump(first) == dump(second)
    rows = []
    for name in ("a.db", "b.db"):
        db = open_db(tmp_path / name)
        rows.append([tuple(r) for r in db.query(
            "SELECT channel, external_id, ordered_at, ordered_on, total_minor, status, promised_ship_by "
            "FROM sales_order ORDER BY id")])
        db.close()
    assert rows[0] == rows[1] and len([r for r in rows[0] if r[0] != "orderbook"]) == 53


def test_rendered_exports_keep_their_own_formats(demo, tmp_path):
    tour, _ = demo
    folder = tmp_path / "demo-exports"
    assert tour.exports_dir == str(folder)
    taobao = folder / "ExportOrderList202611250800.csv"
    raw = taobao.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert "2026-10-28 10:21:05,2026-10-28 10:21:40" in raw.decode("gbk")     # naive Beijing time, D-28
    amazon = (folder / "AllOrdersReport_20261125.txt").read_text(encoding="utf-8")
    assert "\t2026-10-29T19:10:00+00:00\t" in amazon                        # D-26 03:10 Shanghai, in UTC
    assert amazon.splitlines()[0].endswith("invoice-business-tax-office ")
    etsy = (folder / "EtsySoldOrderItems2026.csv").read_text(encoding="utf-8")
    assert "\n11/02/26," in etsy and ",11/02/2026,11/05/2026," in etsy
    import openpyxl

    sheet = openpyxl.load_workbook(folder / "微信订单登记表.xlsx").active
    assert sheet["A2"].value == "WX-0581" and sheet["B2"].value == datetime(2026, 10, 31)
    assert sheet["I2"].value == 12 and sheet["B9"].value == "周五"


def test_tokens():
    now = datetime(2026, 11, 25, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    spec = {"datetime_format": "%Y-%m-%d %H:%M:%S %z", "date_format": "%m/%d/%y", "formats": {"long": "%m/%d/%Y"}}
    clock.set_zone("Asia/Shanghai")
    assert render_text("{{D-3 14:05}}|{{D+2}}|{{D0|long}}|{{D-1 09:00|%H%M}}", spec, now) == \
        "2026-11-22 14:05:00 +0800|11/27/26|11/25/2026|0900"
    assert render_text("{{D-1 03:10}}", {**spec, "timezone": "UTC"}, now) == "2026-11-23 19:10:00 +0000"
    late_today = resolve_token(TOKEN.fullmatch("{{D0 18:30}}"), now)
    assert late_today == now - timedelta(minutes=1)                      # never after now


def test_manifest_files_ship_with_the_package():
    manifest = load_manifest()
    root = sample_files()
    files = [m["file"] for m in manifest["master"]] + [f["template"] for g in manifest["imports"] for f in g["files"]]
    for relative in files:
        node = root
        for part in relative.split("/"):
            node = node.joinpath(part)
        assert node.is_file(), relative
    assert {g["channel"] for g in manifest["imports"]} == set(PER_CHANNEL)


def test_rebuilding_replaces_a_demo_database(tmp_path):
    target = tmp_path / "demo.db"
    build_demo(target)
    db = open_db(target)
    from omnictl.skus import map_sku

    map_sku(db, "shopify", "SPARE-SHADE-30", "SHD-LIN-30")
    db.close()
    (tmp_path / "demo-exports" / "my-note.txt").write_text("scratch", encoding="utf-8")
    tour = build_demo(target)
    assert tour.replaced is True and tour.unmapped == 6
    assert not (tmp_path / "demo-exports" / "my-note.txt").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo-exports", "demo.db"]


def test_a_database_with_real_data_is_refused(cli, db_path):
    skus = sample_files().joinpath("master").joinpath("locations.csv")
    assert cli("master", "import", "locations", str(skus)).code == 0
    before = _sha(db_path)
    result = cli("demo")
    assert result.code == 2
    assert result.stderr.startswith(f"Error: {db_path} exists and was not built by `omnictl demo`")
    assert _sha(db_path) == before
    assert sorted(p.name for p in db_path.parent.iterdir() if p.name.startswith("cli")) == ["cli.db"]


def test_a_file_that_is_not_a_database_is_refused(tmp_path):
    target = tmp_path / "notes.db"
    target.write_text("not sqlite at all", encoding="utf-8")
    with pytest.raises(UsageError, match="was not built by `omnictl demo`"):
        build_demo(target)
    assert target.read_text(encoding="utf-8") == "not sqlite at all"


def test_cli_demo_tour(cli, db_path):
    result = cli("demo")
    assert result.code == 0, result
    out = result.stdout
    assert "Qingshan Lamp Works 青山灯具: demo database built at" in out
    assert "20 orders are open: 5 late, 3 due today, 5 due tomorrow, 3 due in 3 days" in out
    assert re.search(r"taobao\s+taobao\s+9\s+12\s+1\s+1\n", out)
    assert f"omnictl --db {db_path} orders show '#2047' --channel shopify" in out
    again = cli("demo", "--json")
    assert again.code == 0
    tour = again.json()
    assert tour["replaced"] is True and tour["orders"] == 53 and tour["database"] == str(db_path)
    assert cli("orders", "list", "--channel", "social", "--json").json()[0]["external_id"] == "WX-0589"


def test_cli_demo_default_path_ignores_omnictl_db(cli, tmp_path, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("OMNICTL_DB", str(tmp_path / "real.db"))
    result = cli("demo", "--no-exports", db=False)
    assert result.code == 0, result
    assert sorted(p.name for p in work.iterdir()) == ["omnictl-demo.db"]
    assert not (tmp_path / "real.db").exists()
    assert "  omnictl --db omnictl-demo.db orders list\n" in result.stdout


def test_stock_story(demo):
    tour, db = demo
    stock = tour.stock
    assert (stock.opening_moves, stock.sales_moves) == (42, 42)
    assert stock.oversold == ["QS-LT-L at WH-HZ (ATP -8)"]      # 18 opened, 6 sold, 20 held for an open order
    assert (stock.purchase_lines, stock.late_purchase_lines) == (5, 1)       # the celadon bodies are late
    assert (stock.count_differences, stock.count_value_minor, stock.count_unknown) == (4, -49800, ["QS-DL-ASH"])
    assert stock.oversell_risk == ["HILL-OAK-BUNDLE listed 5, should 4", "QS-DL-OAK listed 25, should 4",
                                   "QS-WL-BRS listed 2, should 1"]
    balances = {(r["sku"], r["location"]): r["on_hand"] for r in db.query("SELECT * FROM stock_balance")}
    assert balances[("BULB-E27", "WH-HZ")] == 287                           # 300 opening, 13 sold
    assert db.scalar("SELECT count(*) FROM stock_move WHERE kind = 'count'") == 0   # the count is not applied


def test_plan_story(demo):
    tour, db = demo
    plan = tour.plan
    assert (plan.orders, plan.for_sales) == (21, 4)
    assert plan.late == ["MO-000001 QS-DL-OAK due 2026-11-24", "MO-000007 QS-WL-BRS due 2026-11-20",
                         "MO-000009 ARM-BRS due 2026-11-20", "MO-000010 ARM-BRS due 2026-11-24"]
    assert plan.short_orders > 0 and plan.first == "MO-000021"
    assert db.scalar("SELECT count(*) FROM production_peg") >= 4


def test_schedule_rush_and_gantt_story(demo):
    tour, db = demo
    plan = tour.plan
    assert plan.bottleneck == "LATHE" and plan.scheduled_late
    assert plan.rush_order == "3920904471162205831" and plan.rush_pushes        # the rush pushes others back
    assert any(line.startswith("LATHE *") for line in plan.gantt)
    assert db.scalar("SELECT count(*) FROM schedule_run WHERE is_current = 1") == 1
    assert db.scalar("SELECT kind FROM schedule_run WHERE is_current = 1") == "run"   # the rush is not accepted


def test_close_story(demo, tmp_path):
    """The shop floor's last three days are imported; yesterday's close fails on material and T-3."""
    tour, db = demo
    close = tour.close
    assert close.files == ["报工_20261124.csv", "领料_20261124.csv"]
    assert (close.date, close.status) == ("2026-11-24", "fail")
    assert close.checks == {"channels": "warn", "production": "ok", "consumption": "fail", "stock": "warn",
                            "t3": "fail", "escalation": "ok"}
    # 4 good rabbit shells in three days (3 torn), 1 sheet each + 4% scrap = 4.16 sheets; 8 were issued
    assert close.consumption == ["MO-000006 RAW-PAP: issued 8 against a standard of 4.16: 3.84 over (+92%)"]
    assert [line.split(" (")[0] for line in close.t3] == ["MO-000007", "MO-000001"]
    assert db.scalar("SELECT count(*) FROM shopfloor_report") == 3
    assert db.scalar("SELECT count(*) FROM material_issue") == 5
    assert db.scalar("SELECT status FROM close_run WHERE close_date = '2026-11-24'") == "fail"
    assert db.scalar("SELECT o.status FROM operation o JOIN production_order p ON p.id = o.production_id "
                     "WHERE p.number = 'MO-000006' AND o.seq = 10") == "partly done"
    assert any(c.endswith("close show 2026-11-24") for c in tour.try_next)
    assert (tmp_path / "demo-exports" / "领料_20261124.csv").exists()


def test_cli_demo_tour_shows_the_close(cli, db_path):
    result = cli("demo")
    assert result.code == 0, result
    assert "Daily close (日清日结) of 2026-11-24" in result.stdout
    assert "material: MO-000006 RAW-PAP: issued 8 against a standard of 4.16" in result.stdout
    shown = cli("close", "show", "2026-11-24", "--json")
    assert shown.code == 0 and shown.json()["status"] == "fail"


def test_demo_forecast_from_a_year_of_history_and_stockouts_ahead(demo):
    tour, db = demo
    fc = tour.forecast
    # 430 days of the order book (one order per SKU and day with demand), before today
    assert fc.history_file == "orderbook_history.csv"
    assert fc.history_orders == db.scalar("SELECT count(*) FROM sales_order WHERE channel = 'orderbook'") > 1000
    first, last = db.one("SELECT min(ordered_on), max(ordered_on) FROM sales_order WHERE channel = 'orderbook'")
    assert (first, last) == ((TODAY - timedelta(days=430)).isoformat(), (TODAY - timedelta(days=1)).isoformat())
    assert db.scalar("SELECT count(*) FROM stock_move m JOIN order_line l ON l.id = m.order_line_id "
                     "JOIN sales_order o ON o.id = l.order_id WHERE o.channel = 'orderbook'") == 0
    # a day run over every SKU with demand; smooth SKUs get a seasonal or smoothing method,
    # the celadon lamp (one sale in about six days) an intermittent one
    run = db.one("SELECT bucket, as_of, horizon FROM forecast_run WHERE id = ?", (fc.run_id,))
    assert tuple(run) == ("day", (TODAY - timedelta(days=1)).isoformat(), 28)
    shown = {line.split(":")[0]: line for line in fc.shown}
    assert set(shown) == {"QS-LT-S", "QS-NL-RAB", "QS-TL-CEL"}
    assert "(smooth)" in shown["QS-LT-S"] and "MASE" in shown["QS-LT-S"] and "n/a" not in shown["QS-LT-S"]
    method = shown["QS-TL-CEL"].split(": ")[1].split(" ")[0]
    assert method in ("croston", "sba", "tsb", "ma", "ses")
    # replenishment sees stock-outs coming, earliest first
    assert fc.stockouts and all(" runs out 20" in line for line in fc.stockouts)
    days = [re.search(r"runs out (\S+)", line)[1] for line in fc.stockouts]
    assert days == sorted(days) and days[0] >= TODAY.isoformat()
