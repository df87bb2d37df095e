"""Pydantic models that cross the boundary to the CLI, the TUI and JSON output."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from pydantic import AfterValidator, BaseModel

from omnictl.errors import brief


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
    stock_moves: int = 0       # sales and returns the batch posted
    notes: list[str] = []


class RejectInfo(BaseModel):
    row: int
    field: str | None
    reason: Annotated[str, AfterValidator(brief)]      # a huge value it quotes is cut
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


class StatusStep(BaseModel):
    at: str
    status: str | None
    batch: int | None


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
    refunded_minor: int | None
    currency: str | None
    customer: str | None       # customer code
    customer_name: str | None
    line_count: int
    matched: str | None = None                    # search: what the text matched
    status_history: list[StatusStep] | None = None   # search and customer view: created, then each change
    expected_ship_on: str | None = None           # search, customer view, show: by the current production plan


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


class CustomerInfo(BaseModel):
    code: str | None
    tier: str | None
    name: str | None
    email: str | None
    phone: str | None
    codes: list[str] = []           # every customer record found for this person
    first_order: str | None = None
    last_order: str | None = None


class ChannelTotals(BaseModel):
    channel: str
    orders: int = 0
    open_orders: int = 0
    totals_minor: dict[str, int] = {}     # per currency
    base_total_minor: int | None = None   # in the company currency, at each order's date's rate
    base_currency: str | None = None


class CustomerView(BaseModel):
    customer: CustomerInfo
    channels: list[ChannelTotals]
    orders: list[OrderSummary]
    warnings: list[str] = []


class ExportResult(BaseModel):
    file: str
    orders: int = 0
    lines: int = 0
    rows: int = 0
    since: str | None = None
    channel: str | None = None


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
    removed: int = 0           # routing steps, BOM lines, shifts no longer in a file that replaces them


class SettingInfo(BaseModel):
    key: str                   # a key ending in `*` describes a family (close.owner.*)
    value: str | int | float | list[str] | None     # the value in force: set, else the default
    default: str | int | float | list[str] | None
    is_set: bool
    type: str                  # text, timezone, currency, int, float, percent, list
    allowed: str = ""          # what values are accepted, in words
    description: str
    readonly: bool = False


class SettingChange(BaseModel):
    key: str
    old: str | None            # stored text before; None = was not set
    new: str | None            # stored text now; None = back to the default
    value: str | int | float | list[str] | None     # the value in force now


class SettingsResult(BaseModel):
    actor: str
    changes: list[SettingChange] = []
    orders_redated: int = 0    # orders whose calendar date moved with a new company timezone
    ship_by_moved: int = 0     # of those, derived ship-by dates moved by as many days
    warnings: list[str] = []


class FxImportResult(BaseModel):
    file: str
    batch: int | None
    base_currency: str
    rows_read: int = 0
    created: int = 0
    updated: int = 0           # a newer rate for a (currency, date) that had another
    unchanged: int = 0
    rejected: int = 0
    already_imported_as: int | None = None
    dry_run: bool = False
    rejects: list[RejectInfo] = []


class FxRate(BaseModel):
    currency: str
    on_date: str
    rate: str                  # base-currency units for one unit of `currency`, decimal text
    base_currency: str | None
    batch: int | None


class DbInfo(BaseModel):
    path: str
    size_bytes: int            # the database file plus its -wal
    wal_bytes: int
    page_size: int
    page_count: int
    free_pages: int
    schema_version: int
    schema_latest: int         # the newest schema this omnictl knows
    sqlite_version: str
    journal_mode: str
    tables: dict[str, int]     # rows per table (not SQLite's own, not the search index's shadow tables)
    last_batches: list[BatchInfo]
    timezone: str | None       # company settings
    currency: str | None


class CheckItem(BaseModel):
    name: str
    status: str                # ok, fail, or skipped (cannot apply to this database)
    details: str
    problems: list[str] = []   # the first rows that break it, each named
    problem_count: int = 0


class CheckReport(BaseModel):
    ok: bool
    checks: list[CheckItem]


class BackupResult(BaseModel):
    path: str
    bytes: int
    seconds: float
    integrity_ok: bool
    integrity: list[str]       # quick_check on the copy: ["ok"] or its messages


class VacuumResult(BaseModel):
    path: str
    bytes_before: int
    bytes_after: int
    free_pages_before: int
    free_pages_after: int
    seconds: float


class StockSync(BaseModel):
    moves: int = 0                              # moves posted for order lines
    no_location_channels: list[str] = []        # channels whose lines post nothing: no fulfilment location


@dataclass(slots=True)
class StockPosition:
    """A slotted dataclass, not a pydantic model: a full position is one row per SKU and
    location (500,000 for 50,000 SKUs in 10 places), and validating each costs 8x building it."""
    sku: str
    location: str
    on_hand: float
    reserved: float
    atp: float                                  # on hand − reserved
    open_supply: float
    next_supply_on: str | None
    projected: float                            # ATP + open supply
    safety_stock: float
    status: str                                 # ok, at risk (ATP below safety stock), oversold (ATP < 0)

    def model_dump(self, mode: str = "python") -> dict:
        return {name: getattr(self, name) for name in self.__slots__}


class MoveInfo(BaseModel):
    id: int
    effective_at: str
    recorded_at: str
    sku: str
    location: str
    quantity: float
    kind: str
    reason: str | None
    actor: str
    order_line_id: int | None
    batch: int | None
    source_row: int | None
    count: int | None
    ref: str | None
    balance: float | None = None                # on hand at its location after this move


class MoveTrace(BaseModel):
    move: MoveInfo
    cause: str | None = None
    order: str | None = None
    batch: int | None = None
    file: str | None = None
    sha256: str | None = None
    row: int | None = None


# -- purchases, receipts, transfers, adjustments (omnictl/purchases.py) ----------------------

class PurchaseImportResult(BaseModel):
    file: str
    batch: int | None
    rows_read: int = 0
    orders_created: int = 0
    orders_updated: int = 0
    orders_closed: int = 0                      # fully received once a newer file lowered a quantity
    lines_created: int = 0
    lines_updated: int = 0
    lines_unchanged: int = 0
    rejected: int = 0
    rejects: list[RejectInfo] = []
    not_in_file: list[str] = []                 # open POs from earlier files this one does not list (kept open)
    already_imported_as: int | None = None
    dry_run: bool = False
    notes: list[str] = []


class PurchaseLineInfo(BaseModel):
    po_number: str
    supplier: str
    location: str
    sku: str
    ordered: float
    received: float
    open: float                                 # still to come: 0 once received in full, closed or cancelled
    expected_on: str
    ordered_on: str | None
    status: str                                 # the order's: open, closed, cancelled
    late: bool                                  # open, not fully received, expected before today
    unit_cost_minor: int | None
    currency: str | None


class ReceivedRow(BaseModel):
    row: int
    sku: str
    location: str
    quantity: float
    move: int
    effective_at: str
    against: list[str] = []                     # the PO numbers it was received against
    over_received: float = 0                    # beyond what those lines ordered


class ReceiptImportResult(BaseModel):
    file: str
    batch: int | None
    rows_read: int = 0
    moves: int = 0
    units: float = 0
    matched: int = 0                            # rows received against a purchase order
    unmatched: int = 0                          # rows received with no open purchase order
    skipped: int = 0                            # rows already received (same file before, or receipt number)
    orders_closed: list[str] = []
    over_received: list[str] = []               # one sentence per over-received PO line
    received: list[ReceivedRow] = []
    rejected: int = 0
    rejects: list[RejectInfo] = []
    already_imported_as: int | None = None
    dry_run: bool = False
    notes: list[str] = []


class StockChange(BaseModel):
    kind: str                                   # transfer, adjustment or scrap
    sku: str
    quantity: float                             # units moved (transfer) or the signed change
    ref: str | None
    effective_at: str
    moves: list[int]
    on_hand: dict[str, float]                   # location → on hand now, after the moves
    warnings: list[str] = []


# -- stock feeds to channels (omnictl/feeds.py) ---------------------------------------------

class ListingComponent(BaseModel):
    sku: str                                    # master SKU
    factor: float                               # units of it in one listing unit
    atp: float                                  # its ATP at the channel's location
    units: int                                  # floor(atp / factor)


class ListingStock(BaseModel):
    sku: str                                    # the listing's SKU as the channel writes it
    mapping: str                                # sku (a master SKU as itself), alias or kit
    location: str
    components: list[ListingComponent]
    units: int                                  # min over components of floor(atp / factor)
    quantity: int                               # to advertise: max(0, floor(units x share - buffer))
    limited_by: str | None = None               # a kit's scarcest component


class ChannelStock(BaseModel):
    channel: str
    location: str
    allocation_share: float
    buffer: float
    listings: list[ListingStock]


class FeedResult(BaseModel):
    file: str
    channel: str
    location: str
    format: str                                 # shopify, amazon or plain
    rows: int = 0                               # data rows written
    listings: list[ListingStock] = []
    not_in_template: list[str] = []             # Shopify --template: listings it has no row for
    notes: list[str] = []


class ChannelReconcileLine(BaseModel):
    sku: str                                    # the listing's SKU as the channel writes it
    mapping: str
    master_skus: list[str]
    location: str
    listed: int | float | None                  # None: not in the file
    should: int
    difference: int | float | None              # listed - should
    status: str                                 # ok, oversell_risk, lost_sales, missing
    rows: list[int] = []                        # the file's rows (several: duplicates, summed)


class ChannelReconcile(BaseModel):
    file: str
    channel: str
    location: str
    file_location: str | None = None            # the location column read (Shopify's wide layout)
    tolerance: str | None = None
    lines: list[ChannelReconcileLine] = []
    unknown_skus: list[str] = []                # in the file, no alias and no master SKU
    missing_skus: list[str] = []                # omnictl listings the file does not have
    duplicates: list[str] = []                  # SKUs on several rows (their quantities summed)
    blank_skus: int = 0                         # rows without a SKU, skipped
    rejects: list[str] = []                     # rows whose quantity is not a number, skipped
    oversell_risk: int = 0
    lost_sales: int = 0
    applied: bool = False                       # a channel reconciliation never changes the ledger


# -- counts, snapshots and opening balances (omnictl/snapshots.py, omnictl/reconcile.py) ----

class SkuRows(BaseModel):
    sku: str                                    # as written in the file
    location: str
    counted: float                              # the sum of its rows
    rows: list[int]                             # the file's rows (several: a duplicate, summed)


class CountLine(BaseModel):
    sku: str
    location: str
    book: float                                 # on hand at the count time
    counted: float
    difference: float                           # counted − book
    value_minor: int | None                     # the difference at the SKU's cost (None: no cost)
    moves_since: int                            # moves effective after the count time
    over_tolerance: bool
    rows: list[int] = []                        # empty: not in the file, counted 0 (--scope full)


class NotCounted(BaseModel):
    sku: str
    location: str
    book: float
    treated_as: str                             # 'zero' (--scope full) or 'ignored' (partial)


class LateMove(BaseModel):
    move: int
    sku: str
    location: str
    quantity: float
    kind: str
    effective_at: str
    recorded_at: str
    count_id: int                               # the applied count it falls before
    counted_at: str
    applied_at: str


class ReconcileReport(BaseModel):
    kind: str                                   # count or snapshot
    file: str
    sha256: str
    layout: str
    location: str | None                        # --location (None: the file's own locations)
    locations: list[str]
    counted_at: str
    scope: str                                  # full or partial
    tolerance: str
    currency: str | None                        # of value_minor: the company currency
    rows_read: int = 0
    lines: list[CountLine] = []
    unknown_skus: list[SkuRows] = []            # counted, but no such master SKU (never posted)
    not_counted: list[NotCounted] = []
    duplicates: list[SkuRows] = []              # summed
    negative: list[SkuRows] = []                # kept as data
    rejects: list[RejectInfo] = []
    skipped: int = 0                            # other locations' quantities, or "not stocked"
    late_moves: list[LateMove] = []
    differences: int = 0                        # lines whose counted is not the book
    over_tolerance: int = 0
    value_minor: int = 0                        # net value of the differences
    applied: bool = False
    count_id: int | None = None
    already_applied_as: int | None = None       # this file was applied (as this count) before
    applied_at: str | None = None
    moves_posted: int = 0


class OpeningResult(BaseModel):
    file: str
    batch: int | None
    layout: str
    at: str                                     # the effective time of the opening moves
    rows_read: int = 0
    lines: int = 0                              # SKU and location pairs set
    moves: int = 0
    units: float = 0                            # the net change the moves made
    rejected: int = 0
    rejects: list[RejectInfo] = []
    duplicates: list[SkuRows] = []
    negative: list[SkuRows] = []
    skipped: int = 0
    already_imported_as: int | None = None


# -- production planning (omnictl/planning/) ------------------------------------------------

# The per-order records are slotted dataclasses, not pydantic models (as StockPosition): a
# plan holds 100,000 orders with their parts and served lines, and building each as a model
# costs more than the netting. The containers are models; they dump these as they are.

@dataclass(slots=True)
class PriorityPart:
    value: float                                # normalised 0..1
    weight: float                               # as configured (plan.weight.*)
    contribution: float                         # value × weight / sum of the weights
    basis: str                                  # how the value was reached, in words


@dataclass(slots=True)
class PriorityParts:
    urgency: PriorityPart
    tier: PriorityPart
    margin: PriorityPart

    @classmethod
    def from_dict(cls, parts: dict | None) -> "PriorityParts | None":
        """The stored JSON object (`production_order.priority_parts`) as parts."""
        if not parts:
            return None
        return cls(**{name: PriorityPart(**parts[name]) for name in ("urgency", "tier", "margin")})


@dataclass(slots=True)
class ServedLine:
    line_id: int
    channel: str | None                         # None: the line is gone (an undone import)
    order: str | None                           # the channel's order id
    line_key: str | None
    quantity: float                             # units of the production order's SKU this order makes for it
    ship_by: str | None
    customer_tier: str | None = None


@dataclass(slots=True)
class OperationInfo:
    seq: int
    work_center: str
    name: str | None
    setup_min: float
    run_min: float                              # for the whole order quantity
    status: str
    qty_done: float
    planned_start: str | None
    planned_end: str | None


@dataclass(slots=True)
class MaterialNeed:
    component: str                              # a bought SKU (no routing)
    location: str | None
    needed: float                               # order quantity × per unit / (1 − scrap%)
    available: float                            # on hand + purchases expected by the start, after earlier orders
    short: float                                # needed − available, 0 when covered
    short_from: str | None                      # the order's start date, when short
    covered_on: str | None                      # when open purchases cover it; None: buy (see `replenish`)


@dataclass(slots=True)
class ProductionOrderInfo:
    id: int
    number: str
    sku: str
    location: str | None
    quantity: float
    due_on: str
    status: str
    reason: str                                 # order, stock or component
    parent: str | None = None                   # the MO a component order feeds
    priority: float | None = None
    priority_parts: PriorityParts | None = None
    planned_start: str | None = None
    planned_end: str | None = None
    served: list[ServedLine] = field(default_factory=list)
    shortages: list[MaterialNeed] = field(default_factory=list)
    change: str | None = None                   # plan orders: created, resized, updated, unchanged, cancelled
    forecast_quantity: float = 0.0              # the part of quantity serving forecast demand (make-to-stock)

    def model_dump(self, mode: str = "python") -> dict:
        """As JSON-ready dicts (what `--json` prints); by hand: `dataclasses.asdict` is 20x slower."""
        data = _slots(self)
        parts = self.priority_parts
        data["priority_parts"] = None if parts is None else {
            "urgency": _slots(parts.urgency), "tier": _slots(parts.tier), "margin": _slots(parts.margin)}
        data["served"] = [_slots(line) for line in self.served]
        data["shortages"] = [_slots(need) for need in self.shortages]
        return data


def _slots(record) -> dict:
    return {name: getattr(record, name) for name in record.__slots__}


class PlanResult(BaseModel):
    dry_run: bool = False
    created: int = 0
    resized: int = 0                            # quantity changed
    updated: int = 0                            # same quantity, re-dated or re-pegged
    unchanged: int = 0
    cancelled: int = 0
    kept: int = 0                               # released and started orders: supply, never touched
    orders: list[ProductionOrderInfo] = []      # planned orders after the run, then those it cancelled
    notes: list[str] = []


@dataclass(slots=True)
class OrderMaterials:
    id: int
    number: str
    sku: str
    location: str | None
    quantity: float
    status: str
    start_on: str                               # the date materials must be there (planned start, else due)
    materials: list[MaterialNeed] = field(default_factory=list)


class MaterialsReport(BaseModel):
    orders: list[OrderMaterials] = []
    short_orders: int = 0
    short_lines: int = 0


class ReplenishLine(BaseModel):
    sku: str
    location: str
    unit: str
    required: float                             # production needs + open sales demand
    safety_stock: float
    on_hand: float
    open_supply: float                          # open purchase lines
    net: float                                  # required + safety − on hand − supply
    to_buy: float                               # net rounded up to whole units, never below the MOQ
    min_order_qty: float
    need_by: str                                # the first day the projection falls below safety stock
    order_by: str                               # need_by − the SKU's lead time (may be past: late)
    late: bool


class OrderExplain(BaseModel):
    order: ProductionOrderInfo
    score_formula: str
    operations: list[OperationInfo] = []
    materials: list[MaterialNeed] = []
    components: list[str] = []                  # MOs of the made components that feed it
    made_components_from_stock: list[str] = []  # made components it needs with no order of their own
    waits: list[str] = []                       # where it waits in the current schedule, and on what
    late_reason: str | None = None              # why it is late in the current schedule
    notes: list[str] = []


class ScheduledOrder(BaseModel):
    number: str
    sku: str
    quantity: float
    due_on: str
    status: str
    start: str                                  # UTC instants in the schedule
    end: str
    late_minutes: int = 0                       # past the end of its due day (company time)


class ScheduleRunInfo(BaseModel):
    id: int
    kind: str                                   # run or rush
    created_at: str
    created_by: str
    horizon_start: str
    horizon_end: str
    is_current: bool
    metrics: dict                               # late_orders, weighted_tardiness, makespan_end, utilisation, load,
                                                # bottlenecks, method, seconds
    orders: list[ScheduledOrder] = []


class RushResult(BaseModel):
    rushed: list[str]                           # the production orders put at the top
    moved: list[dict]                           # order, end_before, end_after, shift_minutes, late_before, late_after
    newly_late: list[str]
    otd_before: float                           # share of orders finishing by their due day
    otd_after: float
    bottleneck_load_before: dict[str, float]
    bottleneck_load_after: dict[str, float]
    bottlenecks: list[str]
    orders_after: list[ScheduledOrder] = []
    accepted_run: int | None = None


class BottleneckDay(BaseModel):
    work_center: str
    day: str
    load_hours: float
    capacity_hours: float
    utilisation: float | None


class BottleneckReport(BaseModel):
    run: int
    days: list[BottleneckDay]
    binding: list[str]                          # the most loaded work center(s) over the horizon
    queue_hours: dict[str, float] = {}          # work waiting in front of each binding work center, per unit


# -- demand forecasting (omnictl.forecast.run) ------------------------------------------------

class ForecastRow(BaseModel):
    sku: str
    bucket: str                                 # day, week or month
    period_start: str                           # ISO date, first day of the bucket
    quantity: float
    method: str


class ForecastSkuInfo(BaseModel):
    sku: str
    method: str                                 # chosen by rolling-origin backtest MASE on days
    params: str = ""
    kind: str = ""                              # smooth / erratic / intermittent / lumpy / none
    mase: float | None = None
    wape: float | None = None
    bias: float | None = None                   # mean daily forecast - actual in the backtest
    outliers: int = 0                           # flagged one-off spikes (days)
    locations: dict[str, float] = {}            # share of the last 90 days' demand per location


class ForecastRunInfo(BaseModel):
    id: int
    created_at: str
    created_by: str
    as_of: str                                  # last day of actuals used
    bucket: str
    horizon: int
    history_from: str | None = None
    unmapped_lines: int = 0
    parameters: dict = {}
    skus: list[ForecastSkuInfo] = []
    rows: list[ForecastRow] = []


class ForecastPoint(BaseModel):
    period_start: str
    quantity: float                             # actual (history) or statistical forecast
    sales: float | None = None                  # sales' forecast, when imported
    override: bool = False                      # sales' figure replaces the statistical one
    consensus: float | None = None              # weight × sales + (1 - weight) × statistical, or sales


class ForecastView(BaseModel):
    sku: str
    bucket: str
    run_id: int | None = None
    as_of: str | None = None
    method: str | None = None
    mase: float | None = None
    wape: float | None = None
    sales_weight: float = 0.5
    history: list[ForecastPoint] = []
    forecast: list[ForecastPoint] = []


class ForecastAccuracy(BaseModel):
    sku: str
    bucket: str
    channel: str | None = None                  # None: every channel
    runs: int
    periods: int
    forecast: float
    actual: float
    wape: float | None                          # sum |forecast - actual| / sum actual
    bias: float | None                          # (sum forecast - sum actual) / sum actual


class SalesForecastImport(BaseModel):
    file: str
    batch_id: int | None = None
    rows: int = 0
    imported: int = 0
    overrides: int = 0                          # rows whose figure overrides the statistical one
    rejected: int = 0
    rejects: list[dict] = []                    # row, reason


class ReplenishPlanLine(BaseModel):
    """One SKU at one location in `omnictl replenish --forecast` (omnictl.replenish)."""
    sku: str
    location: str
    unit: str
    action: str                                 # buy (no routing), produce (has a routing), transfer (at a store)
    source: str | None = None                   # transfer: the warehouse the store is stocked from
    on_hand: float
    reserved: float                             # open sales demand
    atp: float                                  # on hand − reserved
    daily_forecast: float                       # mean daily forecast over the horizon
    sigma_daily: float                          # σ of daily demand (see omnictl.replenish)
    sigma_basis: str                            # wape or poisson
    lead_time_days: int
    safety_stock: float
    reorder_point: float                        # lead-time demand + safety stock
    stockout_on: str | None = None              # first day projected < 0
    below_reorder_on: str | None = None         # first day projected < reorder point
    need_on: str | None = None                  # first day projected < safety stock
    suggested: float = 0                        # to buy or produce, whole units, at least the MOQ
    min_order_qty: float = 0
    order_by: str | None = None                 # need_on − lead time (may be past: late)
    late: bool = False
    run_id: int | None = None                   # the forecast run used
    consumed: float = 0                         # forecast over the horizon that open orders consumed
    projection: list[float] = []                # end-of-day projected stock, today first


class StoredPlan(BaseModel):
    """The latest stored replenishment plan's header (omnictl.replenish.store_plan)."""
    computed_at: str                            # UTC
    today: str                                  # the day it projects from
    horizon_days: int
    inputs: str                                 # the stamp of its inputs (omnictl.replenish.inputs_stamp)
    lines: int
    current: bool                               # nothing it was computed from has changed since


