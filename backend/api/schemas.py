"""Request and response bodies. Inputs forbid unknown fields so a typo is an error, not a no-op."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Annotated, Any, Generic, Literal, TypeVar

import msgspec
from msgspec import UNSET, UnsetType

from backend.domain.commands import (
    AdjustStock,
    ClaimTask,
    CloseTransfer,
    DecideAdjustment,
    DecideCount,
    MoveStock,
    PackItems,
    PickItem,
    PostOpeningBalance,
    PutAway,
    ReceiveGoods,
    ReceiveTransfer,
    RecordCount,
    ShipOrder,
    ShipTransfer,
)
from backend.domain.vocabulary import AbcClass, LocationKind, Role, Tracking

T = TypeVar("T")

Code = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^\S(.*\S)?$")]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=300)]
Barcode = Annotated[str, msgspec.Meta(min_length=1, max_length=128, pattern=r"^\S+$")]
# Warehouses, suppliers and customers keep shorter codes and names (their columns say so).
ShortCode = Annotated[str, msgspec.Meta(min_length=1, max_length=32, pattern=r"^\S(.*\S)?$")]
ShortName = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Id = Annotated[int, msgspec.Meta(ge=1)]
Money = Annotated[Decimal, msgspec.Meta(description="non-negative, at most 4 decimal places")]


def check_money(value: Decimal | UnsetType | None) -> None:
    """msgspec cannot bound a Decimal, so costs are checked here: 0 ≤ value < 10^10, 4 places."""
    if isinstance(value, Decimal) and not (
        value.is_finite() and 0 <= value < 10**10 and value == value.quantize(Decimal("0.0001"))
    ):
        raise ValueError(f"unit_cost must be between 0 and 9999999999.9999, got {value}")


PackQuantity = Annotated[int, msgspec.Meta(ge=1, le=1_000_000)]
Password = Annotated[str, msgspec.Meta(min_length=8, max_length=256)]
Username = Annotated[str, msgspec.Meta(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9._@-]+$")]
Locale = Annotated[str, msgspec.Meta(pattern=r"^(en|zh-CN)$")]


class Input(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    pass


class Output(msgspec.Struct, kw_only=True):
    pass


class ErrorBody(Output):
    code: str
    message: str
    details: dict[str, Any] = msgspec.field(default_factory=dict)


class Page(Output, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


# --- auth and users ---------------------------------------------------------------------------


class LoginRequest(Input):
    username: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=256)]


class UserOut(Output):
    id: int
    username: str
    display_name: str
    role: str
    locale: str
    active: bool
    warehouse_ids: list[int]


class WorkerOut(Output):
    """Someone a supervisor can assign work to, and how many unfinished tasks they hold in
    the warehouse asked about."""

    id: int
    username: str
    display_name: str
    role: str
    open_tasks: int


class LoginResponse(Output):
    access_token: str
    token_type: str
    expires_in: int
    user: UserOut


class UserCreate(Input):
    username: Username
    password: Password
    role: Role
    warehouse_ids: list[Id] = msgspec.field(default_factory=list)
    display_name: Annotated[str, msgspec.Meta(max_length=200)] = ""
    locale: Locale = "en"


class UserUpdate(Input):
    display_name: Annotated[str, msgspec.Meta(max_length=200)] | UnsetType = UNSET
    role: Role | UnsetType = UNSET
    warehouse_ids: list[Id] | UnsetType = UNSET
    locale: Locale | UnsetType = UNSET
    active: bool | UnsetType = UNSET
    password: Password | UnsetType = UNSET


# --- master data ------------------------------------------------------------------------------


class WarehouseOut(Output):
    id: int
    code: str
    name: str
    active: bool


class WarehouseCreate(Input):
    code: ShortCode
    name: ShortName


class WarehouseUpdate(Input):
    name: ShortName | UnsetType = UNSET
    active: bool | UnsetType = UNSET


class LocationOut(Output):
    id: int
    warehouse_id: int
    parent_id: int | None
    code: str
    name: str
    kind: str
    barcode: str | None
    pick_sequence: int
    purpose: str | None
    active: bool


Purpose = Literal["receiving", "shipping", "quarantine"]


class LocationCreate(Input):
    warehouse_id: Id
    code: Code
    kind: LocationKind
    name: Annotated[str, msgspec.Meta(max_length=200)] = ""
    parent_id: Id | None = None
    barcode: Barcode | None = None
    pick_sequence: Annotated[int, msgspec.Meta(ge=0, le=10_000_000)] = 0
    purpose: Purpose | None = None


class LocationUpdate(Input):
    name: Annotated[str, msgspec.Meta(max_length=200)] | UnsetType = UNSET
    parent_id: Id | UnsetType | None = UNSET
    barcode: Barcode | UnsetType | None = UNSET
    pick_sequence: Annotated[int, msgspec.Meta(ge=0, le=10_000_000)] | UnsetType = UNSET
    purpose: Purpose | UnsetType | None = UNSET
    active: bool | UnsetType = UNSET


class BarcodeOut(Output):
    id: int
    item_id: int
    code: str
    quantity: int
    packaging: str
    active: bool


class BarcodeCreate(Input):
    code: Barcode
    quantity: PackQuantity = 1
    packaging: Annotated[str, msgspec.Meta(min_length=1, max_length=32)] = "unit"


class BarcodeUpdate(Input):
    quantity: PackQuantity | UnsetType = UNSET
    packaging: Annotated[str, msgspec.Meta(min_length=1, max_length=32)] | UnsetType = UNSET
    active: bool | UnsetType = UNSET


class ItemOut(Output):
    id: int
    sku: str
    name: str
    unit: str
    tracking: str
    shelf_life_days: int | None
    unit_cost: Decimal
    abc_class: str | None
    active: bool
    barcodes: list[BarcodeOut]


class ItemCreate(Input):
    sku: Code
    name: Name
    unit: Annotated[str, msgspec.Meta(min_length=1, max_length=16)] = "ea"
    tracking: Tracking = "none"
    shelf_life_days: Annotated[int, msgspec.Meta(ge=1, le=36500)] | None = None
    unit_cost: Money = Decimal("0")
    abc_class: AbcClass | None = None
    barcodes: list[BarcodeCreate] = msgspec.field(default_factory=list)

    def __post_init__(self) -> None:
        check_money(self.unit_cost)


class ItemUpdate(Input):
    name: Name | UnsetType = UNSET
    unit: Annotated[str, msgspec.Meta(min_length=1, max_length=16)] | UnsetType = UNSET
    shelf_life_days: Annotated[int, msgspec.Meta(ge=1, le=36500)] | UnsetType | None = UNSET
    unit_cost: Money | UnsetType = UNSET
    abc_class: AbcClass | UnsetType | None = UNSET
    active: bool | UnsetType = UNSET

    def __post_init__(self) -> None:
        check_money(self.unit_cost)


class LotOut(Output):
    id: int
    item_id: int
    lot_number: str
    expiry_date: dt.date | None


class LotCreate(Input):
    item_id: Id
    lot_number: Code
    expiry_date: dt.date | None = None


class LotUpdate(Input):
    expiry_date: dt.date | UnsetType | None = UNSET


class Gs1ElementOut(Output):
    ai: str
    title: str
    raw: str
    value: str


class ScanResolution(Output):
    """What a scanned code names: an item (with the packaging quantity and, from GS1 data, lot,
    expiry and serial) or a location; `unknown` when it names nothing here."""

    code: str
    kind: str
    item: ItemOut | None = None
    quantity: int | None = None
    packaging: str | None = None
    location: LocationOut | None = None
    lot: LotOut | None = None
    lot_number: str | None = None
    expiry_date: dt.date | None = None
    serial: str | None = None
    sscc: str | None = None
    gs1: list[Gs1ElementOut] | None = None
    gs1_error: str | None = None


class DecodedSymbol(Output):
    format: str
    text: str
    corners: list[list[int]]
    engine: str
    symbology_id: str | None
    resolution: ScanResolution


class ImageOut(Output):
    format: str
    width: int
    height: int


class DecodeResponse(Output):
    symbols: list[DecodedSymbol]
    decode_ms: float
    image: ImageOut


# --- stock and history ------------------------------------------------------------------------


class StockRow(Output):
    item_id: int
    sku: str
    item_name: str
    unit: str
    warehouse_id: int
    location_id: int
    location_code: str
    lot_id: int | None
    lot_number: str | None
    expiry_date: dt.date | None
    on_hand: int
    reserved: int
    available: int


class MoveOut(Output):
    id: int
    event_id: str
    command_type: str
    seq: int
    item_id: int
    sku: str
    lot_number: str | None
    serial: str | None
    quantity: int
    from_location_id: int
    from_location: str
    to_location_id: int
    to_location: str
    user_id: int
    username: str
    occurred_at: dt.datetime
    created_at: dt.datetime
    document_type: str
    document_ref: str
    reason: str | None
    note: str | None


class CommandTrace(Output):
    event_id: str
    type: str
    status: str
    device_id: str
    user_id: int
    occurred_at: dt.datetime
    received_at: dt.datetime
    payload: dict[str, Any]
    outcome: dict[str, Any]
    moves: list[MoveOut]


# --- commands and sync ------------------------------------------------------------------------

SyncEvent = (
    MoveStock
    | AdjustStock
    | PostOpeningBalance
    | ClaimTask
    | ReceiveGoods
    | PutAway
    | PickItem
    | PackItems
    | ShipOrder
    | DecideAdjustment
    | ShipTransfer
    | ReceiveTransfer
    | CloseTransfer
    | RecordCount
    | DecideCount
)


class SyncRequest(Input):
    events: Annotated[list[SyncEvent], msgspec.Meta(max_length=500)]


class LedgerProblem(Output):
    kind: str
    message: str
    move_id: int | None = None
    seal_id: int | None = None
    event_id: str | None = None


class LedgerReport(Output):
    ok: bool
    seals_checked: int
    moves_checked: int
    commands_checked: int
    unsealed_moves: int
    head_hash: str
    first_problem: LedgerProblem | None
    problems: list[LedgerProblem]


# --- suppliers, purchase orders, tasks --------------------------------------------------------

Percent = Annotated[Decimal, msgspec.Meta(description="0 to 100")]


def check_percent(value: Decimal | UnsetType) -> None:
    if isinstance(value, Decimal) and not (value.is_finite() and 0 <= value <= 100):
        raise ValueError(f"a percentage is between 0 and 100, got {value}")


class SupplierOut(Output):
    id: int
    code: str
    name: str
    over_receipt_tolerance_pct: Decimal
    lead_time_days: int | None
    active: bool


class SupplierCreate(Input):
    code: ShortCode
    name: ShortName
    over_receipt_tolerance_pct: Percent = Decimal("0")
    lead_time_days: Annotated[int, msgspec.Meta(ge=0, le=3650)] | None = None

    def __post_init__(self) -> None:
        check_percent(self.over_receipt_tolerance_pct)


class SupplierUpdate(Input):
    name: ShortName | UnsetType = UNSET
    over_receipt_tolerance_pct: Percent | UnsetType = UNSET
    lead_time_days: Annotated[int, msgspec.Meta(ge=0, le=3650)] | UnsetType | None = UNSET
    active: bool | UnsetType = UNSET

    def __post_init__(self) -> None:
        check_percent(self.over_receipt_tolerance_pct)


class OrderLineIn(Input):
    item_id: Id
    quantity: Annotated[int, msgspec.Meta(gt=0, le=1_000_000_000)]
    unit_price: Money
    expected_date: dt.date | None = None

    def __post_init__(self) -> None:
        check_money(self.unit_price)


class PurchaseOrderCreate(Input):
    supplier_id: Id
    warehouse_id: Id
    lines: Annotated[list[OrderLineIn], msgspec.Meta(min_length=1, max_length=1000)]
    expected_date: dt.date | None = None
    note: Annotated[str, msgspec.Meta(max_length=2000)] | None = None


class OrderLineOut(Output):
    id: int
    line_no: int
    item_id: int
    sku: str
    quantity: int
    unit_price: Decimal
    expected_date: dt.date | None
    received_quantity: int
    damaged_quantity: int
    closed_short: bool
    remaining: int


class DocumentEventOut(Output):
    action: str
    user_id: int
    username: str
    at: dt.datetime
    details: dict[str, Any]


class PurchaseOrderOut(Output):
    id: int
    number: str
    supplier_id: int
    supplier_code: str
    warehouse_id: int
    status: str
    total_value: Decimal
    approval_role: str | None
    expected_date: dt.date | None
    note: str | None
    created_at: dt.datetime
    lines: list[OrderLineOut]
    history: list[DocumentEventOut]


class Decision(Input):
    approve: bool
    comment: Annotated[str, msgspec.Meta(max_length=2000)] | None = None


class Reason(Input):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]


class ApprovalLimits(Input):
    supervisor_over: Money
    admin_over: Money

    def __post_init__(self) -> None:
        check_money(self.supervisor_over)
        check_money(self.admin_over)
        if self.admin_over < self.supervisor_over:
            raise ValueError("admin_over must be at least supervisor_over")


class TaskLineIn(Input):
    item_id: Id
    quantity: Annotated[int, msgspec.Meta(gt=0, le=1_000_000_000)]
    lot_id: Id | None = None
    from_location_id: Id | None = None
    to_location_id: Id | None = None


class TaskCreate(Input):
    warehouse_id: Id
    type: Literal["putaway", "count", "transfer"]
    lines: Annotated[list[TaskLineIn], msgspec.Meta(min_length=1, max_length=1000)]
    priority: Annotated[int, msgspec.Meta(ge=-100, le=100)] = 0
    due_at: dt.datetime | None = None
    assignee_id: Id | None = None
    note: Annotated[str, msgspec.Meta(max_length=2000)] | None = None


class Assignment(Input):
    user_id: Id


class TaskLineOut(Output):
    id: int
    seq: int
    item_id: int
    sku: str
    item_name: str
    lot_id: int | None
    lot_number: str | None
    quantity: int
    done_quantity: int
    from_location_id: int | None
    from_location: str | None
    to_location_id: int | None
    to_location: str | None
    status: str
    document_ref: str | None = None


class TaskOut(Output):
    id: int
    number: str
    warehouse_id: int
    type: str
    status: str
    assignee_id: int | None
    priority: int
    due_at: dt.datetime | None
    document_type: str | None
    document_id: int | None
    note: str | None
    created_at: dt.datetime
    lines: list[TaskLineOut]


# --- customers and sales orders ---------------------------------------------------------------


Address = Annotated[str, msgspec.Meta(max_length=1000)]


class CustomerOut(Output):
    id: int
    code: str
    name: str
    active: bool
    address: str | None = None


class CustomerCreate(Input):
    code: ShortCode
    name: ShortName
    address: Address | None = None


class CustomerUpdate(Input):
    name: ShortName | UnsetType = UNSET
    address: Address | UnsetType | None = UNSET
    active: bool | UnsetType = UNSET


class SaleLineIn(Input):
    item_id: Id
    quantity: Annotated[int, msgspec.Meta(gt=0, le=1_000_000_000)]
    unit_price: Money = Decimal("0")

    def __post_init__(self) -> None:
        check_money(self.unit_price)


class SalesOrderCreate(Input):
    customer_id: Id
    warehouse_id: Id
    lines: Annotated[list[SaleLineIn], msgspec.Meta(min_length=1, max_length=1000)]
    requested_date: dt.date | None = None
    note: Annotated[str, msgspec.Meta(max_length=2000)] | None = None


class SaleLineOut(Output):
    id: int
    line_no: int
    item_id: int
    sku: str
    quantity: int
    unit_price: Decimal
    reserved_quantity: int
    picked_quantity: int
    shipped_quantity: int
    short_quantity: int


class SalesOrderOut(Output):
    id: int
    number: str
    customer_id: int
    customer_code: str
    warehouse_id: int
    status: str
    requested_date: dt.date | None
    note: str | None
    created_at: dt.datetime
    lines: list[SaleLineOut]
    history: list[DocumentEventOut]


# --- packing, shipping, receipts and batch picking -------------------------------------------


class PackageLineOut(Output):
    item_id: int
    sku: str
    lot_number: str | None
    serial: str | None
    quantity: int


class PackageOut(Output):
    id: int
    sscc: str
    order_id: int
    order_number: str
    warehouse_id: int
    status: str
    shipment_id: int | None
    created_at: dt.datetime
    closed_at: dt.datetime | None
    lines: list[PackageLineOut]


class ShipmentOut(Output):
    id: int
    number: str
    order_id: int
    order_number: str
    warehouse_id: int
    units: int
    created_by: int
    created_at: dt.datetime
    packages: list[str]


class PackingOrderOut(Output):
    """A sales order at the packing station. `units_waiting` were picked and not shipped;
    `units_packed` of them are in packages not yet shipped; `units_to_pack` are neither."""

    id: int
    number: str
    status: str
    warehouse_id: int
    customer_code: str
    customer_name: str
    requested_date: dt.date | None
    units_ordered: int
    units_picked: int
    units_shipped: int
    units_waiting: int
    units_packed: int
    units_to_pack: int
    open_packages: int
    closed_packages: int


class PackingRowOut(Output):
    """One item and lot picked for the order and not shipped. `serials` are the serial
    numbers picked and not yet in a package."""

    item_id: int
    sku: str
    item_name: str
    tracking: str
    lot_id: int | None
    lot_number: str | None
    expiry_date: dt.date | None
    picked: int
    packed: int
    to_pack: int
    serials: list[str]


class PackingOrderDetail(PackingOrderOut):
    """`rows` in the order packing takes lots when none is scanned; `applied_event_ids` are
    the packing and shipping commands this view already includes."""

    rows: list[PackingRowOut]
    packages: list[PackageOut]
    shipments: list[ShipmentOut]
    applied_event_ids: list[uuid.UUID]


class ReceiptOut(Output):
    id: int
    number: str
    order_id: int
    order_number: str
    warehouse_id: int
    item_id: int
    sku: str
    lot_number: str | None
    quantity: int
    damaged_quantity: int
    dock_location: str
    created_by: int
    created_at: dt.datetime


class PickBatchCreate(Input):
    order_ids: Annotated[list[Id], msgspec.Meta(min_length=2, max_length=50)]
    assignee_id: Id | None = None
    priority: Annotated[int, msgspec.Meta(ge=-100, le=100)] = 0


class Gs1Identity(Input):
    """The GS1 company prefix (7 to 10 digits) that SSCCs of packages start with, after the
    extension digit (0-9) the company chooses."""

    company_prefix: Annotated[str, msgspec.Meta(pattern=r"^[0-9]{7,10}$")]
    extension_digit: Annotated[str, msgspec.Meta(pattern=r"^[0-9]$")] = "0"


# --- offline snapshot -------------------------------------------------------------------------


class Table(Output):
    columns: list[str]
    rows: list[list[Any]]


class BarcodeTable(Table):
    replaces_items: bool


class Snapshot(Output):
    cursor: str
    full: bool
    taken_at: str
    warehouses: Table
    items: Table
    barcodes: BarcodeTable
    locations: Table
    lots: Table
    tasks: list[TaskOut]


# --- adjustments, transfers and expiry --------------------------------------------------------


class AdjustmentRequestOut(Output):
    id: int
    number: str
    event_id: str
    warehouse_id: int
    item_id: int
    sku: str
    location_id: int
    location_code: str
    lot_number: str | None
    serials: list[str]
    quantity: int
    reason: str
    comment: str | None
    value: Decimal
    required_role: str
    status: str
    requested_by: int
    requested_by_username: str
    created_at: dt.datetime
    decided_by: int | None
    decided_at: dt.datetime | None
    decision_note: str | None
    history: list[DocumentEventOut] = msgspec.field(default_factory=list)


class TransferLineIn(Input):
    item_id: Id
    quantity: Annotated[int, msgspec.Meta(gt=0, le=1_000_000_000)]
    lot_number: Code | None = None
    from_location_id: Id | None = None


class TransferCreate(Input):
    from_warehouse_id: Id
    to_warehouse_id: Id
    lines: Annotated[list[TransferLineIn], msgspec.Meta(min_length=1, max_length=1000)]
    note: Annotated[str, msgspec.Meta(max_length=2000)] | None = None


class TransferClose(Input):
    """The reason is required. The envelope is optional: send one to make a retry idempotent;
    without it the server makes one (a second close is then refused as a conflict)."""

    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]
    event_id: uuid.UUID | None = None
    device_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None = None
    occurred_at: dt.datetime | None = None


class TransferLineOut(Output):
    id: int
    line_no: int
    item_id: int
    sku: str
    lot_number: str | None
    from_location_id: int | None
    from_location: str | None
    quantity: int
    shipped_quantity: int
    received_quantity: int
    damaged_quantity: int
    written_off_quantity: int
    in_transit: int
    discrepancy: int
    remaining_to_ship: int


class TransferOut(Output):
    id: int
    number: str
    from_warehouse_id: int
    from_warehouse: str
    to_warehouse_id: int
    to_warehouse: str
    status: str
    transit_location: str
    note: str | None
    created_by: int
    created_at: dt.datetime
    completed_at: dt.datetime | None
    lines: list[TransferLineOut]
    history: list[DocumentEventOut] = msgspec.field(default_factory=list)


class NearExpiryPlace(Output):
    location_id: int
    location_code: str
    on_hand: int
    reserved: int


class NearExpiryLot(Output):
    item_id: int
    sku: str
    item_name: str
    lot_id: int
    lot_number: str
    expiry_date: dt.date
    days_left: int
    expired: bool
    on_hand: int
    reserved: int
    value: Decimal
    locations: list[NearExpiryPlace]


class NearExpiryReport(Output):
    warehouse_id: int
    days: int
    as_of: dt.date
    lots: list[NearExpiryLot]


# --- cycle counts -----------------------------------------------------------------------------

Priority = Annotated[int, msgspec.Meta(ge=-100, le=100)]
Days = Annotated[int, msgspec.Meta(ge=1, le=3650)]


class CountCreate(Input):
    """Exactly one scope: `from_code` and `to_code` (bins whose code sorts between them),
    `location_ids` (bins or docks), `item_ids` (every location holding or having held them) or
    `abc_class` (its items where they are in stock)."""

    warehouse_id: Id
    from_code: Code | None = None
    to_code: Code | None = None
    location_ids: Annotated[list[Id], msgspec.Meta(max_length=5000)] = msgspec.field(
        default_factory=list
    )
    item_ids: Annotated[list[Id], msgspec.Meta(max_length=1000)] = msgspec.field(
        default_factory=list
    )
    abc_class: AbcClass | None = None
    blind: bool = True
    assignee_id: Id | None = None
    priority: Priority = 0
    due_at: dt.datetime | None = None
    note: Annotated[str, msgspec.Meta(max_length=2000)] | None = None


class CountEntryOut(Output):
    id: int
    item_id: int
    sku: str
    lot_number: str | None
    quantity: int
    book_quantity: int
    variance: int
    variance_value: Decimal
    status: str
    required_role: str | None
    decided_by: int | None
    decided_at: dt.datetime | None
    decision_note: str | None


class HeldOut(Output):
    item_id: int
    sku: str
    lot_number: str | None
    quantity: int


class CountLineOut(Output):
    """A line to count. `round`, `entries` and `expected` (what an open line holds on the
    book now) are left out for a worker counting blind."""

    id: int
    seq: int
    task_id: int
    location_id: int
    location_code: str
    item_id: int | None
    sku: str | None
    status: str
    counted_by: int | None
    counted_at: dt.datetime | None
    round: int | UnsetType = UNSET
    recount_of_id: int | UnsetType | None = UNSET
    excluded_user_id: int | UnsetType | None = UNSET
    entries: list[CountEntryOut] | UnsetType = UNSET
    expected: list[HeldOut] | UnsetType = UNSET


class CountSummary(Output):
    """Progress of a count; variance figures are left out for a worker counting blind."""

    id: int
    number: str
    warehouse_id: int
    status: str
    blind: bool
    note: str | None
    created_by: int
    created_at: dt.datetime
    completed_at: dt.datetime | None
    lines_total: int
    lines_open: int
    lines_counted: int
    pending_variances: int | UnsetType = UNSET
    pending_value: Decimal | UnsetType = UNSET
    lines_accurate: int | UnsetType | None = UNSET
    accuracy: Decimal | UnsetType | None = UNSET


class CountOut(CountSummary):
    lines: list[CountLineOut] = msgspec.field(default_factory=list)


class CountAccuracyOut(Output):
    count_id: int
    number: str
    warehouse_id: int
    completed_at: dt.datetime | None
    lines_counted: int
    lines_accurate: int
    accuracy: Decimal | None


class AccuracyReport(Output):
    """Inventory record accuracy in percent (two decimals) over the counts closed in
    [since, until): lines whose count matched the book, of lines counted."""

    warehouse_id: int | None
    since: dt.datetime | None
    until: dt.datetime | None
    lines_counted: int
    lines_accurate: int
    accuracy: Decimal | None
    counts: list[CountAccuracyOut]


class PlaceOut(Output):
    location_id: int
    code: str


class ScheduledItem(Output):
    """An item due for counting; `due_at` and `days_overdue` are null when it was never
    counted here."""

    item_id: int
    sku: str
    name: str
    abc_class: str
    interval_days: int
    last_counted_at: dt.datetime | None
    due_at: dt.datetime | None
    days_overdue: int | None
    locations: list[PlaceOut]


class CountIntervals(Input):
    A: Days
    B: Days
    C: Days


class CountPolicyBody(Input):
    """A first count off by more than `recount_over_quantity` units or `recount_over_value`
    is recounted by someone else; a variance worth more than `admin_over` needs an admin;
    `interval_days` says how often each ABC class falls due."""

    recount_over_quantity: Annotated[int, msgspec.Meta(ge=0, le=1_000_000_000)]
    recount_over_value: Money
    admin_over: Money
    interval_days: CountIntervals

    def __post_init__(self) -> None:
        check_money(self.recount_over_value)
        check_money(self.admin_over)


# --- insight: stock value, slow movers, ABC, key figures --------------------------------------


class StockValueRow(Output):
    key: int | None
    label: str
    quantity: int
    value: Decimal


class SlowMoverOut(Output):
    item_id: int
    sku: str
    name: str
    warehouse_id: int
    quantity: int
    value: Decimal
    last_outbound_at: dt.datetime | None
    days_since: int | None
    status: str


class AbcOut(Output):
    item_id: int
    sku: str
    outbound_value: Decimal
    share: Decimal
    abc_class: str
    previous: str | None


class AbcResult(Output):
    days: int
    changed: int
    items: list[AbcOut]


class ProcessingTime(Output):
    documents: int
    median_seconds: float | None
    p90_seconds: float | None


class KeyFigures(Output):
    warehouse_id: int
    since: dt.datetime
    until: dt.datetime
    cost_of_goods_shipped: Decimal
    inventory_value_start: Decimal
    inventory_value_end: Decimal
    average_inventory_value: Decimal
    inventory_turnover: Decimal | None
    days_of_supply: Decimal | None
    order_lines: int
    stockout_lines: int
    stockout_rate: Decimal | None
    count_lines: int
    count_lines_accurate: int
    inventory_record_accuracy: Decimal | None
    units_ordered: int
    units_shipped: int
    fill_rate: Decimal | None
    processing_time: dict[str, ProcessingTime]
    definitions: dict[str, str]


class TrendPoint(Output):
    start: dt.datetime
    end: dt.datetime
    stock_value: Decimal
    cost_of_goods_shipped: Decimal
    average_inventory_value: Decimal
    inventory_turnover: Decimal | None
    order_lines: int
    stockout_lines: int
    stockout_rate: Decimal | None
    count_lines: int
    count_lines_accurate: int
    inventory_record_accuracy: Decimal | None


class ExpiryWeek(Output):
    starts: dt.date
    lots: int


class NearExpiryCounts(Output):
    days: int
    lots: int
    expired: int
    by_week: list[ExpiryWeek]


class Trends(Output):
    warehouse_id: int
    bucket: Literal["day", "week", "month"]
    days: int
    since: dt.datetime
    until: dt.datetime
    as_of: dt.date
    points: list[TrendPoint]
    low_stock_items: int
    near_expiry: NearExpiryCounts
    accuracy_target: Decimal
    definitions: dict[str, str]


# --- integration feed -------------------------------------------------------------------------


class FeedEventOut(Output):
    id: str
    type: str
    at: dt.datetime
    data: dict[str, Any]


class FeedPage(Output):
    events: list[FeedEventOut]
    cursor: str


class WebhookCreate(Input):
    url: Annotated[str, msgspec.Meta(pattern=r"^https?://\S+$", max_length=2000)]
    event_types: Annotated[
        list[Annotated[str, msgspec.Meta(min_length=1, max_length=64)]],
        msgspec.Meta(max_length=20),
    ] = msgspec.field(default_factory=list)


class WebhookUpdate(Input):
    url: Annotated[str, msgspec.Meta(pattern=r"^https?://\S+$", max_length=2000)] | UnsetType = (
        UNSET
    )
    event_types: list[str] | UnsetType = UNSET
    active: bool | UnsetType = UNSET


class WebhookOut(Output):
    id: int
    url: str
    event_types: list[str]
    active: bool
    created_at: dt.datetime
    secret: str | None = None


class WebhookDeliveryOut(Output):
    id: int
    event_id: str
    event_type: str
    status: str
    attempts: int
    last_status_code: int | None
    last_error: str | None
    next_attempt_at: dt.datetime
    created_at: dt.datetime
    delivered_at: dt.datetime | None
