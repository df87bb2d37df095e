"""Unmapped channel SKUs: list them, and map one to a master SKU (which re-resolves its lines)."""

from __future__ import annotations

from omnictl import audit, clock
from omnictl.db import Database
from omnictl.errors import NotFound
from omnictl.inventory import sync_order_stock
from omnictl.models import MapResult, UnmappedSku
from omnictl.skumap import SkuResolver


def unmapped(db: Database, channel: str | None = None) -> list[UnmappedSku]:
    sql = ("SELECT o.channel, coalesce(l.external_sku, '') AS external_sku, max(l.product_name) AS name, "
           "count(*) AS lines, sum(l.quantity) AS qty, count(DISTINCT l.order_id) AS orders "
           "FROM order_line l JOIN sales_order o ON o.id = l.order_id WHERE l.mapping = 'unmapped'")
    params = []
    if channel:
        sql += " AND o.channel = ?"
        params.append(channel)
    sql += " GROUP BY o.channel, l.external_sku ORDER BY lines DESC, o.channel, l.external_sku"
    return [UnmappedSku(channel=r["channel"], external_sku=r["external_sku"], product_name=r["name"],
                        lines=r["lines"], quantity=r["qty"] or 0, orders=r["orders"])
            for r in db.query(sql, params)]


def map_sku(db: Database, channel: str, external_sku: str, sku: str, factor: float = 1.0,
            actor: str = "omnictl") -> MapResult:
    """Add the alias channel/external_sku → sku and resolve the lines waiting on it."""
    if db.one("SELECT 1 FROM channel WHERE code = ?", (channel,)) is None:
        raise NotFound(f"no channel '{channel}'")
    if db.one("SELECT 1 FROM sku WHERE code = ?", (sku,)) is None:
        raise NotFound(f"no master SKU '{sku}'; add it with `omnictl master import skus FILE`")
    with db.write():
        old = db.one("SELECT factor FROM sku_alias WHERE channel = ? AND external_sku = ? AND sku = ?",
                     (channel, external_sku, sku))
        db.execute("INSERT INTO sku_alias (channel, external_sku, sku, factor) VALUES (?, ?, ?, ?) "
                   "ON CONFLICT (channel, external_sku, sku) DO UPDATE SET factor = excluded.factor",
                   (channel, external_sku, sku, factor))
        mapped = remap_lines(db, channel, external_sku, actor)
        audit.record(db, actor, "sku.map", f"{channel} {external_sku}",
                     None if old is None else {"sku": sku, "factor": old["factor"]},
                     {"sku": sku, "factor": factor, "lines_mapped": mapped})
    return MapResult(channel=channel, external_sku=external_sku, sku=sku, lines_mapped=mapped)


def remap_lines(db: Database, channel: str, external_sku: str | None = None, actor: str = "omnictl") -> int:
    """Re-resolve a channel's unmapped lines (all, or one external SKU); each change is in the history,
    and lines already shipped post their stock now, with their own time."""

    resolver = SkuResolver(db, channel)
    sql = ("SELECT l.id, l.order_id, l.external_sku FROM order_line l JOIN sales_order o ON o.id = l.order_id "
           "WHERE l.mapping = 'unmapped' AND o.channel = ?")
    params = [channel]
    if external_sku is not None:
        sql += " AND l.external_sku = ?"
        params.append(external_sku)
    updates, events, now = [], [], clock.utc_now_iso()
    for row in db.query(sql, params):
        sku, mapping = resolver.resolve(row["external_sku"])
        if mapping != "unmapped":
            updates.append((sku, mapping, row["id"]))
            events.append((row["order_id"], row["id"], now, "mapping", "unmapped", f"{mapping} {sku or ''}".strip()))
    db.conn.executemany("UPDATE order_line SET sku = ?, mapping = ? WHERE id = ?", updates)
    db.conn.executemany("INSERT INTO order_event (order_id, line_id, batch_id, at, field, old, new) "
                        "VALUES (?, ?, NULL, ?, ?, ?, ?)", events)
    sync_order_stock(db, [line_id for _sku, _mapping, line_id in updates], actor)
    return len(updates)