class TurnoverLine(BaseModel):
    sku: str
    average_on_hand: float                      # mean end-of-day on hand over the period, all locations
    sold: float                                 # units shipped (sale moves, net of reversals)
    consumed: float                             # units issued to production (consume moves)
    daily_usage: float                          # (sold + consumed) / days
    turnover_days: float | None                 # average on hand / daily usage (None: no usage)
    band: str                                   # ok, above target, no usage


class TurnoverReport(BaseModel):
    start: str                                  # first day of the period (company time)
    end: str                                    # last day (yesterday)
    days: int
    target_days: float
    lines: list[TurnoverLine] = []
    average_value_minor: int = 0                # Σ average on hand × cost, SKUs with a cost
    daily_cogs_minor: float = 0                 # Σ daily usage × cost
    turnover_days: float | None = None          # total: average value / daily COGS
    band: str = "no usage"
    uncosted: list[str] = []                    # SKUs without cost_minor, left out of the total


class KpiFigure(BaseModel):
    name: str                                   # on_time_delivery, on_time_to_customer, oee, turnover_days
    label: str
    value: float | None                         # None: no data in the period
    target: float
    unit: str                                   # % or days
    status: str                                 # ok, below target, outside band, n/a
    numerator: float | None = None              # on time lines; Σ fully productive min; average stock value
    denominator: float | None = None            # lines with a promise; Σ planned min; daily cost of usage
    notes: list[str] = []                       # what was assumed, and how, where inputs are missing


