"""Every order export in ../shared/fixtures/channels, imported with the built-in profiles.

Counts and values were worked out from the files independently of omnictl (a csv-module
script over each file: distinct order ids, data rows, the raw money and dates by hand).
Each test uses its own fresh database, so stores that share order numbers (#1001, #1002 in
different Shopify dev stores) never meet. Skipped when ../shared is absent.
"""

import pytest

from omnictl.importer import import_files
from omnictl.orders import get_order

from conftest import shared_file


def imported(db, relative: str, profile: str):
    [result] = import_files(db, [shared_file(relative)])
    assert result.profile == profile
    return result


def counts(result) -> tuple[int, int, int]:
    return result.orders_created, result.lines, result.rejected


def statuses(db) -> dict[str, int]:
    return {r["status"]: r["n"] for r in db.query("SELECT status, count(*) AS n FROM sales_order GROUP BY status")}


# -- Shopify ---------------------------------------------------------------------------------

def test_shopify_forezia_devstore(db):
    result = imported(db, "shopify/orders_export_devstore_forezia.csv", "shopify")
    assert counts(result) == (19, 40, 0)
    order = get_order(db, "#1001")
    assert (order.total_minor, order.currency) == (165995, "EUR")
    assert order.ordered_at == "2025-05-11T13:55:16Z"        # 09:55:16 -0400
    assert order.status == "shipped" and len(order.lines) == 4


def test_shopify_inr_devstore_newest_first(db):
    result = imported(db, "shopify/orders_export_devstore_inr_redacted.csv", "shopify")
    assert counts(result) == (51, 121, 0)
    order = get_order(db, "#1051")
    assert (order.total_minor, order.currency) == (129900, "INR")
    assert order.ordered_at == "2025-12-06T15:37:33Z"        # 10:37:33 -0500
    assert (order.payment, order.fulfilment, order.status) == ("paid", "open", "paid")
    assert statuses(db) == {"paid": 51}                       # every order paid and unfulfilled


def test_shopify_bogus_gateway_devstore(db):
    result = imported(db, "shopify/orders_export_devstore_bogus_gateway_redacted.csv", "shopify")
    assert counts(result) == (2, 2, 0)
    order = get_order(db, "#1002")
    assert order.total_minor == 14170 and order.currency == "INR"
    assert order.ordered_at == "2026-04-10T05:41:26Z"        # 11:11:26 +0530
    assert order.status == "shipped"
    assert order.lines[0].unit_price_minor == 13000


def test_shopify_zar_real_store_75_columns(db):
    result = imported(db, "shopify/orders_export_realstore_zar_redacted.csv", "shopify")
    assert counts(result) == (50, 101, 0)
    first = get_order(db, "#13519")
    assert (first.total_minor, first.currency) == (78400, "ZAR")
    assert first.ordered_at == "2021-05-13T09:01:12Z"        # 11:01:12 +0200
    voided = get_order(db, "#13549")                          # voided, Cancelled at set
    assert (voided.payment, voided.fulfilment, voided.status) == ("unpaid", "cancelled", "cancelled")
    assert voided.total_minor == 514800
    assert statuses(db)["cancelled"] == 2


# -- Amazon ----------------------------------------------------------------------------------

def test_amazon_all_orders_91_columns(db):
    result = imported(db, "amazon/all_orders_report_eu_2025_excerpt.txt", "amazon_all_orders")
    assert counts(result) == (291, 300, 0)
    assert result.unmapped == 300                              # no master SKUs in this database
    assert statuses(db) == {"shipped": 244, "pending": 40, "cancelled": 7}
    order = get_order(db, "405-2653469-0565946")
    assert order.ordered_at == "2025-04-26T10:44:00Z"
    assert (order.total_minor, order.currency, order.status) == (2499, "EUR", "shipped")
    assert order.tax_minor == 417                              # VAT recorded, already inside 24.99


def test_amazon_all_orders_multi_row_order_keyed_by_sku_and_occurrence(db):
    imported(db, "amazon/all_orders_report_eu_2025_excerpt.txt", "amazon_all_orders")
    order = get_order(db, "203-3078897-8602704")
    assert [(l.line_key, l.quantity, l.line_total_minor) for l in order.lines] == [
        ("OD045004_1Silver#1", 1, 1999), ("OD045003#1", 2, 3998), ("OD045003#2", 1, 1999)]
    assert order.lines[1].unit_price_minor == 1999             # item-price is the line total
    # 19.99 + 39.98 + 19.99 less promotion discounts 1.67 + 3.34 + 1.67
    assert (order.total_minor, order.discount_minor, order.currency) == (7328, 668, "GBP")
    promo = get_order(db, "026-1944376-8640357")               # shipping 1.65 cancelled by a ship promotion
    assert (promo.total_minor, promo.shipping_minor, promo.discount_minor) == (2382, 165, 381)


