"""Experimental profiles (documented layouts only): WooCommerce, eBay, Taobao, JD, Douyin,
Pinduoduo, store POS and the manual order sheet, each on our own fixture in tests/fixtures/
(made by tests/fixtures/make_fixtures.py; the XLSX files are made here at run time)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from omnictl.importer import import_files
from omnictl.orders import get_order

from conftest import OWN_FIXTURES

WOO = OWN_FIXTURES / "woocommerce" / "orders-export-2026-11-24.csv"
EBAY = OWN_FIXTURES / "ebay" / "eBay-OrdersReport-Nov-24-2026-120000-1234567890.csv"
TAOBAO_ORDERS = OWN_FIXTURES / "taobao" / "ExportOrderList202611241200.csv"
TAOBAO_DETAIL = OWN_FIXTURES / "taobao" / "ExportOrderDetailList202611241200.csv"
JD = OWN_FIXTURES / "jd" / "jd_orders_20261124.csv"
DOUYIN = OWN_FIXTURES / "douyin" / "douyin_orders_20261124.csv"
POS = OWN_FIXTURES / "pos" / "store1-2026-11-24.csv"
MANUAL = OWN_FIXTURES / "manual" / "social-orders.csv"

EXPERIMENTAL = ["woocommerce", "ebay", "taobao", "taobao_orders", "jd", "douyin", "pinduoduo", "pos", "manual"]


def counts(result):
    return result.orders_created, result.lines, result.rejected


def states(order):
    return order.status, order.payment, order.fulfilment


# -- Pinduoduo and manual XLSX, written at run time -------------------------------------------

PDD_HEADER = ["订单成交时间", "商品", "订单号", "订单状态", "商品总价(元)", "邮费(元)", "店铺优惠折扣(元)",
              "平台优惠折扣(元)", "多多支付立减金额(元)", "用户实付金额(元)", "商家实收金额(元)", "商品数量(件)",
              "发货时间", "确认收货时间", "商品id", "商品规格", "样式ID", "商家编码-规格维度", "商家编码-商品维度",
              "商家备注", "售后状态", "快递单号", "快递公司"]


def pdd_xlsx(path):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(PDD_HEADER)

    def row(when, product, number, status, goods, postage, paid, qty, shipped, received, spec_code, item_code,
            after, platform=0.0):
        sheet.append([when, product, number, status, goods, postage, 0, platform, 0, paid, goods + postage, qty,
                      shipped, received, "412345678901", "蓝色", "1234567", spec_code, item_code, "", after,
                      "YT1234567890" if shipped else "", "圆通快递" if shipped else ""])

    # a real datetime cell, then texts as a CSV-turned-XLSX would hold them
    row(datetime(2026, 11, 20, 21, 3, 7), "青花瓷杯 蓝色", "261120-123456789012345", "待发货", 78.0, 0.0, 73.0, 2,
        None, None, "CUP-BLUE", "CUP", "无售后或售后取消", platform=5.0)
    row("2026-11-21 10:00:00", "手作茶盘 中号", "261121-123456789012346", "已发货，待签收", 50.0, 6.0, 56.0, 1,
        "2026-11-22 09:00:00", None, None, "TRAY", "无售后或售后取消")
    row("2026-11-12 08:00:00", "青花瓷杯 蓝色", "261112-123456789012347", "已收货", 39.0, 0.0, 39.0, 1,
        "2026-11-13 09:00:00", "2026-11-16 12:00:00", "CUP-BLUE", "CUP", "退款成功")
    row("2026-11-23 16:30:00", "手作茶盘 中号", "261123-123456789012348", "未发货，退款成功", 50.0, 0.0, 50.0, 1,
        None, None, "TRAY-01", "TRAY", "退款成功")
    book.save(path)
    return path


def manual_xlsx(path):
    """The manual sheet with Chinese headers, date cells and 是/否, as a WeChat seller keeps it."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["订单号", "日期", "客户", "电话", "邮箱", "货号", "商品", "数量", "单价", "币种", "已付款", "已发货",
                  "发货期限", "备注"])
    sheet.append(["WX-101", date(2026, 11, 23), "陈静", "+86 138 0013 8000", None, "CUP-BLUE", "青花瓷杯", 2, 39,
                  "CNY", "是", "否", date(2026, 11, 26), "朋友圈"])
    sheet.append(["WX-101", None, None, None, None, "TRAY-01", "手作茶盘", 1, 50, None, None, None, None, None])
    sheet.append(["WX-102", date(2026, 11, 24), "刘洋", "+86 139 0000 1111", None, "CUP-BLUE", "青花瓷杯", 1, 39.5,
                  "CNY", "否", "否", None, None])
    book.save(path)
    return path


