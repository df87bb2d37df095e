"""`orders search` and `customers show`: any order from any channel, by what a customer says."""

from __future__ import annotations

import pytest

from omnictl.demo import build_demo
from omnictl.db import open_db
from omnictl.errors import NotFound, UsageError
from omnictl.importer import import_files
from omnictl.search import customer_view, name_query, search_orders

from conftest import OWN_FIXTURES, shared_file


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    import os

    from omnictl import clock

    os.environ["OMNICTL_TODAY"] = "2026-11-25"
    clock.pin(None)
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    build_demo(path, keep_exports=False)
    database = open_db(path)
    yield database
    database.close()


def keys(orders) -> list[tuple[str, str]]:
    return [(o.channel, o.external_id) for o in orders]


@pytest.mark.parametrize("text", ["#2041", "2041"])
def test_order_number_with_or_without_hash(demo_db, text):
    found = search_orders(demo_db, text)
    assert keys(found)[0] == ("shopify", "#2041")
    assert found[0].matched == "order number"
    assert found[0].customer_name == "Emma Lindqvist"


@pytest.mark.parametrize("phone", ["+86 138 0013 8000", "138-0013-8000", "0086 13800138000", "(138) 0013 8000"])
def test_phone_in_any_format_finds_the_customer_on_three_channels(demo_db, phone):
    found = search_orders(demo_db, phone)
    assert {o.channel for o in found} == {"social", "taobao", "store_hz"}
    assert len(found) == 5 and {o.matched for o in found} == {"customer"}
    assert [o.ordered_on for o in found] == sorted((o.ordered_on for o in found), reverse=True)


def test_email_is_case_insensitive_and_spans_channels(demo_db):
    found = search_orders(demo_db, "Emma.Lindqvist@Example.com")
    assert {o.channel for o in found} == {"shopify", "social"}
    assert keys(found) == keys(search_orders(demo_db, "emma.lindqvist@example.com"))


def test_name_words_and_prefix(demo_db):
    assert {o.channel for o in search_orders(demo_db, "lindqvist")} == {"shopify", "social"}
    assert {o.external_id for o in search_orders(demo_db, "emma lind")} == \
        {o.external_id for o in search_orders(demo_db, "lindqvist")}
    chinese = search_orders(demo_db, "王芳")
    assert len(chinese) == 5 and chinese[0].matched == "name"


def test_sku_and_channel_sku(demo_db):
    found = search_orders(demo_db, "QS-DL-OAK")
    assert found and {o.matched for o in found} == {"sku"}
    assert ("shopify", "#2041") in keys(found)


def test_exact_order_number_ranks_before_prefix(demo_db):
    exact = search_orders(demo_db, "302-2230915-6602287")
    assert keys(exact) == [("amazon", "302-2230915-6602287")]
    prefix = search_orders(demo_db, "302-22")
    assert keys(prefix) == [("amazon", "302-2230915-6602287")] and prefix[0].matched == "order number prefix"


def test_each_result_carries_its_status_history(demo_db):
    [order] = search_orders(demo_db, "#2041")[:1]
    assert [step.status for step in order.status_history] == ["shipped"]
    assert order.status_history[0].at.startswith("2026-11-25")


def test_nothing_found_and_empty_text(demo_db):
    assert search_orders(demo_db, "no-such-thing-xyz") == []
    with pytest.raises(UsageError):
        search_orders(demo_db, "   ")


def test_name_query_quotes_words():
    assert name_query('wang "x') == '"wang" "x"*'
    assert name_query("12345") is None


def test_status_history_follows_a_newer_export(db, tmp_path):
    small = OWN_FIXTURES / "shopify" / "orders_export_small.csv"
    import_files(db, [small])
    newer = tmp_path / "newer.csv"
    newer.write_text(small.read_text(encoding="utf-8").replace("pending,", "fulfilled,"), encoding="utf-8")
    import_files(db, [newer])
    [order] = search_orders(db, "#2001")
    assert [step.status for step in order.status_history] == ["paid", "shipped"]
    assert [step.batch for step in order.status_history] == [1, 2]


# -- customers show ---------------------------------------------------------------------------

def test_customer_view_by_phone_open_orders_first(demo_db):
    view = customer_view(demo_db, "138 0013 8000")
    assert view.customer.code == "C-WANGFANG" and view.customer.tier == "A"
    assert {t.channel: (t.orders, t.open_orders) for t in view.channels} == \
        {"social": (2, 1), "taobao": (2, 0), "store_hz": (1, 0)}
    assert view.channels[0].totals_minor == {"CNY": 157700}    # social: 999.00 + 578.00
    assert [o.fulfilment for o in view.orders][0] == "open"
    assert view.orders[0].external_id == "WX-0588"
    assert view.customer.first_order < view.customer.last_order


def test_customer_view_by_code_email_and_name_agree(demo_db):
    by_code = customer_view(demo_db, "C-WANGFANG")
    assert keys(by_code.orders) == keys(customer_view(demo_db, "wangfang.design@example.cn").orders)
    assert keys(by_code.orders) == keys(customer_view(demo_db, "王芳").orders)


def test_customer_not_found_and_ambiguous_name(demo_db):
    with pytest.raises(NotFound):
        customer_view(demo_db, "nobody@example.com")
    names = {r["name"].split()[0] for r in demo_db.query("SELECT name FROM party WHERE name IS NOT NULL")}
    assert names                                    # the demo has named buyers


