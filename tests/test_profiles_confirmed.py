"""The profiles confirmed by real files, on our own small fixtures (tests/fixtures/<profile>/).

The fixtures carry the real headers with invented rows: a multi-row order, a cancelled or
refunded line where the layout can say so, and a SKU that maps to a master SKU beside one
that does not. These tests run without ../shared.
"""

import pytest

from omnictl.channels.profile import detect
from omnictl.importer import import_files
from omnictl.orders import get_order
from omnictl.tabular import open_table

from conftest import OWN_FIXTURES


def own(profile: str, name: str):
    return OWN_FIXTURES / profile / name


def master_skus(db, *codes: str) -> None:
    for code in codes:
        db.execute("INSERT INTO sku (code, name) VALUES (?, ?)", (code, f"master {code}"))


def import_one(db, path, profile: str):
    [result] = import_files(db, [path])
    assert result.profile == profile
    return result


def mapping(order) -> list[tuple[str | None, str | None, str]]:
    return [(l.external_sku, l.sku, l.mapping) for l in order.lines]


@pytest.mark.parametrize("profile, name", [
    ("amazon_all_orders", "all_orders_91col.txt"),
    ("amazon_all_orders", "all_orders_29col.txt"),
    ("amazon_new_orders", "new_orders_85col.txt"),
    ("amazon_new_orders", "order_report_34col.txt"),
    ("etsy_orders", "EtsySoldOrders_sample.csv"),
    ("etsy_orders", "EtsySoldOrders_resaved_tabs.csv"),
    ("etsy_items", "EtsySoldOrderItems_sample.csv"),
    ("square_items", "items_detail_35col.csv"),
    ("square_transactions", "transactions_44col.csv"),
    ("temu", "order_export_de.csv"),
    ("tmall", "tmall_order_report_gbk.csv"),
])
def test_each_fixture_is_detected_as_its_profile(profile, name):
    assert detect(open_table(own(profile, name))).profile.name == profile


# -- Amazon All Orders -----------------------------------------------------------------------

def test_amazon_all_orders_lines_money_and_states(db):
    master_skus(db, "MUG-BLUE")
    result = import_one(db, own("amazon_all_orders", "all_orders_91col.txt"), "amazon_all_orders")
    assert (result.orders_created, result.lines, result.rejected, result.unmapped) == (4, 7, 0, 3)

    order = get_order(db, "302-1111111-0000001")               # three rows, MUG-BLUE twice
    assert [l.line_key for l in order.lines] == ["MUG-BLUE#1", "TOWEL-NEW-7#1", "MUG-BLUE#2"]
    assert mapping(order) == [("MUG-BLUE", "MUG-BLUE", "sku"), ("TOWEL-NEW-7", None, "unmapped"),
                              ("MUG-BLUE", "MUG-BLUE", "sku")]
    assert [(l.quantity, l.unit_price_minor, l.line_total_minor) for l in order.lines] == [
        (2, 1299, 2598), (1, 999, 999), (1, 1299, 1299)]
    # 25.98 + 9.99 + 12.99 + shipping 3.99 - ship promotion 3.99 - item promotion 1.00; VAT inside
    assert (order.total_minor, order.shipping_minor, order.discount_minor, order.tax_minor) == (4796, 399, 499, 817)
    assert (order.currency, order.ordered_at, order.status) == ("GBP", "2025-05-03T09:15:00Z", "shipped")

    pending = get_order(db, "302-1111111-0000002")
    assert (pending.payment, pending.fulfilment, pending.status) == ("unpaid", "open", "pending")
    assert (pending.total_minor, pending.currency) == (1499, "EUR")

    cancelled = get_order(db, "302-1111111-0000003")           # quantity 0, blank currency and price
    assert (cancelled.status, cancelled.total_minor) == ("cancelled", None)
    assert [(l.quantity, l.unit_price_minor, l.status) for l in cancelled.lines] == [(0, None, "cancelled")]

    partial = get_order(db, "302-1111111-0000004")             # one line shipped, one cancelled
    assert [(l.fulfilment, l.raw_status) for l in partial.lines] == [
        ("shipped", "Shipped | Shipped"), ("cancelled", "Shipped | Cancelled")]
    assert (partial.status, partial.total_minor) == ("shipped", 1299)