def test_amazon_all_orders_cancelled_and_pending(db):
    imported(db, "amazon/all_orders_report_eu_2025_excerpt.txt", "amazon_all_orders")
    cancelled = get_order(db, "405-8569465-8563546")           # quantity 0, no currency, no price
    assert cancelled.status == "cancelled" and cancelled.raw_status == "Cancelled"
    [line] = cancelled.lines
    assert (line.quantity, line.unit_price_minor, line.fulfilment) == (0, None, "cancelled")
    assert cancelled.total_minor is None
    pending = get_order(db, "202-4988644-7195561")             # Pending: payment not authorised yet
    assert (pending.payment, pending.fulfilment, pending.status) == ("unpaid", "open", "pending")
    assert pending.total_minor == 1999


def test_amazon_new_orders_85_columns(db):
    result = imported(db, "amazon/new_orders_report_unshipped_redacted.txt", "amazon_new_orders")
    assert counts(result) == (16, 18, 0)
    order = get_order(db, "204-7038121-6642754")
    assert [l.line_key for l in order.lines] == ["48740136674402", "48741814505922", "48740136674442"]
    assert order.ordered_at == "2025-05-01T12:30:41Z"
    assert (order.payment, order.status) == ("paid", "paid")
    assert (order.promised_ship_by, order.promised_source) == ("2025-05-02", "channel")
    assert order.total_minor is None                           # this layout has no prices
    assert statuses(db) == {"paid": 16}


def test_amazon_handmade_34_column_order_report(db):
    result = imported(db, "amazon/order_report_handmade_sample.txt", "amazon_new_orders")
    assert counts(result) == (1, 1, 0)
    order = get_order(db, "111-31313131-775566")
    [line] = order.lines
    assert line.line_key == "0938446464647"                    # leading zero kept: ids are text
    assert (line.unit_price_minor, order.currency) == (1059, "GBP")
    assert (order.total_minor, order.tax_minor, order.shipping_minor) == (1159, 184, 100)  # 10.59 + 1.00, VAT inside
    assert order.ordered_at == "2020-05-08T18:06:46Z" and order.status == "paid"


def test_amazon_sold_listings_header_only_matches_no_profile(cli):
    result = cli("import", shared_file("amazon/sold_listings_report_header_only_2017.txt"))
    assert result.code == 2
    assert "no profile matches its header" in result.stderr
    assert cli("imports", "list", "--json").json() == []


# -- Etsy ------------------------------------------------------------------------------------

def test_etsy_orders_2022_order_level(db):
    result = imported(db, "etsy/EtsySoldOrders2022_shopA_excerpt_redacted.csv", "etsy_orders")
    assert counts(result) == (300, 0, 0)                       # lines = false: order-level file
    order = get_order(db, "2744652857")
    assert order.ordered_at == "2022-12-31"                    # a date only: no instant invented
    assert (order.total_minor, order.subtotal_minor, order.currency) == (4346, 4090, "USD")
    assert order.status == "shipped"
    assert db.scalar("SELECT sum(total_minor) FROM sales_order") == 943651


def test_etsy_orders_2023_tab_separated_resave(db):
    result = imported(db, "etsy/EtsySoldOrders2023_tab_separated_excerpt_redacted.tsv", "etsy_orders")
    assert counts(result) == (300, 0, 0)
    order = get_order(db, "3159107009")                        # 12/31/2023, coupon 4.25 off, shipping 4.13
    assert order.ordered_at == "2023-12-31"
    assert (order.total_minor, order.discount_minor, order.shipping_minor) == (1688, 425, 413)
    assert get_order(db, "3116350794").ordered_at == "2023-11-29"
    assert db.scalar("SELECT sum(total_minor) FROM sales_order") == 692773
    assert statuses(db) == {"shipped": 300}


def test_etsy_order_items_2021(db):
    result = imported(db, "etsy/EtsySoldOrderItems2021_redacted.csv", "etsy_items")
    assert counts(result) == (109, 136, 0)
    order = get_order(db, "2311689858")
    assert [l.line_key for l in order.lines] == ["2793540745", "2791678954", "2791678952"]
    assert [l.external_sku for l in order.lines] == ["901561496", "826037724", "911821952"]  # Listing ID
    assert order.total_minor == 990 and order.ordered_at == "2021-12-15"
    assert order.lines[0].shipped_at == "2021-12-21" and order.status == "shipped"
    two = get_order(db, "2106796981")                          # Order Shipping 1.5 taken once
    assert (two.total_minor, two.shipping_minor) == (775, 150)


def test_etsy_order_items_2023(db):
    result = imported(db, "etsy/EtsySoldOrderItems2023_redacted.csv", "etsy_items")
    assert counts(result) == (4, 4, 0)
    order = get_order(db, "2931837964")
    assert (order.total_minor, order.ordered_at, order.status) == (300, "2023-06-22", "shipped")
    assert order.lines[0].shipped_at == "2023-08-07"


# -- Square ----------------------------------------------------------------------------------