# -- detection and the profile list ----------------------------------------------------------

@pytest.mark.parametrize("path, profile, encoding", [
    (WOO, "woocommerce", "utf-8"),
    (EBAY, "ebay", "utf-8"),
    (TAOBAO_ORDERS, "taobao_orders", "gb18030"),
    (TAOBAO_DETAIL, "taobao", "gb18030"),
    (JD, "jd", "gb18030"),
    (DOUYIN, "douyin", "utf-8-sig"),
    (POS, "pos", "utf-8"),
    (MANUAL, "manual", "utf-8"),
])
def test_detect_picks_the_profile_from_the_header(cli, path, profile, encoding):
    result = cli("channels", "detect", path, "--json")
    assert result.code == 0, result
    found = result.json()
    assert found["profile"] == profile and found["encoding"] == encoding
    assert found["candidates"][0] == {"profile": profile, "matched": True,
                                      "columns_mapped": found["candidates"][0]["columns_mapped"],
                                      "missing_detect_columns": []}


@pytest.mark.parametrize("make, profile", [(pdd_xlsx, "pinduoduo"), (manual_xlsx, "manual")])
def test_detect_picks_xlsx_profiles(cli, tmp_path, make, profile):
    path = make(tmp_path / "export.xlsx")
    found = cli("channels", "detect", path, "--json").json()
    assert found["profile"] == profile and found["encoding"] is None


def test_channels_list_marks_them_experimental(cli):
    result = cli("channels", "list", "--json")
    assert result.code == 0, result
    flags = {p["name"]: p["experimental"] for p in result.json()["profiles"]}
    assert {name: flags[name] for name in EXPERIMENTAL} == {name: True for name in EXPERIMENTAL}
    assert flags["shopify"] is False
    text = cli("channels", "list").stdout
    for name in EXPERIMENTAL:
        assert any(line.split()[:1] == [name] and "experimental" in line for line in text.splitlines()), name


# -- WooCommerce --------------------------------------------------------------------------------

def test_woocommerce_repeated_order_fields_read_once(db):
    [result] = import_files(db, [WOO])
    assert result.profile == "woocommerce" and counts(result) == (5, 6, 0)
    order = get_order(db, "1001")
    assert order.total_minor == 5000 and order.shipping_minor == 500    # repeated on 2 rows, not summed
    assert order.ordered_at == "2026-11-20T14:22:00Z"                   # naive, channel timezone UTC
    assert states(order) == ("paid", "paid", "open") and order.raw_status == "Processing"
    assert order.customer_email == "anna@example.com"
    assert [(l.line_key, l.external_sku, l.quantity, l.unit_price_minor, l.line_total_minor)
            for l in order.lines] == [("1", "MUG-BLUE", 2, 1250, 2500), ("2", "TEE-M", 1, 2000, 2000)]


def test_woocommerce_labels_and_slugs(db):
    import_files(db, [WOO])
    assert states(get_order(db, "1002")) == ("shipped", "paid", "shipped")        # Completed
    assert states(get_order(db, "1003")) == ("cancelled", "refunded", "cancelled")  # Refunded
    assert get_order(db, "1003").refunded_minor == 2490
    assert states(get_order(db, "1004")) == ("pending", "unpaid", "open")          # wc-on-hold
    assert states(get_order(db, "1005")) == ("pending", "unpaid", "open")          # Pending payment


