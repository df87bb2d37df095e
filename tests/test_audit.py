"""The audit log (every change a person makes, hash-chained) and the privacy redaction."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from omnictl.db import open_db
from omnictl.dbtools import check_database
from omnictl.demo import build_demo

HEADER = ("order_id,line_id,channel,ordered_at,promised_ship_by,shipped_at,payment,fulfilment,status,"
          "sku,quantity,unit_price,currency,customer_name,customer_phone,customer_email\n")


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("audit-demo")
    build_demo(folder / "demo.db")
    return folder / "demo.db"


@pytest.fixture
def demo(demo_file, db_path):
    """A fresh copy of the demo at the CLI runner's database path, with its exports beside it."""
    shutil.copy(demo_file, db_path)
    return db_path


def _entries(path: Path) -> list[tuple]:
    db = open_db(path)
    try:
        return [(r["actor"], r["action"], r["subject"]) for r in db.query("SELECT * FROM audit_log ORDER BY id")]
    finally:
        db.close()


def test_changes_made_by_hand_are_audited_with_actor_and_before_after(cli, demo, demo_file):
    exports = demo_file.parent / "demo-exports"
    steps = [
        ("config", "set", "close.t_minus_days", "4", "--actor", "li.planner"),
        ("stock", "adjust", "QS-LT-L", "-2", "--location", "WH-HZ", "--reason", "broken", "--actor", "zhao.wh"),
        ("stock", "transfer", "QS-LT-L", "1", "--from", "WH-HZ", "--to", "WH-NB", "--actor", "zhao.wh"),
        ("skus", "map", "shopify", "SPARE-SHADE-30", "SHD-LIN-30", "--actor", "cs.amy"),
        ("reconcile", "count", str(exports / "count_wh_hz.csv"), "--location", "WH-HZ", "--apply",
         "--reason", "monthly count", "--actor", "zhao.wh"),
        ("plan", "release", "MO-000007", "--actor", "li.planner"),
        ("imports", "undo", "19", "--actor", "cs.amy"),
    ]
    for step in steps:
        result = cli(*step)
        assert result.code in (0, 1), (step, result)
    assert _entries(demo) == [
        ("li.planner", "setting.set", "close.t_minus_days"),
        ("zhao.wh", "stock.adjustment", "QS-LT-L at WH-HZ"),
        ("zhao.wh", "stock.transfer", "QS-LT-L from WH-HZ to WH-NB"),
        ("cs.amy", "sku.map", "shopify SPARE-SHADE-30"),
        ("zhao.wh", "count.apply", "count 2"),
        ("li.planner", "plan.release", "MO-000007"),
        ("cs.amy", "batch.undo", "batch 19"),
    ]
    listed = cli("audit", "--actor", "zhao.wh", "--json").json()
    assert [e["action"] for e in listed] == ["stock.adjustment", "stock.transfer", "count.apply"]
    adjustment = listed[0]
    assert adjustment["after"]["quantity"] == -2 and adjustment["after"]["reason"] == "broken"
    assert adjustment["after"]["on_hand"] == adjustment["before"]["on_hand"] - 2
    assert [e["action"] for e in cli("audit", "--action", "stock", "--json").json()] == \
        ["stock.adjustment", "stock.transfer"]
    assert cli("audit", "--since", "2026-11-26", "--json").json() == []
    assert "zhao.wh" in cli("audit").stdout
    verified = cli("audit", "verify")
    assert verified.code == 0 and "audit log intact: 7 entries verified" in verified.stdout


def test_an_accepted_rush_is_audited(cli, demo):
    result = cli("plan", "rush", "3920904471162205831", "--accept", "--reason", "VIP customer", "--actor", "li.pmc")
    assert result.code == 0, result
    [entry] = cli("audit", "--json").json()
    assert (entry["actor"], entry["action"], entry["after"]["reason"]) == ("li.pmc", "plan.accept", "VIP customer")


def _tamper(path: Path, *statements: str) -> None:
    """What someone with the sqlite3 shell could do: drop the guards and edit."""
    conn = sqlite3.connect(path)
    conn.execute("DROP TRIGGER audit_log_no_update")
    conn.execute("DROP TRIGGER audit_log_no_delete")
    for sql in statements:
        conn.execute(sql)
    conn.commit()
    conn.close()


@pytest.mark.parametrize("statement, message", [
    ("UPDATE audit_log SET after = replace(after, 'broken', 'lost') WHERE id = 2",
     "entry 2 (stock.adjustment by zhao.wh at 2026-11-25T04:00:00Z): its 'after' text was changed"),
    ("UPDATE audit_log SET actor = 'someone.else' WHERE id = 2", "entry 2 (stock.adjustment by someone.else"),
    ("DELETE FROM audit_log WHERE id = 2", "entry 3 (stock.adjustment by zhao.wh at 2026-11-25T04:00:00Z) does not "
                                           "follow the entry before it"),
])
def test_verify_finds_a_changed_or_removed_entry(cli, demo, statement, message):
    for n, reason in enumerate(("first", "broken", "third")):
        assert cli("stock", "adjust", "QS-LT-L", "-1", "--location", "WH-HZ", "--reason", reason,
                   "--actor", "li.planner" if n == 0 else "zhao.wh").code == 0
    assert cli("audit", "verify").code == 0
    _tamper(demo, statement)
    result = cli("audit", "verify")
    assert result.code == 1
    assert message in result.stderr
    assert "audit log broken from entry" in result.stderr


