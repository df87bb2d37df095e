"""Large files are mapped in a forked child: same orders as inline, errors come back whole."""

import pytest

from omnictl.errors import InputFileError
from omnictl.importer import import_files
from omnictl.orders import get_order, list_orders

from conftest import OWN_FIXTURES

SHOPIFY = OWN_FIXTURES / "shopify" / "orders_export_small.csv"


def snapshot(db):
    orders = [o.model_dump() for o in list_orders(db)]
    lines = [[l.model_dump(exclude={"id"}) for l in get_order(db, str(o["id"])).lines] for o in orders]
    return [{k: v for k, v in o.items() if k != "id"} for o in orders], lines


def test_child_mapping_gives_the_same_database(tmp_path, monkeypatch):
    from omnictl.db import open_db

    results = {}
    for mode in ("0", "1"):
        monkeypatch.setenv("OMNICTL_PARALLEL", mode)
        database = open_db(tmp_path / f"mode{mode}.db")
        [result] = import_files(database, [SHOPIFY])
        results[mode] = (result.orders, result.lines, result.rejected, snapshot(database))
        database.close()
    assert results["0"] == results["1"]
    assert results["1"][:3] == (3, 5, 0)


def test_a_duplicate_line_found_after_the_child_keeps_its_raw_row(db, tmp_path, monkeypatch):
    monkeypatch.setenv("OMNICTL_PARALLEL", "1")
    lines = SHOPIFY.read_text(encoding="utf-8").splitlines(keepends=True)
    doubled = tmp_path / "orders.csv"
    doubled.write_text("".join(lines) + lines[3], encoding="utf-8")
    [result] = import_files(db, [doubled])
    assert result.rejected == 1
    raw = db.scalar("SELECT raw FROM import_reject")
    assert raw.startswith("#2001,mia.chen@example.com,,,") and "SHADE-LIN" in raw


def test_a_file_error_in_the_child_is_raised_here_and_nothing_is_written(db, tmp_path, monkeypatch):
    monkeypatch.setenv("OMNICTL_PARALLEL", "1")
    broken = tmp_path / "orders.csv"
    text = SHOPIFY.read_text(encoding="utf-8")
    broken.write_text(text + '#2009,"' + "x" * (17 * 1024 * 1024) + '"\n', encoding="utf-8")  # a 17 MB field
    with pytest.raises(InputFileError, match="cannot be parsed"):
        import_files(db, [broken])
    assert db.scalar("SELECT count(*) FROM import_batch") == 0
    assert db.scalar("SELECT count(*) FROM sales_order") == 0
