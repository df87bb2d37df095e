"""Orders over time: newer exports update with history, undo, mapping, filters, customers."""

import pytest

from omnictl.batches import get_batch, undo_batch
from omnictl.errors import Blocked, UsageError
from omnictl.importer import import_files
from omnictl.master import import_master
from omnictl.orders import get_order, list_orders
from omnictl.skus import map_sku, unmapped

from conftest import OWN_FIXTURES

SHOPIFY = OWN_FIXTURES / "shopify" / "orders_export_small.csv"


def newer_export(tmp_path, name="orders_export_1.csv"):
    """The same orders a day later: #2001's pending line shipped, #2003 fully refunded."""
    text = SHOPIFY.read_text(encoding="utf-8")
    text = text.replace("Bulb E27 Warm,50.00,,BULB-E27,true,true,pending", "Bulb E27 Warm,50.00,,BULB-E27,true,true,fulfilled")
    text = text.replace("partially_refunded", "refunded").replace(",20.00,", ",104.00,")
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def master(db, tmp_path, kind, text):
    path = tmp_path / f"{kind}.csv"
    path.write_text(text, encoding="utf-8")
    result = import_master(db, kind, path)
    assert result.rejected == 0, result.rejects
    return result


def test_newer_export_updates_orders_and_records_history(db, tmp_path):
    import_files(db, [SHOPIFY])
    assert get_order(db, "2001").status == "paid"            # one line still open
    [update] = import_files(db, [newer_export(tmp_path)])
    assert (update.orders_created, update.orders_updated, update.lines) == (0, 2, 2)
    order = get_order(db, "#2001")
    assert order.status == "shipped"
    changes = [(e.field, e.old, e.new) for e in order.history if e.batch == update.batch]
    assert ("fulfilment", "open", "shipped") in changes and ("status", "paid", "shipped") in changes
    refunded = get_order(db, "2003")
    assert refunded.payment == "refunded" and refunded.refunded_minor == 10400


def test_undo_restores_the_previous_state_and_a_later_batch_blocks(db, tmp_path):
    [first] = import_files(db, [SHOPIFY])
    [second] = import_files(db, [newer_export(tmp_path)])
    with pytest.raises(Blocked, match=f"later batch {second.batch}"):
        undo_batch(db, first.batch, "tester")
    result = undo_batch(db, second.batch, "tester")
    assert (result.orders_removed, result.orders_restored) == (0, 2)
    assert get_order(db, "2001").status == "paid" and get_order(db, "2003").payment == "partly_refunded"
    assert get_batch(db, second.batch).undone_by == "tester"
    # the same newer file can be imported again once its batch is undone
    [again] = import_files(db, [newer_export(tmp_path)])
    assert again.already_imported_as is None and again.orders_updated == 2
    undo_batch(db, again.batch, "tester")
    undo_batch(db, first.batch, "tester")
    assert db.scalar("SELECT count(*) FROM sales_order") == 0
    assert db.scalar("SELECT count(*) FROM order_line") == 0


def test_unmapped_lines_then_mapping_resolves_them_with_history(db, tmp_path):
    import_files(db, [SHOPIFY])
    assert {u.external_sku for u in unmapped(db)} == {"LAMP-TR-BLK", "SHADE-LIN", "BULB-E27", "LAMP-DK-OAK"}
    master(db, tmp_path, "skus", "sku,name,kind\nLAMP-TRAIL-BLK,Trail lamp black,finished\n"
                                 "BULB-E27,Bulb E27,component\n")
    # a master SKU with the channel's code maps by itself once it exists
    assert {u.external_sku for u in unmapped(db)} == {"LAMP-TR-BLK", "SHADE-LIN", "LAMP-DK-OAK"}
    result = map_sku(db, "shopify", "LAMP-TR-BLK", "LAMP-TRAIL-BLK")
    assert result.lines_mapped == 2                          # #2001 and #2002
    line = next(l for l in get_order(db, "2002").lines if l.external_sku == "LAMP-TR-BLK")
    assert (line.sku, line.mapping) == ("LAMP-TRAIL-BLK", "alias")
    history = get_order(db, "2002").history
    assert any(e.field == "mapping" and e.new == "alias LAMP-TRAIL-BLK" for e in history)


def test_kit_alias_from_master_data(db, tmp_path):
    import_files(db, [SHOPIFY])
    master(db, tmp_path, "skus", "sku,name,kind\nOAK-BASE,Oak base,component\nSHADE-OAK,Shade,component\n")
    master(db, tmp_path, "aliases", "channel,external_sku,sku,factor\nshopify,LAMP-DK-OAK,OAK-BASE,1\n"
                                    "shopify,LAMP-DK-OAK,SHADE-OAK,1\n")
    line = get_order(db, "2003").lines[0]
    assert (line.sku, line.mapping) == (None, "kit")


def test_list_filters(db, tmp_path):
    import_files(db, [SHOPIFY])
    assert [o.external_id for o in list_orders(db)] == ["#2003", "#2002", "#2001"]
    assert [o.external_id for o in list_orders(db, status="cancelled")] == ["#2002"]
    assert [o.external_id for o in list_orders(db, since="2026-11-22")] == ["#2003", "#2002"]
    assert [o.external_id for o in list_orders(db, since="2026-11-23")] == ["#2003"]     # #2002: 23:30 UTC on the 22nd
    assert [o.external_id for o in list_orders(db, until="2026-11-20")] == ["#2001"]
    assert [o.external_id for o in list_orders(db, sku="SHADE-LIN")] == ["#2001"]
    assert [o.external_id for o in list_orders(db, customer="ana@example.net")] == ["#2003"]
    with pytest.raises(UsageError, match="--status"):
        list(list_orders(db, status="lost"))