def test_amazon_all_orders_older_29_column_layout(db):
    result = import_one(db, own("amazon_all_orders", "all_orders_29col.txt"), "amazon_all_orders")
    assert (result.orders_created, result.lines, result.rejected) == (2, 2, 0)
    order = get_order(db, "111-2222222-3333333")
    assert order.ordered_at == "2017-11-01T22:04:05Z"           # 15:04:05 -07:00
    # US sales tax (item-tax 1.60) is collected by Amazon: recorded, not in the seller's total
    assert (order.total_minor, order.tax_minor, order.currency, order.status) == (2498, 160, "USD", "shipped")
    pending = get_order(db, "111-2222222-4444444")
    assert [(l.quantity, l.unit_price_minor) for l in pending.lines] == [(3, 1999)]
    assert pending.status == "pending"


def test_header_only_file_is_an_empty_batch_with_a_note(cli):
    result = cli("import", own("amazon_all_orders", "header_only.txt"), "--json")
    assert result.code == 0, result
    [batch] = result.json()
    assert (batch["profile"], batch["orders"], batch["lines"], batch["rejected"]) == ("amazon_all_orders", 0, 0, 0)
    assert "has a header but no data rows" in result.stderr
    [listed] = cli("imports", "list", "--json").json()
    assert listed["rows_read"] == 0


def test_header_only_temu_file_with_bom_and_no_newline(cli, tmp_path):
    header = own("temu", "order_export_de.csv").read_bytes().split(b"\n", 1)[0]
    path = tmp_path / "temu_header_only.csv"
    path.write_bytes(header)                                    # BOM kept, no final newline
    result = cli("import", path, "--json")
    assert result.code == 0, result
    assert [(b["profile"], b["orders"]) for b in result.json()] == [("temu", 0)]
    assert "has a header but no data rows" in result.stderr


# -- Amazon New Orders -----------------------------------------------------------------------

def test_amazon_new_orders_85_columns(db):
    master_skus(db, "MUG-BLUE")
    result = import_one(db, own("amazon_new_orders", "new_orders_85col.txt"), "amazon_new_orders")
    assert (result.orders_created, result.lines, result.rejected, result.unmapped) == (2, 3, 0, 1)
    order = get_order(db, "026-5555555-0000001")
    assert [l.line_key for l in order.lines] == ["04871897253572", "04871897253573"]
    assert mapping(order) == [("MUG-BLUE", "MUG-BLUE", "sku"), ("TOWEL-NEW-7", None, "unmapped")]
    assert (order.payment, order.status, order.total_minor) == ("paid", "paid", None)
    assert (order.promised_ship_by, order.promised_source) == ("2025-05-07", "channel")
    assert (order.customer_name, order.customer_email) == ("Ann Buyer", "ann.buyer@marketplace.example")
    unpaid = get_order(db, "026-5555555-0000002")               # payments-date empty
    assert (unpaid.payment, unpaid.status, unpaid.promised_ship_by) == ("unpaid", "pending", "2025-05-09")


def test_amazon_older_34_column_order_report_with_prices(db):
    result = import_one(db, own("amazon_new_orders", "order_report_34col.txt"), "amazon_new_orders")
    assert (result.orders_created, result.lines, result.rejected) == (1, 2, 0)
    order = get_order(db, "028-7777777-0000001")
    assert [(l.quantity, l.unit_price_minor, l.line_total_minor) for l in order.lines] == [(2, 1500, 3000), (1, 450, 450)]
    assert (order.total_minor, order.shipping_minor, order.tax_minor, order.currency) == (3750, 300, 599, "EUR")
    assert (order.promised_source, order.status) == ("derived", "paid")