def test_same_buyer_across_real_files_by_email(db):
    """The redaction gave one buyer the same address in Amazon, Shopify and Temu exports."""
    for name in ("amazon/new_orders_report_unshipped_redacted.txt", "shopify/orders_export_realstore_zar_redacted.csv",
                 "temu/order_export_de_redacted.csv"):
        import_files(db, [shared_file(name)])
    found = search_orders(db, "REDACTED003@example.invalid")
    assert sorted(keys(found)) == [("amazon_new_orders", "204-7038121-6642754"), ("shopify", "#13521"),
                                   ("temu", "PO-076-16612159294071190")]
    view = customer_view(db, "redacted003@example.invalid")
    assert {t.channel for t in view.channels} == {"amazon_new_orders", "shopify", "temu"}


@pytest.mark.parametrize("phone", ["+1 613 555 0127", "(613) 555-0127", "613.555.0127", "16135550127"])
def test_real_shopify_phone_in_other_formats(db, phone):
    import_files(db, [shared_file("shopify/orders_export_devstore_forezia.csv")])
    found = search_orders(db, phone)
    assert ("shopify", "#1004") in keys(found) and len(found) == 4      # her 4 orders, by phone or email
    assert {o.matched for o in found} == {"customer"} and {o.customer_name for o in found} == {"Ayumu Hirano"}


# -- CLI --------------------------------------------------------------------------------------

def test_cli_search_json_has_the_shape_of_orders_list(cli):
    assert cli("import", OWN_FIXTURES / "shopify" / "orders_export_small.csv").code == 0
    listed = cli("orders", "list", "--json").json()
    found = cli("orders", "search", "2001", "--json")
    assert found.code == 0
    [hit] = found.json()
    assert set(hit) == set(listed[0])
    assert hit["external_id"] == "#2001" and hit["matched"] == "order number"
    assert hit["status_history"][0]["status"] == "paid"


def test_cli_search_table_and_no_match(cli):
    cli("import", OWN_FIXTURES / "shopify" / "orders_export_small.csv")
    shown = cli("orders", "search", "#2001")
    assert shown.code == 0 and "#2001" in shown.stdout and "order number" in shown.stdout
    none = cli("orders", "search", "zzz-nothing")
    assert none.code == 0 and none.stdout == "" and "no order matches 'zzz-nothing'" in none.stderr


def test_cli_customers_show_json_and_errors(cli):
    cli("import", OWN_FIXTURES / "shopify" / "orders_export_small.csv")
    view = cli("customers", "show", "mia.chen@example.com", "--json")
    assert view.code == 0
    data = view.json()
    assert set(data) >= {"customer", "orders"}
    assert data["customer"]["email"] == "mia.chen@example.com"
    assert [o["external_id"] for o in data["orders"]] == ["#2001"]
    missing = cli("customers", "show", "nobody@example.com")
    assert missing.code == 2 and missing.stderr.startswith("Error: no customer matches 'nobody@example.com'")


def test_cli_search_needs_an_existing_database(cli):
    result = cli("orders", "search", "x")
    assert result.code == 2 and "no database at" in result.stderr


def test_customer_totals_in_base_currency_at_each_orders_rate(demo_db):
    view = customer_view(demo_db, "C-EMMA")
    shopify = next(t for t in view.channels if t.channel == "shopify")
    assert shopify.totals_minor == {"USD": 27300}
    # 187.00 USD on 10-29 at the 10-28 rate 7.1129, 86.00 USD on 11-25 at 7.1150
    assert (shopify.base_total_minor, shopify.base_currency) == (133011 + 61189, "CNY")
    assert view.warnings == []


def test_a_missing_rate_is_a_warning_never_a_silent_one(db):
    from omnictl.settings import set_setting

    import_files(db, [OWN_FIXTURES / "shopify" / "orders_export_small.csv"])
    set_setting(db, "company.currency", "EUR", "test")
    view = customer_view(db, "mia.chen@example.com")
    [channel] = view.channels
    assert channel.totals_minor == {"USD": 19700} and channel.base_total_minor is None
    assert view.warnings == ["no USD rate on or within 7 days before 2026-11-20; import one with `omnictl fx import`"]


@pytest.mark.parametrize("text, expected", [("wx-0585", ("social", "WX-0585")), ("hz-00324", ("store_hz", "HZ-00324"))])
def test_order_numbers_in_another_case(demo_db, text, expected):
    assert keys(search_orders(demo_db, text))[0] == expected


def test_skus_and_customer_codes_in_another_case(demo_db):
    assert keys(search_orders(demo_db, "qs-dl-oak")) == keys(search_orders(demo_db, "QS-DL-OAK"))
    assert customer_view(demo_db, "c-wangfang").customer.code == "C-WANGFANG"


def test_customer_totals_leave_out_cancelled_orders_and_refunds(db):
    import_files(db, [OWN_FIXTURES / "shopify" / "orders_export_small.csv"])
    cancelled = customer_view(db, "sam@example.org")
    assert cancelled.channels[0].orders == 1 and cancelled.channels[0].totals_minor == {}
    refunded = customer_view(db, "ana@example.net")
    assert refunded.channels[0].totals_minor == {"USD": 10400 - 2000}
