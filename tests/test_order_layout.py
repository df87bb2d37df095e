"""omnictl's own order layout: `orders export`, the `omnictl` profile, and the round trip."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from omnictl import clock
from omnictl.db import open_db
from omnictl.exporter import COLUMNS, export_orders
from omnictl.importer import import_files

from conftest import CHANNEL_FIXTURES, OWN_FIXTURES

ORDER_FIELDS = ("channel", "external_id", "ordered_at", "ordered_on", "currency", "subtotal_minor",
                "shipping_minor", "tax_minor", "discount_minor", "total_minor", "refunded_minor", "payment",
                "fulfilment", "status", "promised_ship_by", "deliver_by")
LINE_FIELDS = ("line_key", "external_sku", "product_name", "quantity", "unit_price_minor", "line_total_minor",
               "payment", "fulfilment", "status", "shipped_at")
BUYER_FIELDS = ("name", "email", "phone", "address")


def snapshot(db) -> tuple[list, list, list]:
    orders = [tuple(r) for r in db.query(f"SELECT {', '.join(ORDER_FIELDS)} FROM sales_order ORDER BY channel, "
                                         "external_id")]
    lines = [tuple(r) for r in db.query(
        f"SELECT o.channel, o.external_id, {', '.join('l.' + f for f in LINE_FIELDS)} FROM order_line l "
        "JOIN sales_order o ON o.id = l.order_id ORDER BY o.channel, o.external_id, l.line_key")]
    buyers = [tuple(r) for r in db.query(
        f"SELECT o.channel, o.external_id, {', '.join('p.' + f for f in BUYER_FIELDS)} FROM sales_order o "
        "LEFT JOIN party p ON p.id = o.party_id ORDER BY o.channel, o.external_id")]
    return orders, lines, buyers


def round_trip(db, tmp_path) -> tuple:
    exported = tmp_path / "orders.csv"
    result = export_orders(db, exported)
    fresh = open_db(tmp_path / "fresh.db")
    try:
        imported = import_files(fresh, [exported])
        assert sum(r.rejected for r in imported) == 0
        assert sum(r.orders_created for r in imported) == result.orders
        return snapshot(fresh), result
    finally:
        fresh.close()


REAL_ORDER_EXPORTS = sorted(
    str(p.relative_to(CHANNEL_FIXTURES)) for p in CHANNEL_FIXTURES.glob("*/*")
    if p.suffix != ".md" and "header_only" not in p.name and p.parent.name not in ("inventory",)
    and "transactions" not in p.name) if CHANNEL_FIXTURES.exists() else []


@pytest.mark.skipif(not REAL_ORDER_EXPORTS, reason="../shared is absent")
@pytest.mark.parametrize("relative", REAL_ORDER_EXPORTS)
def test_round_trip_of_every_real_export(db, tmp_path, relative):
    import_files(db, [CHANNEL_FIXTURES / relative])
    before = snapshot(db)
    after, result = round_trip(db, tmp_path)
    assert result.orders == len(before[0]) and result.lines == len(before[1])
    assert after == before


def test_round_trip_of_the_demo_keeps_every_channel(tmp_path):
    from omnictl.demo import build_demo

    build_demo(tmp_path / "demo.db", keep_exports=False)
    demo = open_db(tmp_path / "demo.db")
    try:
        before = snapshot(demo)
        fresh = open_db(tmp_path / "fresh.db")       # the same company timezone, so the same order dates
        fresh.execute("INSERT INTO setting VALUES ('company.timezone', ?)", (demo.setting("company.timezone"),))
        fresh.close()
        clock.set_zone(demo.setting("company.timezone"))
        after, result = round_trip(demo, tmp_path)
    finally:
        demo.close()
    book = sum(1 for o in before[0] if o[0] == "orderbook")          # the order history: one line each
    assert book > 1000 and (result.orders, result.lines) == (53 + book, 74 + book)
    assert {o[0] for o in after[0]} == {"shopify", "amazon", "etsy", "taobao", "social", "store_hz", "store_sh",
                                        "orderbook"}
    assert after == before


def test_layout_columns_and_values(db, tmp_path):
    import_files(db, [OWN_FIXTURES / "shopify" / "orders_export_small.csv"])
    export_orders(db, tmp_path / "out.csv")
    with open(tmp_path / "out.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert tuple(rows[0])[:len(COLUMNS)] == COLUMNS
    first = rows[0]
    assert (first["order_id"], first["channel"], first["currency"]) == ("#2001", "shopify", "USD")
    assert first["ordered_at"] == "2026-11-20T02:01:55Z"
    assert (first["sku"], first["quantity"], first["unit_price"], first["order_total"]) == \
        ("LAMP-TR-BLK", "2", "49.50", "197.00")
    assert (first["payment"], first["fulfilment"], first["status"]) == ("paid", "shipped", "shipped")
    assert len(rows) == 3 + sum(1 for r in rows if r["order_id"] != "#2001")


def test_since_and_channel_filters(db, tmp_path):
    import_files(db, [OWN_FIXTURES / "shopify" / "orders_export_small.csv"])
    everything = export_orders(db, tmp_path / "all.csv")
    assert export_orders(db, tmp_path / "none.csv", since="2030-01-01").orders == 0
    assert export_orders(db, tmp_path / "shop.csv", channel="shopify").orders == everything.orders
    assert (tmp_path / "none.csv").read_text(encoding="utf-8").count("\n") == 1    # the header only


def test_a_system_feeding_only_the_documented_columns(db, tmp_path):
    """Another system writes the 16 columns, two channels in one file, no line ids or extras."""
    feed = tmp_path / "feed.csv"
    feed.write_text(
        ",".join(COLUMNS) + "\n"
        "B-1,,b2b,2026-11-20,2026-11-27,,paid,open,paid,LAMP-TR-BLK,10,40.00,EUR,Acme GmbH,+49 30 1234567,buy@acme.example\n"
        "B-1,,b2b,2026-11-20,2026-11-27,,paid,open,paid,BULB-E27,20,2.50,EUR,,,\n"
        "W-9,,wechat,2026-11-21T03:00:00Z,,2026-11-22T01:00:00Z,paid,shipped,shipped,SHADE-LIN,1,38.00,CNY,李雷,13800138000,\n",
        encoding="utf-8")
    results = import_files(db, [feed])
    assert {r.channel: (r.orders_created, r.lines, r.rejected) for r in results} == \
        {"b2b": (1, 2, 0), "wechat": (1, 1, 0)}
    order = db.one("SELECT * FROM sales_order WHERE external_id = 'B-1'")
    assert (order["total_minor"], order["currency"], order["ordered_at"], order["ordered_on"]) == \
        (45000, "EUR", None, "2026-11-20")
    assert (order["payment"], order["fulfilment"], order["promised_ship_by"]) == ("paid", "open", "2026-11-27")
    assert db.scalar("SELECT profile FROM channel WHERE code = 'wechat'") == "omnictl"
    again = import_files(db, [feed])
    assert [r.already_imported_as for r in again] == [r.batch for r in results]


def test_rows_without_channel_go_to_the_given_channel(db, tmp_path, cli):
    feed = tmp_path / "feed.csv"
    feed.write_text(",".join(COLUMNS) + "\nX-1,1,,2026-11-20,,,unpaid,open,pending,SKU-1,1,5.00,USD,,,\n",
                    encoding="utf-8")
    [result] = import_files(db, [feed])
    assert result.channel == "omnictl" and result.profile == "omnictl"
    db.execute("INSERT INTO channel (code, name, profile) VALUES ('shop2', 'Shop 2', 'shopify')")
    feed2 = tmp_path / "feed2.csv"
    feed2.write_text(feed.read_text(encoding="utf-8").replace("X-1", "X-2"), encoding="utf-8")
    [result] = import_files(db, [feed2], channel="shop2")
    assert (result.channel, result.orders_created) == ("shop2", 1)


def test_a_bad_channel_code_is_a_file_error_naming_the_row(db, tmp_path):
    from omnictl.errors import InputFileError

    feed = tmp_path / "feed.csv"
    feed.write_text(",".join(COLUMNS) + "\nX-1,1,ok,2026-11-20,,,paid,open,paid,S,1,5.00,USD,,,\n"
                    "X-2,1,bad code!,2026-11-20,,,paid,open,paid,S,1,5.00,USD,,,\n", encoding="utf-8")
    with pytest.raises(InputFileError, match=r"row 3, column 'channel': 'bad code!' is not a channel code"):
        import_files(db, [feed])
    assert db.scalar("SELECT count(*) FROM sales_order") == 0


def test_cli_export_then_import(cli, tmp_path):
    assert cli("import", OWN_FIXTURES / "shopify" / "orders_export_small.csv").code == 0
    out = tmp_path / "export.csv"
    result = cli("orders", "export", out, "--json")
    assert result.code == 0 and result.json()["orders"] == 3 and out.exists()
    piped = cli("orders", "export", "-")
    assert piped.code == 0 and piped.stdout.splitlines()[0].startswith("order_id,line_id,channel,")
    assert piped.stdout == out.read_text(encoding="utf-8")
    missing_folder = cli("orders", "export", tmp_path / "nope" / "x.csv")
    assert missing_folder.code == 2 and "folder" in missing_folder.stderr and "nope" in missing_folder.stderr
    bad_date = cli("orders", "export", out, "--since", "yesterday")
    assert bad_date.code == 2 and "--since 'yesterday' is not a date" in bad_date.stderr
    detect = cli("channels", "detect", out, "--json")
    assert detect.json()["profile"] == "omnictl"


def test_a_failed_export_leaves_no_partial_file(db, tmp_path, monkeypatch):
    import omnictl.exporter as exporter

    import_files(db, [OWN_FIXTURES / "shopify" / "orders_export_small.csv"])
    target = tmp_path / "out.csv"
    target.write_text("previous export\n", encoding="utf-8")

    def broken(row):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(exporter, "_row", broken)
    from omnictl.errors import InputFileError

    with pytest.raises(InputFileError, match="No space left on device"):
        export_orders(db, target)
    assert target.read_text(encoding="utf-8") == "previous export\n"
    assert [p.name for p in Path(tmp_path).iterdir() if p.name.startswith(".")] == []


def test_channel_codes_in_another_case_are_one_channel(db, tmp_path):
    db.execute("INSERT INTO channel (code, name, profile) VALUES ('erp', 'ERP', 'omnictl')")
    feed = tmp_path / "feed.csv"
    feed.write_text(",".join(COLUMNS) + "\nX-1,1,ERP,2026-11-20,,,paid,open,paid,S,1,5.00,USD,,,\n"
                    "X-2,1,erp,2026-11-20,,,paid,open,paid,S,1,5.00,USD,,,\n"
                    "X-3,1,web,2026-11-20,,,paid,open,paid,S,1,5.00,USD,,,\n"
                    "X-4,1,WEB,2026-11-20,,,paid,open,paid,S,1,5.00,USD,,,\n", encoding="utf-8")
    results = import_files(db, [feed])
    assert sorted((r.channel, r.orders_created) for r in results) == [("erp", 2), ("web", 2)]
    assert [r["code"] for r in db.query("SELECT code FROM channel ORDER BY code")] == ["erp", "web"]


def test_an_unknown_currency_is_a_reject(db, tmp_path):
    feed = tmp_path / "feed.csv"
    feed.write_text(",".join(COLUMNS) + "\nX-1,1,shop,2026-11-20,,,paid,open,paid,S,1,5.00,EURO,,,\n"
                    "X-2,1,shop,2026-11-20,,,paid,open,paid,S,1,5.00,€,,,\n", encoding="utf-8")
    [result] = import_files(db, [feed])
    assert (result.orders_created, result.rejected) == (1, 1)
    reject = db.one("SELECT * FROM import_reject")
    assert (reject["row_no"], reject["field"]) == (2, "currency")
    assert "'EURO' is not a currency code" in reject["reason"]
    assert db.scalar("SELECT currency FROM sales_order") == "EUR"
