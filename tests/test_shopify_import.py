"""Shopify orders export: the real files in ../shared, grouped by Name, first-row fields."""

from omnictl.importer import import_files
from omnictl.orders import get_order

from conftest import shared_file


def test_forezia_devstore_orders_lines_and_values(db):
    path = shared_file("shopify/orders_export_devstore_forezia.csv")
    [result] = import_files(db, [path])
    assert (result.orders_created, result.lines, result.rejected) == (19, 40, 0)
    order = get_order(db, "#1001")
    assert order.total_minor == 165995 and order.currency == "EUR"
    assert order.ordered_at == "2025-05-11T13:55:16Z"       # 09:55:16 -0400 in UTC
    assert order.status == "shipped" and len(order.lines) == 4


def test_same_file_again_changes_nothing(db):
    path = shared_file("shopify/orders_export_devstore_forezia.csv")
    import_files(db, [path])
    [again] = import_files(db, [path])
    assert again.already_imported_as == 1 and again.orders == again.lines == 0
    assert db.scalar("SELECT count(*) FROM import_batch") == 1