# -- Etsy ------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["EtsySoldOrders_sample.csv", "EtsySoldOrders_resaved_tabs.csv"])
def test_etsy_orders_are_order_level(db, name):
    result = import_one(db, own("etsy_orders", name), "etsy_orders")
    assert (result.orders_created, result.lines, result.rejected) == (3, 0, 0)
    shipped = get_order(db, "3300000001")
    assert (shipped.ordered_at, shipped.status) == ("2024-03-14", "shipped")
    assert (shipped.total_minor, shipped.subtotal_minor, shipped.discount_minor, shipped.shipping_minor) == (
        3312, 3000, 300, 450)
    assert shipped.lines == []                                   # the SKU list is not turned into lines
    waiting = get_order(db, "3300000002")                        # no Date Shipped
    assert (waiting.payment, waiting.fulfilment, waiting.status) == ("paid", "open", "paid")
    assert get_order(db, "3300000003").ordered_at == "2023-12-31"   # 12/31/23 and 12/31/2023 alike


def test_etsy_items_order_fields_taken_once(db):
    master_skus(db, "STICKER-A")
    result = import_one(db, own("etsy_items", "EtsySoldOrderItems_sample.csv"), "etsy_items")
    assert (result.orders_created, result.lines, result.rejected, result.unmapped) == (2, 4, 0, 2)
    order = get_order(db, "3300000001")
    assert [l.line_key for l in order.lines] == ["4100000001", "4100000002", "4100000003"]
    assert mapping(order) == [("STICKER-A", "STICKER-A", "sku"), ("900000002", None, "unmapped"),
                              ("900000003", None, "unmapped")]
    # 6.50 + 3.50 + 4.00, then Order Shipping 3.50 and Order Sales Tax 1.20 once, less discount 1.00
    assert (order.total_minor, order.shipping_minor, order.tax_minor, order.discount_minor) == (1770, 350, 120, 100)
    assert [(l.fulfilment, l.shipped_at) for l in order.lines] == [
        ("shipped", "2024-03-16"), ("shipped", "2024-03-16"), ("open", None)]
    assert (order.payment, order.fulfilment, order.status) == ("paid", "open", "paid")
    unpaid = get_order(db, "3300000002")                         # Date Paid empty
    assert (unpaid.status, unpaid.total_minor, unpaid.ordered_at) == ("pending", 325, "2024-03-15")


# -- Square ----------------------------------------------------------------------------------

def test_square_items_grouping_zones_and_refund(db):
    master_skus(db, "CB-16")
    result = import_one(db, own("square_items", "items_detail_35col.csv"), "square_items")
    assert (result.orders_created, result.lines, result.rejected, result.unmapped) == (3, 4, 0, 3)
    sale = get_order(db, "TxnAAAA0001")
    assert sale.ordered_at == "2026-07-18T16:59:30Z"            # Eastern Time (US & Canada), EDT
    assert mapping(sale) == [("Matcha Latte", None, "unmapped"), ("CB-16", "CB-16", "sku")]
    assert [(l.quantity, l.unit_price_minor, l.line_total_minor) for l in sale.lines] == [(1, 600, 600), (2, 600, 1200)]
    assert (sale.total_minor, sale.tax_minor, sale.currency) == (1940, 140, "USD")   # net 6.00 + 12.00, tax 1.40
    assert (sale.payment, sale.fulfilment, sale.status) == ("paid", "delivered", "delivered")
    assert get_order(db, "TxnAAAA0002").ordered_at == "2026-07-18T15:05:00Z"   # Pacific Time, PDT
    refund = get_order(db, "TxnAAAA0003")
    [line] = refund.lines
    assert (line.quantity, line.line_total_minor, line.raw_status) == (-1, -600, "Refund")
    assert (refund.total_minor, refund.payment, refund.status) == (-647, "refunded", "refunded")


def test_square_transactions_export_is_refused(cli):
    result = cli("import", own("square_transactions", "transactions_44col.csv"))
    assert result.code == 2
    assert "is a Square Transactions export" in result.stderr
    assert "export the Item Sales Detail instead" in result.stderr
    assert cli("imports", "list", "--json").json() == []
    assert cli("orders", "list", "--json").json() == []


# -- Temu ------------------------------------------------------------------------------------