def test_order_dates_follow_the_company_timezone(db, tmp_path):
    db.execute("INSERT INTO setting (key, value) VALUES ('company.timezone', 'Asia/Shanghai')")
    from omnictl import clock

    clock.set_zone("Asia/Shanghai")
    import_files(db, [SHOPIFY])
    # #2002 was placed 2026-11-22 18:30 -0500 = 23:30 UTC = 2026-11-23 07:30 in Shanghai
    order = get_order(db, "2002")
    assert order.ordered_at == "2026-11-22T23:30:00Z" and order.ordered_on == "2026-11-23"
    assert order.promised_ship_by == "2026-11-25" and order.promised_source == "derived"


def test_same_order_number_in_two_channels_needs_the_channel(db, tmp_path):
    import_files(db, [SHOPIFY])
    master(db, tmp_path, "channels", "channel,name,profile\nshop2,Second shop,shopify\n")
    import_files(db, [SHOPIFY], channel="shop2")
    with pytest.raises(UsageError, match="several channels"):
        get_order(db, "2001")
    assert get_order(db, "2001", channel="shop2").channel == "shop2"


def test_customers_match_across_channels_by_normalised_phone(db, tmp_path):
    master(db, tmp_path, "customers", "customer,name,tier,phone,email\nC-ANA,Ana Silva,A,555 010 2000,\n")
    import_files(db, [SHOPIFY])
    order = get_order(db, "2003")                     # Billing Phone +1 (555) 010-2000
    assert order.customer == "C-ANA"
    assert db.scalar("SELECT tier FROM customer WHERE code = 'C-ANA'") == "A"


def test_rows_of_one_order_that_are_not_adjacent_are_merged(db, tmp_path):
    """A sorted or hand-edited export can split an order: the later rows add lines, erase nothing."""
    lines = SHOPIFY.read_text(encoding="utf-8").splitlines(keepends=True)
    # header, #2001 first row (2 physical lines), #2002, #2003, then #2001's other two rows
    split = tmp_path / "orders_export_sorted.csv"
    split.write_text("".join(lines[0:3] + lines[5:7] + lines[3:5]), encoding="utf-8")
    [result] = import_files(db, [split])
    assert (result.orders_created, result.orders_updated, result.lines, result.rejected) == (3, 0, 5, 0)
    order = get_order(db, "2001")
    assert order.total_minor == 19700 and order.currency == "USD" and len(order.lines) == 3
    assert order.fulfilment == "open" and order.status == "paid"      # the bulb line is still pending
    assert order.source_row == 2


def test_an_empty_cell_in_a_newer_export_does_not_erase_a_value(db, tmp_path):
    import_files(db, [SHOPIFY])
    text = SHOPIFY.read_text(encoding="utf-8").replace(",197.00,", ",,")        # #2001's Total left empty
    newer = tmp_path / "orders_export_2.csv"
    newer.write_text(text, encoding="utf-8")
    import_files(db, [newer])
    assert get_order(db, "2001").total_minor == 19700


def test_another_shops_order_with_the_same_number_is_refused_not_merged(db, tmp_path):
    """Two Shopify shops both have #2001; an order's time never changes, so it is not an update."""
    import_files(db, [SHOPIFY])
    other_shop = tmp_path / "orders_export_other_shop.csv"
    other_shop.write_text(SHOPIFY.read_text(encoding="utf-8").replace("2026-11-20 10:01:55 +0800",
                                                                       "2026-10-02 09:00:00 +0200"), encoding="utf-8")
    [result] = import_files(db, [other_shop])
    assert (result.orders_updated, result.rejected) == (0, 3)         # #2001's three rows
    reject = get_batch(db, result.batch).rejects[0]
    assert reject.row == 2 and reject.raw.startswith("#2001,mia.chen@example.com,paid")
    assert "already in channel shopify with time 2026-11-20T02:01:55Z" in reject.reason
    assert "--channel" in reject.reason
    assert get_order(db, "2001").ordered_at == "2026-11-20T02:01:55Z" and len(get_order(db, "2001").lines) == 3


def test_a_shopify_file_without_its_total_column_is_refused(cli, tmp_path):
    text = SHOPIFY.read_text(encoding="utf-8").replace(",Total,", ",Grand,", 1)
    path = tmp_path / "orders_export.csv"
    path.write_text(text, encoding="utf-8")
    result = cli("import", path, "--profile", "shopify")
    assert result.code == 2 and "missing required column 'total'" in result.stderr.lower()


def test_orders_interleaved_row_by_row_are_merged(db, tmp_path):
    """A file sorted by SKU splits every order: A, B, A, B ... must neither crash nor duplicate."""
    lines = SHOPIFY.read_text(encoding="utf-8").splitlines(keepends=True)
    first_2001, shade_2001, bulb_2001 = "".join(lines[1:3]), lines[3], lines[4]
    text = SHOPIFY.read_text(encoding="utf-8").replace("#2003", "#2004")
    other = text.splitlines(keepends=True)[6]                       # #2004, one row
    mixed = tmp_path / "orders_by_sku.csv"
    mixed.write_text(lines[0] + first_2001 + lines[5] + shade_2001 + lines[6] + bulb_2001 + other, encoding="utf-8")
    [result] = import_files(db, [mixed])
    assert (result.orders_created, result.lines, result.rejected) == (4, 6, 0)
    assert len(get_order(db, "2001").lines) == 3 and get_order(db, "2001").total_minor == 19700
