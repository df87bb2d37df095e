"""Stock feeds to channels: what each listing should advertise, the upload files, and
reconciling a channel's listed stock (omnictl/feeds.py)."""

from __future__ import annotations

import csv
import io

import pytest

from omnictl.db import open_db
from omnictl.errors import InputFileError, NotFound, UsageError
from omnictl.feeds import channel_stock, export_channel_stock, format_for, reconcile_channel, status_of
from omnictl.inventory import Move, post

from conftest import OWN_FIXTURES, shared_file

FEEDS = OWN_FIXTURES / "feeds"
SHOPIFY_HEADER = ("Handle,Title,Option1 Name,Option1 Value,Option2 Name,Option2 Value,Option3 Name,Option3 Value,"
                  "SKU,HS Code,COO,Location,Incoming,Unavailable,Committed,Available,On hand")


def _order_line(db, channel: str, external_id: str, external_sku: str, sku: str | None, quantity: float,
                fulfilment: str, mapping: str = "sku") -> None:
    batch = db.execute("INSERT INTO import_batch (kind, file_name, sha256, channel, actor, started_at) "
                       "VALUES ('orders', 'test.csv', ?, ?, 'tester', '2026-11-20T00:00:00Z')",
                       (external_id, channel)).lastrowid
    order = db.execute("INSERT INTO sales_order (channel, external_id, ordered_at, ordered_on, payment, fulfilment, "
                       "status, first_batch_id, last_batch_id) VALUES (?, ?, '2026-11-20T00:00:00Z', '2026-11-20', "
                       "'paid', ?, ?, ?, ?)", (channel, external_id, fulfilment, fulfilment, batch, batch)).lastrowid
    db.execute("INSERT INTO order_line (order_id, line_key, external_sku, sku, mapping, quantity, payment, fulfilment, "
               "status, first_batch_id, last_batch_id) VALUES (?, ?, ?, ?, ?, ?, 'paid', ?, ?, ?, ?)",
               (order, f"{external_sku}#1", external_sku, sku, mapping, quantity, fulfilment, fulfilment, batch, batch))


def build(db):
    """Stock at WH: A 20 on hand, 4 reserved by an open Shopify order (ATP 16); B 15; C -3; D 10."""
    db.execute("INSERT INTO location (code, name) VALUES ('WH', 'Main Warehouse'), ('STORE', 'Pop-up Store')")
    for code, barcode in (("A", None), ("B", None), ("C", None), ("D", "4006381333931")):
        db.execute("INSERT INTO sku (code, name, barcode) VALUES (?, ?, ?)", (code, f"Item {code}", barcode))
    db.execute("INSERT INTO channel (code, name, profile, location, allocation_share, buffer_qty) VALUES "
               "('shop', 'Shop', 'shopify', 'WH', 0.5, 2), ('amz', 'Amazon', 'amazon_all_orders', 'WH', 1, 0), "
               "('wholesale', 'Wholesale', 'manual', 'WH', 1, 0), ('nolo', 'No location', 'pos', NULL, 1, 0)")
    db.execute("INSERT INTO sku_alias (channel, external_sku, sku, factor) VALUES "
               "('shop', 'A-2PK', 'A', 2), ('shop', 'KIT-AB', 'A', 1), ('shop', 'KIT-AB', 'B', 2), "
               "('amz', 'AMZ-A', 'A', 1), ('amz', 'AMZ-B', 'B', 1), ('amz', 'AMZ-KIT', 'A', 1), "
               "('amz', 'AMZ-KIT', 'B', 2), ('wholesale', 'W-A', 'A', 1), ('wholesale', 'W-B', 'B', 1)")
    _order_line(db, "shop", "#1", "A", "A", 4, "open")                # reserves 4 A: ATP 16
    _order_line(db, "shop", "#2", "C", "C", 1, "cancelled")           # C is sold on the shop as itself
    _order_line(db, "amz", "111-1", "4006381333931", "D", 1, "cancelled")   # D by its barcode
    with db.write():
        post(db, [Move("A", "WH", 20, "opening", "2026-11-01T00:00:00Z"),
                  Move("B", "WH", 15, "opening", "2026-11-01T00:00:00Z"),
                  Move("C", "WH", -3, "adjustment", "2026-11-02T00:00:00Z", reason="oversold"),
                  Move("D", "WH", 10, "opening", "2026-11-01T00:00:00Z"),
                  Move("A", "STORE", 100, "opening", "2026-11-01T00:00:00Z")], "tester")
    return db


