"""Stock snapshot files read by column name: plain CSV, Shopify (current and older layout),
the hand-edited Shopify export, Amazon's inventory report, XLSX; the real exports in
../shared; file-level faults as one sentence."""

from __future__ import annotations

import pytest

from omnictl.errors import InputFileError, NotFound
from omnictl.snapshots import combine, read_snapshot

from conftest import OWN_FIXTURES, SHARED, shared_file

STOCK = OWN_FIXTURES / "stock"


def dataset_file(relative: str):
    """A file under ../shared/datasets; the test is skipped when it is absent."""
    path = SHARED / "datasets" / relative
    if not path.exists():
        pytest.skip(f"{path} not available (../shared is absent)")
    return path


@pytest.fixture
def places(db):
    db.execute("INSERT INTO location (code, name) VALUES ('WH', 'Main Warehouse'), ('ST', 'Downtown Store')")
    return db


def rows(snapshot):
    return [(r.sku, r.location, r.quantity, r.row_no) for r in snapshot.rows]


def test_plain_csv_padded_names_location_by_name_thousands_rejects(places):
    snap = read_snapshot(places, STOCK / "plain.csv")
    assert snap.layout == "sku, location, quantity" and snap.rows_read == 7
    assert rows(snap) == [("A", "WH", 10, 2), ("B", "WH", 1234, 3), ("A", "WH", 2, 4), ("C", "ST", -3, 6),
                          ("ZZ-UNKNOWN", "WH", 7, 8)]
    assert [(r.row, r.field, r.reason) for r in snap.rejects] == [
        (5, "SKU", "row 5, column 'SKU': the SKU is empty"),
        (7, "Qty", "row 7, column 'Qty' (SKU 'D'): 'lots' is not a number")]
    assert snap.rejects[0].raw == ",WH,4"
    assert snap.locations == ["ST", "WH"] and snap.rejected_skus == {("D", "WH")}
    summed = combine(snap.rows)
    assert (summed[("A", "WH")].quantity, summed[("A", "WH")].rows) == (12, [2, 4])


def test_shopify_current_export_prefers_on_hand_and_skips_nothing_silently(places):
    snap = read_snapshot(places, STOCK / "shopify_inventory.csv")
    assert snap.layout == "shopify inventory export"
    assert rows(snap) == [("A", "WH", 10, 2), ("A", "ST", 3, 3), ("B", "WH", 5, 4), ("C", "ST", -2, 6)]
    assert [r.reason for r in snap.rejects] == ["row 5, column 'SKU': the SKU is empty"]


def test_shopify_export_without_on_hand_reads_available(places):
    snap = read_snapshot(places, STOCK / "shopify_available_only.csv")
    assert rows(snap) == [("A", "WH", 8, 2), ("B", "ST", 4, 3)]


def test_location_selects_rows_of_a_file_naming_several(places):
    snap = read_snapshot(places, STOCK / "shopify_inventory.csv", location="ST")
    assert rows(snap) == [("A", "ST", 3, 3), ("C", "ST", -2, 6)]
    assert snap.skipped == 2 and snap.locations == ["ST"]


def test_shopify_older_layout_location_columns(places):
    snap = read_snapshot(places, STOCK / "shopify_location_columns.csv")
    assert snap.layout == "location columns"
    # B is "not stocked" at the store and C's warehouse cell is empty: skipped, not zero
    assert rows(snap) == [("A", "WH", 10, 2), ("A", "ST", 3, 2), ("B", "WH", 5, 3), ("C", "ST", -2, 4)]
    assert snap.skipped == 2 and snap.rejects == []
    only = read_snapshot(places, STOCK / "shopify_location_columns.csv", location="WH")
    assert rows(only) == [("A", "WH", 10, 2), ("B", "WH", 5, 3)]


def test_hand_edited_export_location_named_column_is_the_quantity(places):
    snap = read_snapshot(places, STOCK / "user_edited.csv")
    # `location` says store_1 (no such location); the column's name, Downtown Store, is ST
    assert rows(snap) == [("A", "ST", 5, 2), ("B", "ST", 1, 3), ("A", "ST", 2, 4), ("C", "ST", -1, 5)]
    moved = read_snapshot(places, STOCK / "user_edited.csv", location="WH")
    assert {r.location for r in moved.rows} == {"WH"}


def test_amazon_inventory_report_needs_location(places):
    with pytest.raises(InputFileError, match=r"amazon_inventory.txt: has no location column; give --location CODE"):
        read_snapshot(places, STOCK / "amazon_inventory.txt")
    snap = read_snapshot(places, STOCK / "amazon_inventory.txt", location="WH")
    assert snap.layout == "amazon inventory report"
    assert rows(snap) == [("A", "WH", 4, 2), ("B", "WH", 0, 3), ("ZZ-UNKNOWN", "WH", 1, 4)]


def test_xlsx_snapshot(places, tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["SKU", "仓库", "库存"])
    sheet.append(["A", "Main Warehouse", 7.0])
    sheet.append(["B", "st", 2.5])
    book.save(tmp_path / "count.xlsx")
    snap = read_snapshot(places, tmp_path / "count.xlsx")
    assert rows(snap) == [("A", "WH", 7, 2), ("B", "ST", 2.5, 3)]