def test_woocommerce_naive_dates_use_the_channel_timezone(cli, tmp_path):
    channels = tmp_path / "channels.csv"
    channels.write_text("channel,name,profile,timezone\nwoo-de,Web shop DE,woocommerce,Europe/Berlin\n",
                        encoding="utf-8")
    assert cli("master", "import", "channels", channels).code == 0
    result = cli("import", WOO, "--json")
    assert result.code == 0, result
    assert result.json()[0]["channel"] == "woo-de"
    order = cli("orders", "show", "1001", "--json").json()
    assert order["ordered_at"] == "2026-11-20T13:22:00Z"                  # 14:22 CET



def test_woocommerce_raw_key_names_with_the_profile_forced(db, tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text("order_number,order_date,status,order_currency,order_total,billing_email,SKU,Quantity,"
                    "Item Cost\n"
                    "2001,2026-11-22 08:30:00,wc-processing,EUR,31.00,zoe@example.com,MUG-BLUE,2,12.50\n"
                    "2001,2026-11-22 08:30:00,wc-processing,EUR,31.00,zoe@example.com,TEE-M,1,1.00\n",
                    encoding="utf-8")
    [result] = import_files(db, [path], profile="woocommerce")
    assert counts(result) == (1, 2, 0)
    order = get_order(db, "2001")
    assert (order.total_minor, order.currency, order.ordered_at) == (3100, "EUR", "2026-11-22T08:30:00Z")
    assert states(order) == ("paid", "paid", "open") and order.customer_email == "zoe@example.com"

# -- eBay -----------------------------------------------------------------------------------

def test_ebay_blank_first_line_footer_and_order_row(db):
    [result] = import_files(db, [EBAY])
    assert result.profile == "ebay" and counts(result) == (3, 4, 0)
    assert result.rows_read == 5                      # the blank line and the two footer lines are not rows
    multi = get_order(db, "05-33333-44444")
    assert multi.total_minor == 5197 and multi.currency == "USD" and multi.shipping_minor == 600
    assert [(l.line_key, l.external_sku, l.quantity, l.unit_price_minor) for l in multi.lines] == [
        ("2100000002", "MUG-BLUE", 2, 1299), ("2100000003", "TEE-M", 1, 1999)]   # the order row is no line
    assert states(multi) == ("shipped", "paid", "shipped")
    assert multi.ordered_at == "2026-11-21"           # Nov-21-26: a date, no instant invented
    assert multi.lines[0].shipped_at == "2026-11-22"


def test_ebay_paid_from_paid_on_date_and_ship_by_from_the_file(db):
    import_files(db, [EBAY])
    single = get_order(db, "05-11111-22222")
    assert states(single) == ("paid", "paid", "open") and single.total_minor == 1749
    assert (single.promised_ship_by, single.promised_source) == ("2026-11-23", "channel")
    assert single.deliver_by == "2026-11-28" and single.customer_name == "John Doe"
    assert states(get_order(db, "05-55555-66666")) == ("pending", "unpaid", "open")


# -- Taobao (two files, GBK) -------------------------------------------------------------------

def test_taobao_pair_imports_as_one_batch(cli):
    result = cli("import", TAOBAO_DETAIL, TAOBAO_ORDERS, "--json")     # any order of the two
    assert result.code == 0, result
    [batch] = result.json()
    assert (batch["profile"], batch["orders"], batch["lines"], batch["rejected"]) == ("taobao", 5, 6, 0)
    assert len(cli("imports", "list", "--json").json()) == 1
    order = cli("orders", "show", "3521846937215874963", "--json").json()
    assert order["external_id"] == "3521846937215874963"            # 19 digits kept as text
    assert order["total_minor"] == 13800 and order["currency"] == "CNY"
    assert order["ordered_at"] == "2026-11-20T02:15:30Z"             # 10:15:30 Beijing time
    assert (order["status"], order["payment"], order["fulfilment"]) == ("shipped", "paid", "shipped")
    assert [(l["external_sku"], l["quantity"], l["unit_price_minor"], l["raw_status"]) for l in order["lines"]] == [
        ("CUP-BLUE", 2, 3900, "卖家已发货，等待买家确认"), ("TRAY-01", 1, 5000, "卖家已发货，等待买家确认")]


def test_taobao_statuses(db):
    [result] = import_files(db, [TAOBAO_ORDERS, TAOBAO_DETAIL])
    assert counts(result) == (5, 6, 0)
    assert states(get_order(db, "3521846937215874964")) == ("paid", "paid", "open")
    assert states(get_order(db, "3521846937215874965")) == ("pending", "unpaid", "open")
    assert states(get_order(db, "3521846937215874966")) == ("cancelled", "unpaid", "cancelled")
    delivered = get_order(db, "3521846937215874967")
    assert states(delivered) == ("delivered", "paid", "delivered") and delivered.total_minor == 5800
    assert get_order(db, "3521846937215874965").customer_name == "王芳"


@pytest.mark.parametrize("alone, names", [
    (TAOBAO_DETAIL, "Taobao order file (ExportOrderList*.csv)"),
    (TAOBAO_ORDERS, "Taobao order detail file (ExportOrderDetailList*.csv)"),
])
def test_taobao_file_alone_names_its_partner(cli, alone, names):
    result = cli("import", alone)
    assert result.code == 2
    assert f"import it together with its {names} in one command" in result.stderr
    assert str(alone) in result.stderr
    assert cli("imports", "list", "--json").json() == []


# -- JD -----------------------------------------------------------------------------------------

def test_jd_order_amounts_repeated_per_sku_not_summed(db):
    [result] = import_files(db, [JD])
    assert result.profile == "jd" and counts(result) == (5, 6, 0)
    order = get_order(db, "281234567890")
    assert order.total_minor == 12800 and order.currency == "CNY"       # 应付金额 on both rows, once
    assert order.ordered_at == "2026-11-21T12:05:11Z"
    assert states(order) == ("paid", "paid", "open") and order.raw_status == "等待出库"
    assert [(l.external_sku, l.quantity, l.unit_price_minor) for l in order.lines] == [
        ("CUP-BLUE", 2, 3900), ("TRAY-01", 1, 5000)]


def test_jd_statuses_and_listing_id_without_货号(db):
    import_files(db, [JD])
    shipped = get_order(db, "281234567891")
    assert states(shipped) == ("shipped", "paid", "shipped") and shipped.total_minor == 4500
    assert shipped.lines[0].external_sku == "100012345678"             # 商品ID when 货号 is empty
    assert states(get_order(db, "281234567892")) == ("delivered", "paid", "delivered")
    assert states(get_order(db, "281234567893")) == ("cancelled", "unpaid", "cancelled")
    assert states(get_order(db, "281234567894")) == ("paid", "paid", "open")        # 锁定
    assert get_order(db, "281234567894").customer_phone == "1******6198"


# -- Douyin ---------------------------------------------------------------------------------------

def test_douyin_main_and_sub_orders_with_tabs_in_ids(db):
    [result] = import_files(db, [DOUYIN])
    assert result.profile == "douyin" and counts(result) == (4, 5, 0)
    order = get_order(db, "6920000000000000001")                         # leading TAB stripped
    assert order.total_minor == 12800 and order.ordered_at == "2026-11-22T11:30:45Z"
    assert states(order) == ("shipped", "paid", "shipped")
    assert [(l.line_key, l.external_sku, l.quantity, l.unit_price_minor, l.line_total_minor, l.shipped_at)
            for l in order.lines] == [
        ("6920000000000000002", "CUP-BLUE", 2, 3900, 7800, "2026-11-23T01:00:00Z"),
        ("6920000000000000003", "TRAY-01", 1, 5000, 5000, "2026-11-23T01:00:00Z")]
    assert order.lines[0].raw_status == "已发货 | -"


def test_douyin_after_sale_refunds(db):
    import_files(db, [DOUYIN])
    completed = get_order(db, "6920000000000000004")                   # 已完成 + 退款成功: money only
    assert states(completed) == ("refunded", "refunded", "delivered")
    closed = get_order(db, "6920000000000000006")                      # 已关闭 + 退款成功
    assert states(closed) == ("cancelled", "refunded", "cancelled")
    assert states(get_order(db, "6920000000000000008")) == ("paid", "paid", "open")   # 待发货


# -- Pinduoduo (XLSX) ---------------------------------------------------------------------------

def test_pinduoduo_xlsx(db, tmp_path):
    [result] = import_files(db, [pdd_xlsx(tmp_path / "pdd_orders.xlsx")])
    assert result.profile == "pinduoduo" and counts(result) == (4, 4, 0)
    order = get_order(db, "261120-123456789012345")
    assert order.total_minor == 7300 and order.currency == "CNY"          # 用户实付金额(元)
    assert order.ordered_at == "2026-11-20T13:03:07Z"                     # a datetime cell, Beijing time
    assert states(order) == ("paid", "paid", "open")
    [line] = order.lines
    assert (line.external_sku, line.quantity, line.unit_price_minor, line.line_total_minor) == ("CUP-BLUE", 2, 3900, 7800)
    shipped = get_order(db, "261121-123456789012346")
    assert states(shipped) == ("shipped", "paid", "shipped") and shipped.lines[0].external_sku == "TRAY"
    assert states(get_order(db, "261112-123456789012347")) == ("refunded", "refunded", "delivered")
    assert states(get_order(db, "261123-123456789012348")) == ("cancelled", "refunded", "cancelled")


# -- Store POS ------------------------------------------------------------------------------------

def test_pos_receipts_paid_and_delivered_returns_negative(db):
    [result] = import_files(db, [POS])
    assert result.profile == "pos" and counts(result) == (3, 4, 0)
    sale = get_order(db, "R-0001")
    assert sale.total_minor == 3200 and sale.currency == "EUR"          # 25.00 + (8.00 − 1.00)
    assert sale.ordered_at == "2026-11-24T10:15:00Z"
    assert states(sale) == ("delivered", "paid", "delivered")
    assert [(l.line_key, l.external_sku, l.line_total_minor) for l in sale.lines] == [
        ("1", "MUG-BLUE", 2500), ("2", "4006381333948", 700)]           # barcode when sku is empty
    back = get_order(db, "R-0003")
    assert states(back) == ("returned", "refunded", "returned") and back.total_minor == -1250
    assert (back.lines[0].quantity, back.lines[0].status) == (-1, "returned")


# -- Manual order sheet ---------------------------------------------------------------------------

def test_manual_csv(db):
    [result] = import_files(db, [MANUAL])
    assert result.profile == "manual" and counts(result) == (3, 4, 0)
    order = get_order(db, "WX-001")
    assert order.total_minor == 12800 and order.currency == "CNY"       # from its two lines
    assert order.ordered_at == "2026-11-20"                              # a date stays a date
    assert (order.promised_ship_by, order.promised_source) == ("2026-11-27", "channel")
    assert states(order) == ("paid", "paid", "open") and len(order.lines) == 2
    assert states(get_order(db, "IG-002")) == ("pending", "unpaid", "open")
    shipped = get_order(db, "WA-003")
    assert states(shipped) == ("shipped", "paid", "shipped") and shipped.total_minor == 2550
    assert shipped.currency == "GBP"


def test_manual_xlsx_chinese_headers(db, tmp_path):
    [result] = import_files(db, [manual_xlsx(tmp_path / "微信订单.xlsx")])
    assert result.profile == "manual" and counts(result) == (2, 3, 0)
    order = get_order(db, "WX-101")
    assert order.ordered_at == "2026-11-23"                              # an Excel date cell: no midnight instant
    assert order.promised_ship_by == "2026-11-26" and order.total_minor == 12800
    assert states(order) == ("paid", "paid", "open")                     # 已付款 是, 已发货 否
    other = get_order(db, "WX-102")
    assert states(other) == ("pending", "unpaid", "open") and other.total_minor == 3950