@pytest.fixture
def world(db):
    return build(db)


@pytest.fixture
def cli_world(db_path):
    database = open_db(db_path)
    build(database)
    database.close()
    return db_path


def by_sku(listings):
    return {listing.sku: listing for listing in listings}


# -- what each listing should advertise -----------------------------------------------------

def test_share_buffer_pack_kit_and_negative_atp(world):
    stock = channel_stock(world, "shop")
    assert (stock.location, stock.allocation_share, stock.buffer) == ("WH", 0.5, 2)
    listings = by_sku(stock.listings)
    assert list(listings) == ["A", "A-2PK", "C", "KIT-AB"]           # aliases + master SKUs sold on it
    assert (listings["A"].mapping, listings["A"].units, listings["A"].quantity) == ("sku", 16, 6)   # 16*0.5-2
    assert (listings["A-2PK"].mapping, listings["A-2PK"].units, listings["A-2PK"].quantity) == ("alias", 8, 2)
    kit = listings["KIT-AB"]
    assert (kit.mapping, kit.units, kit.quantity, kit.limited_by) == ("kit", 7, 1, "B")   # min(16, 15//2); 3.5-2
    assert [(c.sku, c.factor, c.atp, c.units) for c in kit.components] == [("A", 1, 16, 16), ("B", 2, 15, 7)]
    assert (listings["C"].units, listings["C"].quantity) == (-3, 0)                 # negative ATP: never below 0


def test_full_share_no_buffer_and_barcode_listing(world):
    listings = by_sku(channel_stock(world, "amz").listings)
    assert {sku: l.quantity for sku, l in listings.items()} == {
        "4006381333931": 10, "AMZ-A": 16, "AMZ-B": 15, "AMZ-KIT": 7}
    assert listings["4006381333931"].components[0].sku == "D"


def test_rounding_is_decimal_floor_after_share(world):
    with world.write():
        post(world, [Move("D", "WH", 90, "receipt", "2026-11-03T00:00:00Z")], "tester")
    world.execute("UPDATE channel SET allocation_share = 0.29, buffer_qty = 0 WHERE code = 'amz'")
    assert by_sku(channel_stock(world, "amz").listings)["4006381333931"].quantity == 29   # 100 x 0.29, not 28
    world.execute("UPDATE channel SET allocation_share = 0.5, buffer_qty = 1.5 WHERE code = 'amz'")
    listings = by_sku(channel_stock(world, "amz").listings)
    assert listings["AMZ-B"].quantity == 6          # floor(15 x 0.5 - 1.5) = floor(6.0)
    assert listings["AMZ-KIT"].quantity == 2        # floor(7 x 0.5 - 1.5) = floor(2.0)


def test_channel_errors(world):
    assert channel_stock(world, "SHOP").channel == "shop"              # channel codes ignore case
    with pytest.raises(UsageError, match="channel 'nolo' has no fulfilment location"):
        channel_stock(world, "nolo")
    with pytest.raises(NotFound, match="no channel 'mars'"):
        channel_stock(world, "mars")


def test_format_from_profile():
    assert [format_for(p) for p in ("shopify", "amazon_all_orders", "amazon_new_orders", "pos", "manual")] == [
        "shopify", "amazon", "amazon", "plain", "plain"]


# -- the upload files -----------------------------------------------------------------------

def test_shopify_file_without_template(world, tmp_path):
    out = tmp_path / "shop.csv"
    result = export_channel_stock(world, "shop", out)
    assert (result.format, result.rows) == ("shopify", 4)
    assert "--template" in result.notes[0]
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == SHOPIFY_HEADER
    assert lines[1:] == [",,,,,,,,A,,,Main Warehouse,0,0,0,6,6", ",,,,,,,,A-2PK,,,Main Warehouse,0,0,0,2,2",
                         ",,,,,,,,C,,,Main Warehouse,0,0,0,0,0", ",,,,,,,,KIT-AB,,,Main Warehouse,0,0,0,1,1"]