def test_temu_german_dates_money_and_states(db):
    master_skus(db, "CANDLE-RED-4")
    result = import_one(db, own("temu", "order_export_de.csv"), "temu")
    assert (result.orders_created, result.lines, result.rejected, result.unmapped) == (2, 3, 0, 1)
    order = get_order(db, "PO-076-10000000000000001")
    assert order.ordered_at == "2025-03-03T08:05:00Z"            # 3. März 2025, 09:05 Uhr CET(UTC+1)
    assert (order.promised_ship_by, order.deliver_by) == ("2025-03-06", "2025-03-10")
    assert [l.line_key for l in order.lines] == ["076-10000000000000101", "076-10000000000000102"]
    assert mapping(order) == [("CANDLE-RED-4", "CANDLE-RED-4", "sku"), ("TEALIGHT-NEW", None, "unmapped")]
    assert [(l.quantity, l.unit_price_minor) for l in order.lines] == [(2, 1500), (1, 850)]   # "2\t", "30,00€"
    # 30,00€ + 8,50€ + shipping 2,51€ - seller discount 1,00€ (printed -1,00€)
    assert (order.total_minor, order.currency, order.discount_minor) == (4001, "EUR", 100)
    assert [l.fulfilment for l in order.lines] == ["shipped", "open"]
    assert (order.raw_status, order.status) == ("Nicht versandt", "paid")
    cancelled = get_order(db, "PO-076-10000000000000002")
    assert cancelled.ordered_at == "2025-06-15T16:00:00Z"        # 15. Juni 2025, 18:00 Uhr CEST(UTC+2)
    assert (cancelled.status, cancelled.raw_status) == ("cancelled", "Storniert")


# -- Tmall -----------------------------------------------------------------------------------

def test_tmall_gbk_order_report(db):
    result = import_one(db, own("tmall", "tmall_order_report_gbk.csv"), "tmall")
    assert (result.orders_created, result.lines, result.rejected) == (4, 0, 0)
    paid = get_order(db, "9001")
    assert paid.ordered_at == "2020-02-20T16:00:00Z"             # 2020-02-21 00:00:00 Asia/Shanghai
    assert (paid.total_minor, paid.currency, paid.status) == (17880, "CNY", "paid")
    assert get_order(db, "9002").status == "pending"              # 订单付款时间 empty
    refunded = get_order(db, "9003")
    assert (refunded.refunded_minor, refunded.payment, refunded.status) == (6480, "refunded", "refunded")
    partly = get_order(db, "9004")
    assert (partly.refunded_minor, partly.payment, partly.status) == (3800, "partly_refunded", "paid")
    assert db.scalar("SELECT count(*) FROM order_line") == 0


def test_same_fixture_again_changes_nothing(db):
    path = own("temu", "order_export_de.csv")
    import_files(db, [path])
    [again] = import_files(db, [path])
    assert again.already_imported_as == 1 and (again.orders, again.lines) == (0, 0)


def test_a_user_profile_is_read_from_the_profiles_folder(cli, tmp_path, monkeypatch):
    """A user's own layout, as TOML in $OMNICTL_PROFILES, is detected like a built-in one."""
    folder = tmp_path / "my-profiles"
    folder.mkdir()
    (folder / "wholesale.toml").write_text(
        'name = "wholesale"\ntitle = "Wholesale portal"\ndetect = ["PO Number", "Item Code", "Units"]\n'
        'required = ["order_id", "ordered_at", "quantity"]\ntimezone = "Europe/Berlin"\ncurrency = "EUR"\n'
        '[columns]\norder_id = "PO Number"\nordered_at = "PO Date"\nsku = "Item Code"\nquantity = "Units"\n'
        'price = "Unit Price"\n[defaults]\npayment = "paid"\n', encoding="utf-8")
    monkeypatch.setenv("OMNICTL_PROFILES", str(folder))
    from omnictl.channels import profile

    profile._cache = None
    export = tmp_path / "po.csv"
    export.write_text("PO Number;PO Date;Item Code;Units;Unit Price\n"
                      "PO-77;2026-11-24 09:00;LAMP-TR-BLK;10;31,50\nPO-77;2026-11-24 09:00;BULB-E27;20;2,10\n",
                      encoding="utf-8")
    result = cli("import", export, "--json")
    assert result.code == 0, result
    assert result.json()[0]["profile"] == "wholesale" and result.json()[0]["lines"] == 2
    order = cli("orders", "show", "PO-77", "--json").json()
    assert order["total_minor"] == 35700 and order["currency"] == "EUR"
    assert order["ordered_at"] == "2026-11-24T08:00:00Z"