@pytest.mark.parametrize("name, location, message", [
    ("unknown_location.csv", None, "unknown_location.csv: row 3, column 'location': no location 'Back Room' "
                                   "(matched by code or name)"),
    ("unknown_location.csv", "WH", "unknown_location.csv: row 3, column 'location': no location 'Back Room' "
                                   "(matched by code or name); add it with `omnictl master import locations FILE`"),
    ("no_quantity.csv", None, "no_quantity.csv: no quantity column: 'note' holds no numbers"),
    ("user_edited.csv", "XX", "no location 'XX'"),
])
def test_file_level_faults_are_one_sentence(places, name, location, message):
    with pytest.raises((InputFileError, NotFound)) as err:
        read_snapshot(places, STOCK / name, location=location)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_shopify_order_export_is_not_a_snapshot(places):
    with pytest.raises(InputFileError, match="orders_export_small.csv: missing required column 'sku' for a stock "
                                             "snapshot"):
        read_snapshot(places, OWN_FIXTURES / "shopify" / "orders_export_small.csv")


# -- the real exports in ../shared --------------------------------------------------------------

def test_real_shopify_per_location_export(db):
    path = shared_file("inventory/shopify_inventory_export_per_location_excerpt.csv")
    db.execute("INSERT INTO location (code, name) VALUES ('OLT', 'Once-Loved Treasures')")
    snap = read_snapshot(db, path)
    assert (snap.layout, snap.rows_read, len(snap.rows), len(snap.rejects)) == ("shopify inventory export", 300, 54, 246)
    assert {r.reason.split(": ", 1)[1] for r in snap.rejects} == {"the SKU is empty"}
    assert sum(r.quantity for r in snap.rows) == 50            # On hand; Available would give 39
    by_sku = {r.sku: r for r in snap.rows}
    assert (by_sku["N5000-24"].quantity, by_sku["N5000-24"].row_no) == (5, 286)    # Available 0, On hand 5
    assert snap.locations == ["OLT"] and all(len(c.rows) == 1 for c in combine(snap.rows).values())


def test_real_user_edited_export(db):
    path = shared_file("inventory/shopify_inventory_export_user_edited_excerpt.csv")
    db.execute("INSERT INTO location (code, name) VALUES ('WH', 'Warehouse')")
    with pytest.raises(InputFileError) as err:
        read_snapshot(db, path)
    assert "row 2, column 'location': no location 'rs_online'" in str(err.value)
    db.execute("INSERT INTO location (code, name) VALUES ('RS', 'Rangsutra Online')")
    snap = read_snapshot(db, path)
    assert (snap.rows_read, len(snap.rows), snap.rejects, snap.locations) == (300, 300, [], ["RS"])
    assert sum(r.quantity for r in snap.rows) == 1030
    summed = combine(snap.rows)
    assert len(summed) == 297
    assert sorted(k[0] for k, c in summed.items() if len(c.rows) > 1) == [
        "CHUKAR/07/19/WW/HALTER TOP/08/AJRAKH/YL", "EWD/07/20/GA/PRINTED MASK/01/AS/FS",
        "EWD/07/20/GA/PRINTED MASK/02/AS/FS"]
    assert [(r.row_no, r.quantity) for r in snap.rows if r.quantity < 0] == [(17, -1), (19, -1), (23, -1)]
    assert snap.rows[2].sku == "BTC 03/18/GA/BLOUSE PC/03/HAND EMB/BG&RU"        # `"""... """` unwrapped
    assert {r.location for r in read_snapshot(db, path, location="WH").rows} == {"WH"}


def test_real_amazon_inventory_report(db):
    path = shared_file("inventory/amazon_inventory_report_it_excerpt.txt")
    db.execute("INSERT INTO location (code, name) VALUES ('FBA-IT', 'Amazon Italy')")
    snap = read_snapshot(db, path, location="FBA-IT")
    assert (snap.layout, snap.rows_read, len(snap.rows), snap.rejects) == ("amazon inventory report", 300, 300, [])
    assert sum(r.quantity for r in snap.rows) == 8477
    assert (snap.rows[0].sku, snap.rows[0].quantity) == ("0A-ZUII-DI5I", 1)


def test_real_indian_stock_report(db):
    path = dataset_file("inventory_ecommerce_india/sale_report_stock_part1.csv")
    db.execute("INSERT INTO location (code, name) VALUES ('IN', 'India warehouse')")
    snap = read_snapshot(db, path, location="IN")
    assert (snap.rows_read, len(snap.rows), len(snap.rejects)) == (5000, 4948, 52)
    reasons = [r.reason.split(": ", 1)[1] for r in snap.rejects]
    assert (reasons.count("'#REF!' is an Excel error, not a SKU"), reasons.count("the SKU is empty")) == (15, 37)
    assert sum(r.quantity for r in snap.rows) == 126514             # `5.0` read as 5
    assert sum(1 for r in snap.rows if r.quantity == 0) == 340
    assert (snap.rows[0].sku, snap.rows[0].quantity) == ("AN201-RED-L", 5)