def test_shopify_file_from_the_shops_own_export(world, tmp_path):
    out = tmp_path / "shop.csv"
    result = export_channel_stock(world, "shop", out, template=FEEDS / "shopify_inventory.csv")
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert ",".join(rows[0]) == SHOPIFY_HEADER
    # Available = what to advertise; On hand = that + Committed + Unavailable (Shopify derives Available)
    assert rows[1:] == [
        ["table-lamp", "Table Lamp", "Title", "Default Title", "", "", "", "", "A", "", "CN", "Main Warehouse",
         "0", "0", "1", "6", "7"],
        ["table-lamp-2-pack", "Table Lamp 2-pack", "Title", "Default Title", "", "", "", "", "A-2PK", "", "CN",
         "Main Warehouse", "0", "0", "0", "2", "2"],
        ["lamp-and-bulbs", "Lamp and Bulbs", "Title", "Default Title", "", "", "", "", "KIT-AB", "", "CN",
         "Main Warehouse", "0", "1", "0", "1", "2"],
        ["desk-fan", "Desk Fan", "Colour", "White", "", "", "", "", "D", "", "CN", "Main Warehouse",
         "0", "0", "0", "3", "3"],                     # D is listed there though never sold: floor(10*0.5-2)
    ]
    assert result.rows == 4 and result.not_in_template == ["C"]
    assert [listing.sku for listing in result.listings] == ["A", "A-2PK", "C", "D", "KIT-AB"]


def test_amazon_price_and_quantity_file(world, tmp_path):
    out = tmp_path / "amz.txt"
    result = export_channel_stock(world, "amz", out)
    assert (result.format, result.rows) == ("amazon", 4)
    assert out.read_bytes().decode("utf-8").split("\n") == [
        ("sku\tprice\tminimum-seller-allowed-price\tmaximum-seller-allowed-price\tquantity\thandling-time\t"
         "fulfillment-channel"),
        "4006381333931\t\t\t\t10\t\t", "AMZ-A\t\t\t\t16\t\t", "AMZ-B\t\t\t\t15\t\t", "AMZ-KIT\t\t\t\t7\t\t", ""]


def test_plain_file_and_format_override(world, tmp_path):
    out = tmp_path / "w.csv"
    export_channel_stock(world, "wholesale", out)
    assert out.read_text(encoding="utf-8") == "sku,quantity,location\nW-A,16,WH\nW-B,15,WH\n"
    export_channel_stock(world, "shop", out, fmt="plain")
    assert out.read_text(encoding="utf-8").splitlines() == [
        "sku,quantity,location", "A,6,WH", "A-2PK,2,WH", "C,0,WH", "KIT-AB,1,WH"]


