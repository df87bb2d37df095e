"""Pydantic models that cross the boundary to the CLI, the TUI and JSON output."""

from __future__ import annotations

from pydantic import BaseModel


class ImportResult(BaseModel):
    file: str
    batch: int | None
    channel: str
    profile: str
    orders: int = 0            # created or changed by this batch
    orders_created: int = 0
    orders_updated: int = 0
    lines: int = 0             # lines created or changed by this batch
    rejected: int = 0
    unmapped: int = 0          # unmapped lines written by this batch
    rows_read: int = 0
    already_imported_as: int | None = None
    dry_run: bool = False
    channel_created: bool = False
    notes: list[str] = []


class RejectInfo(BaseModel):
    row: int
    field: str | None
    reason: str
    raw: str


class BatchInfo(BaseModel):
    id: int
    kind: str
    file: str
    sha256: str
    channel: str | None
    profile: str | None
    rows_read: int
    imported: int
    rejected: int
    orders_created: int
    orders_updated: int
    lines: int
    unmapped: int
    actor: str
    started_at: str
    finished_at: str | None
    undone_at: str | None
    undone_by: str | None
    rejects: list[RejectInfo] | None = None


class UndoResult(BaseModel):
    batch: int
    orders_removed: int
    orders_restored: int
    lines_removed: int


class OrderSummary(BaseModel):
    id: int
    channel: str
    external_id: str
    status: str
    payment: str
    fulfilment: str
    ordered_at: str | None     # UTC ISO-8601; the date alone when the source has no time
    ordered_on: str | None     # calendar date in the company timezone
    promised_ship_by: str | None
    promised_source: str | None
    total_minor: int | None
    currency: str | None
    customer: str | None       # customer code
    customer_name: str | None
    line_count: int


class LineInfo(BaseModel):
    id: int
    line_key: str
    sku: str | None
    external_sku: str | None
    mapping: str
    product_name: str | None
    quantity: float
    unit_price_minor: int | None
    line_total_minor: int | None
    payment: str
    fulfilment: str
    status: str
    raw_status: str | None
    shipped_at: str | None
    source_batch: int
    source_row: int | None


class EventInfo(BaseModel):
    at: str
    batch: int | None
    line_key: str | None
    field: str
    old: str | None
    new: str | None


class OrderDetail(OrderSummary):
    raw_status: str | None
    ordered_raw: str | None
    deliver_by: str | None
    subtotal_minor: int | None
    shipping_minor: int | None
    tax_minor: int | None
    discount_minor: int | None
    refunded_minor: int | None
    customer_email: str | None
    customer_phone: str | None
    source_batch: int
    source_file: str
    source_row: int | None
    lines: list[LineInfo] = []
    history: list[EventInfo] = []


class ProfileInfo(BaseModel):
    name: str
    title: str
    experimental: bool
    source: str
    channels: list[str]
    detect: list[str]
    columns: dict[str, list[str]]
    notes: str


class DetectResult(BaseModel):
    file: str
    encoding: str | None
    delimiter: str | None
    columns: int
    profile: str | None
    reason: str
    candidates: list[dict]
    preview: list[dict]


class ChannelInfo(BaseModel):
    code: str
    name: str
    profile: str
    timezone: str
    location: str | None
    lead_time_days: int
    allocation_share: float
    buffer_qty: float
    reserve_unpaid: bool
    active: bool
    orders: int = 0
    last_import: str | None = None


class UnmappedSku(BaseModel):
    channel: str
    external_sku: str
    product_name: str | None
    lines: int
    quantity: float
    orders: int


class MapResult(BaseModel):
    channel: str
    external_sku: str
    sku: str
    lines_mapped: int


class MasterImportResult(BaseModel):
    kind: str
    file: str
    batch: int | None
    created: int = 0
    updated: int = 0
    rejected: int = 0
    rows_read: int = 0
    lines_remapped: int = 0
    dry_run: bool = False
    rejects: list[RejectInfo] = []