def test_square_items_35_columns(db):
    result = imported(db, "square/items_detail_2026-07-18_35col_redacted.csv", "square_items")
    assert counts(result) == (103, 143, 0)
    order = get_order(db, "4S5oaeKrPyyWWst4wAvuQJ3qn6PZY")
    assert order.ordered_at == "2026-07-18T16:59:30Z"          # 12:59:30 Eastern Time (US & Canada), EDT
    assert [l.line_key for l in order.lines] == ["Matcha Latte#1", "Matcha Latte#2"]
    assert (order.total_minor, order.tax_minor, order.currency) == (1724, 124, "USD")
    assert (order.payment, order.fulfilment, order.status) == ("paid", "delivered", "delivered")


def test_square_items_33_columns_with_discounts(db):
    result = imported(db, "square/items_detail_2026-06-01_33col_redacted.csv", "square_items")
    assert counts(result) == (140, 210, 0)
    order = get_order(db, "sSoUnPkUHr91ffLzgNGbjlusFaQZY")
    lemon = order.lines[0]
    assert (lemon.line_key, lemon.line_total_minor) == ("Lemon Dream#1", 518)   # $7.00 less $1.82
    assert order.total_minor == 518 + 1400 + 800 + 210
    assert order.ordered_at == "2026-06-06T15:46:09Z"
    assert statuses(db) == {"delivered": 140}


def test_square_transactions_export_is_refused(cli):
    result = cli("import", shared_file("square/transactions_2018_excel_resaved.csv"))
    assert result.code == 2
    assert "Square Transactions export" in result.stderr and "Item Sales Detail" in result.stderr
    assert cli("imports", "list", "--json").json() == []


# -- Temu, Tmall -----------------------------------------------------------------------------

def test_temu_german_seller_center(db):
    result = imported(db, "temu/order_export_de_redacted.csv", "temu")
    assert counts(result) == (7, 7, 0)
    order = get_order(db, "PO-076-16690945449590755")
    assert order.ordered_at == "2025-12-01T11:32:00Z"          # 1. Dez. 2025, 12:32 Uhr CET(UTC+1)
    assert (order.promised_ship_by, order.promised_source, order.deliver_by) == ("2025-12-04", "channel", "2025-12-05")
    [line] = order.lines
    assert (line.line_key, line.external_sku, line.quantity) == ("076-16690971663990755", "2021451277-4", 1)
    assert (line.unit_price_minor, order.currency) == (1500, "EUR")
    assert order.total_minor == 1751                            # 15,00€ + 2,51€ shipping
    assert (order.raw_status, order.status) == ("Nicht versandt", "paid")
    assert get_order(db, "PO-076-05842516634233686").ordered_at == "2025-11-30T16:02:00Z"


def test_tmall_order_report(db):
    result = imported(db, "tmall/tmall_order_report_excerpt.csv", "tmall")
    assert counts(result) == (300, 0, 0)
    assert statuses(db) == {"paid": 209, "refunded": 53, "pending": 38}
    unpaid = get_order(db, "1")
    assert unpaid.ordered_at == "2020-02-20T16:00:00Z"         # 2020-02-21 00:00:00 Beijing time
    assert (unpaid.total_minor, unpaid.currency, unpaid.payment) == (17880, "CNY", "unpaid")
    refunded = get_order(db, "5")
    assert (refunded.refunded_minor, refunded.status) == (6480, "refunded")
    partly = get_order(db, "35")
    assert (partly.total_minor, partly.refunded_minor, partly.payment) == (10200, 3800, "partly_refunded")


# -- files that are not order exports --------------------------------------------------------

@pytest.mark.parametrize("relative", [
    "inventory/amazon_inventory_report_it_excerpt.txt",
    "inventory/shopify_inventory_export_per_location_excerpt.csv",
    "inventory/shopify_inventory_export_user_edited_excerpt.csv",
])
def test_inventory_snapshots_are_not_order_exports(cli, relative):
    result = cli("import", shared_file(relative))
    assert result.code == 2
    assert result.stderr.startswith("Error: ") and "no profile matches its header" in result.stderr
    assert cli("imports", "list", "--json").json() == []


@pytest.mark.parametrize("relative", [
    "walmart/po_data_header_only.csv",
    "shipstation/shipments_export_header_only.csv",
    "ebay/fileexchange_sold_listings_header_only.csv",
])
def test_header_only_files_of_other_platforms_never_crash(cli, relative):
    """No shipped profile reads these layouts today (exit 2, nothing written); should one
    come to match, a header-only file is an empty batch (exit 0, zero orders)."""
    result = cli("import", shared_file(relative), "--json")
    assert "Traceback" not in result.stderr
    if result.code == 2:
        assert result.stderr.startswith("Error: ") and "no profile matches its header" in result.stderr
        assert cli("imports", "list", "--json").json() == []
    else:
        assert result.code == 0
        [batch] = result.json()
        assert (batch["orders"], batch["lines"], batch["rejected"]) == (0, 0, 0)