class OeeLine(BaseModel):
    work_center: str
    days: int                                   # days with reports in the period
    reports: int
    planned_min: float                          # calendar working time (× units) on those days
    run_min: float
    downtime_min: float
    good: float
    scrap: float
    ideal_rate: float | None                    # units per hour
    availability_pct: float | None
    performance_pct: float | None
    quality_pct: float | None
    oee_pct: float | None
    status: str
    downtime_by_reason: dict[str, float] = {}
    notes: list[str] = []


class KpiReport(BaseModel):
    start: str
    end: str
    days: int
    kpis: list[KpiFigure] = []
    shipped_lines: int = 0                      # all lines shipped in the period
    unpromised_lines: int = 0                   # shipped with no promised ship-by: not in the rate
    delivered_lines: int = 0                    # lines of orders delivered in the period
    undated_delivered_lines: int = 0            # delivered with no deliver-by: not in the rate
    oee_by_work_center: list[OeeLine] = []
    average_stock_value_minor: int | None = None
    daily_cogs_minor: float | None = None
    currency: str | None = None                 # the base currency (company.currency)


class KpiDay(BaseModel):
    day: str
    on_time_delivery_pct: float | None
    on_time_lines: int
    promised_lines: int
    oee_pct: float | None
    turnover_days: float | None                 # over the 30 days ending this day