def test_written_whole_or_not_at_all(world, tmp_path):
    out = tmp_path / "shop.csv"
    out.write_text("old\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="is not a Shopify inventory export"):
        export_channel_stock(world, "shop", out, template=FEEDS / "plain_listing.csv")
    with pytest.raises(UsageError, match="channel 'nolo' has no fulfilment location"):
        export_channel_stock(world, "nolo", out)
    with pytest.raises(UsageError, match="--format 'csv' is not one of shopify, amazon, plain"):
        export_channel_stock(world, "shop", out, fmt="csv")
    with pytest.raises(UsageError, match="--template is read for the Shopify layout only"):
        export_channel_stock(world, "amz", out, template=FEEDS / "shopify_inventory.csv")
    assert out.read_text(encoding="utf-8") == "old\n"
    with pytest.raises(InputFileError, match="folder .* does not exist"):
        export_channel_stock(world, "shop", tmp_path / "nope" / "x.csv")
    assert not any(p.name.endswith(".partial") for p in tmp_path.rglob("*"))


# -- reconciling listed stock ---------------------------------------------------------------

def test_status_rule():
    from decimal import Decimal as D

    assert status_of(D(7), 6, None) == "oversell_risk"
    assert status_of(D(2), 6, None) == "lost_sales"          # below half, 4 short
    assert status_of(D(0), 1, None) == "ok"                  # below half but only 1 short
    assert status_of(D(3), 6, None) == "ok"                  # exactly half
    assert status_of(D(2), 6, (D(5), False)) == "ok"         # 4 short, tolerance 5
    assert status_of(D(2), 6, (D(3), False)) == "lost_sales"
    assert status_of(D(4), 6, (D(50), True)) == "ok"         # 2 short, 50% of 6 = 3
    assert status_of(D(2), 6, (D(50), True)) == "lost_sales"


def test_reconcile_shopify_export(world):
    report = reconcile_channel(world, "shop", FEEDS / "shopify_inventory.csv")
    lines = {line.sku: line for line in report.lines}
    assert {sku: (l.listed, l.should, l.difference, l.status) for sku, l in lines.items()} == {
        "A": (2, 6, -4, "lost_sales"), "A-2PK": (5, 2, 3, "oversell_risk"), "C": (None, 0, None, "missing"),
        "D": (3, 3, 0, "ok"), "KIT-AB": (1, 1, 0, "ok")}
    assert lines["A"].rows == [2] and lines["A"].location == "WH"          # the Pop-up Store row is not read
    assert lines["KIT-AB"].master_skus == ["A", "B"]
    assert report.unknown_skus == ["NOPE"] and report.missing_skus == ["C"]
    assert (report.blank_skus, report.oversell_risk, report.lost_sales) == (1, 1, 1)
    tolerant = reconcile_channel(world, "shop", FEEDS / "shopify_inventory.csv", tolerance="5")
    assert {line.sku: line.status for line in tolerant.lines}["A"] == "ok"


def test_reconcile_shopify_wide_layout(world):
    report = reconcile_channel(world, "shop", FEEDS / "shopify_inventory_wide.csv")
    assert report.file_location == "Main Warehouse"
    assert [(l.sku, l.listed, l.should, l.status) for l in report.lines] == [
        ("A", 6, 6, "ok"), ("A-2PK", 2, 2, "ok"), ("C", None, 0, "missing"), ("KIT-AB", None, 1, "missing")]
    store = reconcile_channel(world, "shop", FEEDS / "shopify_inventory_wide.csv", channel_location="Pop-up Store")
    assert [(l.sku, l.listed, l.status) for l in store.lines][:2] == [
        ("A", 50, "oversell_risk"), ("A-2PK", 0, "lost_sales")]      # 0 of 2: below half, 2 short


def test_reconcile_amazon_report(world):
    report = reconcile_channel(world, "amz", FEEDS / "amazon_inventory_report.txt")
    assert [(l.sku, l.listed, l.should, l.difference, l.status) for l in report.lines] == [
        ("4006381333931", 2, 10, -8, "lost_sales"), ("AMZ-A", 20, 16, 4, "oversell_risk"),
        ("AMZ-B", None, 15, None, "missing"), ("AMZ-KIT", 7, 7, 0, "ok")]
    assert report.unknown_skus == ["AMZ-OLD"]


def test_reconcile_plain_file_duplicates_rejects_locations(world):
    report = reconcile_channel(world, "wholesale", FEEDS / "plain_listing.csv")
    assert [(l.sku, l.listed, l.should, l.status, l.rows) for l in report.lines] == [
        ("W-A", 10, 16, "ok", [2]), ("W-B", 21, 15, "oversell_risk", [3, 5])]
    assert report.duplicates == ["W-B"] and report.unknown_skus == ["W-X"]
    assert report.rejects == ["row 6, column 'quantity': 'lots' is not a quantity"]
    assert {l.sku: l.status for l in
            reconcile_channel(world, "wholesale", FEEDS / "plain_listing.csv", tolerance="5").lines}["W-A"] == \
        "lost_sales"
    with pytest.raises(UsageError, match="no row is at location 'Depot'"):
        reconcile_channel(world, "wholesale", FEEDS / "plain_listing.csv", channel_location="Depot")
    with pytest.raises(UsageError, match="--tolerance 'many'"):
        reconcile_channel(world, "wholesale", FEEDS / "plain_listing.csv", tolerance="many")


def test_reconcile_needs_a_sku_column(world, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("item,count\nA,1\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="bad.csv: has no SKU column"):
        reconcile_channel(world, "shop", bad)


def test_several_locations_and_none_is_ours(world, tmp_path):
    world.execute("UPDATE location SET name = 'Somewhere' WHERE code = 'WH'")
    with pytest.raises(UsageError, match=r"several locations \(Main Warehouse, Pop-up Store\).*--channel-location"):
        reconcile_channel(world, "shop", FEEDS / "shopify_inventory.csv")
    report = reconcile_channel(world, "shop", FEEDS / "shopify_inventory.csv", channel_location="main warehouse")
    assert report.oversell_risk == 1


# -- the real exports in ../shared (skipped when absent) ------------------------------------

def _real_channel(db, code: str, profile: str, skus: dict[str, float],
                  aliases: dict[str, tuple[str, float]] | None = None):
    db.execute("INSERT INTO location (code, name) VALUES ('WH', 'Warehouse')")
    db.execute("INSERT INTO channel (code, name, profile, location) VALUES (?, ?, ?, 'WH')", (code, code, profile))
    for sku in skus:
        db.execute("INSERT INTO sku (code, name) VALUES (?, ?)", (sku, sku))
    for external, (sku, factor) in (aliases or {}).items():
        db.execute("INSERT INTO sku_alias VALUES (?, ?, ?, ?)", (code, external, sku, factor))
    with db.write():
        post(db, [Move(sku, "WH", q, "opening", "2026-11-01T00:00:00Z") for sku, q in skus.items() if q], "tester")


def test_real_shopify_inventory_export(db):
    path = shared_file("inventory/shopify_inventory_export_per_location_excerpt.csv")
    _real_channel(db, "olt", "shopify", {"235G": 5, "123G": 1, "24": 0})
    report = reconcile_channel(db, "olt", path)
    assert [(l.sku, l.listed, l.should, l.status) for l in report.lines] == [
        ("123G", 1, 1, "ok"), ("235G", 1, 5, "lost_sales"), ("24", 1, 0, "oversell_risk")]
    assert report.blank_skus == 246                        # 246 of the 300 rows have SKU ""
    assert len(report.unknown_skus) == 51 and report.unknown_skus[:2] == ["RPS36", "OOR6"]
    assert (report.oversell_risk, report.lost_sales, report.duplicates) == (1, 1, [])


def test_real_amazon_inventory_report(db):
    path = shared_file("inventory/amazon_inventory_report_it_excerpt.txt")
    _real_channel(db, "amz_it", "amazon_all_orders", {"A": 20}, {"0A-ZUII-DI5I": ("A", 1), "127814": ("A", 2),
                                                                 "NOT-LISTED": ("A", 1)})
    report = reconcile_channel(db, "amz_it", path)
    assert [(l.sku, l.listed, l.should, l.status) for l in report.lines] == [
        ("0A-ZUII-DI5I", 1, 20, "lost_sales"), ("127814", 8, 10, "ok"), ("NOT-LISTED", None, 20, "missing")]
    assert len(report.unknown_skus) == 298 and report.blank_skus == 0


def test_real_user_edited_shopify_export(db, tmp_path):
    path = shared_file("inventory/shopify_inventory_export_user_edited_excerpt.csv")
    _real_channel(db, "rs", "shopify", {"PWKR01": 3, "KIT": 0},
                  {"RAKSHA/07/20/GA/RAKSHA KIT/07/TQ/FS": ("KIT", 1),
                   "EWD/07/20/GA/PRINTED MASK/02/AS/FS": ("PWKR01", 1)})
    report = reconcile_channel(db, "rs", path)
    assert report.file_location == "Rangsutra Online"       # the quantity column is named after the location
    lines = {l.sku: (l.listed, l.should, l.difference, l.status, len(l.rows)) for l in report.lines}
    assert lines == {"PWKR01": (5, 3, 2, "oversell_risk", 1),
                     "RAKSHA/07/20/GA/RAKSHA KIT/07/TQ/FS": (-1, 0, -1, "ok", 1),
                     "EWD/07/20/GA/PRINTED MASK/02/AS/FS": (7, 3, 4, "oversell_risk", 2)}   # rows 25+26: 4+3
    assert sorted(report.duplicates) == ["CHUKAR/07/19/WW/HALTER TOP/08/AJRAKH/YL",
                                         "EWD/07/20/GA/PRINTED MASK/01/AS/FS", "EWD/07/20/GA/PRINTED MASK/02/AS/FS"]


# -- the command line -----------------------------------------------------------------------

def test_cli_export_channel(cli, cli_world, tmp_path):
    out = tmp_path / "amz.txt"
    result = cli("stock", "export-channel", "--channel", "amz", out)
    assert result.code == 0, result
    assert "4 listing(s) of channel amz at WH written to" in result.stderr and "(amazon layout)" in result.stderr
    assert out.read_text(encoding="utf-8").splitlines()[2] == "AMZ-A\t\t\t\t16\t\t"
    data = cli("stock", "export-channel", "--channel", "shop", tmp_path / "s.csv", "--format", "plain", "--json").json()
    assert (data["format"], data["rows"]) == ("plain", 4)
    assert [(l["sku"], l["quantity"]) for l in data["listings"]] == [("A", 6), ("A-2PK", 2), ("C", 0), ("KIT-AB", 1)]
    piped = cli("stock", "export-channel", "--channel", "wholesale", "-")
    assert piped.code == 0 and piped.stdout == "sku,quantity,location\nW-A,16,WH\nW-B,15,WH\n"


def test_cli_export_channel_errors(cli, cli_world, tmp_path):
    for args, message in [
        (("--channel", "nolo", tmp_path / "x.csv"), "Error: channel 'nolo' has no fulfilment location"),
        (("--channel", "mars", tmp_path / "x.csv"), "Error: no channel 'mars'"),
        (("--channel", "shop", tmp_path / "x.csv", "--format", "xml"), "Error: --format 'xml' is not one of"),
        (("--channel", "shop", tmp_path / "no" / "x.csv"), "Error: cannot write"),
    ]:
        result = cli("stock", "export-channel", *args)
        assert result.code == 2, result
        assert result.stderr.startswith(message) and result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert not (tmp_path / "x.csv").exists()


def test_cli_reconcile_channel(cli, cli_world, tmp_path):
    risky = cli("reconcile", "channel", FEEDS / "shopify_inventory.csv", "--channel", "shop", "--json")
    assert risky.code == 1, risky
    data = risky.json()
    assert {"lines", "unknown_skus", "missing_skus", "applied"} <= set(data)
    line = next(l for l in data["lines"] if l["sku"] == "A-2PK")
    assert {k: line[k] for k in ("sku", "location", "listed", "should", "difference", "status")} == {
        "sku": "A-2PK", "location": "WH", "listed": 5, "should": 2, "difference": 3, "status": "oversell_risk"}
    shown = cli("reconcile", "channel", FEEDS / "shopify_inventory.csv", "--channel", "shop")
    assert shown.code == 1 and "oversell_risk" in shown.stdout and "lost_sales" in shown.stdout
    assert "2 listing(s) ok, 1 oversell risk, 1 lost sales, 1 missing from the file, 1 unknown to omnictl" in \
        shown.stderr
    calm = tmp_path / "calm.csv"
    calm.write_text("sku,quantity\nW-A,16\nW-B,15\n", encoding="utf-8")
    ok = cli("reconcile", "channel", calm, "--channel", "wholesale")
    assert ok.code == 0 and "2 listing(s) ok, 0 oversell risk" in ok.stderr
    for args, message in [
        ((FEEDS / "missing.csv", "--channel", "shop"), "Error: "),
        ((calm, "--channel", "nolo"), "Error: channel 'nolo' has no fulfilment location"),
        ((calm, "--channel", "wholesale", "--tolerance", "-1"), "Error: --tolerance '-1' is not a number"),
    ]:
        result = cli("reconcile", "channel", *args)
        assert result.code == 2 and result.stderr.startswith(message) and result.stderr.count("\n") == 1, result
    assert cli("reconcile", "channel", calm).code == 2                      # --channel is required