def test_the_log_refuses_edits_and_deletes(cli, demo):
    assert cli("config", "set", "close.t_minus_days", "5").code == 0
    conn = sqlite3.connect(demo)
    for sql in ("UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute(sql)
    conn.close()


# -- privacy ----------------------------------------------------------------------------------

def _orders_file(path: Path) -> Path:
    rows = [
        "OLD-1,1,web,2025-03-02T08:00:00Z,2025-03-05,2025-03-04T09:00:00Z,paid,shipped,shipped,SKU-A,1,9.90,EUR,"
        "Zhou Xiaoming,+86 139 1111 2222,zhou.xm@example.cn\n",
        "OLD-2,1,web,2025-04-10T08:00:00Z,2025-04-12,2025-04-11T09:00:00Z,paid,shipped,shipped,SKU-A,1,9.90,EUR,"
        "Kept Buyer,+86 137 3333 4444,kept@example.cn\n",
        "NEW-1,1,web,2026-11-20T08:00:00Z,2026-11-28,,paid,open,paid,SKU-A,1,9.90,EUR,"
        "Kept Buyer,+86 137 3333 4444,kept@example.cn\n",
        "BAD-1,1,web,not-a-date,,,paid,open,paid,SKU-A,1,9.90,EUR,Zhou Xiaoming,+86 139 1111 2222,zhou.xm@example.cn\n",
    ]
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    return path


def _file_bytes(path: Path) -> bytes:
    """The database file and its write-ahead log, as someone copying them would get them."""
    wal = Path(f"{path}-wal")
    return Path(path).read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def test_redaction_removes_old_buyers_everywhere_and_keeps_the_ledger_and_chain(cli, db_path, tmp_path, monkeypatch):
    monkeypatch.setenv("OMNICTL_TODAY", "2025-05-01")      # the reject's batch predates the cut-off
    db = open_db(db_path)
    with db.write():
        db.execute("INSERT INTO sku (code, name) VALUES ('SKU-A', 'Lamp')")
        db.execute("INSERT INTO location (code, name) VALUES ('WH', 'Warehouse')")
    db.close()
    assert cli("import", str(_orders_file(tmp_path / "orders.csv"))).code == 0
    monkeypatch.setenv("OMNICTL_TODAY", "2026-11-25")
    assert cli("stock", "adjust", "SKU-A", "5", "--location", "WH", "--reason", "found").code == 0

    dry = cli("privacy", "redact", "--before", "2025-06-01", "--dry-run", "--json")
    assert dry.code == 0 and dry.json() == {"before": "2025-06-01", "parties": 1, "rejects": 1, "dry_run": True}
    assert b"zhou.xm@example.cn" in _file_bytes(db_path)

    done = cli("privacy", "redact", "--before", "2025-06-01", "--actor", "dpo")
    assert done.code == 0, done
    assert "removed the personal data of 1 buyer(s) and the raw text of 1 rejected row(s)" in done.stdout
    raw = _file_bytes(db_path)
    for secret in (b"Zhou Xiaoming", b"zhou.xm@example.cn", b"1111 2222", b"13911112222", "Xiaoming".encode()):
        assert secret not in raw, secret
    assert b"kept@example.cn" in raw                       # a buyer with a newer order keeps their data
    assert cli("orders", "search", "Zhou", "--json").json() == []
    assert sorted(o["external_id"] for o in cli("orders", "search", "Kept Buyer", "--json").json()) == ["NEW-1", "OLD-2"]
    assert cli("orders", "show", "OLD-1").code == 0          # the order itself stays
    db = open_db(db_path)
    assert check_database(db).ok
    assert db.scalar("SELECT sum(quantity) FROM stock_move WHERE sku = 'SKU-A'") == 5     # the ledger is untouched
    db.close()
    [entry] = [e for e in cli("audit", "--json").json() if e["action"] == "privacy.redact"]
    assert (entry["actor"], entry["after"]) == ("dpo", {"parties": 1, "rejects": 1})
    assert cli("audit", "verify").code == 0
    again = cli("privacy", "redact", "--before", "2025-06-01", "--json").json()
    assert (again["parties"], again["rejects"]) == (0, 0)


@pytest.mark.parametrize("value, message", [
    ("01/06/2025", "--before '01/06/2025' is not a date (YYYY-MM-DD)"),
    ("2027-01-01", "--before 2027-01-01 is in the future"),
])
def test_redaction_refuses_a_bad_date_and_writes_nothing(cli, demo, value, message):
    before = Path(demo).read_bytes()
    result = cli("privacy", "redact", "--before", value)
    assert result.code == 2 and message in result.stderr and "Traceback" not in result.stderr
    assert cli("audit", "--json").json() == []
    assert Path(demo).read_bytes() == before
