"""Channel SKUs to master SKUs: aliases (with a factor), kits, direct matches, unmapped."""

from __future__ import annotations

from omnictl.db import Database


class SkuResolver:
    """Resolves a channel's external SKUs, loading the channel's aliases once."""

    def __init__(self, db: Database, channel: str):
        self.aliases: dict[str, list[str]] = {}
        for row in db.query("SELECT external_sku, sku FROM sku_alias WHERE channel = ?", (channel,)):
            self.aliases.setdefault(row["external_sku"], []).append(row["sku"])
        self.codes = {row["code"] for row in db.query("SELECT code FROM sku")}
        self.barcodes = {row["barcode"]: row["code"] for row in
                         db.query("SELECT barcode, code FROM sku WHERE barcode IS NOT NULL")}

    def resolve(self, external_sku: str | None) -> tuple[str | None, str]:
        """(master sku or None, mapping) with mapping one of sku, alias, kit, unmapped."""
        if external_sku is None:
            return None, "unmapped"
        components = self.aliases.get(external_sku)
        if components:
            return (components[0], "alias") if len(components) == 1 else (None, "kit")
        if external_sku in self.codes:
            return external_sku, "sku"
        if external_sku in self.barcodes:
            return self.barcodes[external_sku], "sku"
        return None, "unmapped"
