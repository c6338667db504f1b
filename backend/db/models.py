"""The relational schema: master data, the stock-move ledger, its quant projection and seals.

Quantities are integers in the item's base unit (each, gram, millilitre): the ledger must sum
to exactly zero per item, which floating point cannot promise.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from advanced_alchemy.types import GUID, BigIntIdentity, DateTimeUTC, JsonB
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from backend.domain.vocabulary import (
    ABC,
    ADJUSTMENT_REQUEST_STATUSES,
    ALERT_KINDS,
    ALERT_STATUSES,
    COUNT_ENTRY_STATUSES,
    COUNT_LINE_STATUSES,
    COUNT_STATUSES,
    DELIVERY_STATUSES,
    LOCATION_KINDS,
    PACKAGE_STATUSES,
    PO_STATUSES,
    PURPOSES,
    SENSOR_KINDS,
    SO_STATUSES,
    TASK_LINE_STATUSES,
    TASK_STATUSES,
    TASK_TYPES,
    TRACKING,
    TRANSFER_STATUSES,
    is_virtual,
)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dt.datetime: DateTimeUTC, dict[str, Any]: JsonB}


class Warehouse(Base):
    __tablename__ = "warehouses"
    id: Mapped[int] = mapped_column(BigIntIdentity, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Location(Base):
    __tablename__ = "locations"
    __table_args__ = (
        CheckConstraint(_in("kind", LOCATION_KINDS), name="kind"),
        CheckConstraint("purpose IS NULL OR " + _in("purpose", PURPOSES), name="purpose"),
        UniqueConstraint("warehouse_id", "code"),
        Index("ix_locations_warehouse_pick", "warehouse_id", "pick_sequence"),
    )
    id: Mapped[int] = mapped_column(BigIntIdentity, primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"))
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(16))
    # Barcodes are unique across the installation so that one scan names one place.
    barcode: Mapped[str | None] = mapped_column(String(128), unique=True)
    pick_sequence: Mapped[int] = mapped_column(Integer, default=0)
    # What a dock or bin is for: receiving, shipping or quarantine; none for storage.
    purpose: Mapped[str | None] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def is_virtual(self) -> bool:
        return is_virtual(self.kind)


class Item(Base):
    __tablename__ = "items"
    __table_args__ = (
        CheckConstraint(_in("tracking", TRACKING), name="tracking"),
        CheckConstraint("abc_class IS NULL OR " + _in("abc_class", ABC), name="abc_class"),
        CheckConstraint("unit_cost >= 0", name="unit_cost"),
        CheckConstraint("shelf_life_days IS NULL OR shelf_life_days > 0", name="shelf_life"),
    )
    id: Mapped[int] = mapped_column(BigIntIdentity, primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(300), index=True)
    unit: Mapped[str] = mapped_column(String(16), default="ea")
    tracking: Mapped[str] = mapped_column(String(8), default="none")
    shelf_life_days: Mapped[int | None] = mapped_column(Integer)
    unit_cost: Mapped[Decimal] = mapped_column(Numeric(14, 4), default=Decimal("0"))
    abc_class: Mapped[str | None] = mapped_column(String(1))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ItemBarcode(Base):
    """A code printed on an item or its packaging; `quantity` is how many base units it counts."""

    __tablename__ = "item_barcodes"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity"),)
    id: Mapped[int] = mapped_column(BigIntIdentity, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    code: Mapped[str] = mapped_column(String(128), unique=True)
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    packaging: Mapped[str] = mapped_column(String(32), default="unit")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Lot(Base):
    __tablename__ = "lots"
    __table_args__ = (UniqueConstraint("item_id", "lot_number"),)
    id: Mapped[int] = mapped_column(BigIntIdentity, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    lot_number: Mapped[str] = mapped_column(String(64))
    expiry_date: Mapped[dt.date | None] = mapped_column(Date, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Serial(Base):
    """One serial-numbered unit; `location_id` is where the ledger last put it."""

    __tablename__ = "serials"
    __table_args__ = (UniqueConstraint("item_id", "serial"),)
    id: Mapped[int] = mapped_column(BigIntIdentity, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    serial: Mapped[str] = mapped_column(String(128))
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lots.id"))
    location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Quant(Base):
    """The projection of the ledger: stock per item × location × lot.

    `lot_key` is the lot id or 0, so the unique key also holds for untracked stock (NULLs are
    distinct in unique constraints). The CHECK is the last line of defence against negative
    stock; the ledger's conditional UPDATE is the first.
    """

    __tablename__ = "quants"
    __table_args__ = (
        UniqueConstraint("item_id", "location_id", "lot_key"),
        CheckConstraint(
            "is_virtual OR (on_hand >= 0 AND reserved >= 0 AND reserved <= on_hand)",
            name="not_negative",
        ),
        Index("ix_quants_location", "location_id"),
    )
    id: Mapped[int] = mapped_column(BigIntIdentity, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lots.id"))
    lot_key: Mapped[int] = mapped_column(BigIntIdentity, default=0)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"), index=True)
    is_virtual: Mapped[bool] = mapped_column(Boolean)
    on_hand: Mapped[int] = mapped_column(BigIntIdentity, default=0)
    reserved: Mapped[int] = mapped_column(BigIntIdentity, default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Role(Base):
    __tablename__ = "roles"
    name: Mapped[str] = mapped_column(String(16), primary_key=True)
    description: Mapped[str] = mapped_column(String(200), default="")


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(BigIntIdentity, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(ForeignKey("roles.name"))
    locale: Mapped[str] = mapped_column(String(8), default="en")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class UserWarehouse(Base):
    __tablename__ = "user_warehouses"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"), primary_key=True)


class Device(Base):
    __tablename__ = "devices"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(String(200), default="")
    first_seen: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Command(Base):
    """Every state change, stored under its client-made `event_id` with its first outcome."""

    __tablename__ = "commands"
    __table_args__ = (CheckConstraint("status IN ('applied', 'rejected')", name="status"),)
    id: Mapped[int] = mapped_column(BigIntIdentity, primary_key=True)
    event_id: Mapped[uuid.UUID] = mapped_column(GUID, unique=True)
    type: Mapped[str] = mapped_column(String(48), index=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    occurred_at: Mapped[dt.datetime]
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    payload: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[dict[str, Any]]
    # Digest of the moves this command wrote, so a move forged under its name is detected.
    moves_digest: Mapped[str | None] = mapped_column(String(64))


class StockMove(Base):
    """One line of the append-only ledger: `quantity` units from one location to another."""

    __tablename__ = "stock_moves"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity"),
        CheckConstraint("from_location_id <> to_location_id", name="distinct_locations"),
        CheckConstraint("serial_id IS NULL OR quantity = 1", name="serial_unit"),
        UniqueConstraint("command_id", "seq"),
        Index("ix_stock_moves_item_created", "item_id", "created_at"),
        Index("ix_stock_moves_document", "document_type", "document_ref"),
    )
    id: Mapped[int] = mapped_column(BigIntIdentity, primary_key=True)
    command_id: Mapped[int] = mapped_column(ForeignKey("commands.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lots.id"))
    serial_id: Mapped[int | None] = mapped_column(ForeignKey("serials.id"))
    quantity: Mapped[int] = mapped_column(BigIntIdentity)
    from_location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), index=True)
    to_location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    occurred_at: Mapped[dt.datetime]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    document_type: Mapped[str] = mapped_column(String(32))
    document_ref: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)


class LedgerSeal(Base):
    """A block of the hash chain over the moves it lists in `ledger_seal_entries`."""

    __tablename__ = "ledger_seals"
    id: Mapped[int] = mapped_column(BigIntIdentity, primary_key=True)
    # 0 for the first seal. Unique, so two sealers racing cannot fork the chain.
    prev_seal_id: Mapped[int] = mapped_column(BigIntIdentity, unique=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    block_hash: Mapped[str] = mapped_column(String(64))
    move_count: Mapped[int] = mapped_column(Integer)
    sealed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class LedgerSealEntry(Base):
    """Which move a seal covers and the hash it had. No foreign key to the move on purpose:
    a deleted move must leave its entry behind to be found."""

    __tablename__ = "ledger_seal_entries"
    move_id: Mapped[int] = mapped_column(BigIntIdentity, primary_key=True, autoincrement=False)
    seal_id: Mapped[int] = mapped_column(ForeignKey("ledger_seals.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    move_hash: Mapped[str] = mapped_column(String(64))


class DocumentCounter(Base):
    """The last number handed out per document kind (PO, task, ...)."""

    __tablename__ = "document_counters"
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    last_value: Mapped[int] = mapped_column(BigIntIdentity, default=0)


class DocumentEvent(Base):
    """The history of every document: who did what to it, when, and through which command."""

    __tablename__ = "document_events"
    __table_args__ = (Index("ix_document_events_document", "document_type", "document_id"),)
    id: Mapped[int] = mapped_column(BigIntIdentity, primary_key=True)
    document_type: Mapped[str] = mapped_column(String(32))
    document_id: Mapped[int] = mapped_column(BigIntIdentity)
    action: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    command_id: Mapped[int | None] = mapped_column(ForeignKey("commands.id"))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    details: Mapped[dict[str, Any]]


class Setting(Base):
    """Operator-tunable policy values, e.g. the approval limits of purchase orders."""

    __tablename__ = "settings"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[dict[str, Any]]
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Supplier(Base):
    __tablename__ = "suppliers"
    __table_args__ = (CheckConstraint("over_receipt_tolerance_pct >= 0", name="tolerance"),)
    id: Mapped[int] = mapped_column(BigIntIdentity, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # How far a receipt may exceed the ordered quantity, in percent of the line.
    over_receipt_tolerance_pct: Mapped[Decimal] = mapped_column(Numeric(6, 2), default=0)
    lead_time_days: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class PurchaseOrder(Base):
    __tablename__ = "purchase_orders"
    __table_args__ = (
        CheckConstraint(_in("status", PO_STATUSES), name="status"),
        Index("ix_purchase_orders_warehouse_status", "warehouse_id", "status"),
    )
    id: Mapped[int] = mapped_column(BigIntIdentity, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id"), index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    status: Mapped[str] = mapped_column(String(24), default="draft")
    total_value: Mapped[Decimal] = mapped_column(Numeric(16, 4), default=0)
    # The role whose approval this order still needs; null once approved or when none is.
    approval_role: Mapped[str | None] = mapped_column(String(16))
    expected_date: Mapped[dt.date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    completed_at: Mapped[dt.datetime | None]


class PurchaseOrderLine(Base):
    __tablename__ = "purchase_order_lines"
    __table_args__ = (
        UniqueConstraint("order_id", "line_no"),
        CheckConstraint("quantity > 0", name="quantity"),
        CheckConstraint("unit_price >= 0", name="unit_price"),
        CheckConstraint("received_quantity >= 0 AND damaged_quantity >= 0", name="received"),
    )
    id: Mapped[int] = mapped_column(BigIntIdentity, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_orders.id"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    quantity: Mapped[int] = mapped_column(BigIntIdentity)
    unit_price: Mapped[Decimal] = mapped_column(Numeric(14, 4))
    expected_date: Mapped[dt.date | None] = mapped_column(Date)
    received_quantity: Mapped[int] = mapped_column(BigIntIdentity, default=0)
    damaged_quantity: Mapped[int] = mapped_column(BigIntIdentity, default=0)
    closed_short: Mapped[bool] = mapped_column(Boolean, default=False)


class Task(Base):
    """A unit of floor work (receive, putaway, pick, count, transfer) and who does it."""

    __tablename__ = "tasks"
    __table_args__ = (
        CheckConstraint(_in("type", TASK_TYPES), name="type"),
        CheckConstraint(_in("status", TASK_STATUSES), name="status"),
        Index("ix_tasks_queue", "warehouse_id", "status", "priority"),
    )
    id: Mapped[int] = mapped_column(BigIntIdentity, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    type: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="open")
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[dt.datetime | None]
    document_type: Mapped[str | None] = mapped_column(String(32))
    document_id: Mapped[int | None] = mapped_column(BigIntIdentity)
    note: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    completed_at: Mapped[dt.datetime | None]


class TaskLine(Base):
    __tablename__ = "task_lines"
    __table_args__ = (
        UniqueConstraint("task_id", "seq"),
        CheckConstraint(_in("status", TASK_LINE_STATUSES), name="status"),
        CheckConstraint("quantity > 0 AND done_quantity >= 0", name="quantity"),
    )
    id: Mapped[int] = mapped_column(BigIntIdentity, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lots.id"))
    quantity: Mapped[int] = mapped_column(BigIntIdentity)
    done_quantity: Mapped[int] = mapped_column(BigIntIdentity, default=0)
    from_location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"))
    to_location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"))
    status: Mapped[str] = mapped_column(String(16), default="open")
    source_line_id: Mapped[int | None] = mapped_column(BigIntIdentity)
    # The document the line serves (a sales order in a batch pick), shown to the worker.
    document_ref: Mapped[str | None] = mapped_column(String(32))


class Customer(Base):
    __tablename__ = "customers"
    id: Mapped[int] = mapped_column(BigIntIdentity, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class SalesOrder(Base):
    __tablename__ = "sales_orders"
    __table_args__ = (
        CheckConstraint(_in("status", SO_STATUSES), name="status"),
        Index("ix_sales_orders_warehouse_status", "warehouse_id", "status"),
    )
    id: Mapped[int] = mapped_column(BigIntIdentity, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    status: Mapped[str] = mapped_column(String(24), default="draft")
    requested_date: Mapped[dt.date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    completed_at: Mapped[dt.datetime | None]


class SalesOrderLine(Base):
    __tablename__ = "sales_order_lines"
    __table_args__ = (
        UniqueConstraint("order_id", "line_no"),
        CheckConstraint("quantity > 0", name="quantity"),
        CheckConstraint(
            "reserved_quantity >= 0 AND picked_quantity >= 0 AND shipped_quantity >= 0 "
            "AND short_quantity >= 0",
            name="progress",
        ),
    )
    id: Mapped[int] = mapped_column(BigIntIdentity, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("sales_orders.id"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    quantity: Mapped[int] = mapped_column(BigIntIdentity)
    unit_price: Mapped[Decimal] = mapped_column(Numeric(14, 4), default=0)
    reserved_quantity: Mapped[int] = mapped_column(BigIntIdentity, default=0)
    picked_quantity: Mapped[int] = mapped_column(BigIntIdentity, default=0)
    shipped_quantity: Mapped[int] = mapped_column(BigIntIdentity, default=0)
    short_quantity: Mapped[int] = mapped_column(BigIntIdentity, default=0)


class Reservation(Base):
    """Stock of one quant held for one order line; mirrored in `quants.reserved`.

    `quantity` is what is still held: picking and releasing bring it down to 0."""

    __tablename__ = "reservations"
    __table_args__ = (
        CheckConstraint("quantity >= 0", name="quantity"),
        CheckConstraint(_in("status", ("open", "picked", "released")), name="status"),
    )
    id: Mapped[int] = mapped_column(BigIntIdentity, primary_key=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("sales_order_lines.id"), index=True)
    quant_id: Mapped[int] = mapped_column(ForeignKey("quants.id"), index=True)
    quantity: Mapped[int] = mapped_column(BigIntIdentity)
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Receipt(Base):
    """A goods receipt: what one receiving scan booked in against a purchase-order line."""

    __tablename__ = "receipts"
    __table_args__ = (
        CheckConstraint("quantity >= 0 AND damaged_quantity >= 0", name="quantity"),
        Index("ix_receipts_warehouse_created", "warehouse_id", "created_at"),
    )
    id: Mapped[int] = mapped_column(BigIntIdentity, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_orders.id"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("purchase_order_lines.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lots.id"))
    quantity: Mapped[int] = mapped_column(BigIntIdentity)
    damaged_quantity: Mapped[int] = mapped_column(BigIntIdentity, default=0)
    dock_location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    command_id: Mapped[int] = mapped_column(ForeignKey("commands.id"))
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Shipment(Base):
    """What one ship command sent to the customer: the packages and units that left."""

    __tablename__ = "shipments"
    __table_args__ = (Index("ix_shipments_warehouse_created", "warehouse_id", "created_at"),)
    id: Mapped[int] = mapped_column(BigIntIdentity, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    order_id: Mapped[int] = mapped_column(ForeignKey("sales_orders.id"), index=True)
    units: Mapped[int] = mapped_column(BigIntIdentity)
    command_id: Mapped[int] = mapped_column(ForeignKey("commands.id"))
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Package(Base):
    """A carton or pallet packed for one sales order, known by its SSCC."""

    __tablename__ = "packages"
    __table_args__ = (CheckConstraint(_in("status", PACKAGE_STATUSES), name="status"),)
    id: Mapped[int] = mapped_column(BigIntIdentity, primary_key=True)
    sscc: Mapped[str] = mapped_column(String(18), unique=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    order_id: Mapped[int] = mapped_column(ForeignKey("sales_orders.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="open")
    shipment_id: Mapped[int | None] = mapped_column(ForeignKey("shipments.id"), index=True)
    command_id: Mapped[int] = mapped_column(ForeignKey("commands.id"))
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[dt.datetime | None]


class PackageLine(Base):
    __tablename__ = "package_lines"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity"),)
    id: Mapped[int] = mapped_column(BigIntIdentity, primary_key=True)
    package_id: Mapped[int] = mapped_column(ForeignKey("packages.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lots.id"))
    serial_id: Mapped[int | None] = mapped_column(ForeignKey("serials.id"))
    quantity: Mapped[int] = mapped_column(BigIntIdentity)


class Count(Base):
    """A cycle count: the bins (and items) to count, their variances and the accuracy."""

    __tablename__ = "counts"
    __table_args__ = (CheckConstraint(_in("status", COUNT_STATUSES), name="status"),)
    id: Mapped[int] = mapped_column(BigIntIdentity, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="counting")
    blind: Mapped[bool] = mapped_column(Boolean, default=True)
    note: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[dt.datetime | None]
    # Inventory record accuracy: lines whose count matched the book, of lines counted.
    lines_counted: Mapped[int] = mapped_column(Integer, default=0)
    lines_accurate: Mapped[int] = mapped_column(Integer, default=0)


class CountLine(Base):
    """One bin to count (only one item of it when `item_id` is set), in one round; a
    recount is a new line of round 2 that the first counter may not take."""

    __tablename__ = "count_lines"
    __table_args__ = (CheckConstraint(_in("status", COUNT_LINE_STATUSES), name="status"),)
    id: Mapped[int] = mapped_column(BigIntIdentity, primary_key=True)
    count_id: Mapped[int] = mapped_column(ForeignKey("counts.id"), index=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"))
    round: Mapped[int] = mapped_column(Integer, default=1)
    recount_of_id: Mapped[int | None] = mapped_column(ForeignKey("count_lines.id"))
    excluded_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(16), default="open")
    counted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    counted_at: Mapped[dt.datetime | None]
    command_id: Mapped[int | None] = mapped_column(ForeignKey("commands.id"))


class CountEntry(Base):
    """What was counted of one item and lot in a bin, against the book as of the count."""

    __tablename__ = "count_entries"
    __table_args__ = (
        CheckConstraint("quantity >= 0 AND book_quantity >= 0", name="quantity"),
        CheckConstraint(_in("status", COUNT_ENTRY_STATUSES), name="status"),
    )
    id: Mapped[int] = mapped_column(BigIntIdentity, primary_key=True)
    count_line_id: Mapped[int] = mapped_column(ForeignKey("count_lines.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lots.id"))
    quantity: Mapped[int] = mapped_column(BigIntIdentity)
    book_quantity: Mapped[int] = mapped_column(BigIntIdentity)
    variance: Mapped[int] = mapped_column(BigIntIdentity)
    variance_value: Mapped[Decimal] = mapped_column(Numeric(16, 4), default=Decimal("0"))
    status: Mapped[str] = mapped_column(String(16))
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime | None]
    decision_note: Mapped[str | None] = mapped_column(Text)


class AdjustmentRequest(Base):
    """An adjustment above what its author may post alone, waiting for approval."""

    __tablename__ = "adjustment_requests"
    __table_args__ = (
        CheckConstraint(_in("status", ADJUSTMENT_REQUEST_STATUSES), name="status"),
        Index("ix_adjustment_requests_warehouse_status", "warehouse_id", "status"),
    )
    id: Mapped[int] = mapped_column(BigIntIdentity, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    command_id: Mapped[int] = mapped_column(ForeignKey("commands.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    quantity: Mapped[int] = mapped_column(BigIntIdentity)
    reason: Mapped[str] = mapped_column(String(16))
    value: Mapped[Decimal] = mapped_column(Numeric(16, 4))
    required_role: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    requested_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime | None]
    decision_note: Mapped[str | None] = mapped_column(Text)


class Transfer(Base):
    """Stock sent from one warehouse to another through a virtual in-transit location."""

    __tablename__ = "transfers"
    __table_args__ = (CheckConstraint(_in("status", TRANSFER_STATUSES), name="status"),)
    id: Mapped[int] = mapped_column(BigIntIdentity, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    from_warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"), index=True)
    to_warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"), index=True)
    status: Mapped[str] = mapped_column(String(24), default="open")
    note: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    completed_at: Mapped[dt.datetime | None]


class TransferLine(Base):
    __tablename__ = "transfer_lines"
    __table_args__ = (
        UniqueConstraint("transfer_id", "line_no"),
        CheckConstraint("quantity > 0", name="quantity"),
        CheckConstraint(
            "shipped_quantity >= 0 AND received_quantity >= 0 AND written_off_quantity >= 0",
            name="progress",
        ),
    )
    id: Mapped[int] = mapped_column(BigIntIdentity, primary_key=True)
    transfer_id: Mapped[int] = mapped_column(ForeignKey("transfers.id"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lots.id"))
    from_location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"))
    quantity: Mapped[int] = mapped_column(BigIntIdentity)
    shipped_quantity: Mapped[int] = mapped_column(BigIntIdentity, default=0)
    received_quantity: Mapped[int] = mapped_column(BigIntIdentity, default=0)
    written_off_quantity: Mapped[int] = mapped_column(BigIntIdentity, default=0)


class ReorderRule(Base):
    """When to reorder an item for a warehouse: the minimum is safety stock plus what is
    consumed over the lead time; `max_quantity` is the level an order brings stock up to.
    Without `daily_consumption` it is computed from the shipments of the last
    `consumption_days` days."""

    __tablename__ = "reorder_rules"
    __table_args__ = (
        UniqueConstraint("item_id", "warehouse_id"),
        CheckConstraint("safety_stock >= 0", name="safety_stock"),
        CheckConstraint("lead_time_days >= 0", name="lead_time"),
        CheckConstraint("consumption_days > 0", name="consumption_days"),
        CheckConstraint(
            "daily_consumption IS NULL OR daily_consumption >= 0", name="daily_consumption"
        ),
        CheckConstraint("max_quantity IS NULL OR max_quantity >= 0", name="max_quantity"),
    )
    id: Mapped[int] = mapped_column(BigIntIdentity, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"), index=True)
    safety_stock: Mapped[int] = mapped_column(BigIntIdentity, default=0)
    daily_consumption: Mapped[Decimal | None] = mapped_column(Numeric(14, 4))
    consumption_days: Mapped[int] = mapped_column(Integer, default=30)
    lead_time_days: Mapped[int] = mapped_column(Integer, default=0)
    max_quantity: Mapped[int | None] = mapped_column(BigIntIdentity)
    include_on_order: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Alert(Base):
    """Something a person should look at: stock below its minimum, a lot near or past its
    expiry, count variances awaiting a decision, a zone's sensor out of range.

    `subject` names what it is about within its kind and warehouse ("item:12", "lot:5",
    "count:3", "zone:7:temperature"); the partial unique index lets one alert per subject be
    open at a time, so concurrent detections raise it once. Resolved alerts stay, recorded."""

    __tablename__ = "alerts"
    __table_args__ = (
        CheckConstraint(_in("kind", ALERT_KINDS), name="kind"),
        CheckConstraint(_in("status", ALERT_STATUSES), name="status"),
        Index(
            "uq_alerts_open_subject",
            "kind",
            "warehouse_id",
            "subject",
            unique=True,
            postgresql_where=text("status = 'open'"),
            sqlite_where=text("status = 'open'"),
        ),
        Index("ix_alerts_warehouse_raised", "warehouse_id", "raised_at"),
    )
    id: Mapped[int] = mapped_column(BigIntIdentity, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    subject: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="open")
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"))
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lots.id"))
    location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"))
    count_id: Mapped[int | None] = mapped_column(ForeignKey("counts.id"))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    # Where the PWA shows the subject, e.g. "/#/items/12".
    url: Mapped[str] = mapped_column(String(200))
    details: Mapped[dict[str, Any]]
    raised_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    raised_by_command_id: Mapped[int | None] = mapped_column(ForeignKey("commands.id"))
    resolved_at: Mapped[dt.datetime | None]
    resolved_by_command_id: Mapped[int | None] = mapped_column(ForeignKey("commands.id"))
    resolution: Mapped[dict[str, Any] | None]


class AlertRead(Base):
    """That a user has read an alert in the notification centre."""

    __tablename__ = "alert_reads"
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    read_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class PushSubscription(Base):
    """A browser's Web Push subscription for a signed-in user on one device."""

    __tablename__ = "push_subscriptions"
    id: Mapped[int] = mapped_column(BigIntIdentity, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    device_id: Mapped[str | None] = mapped_column(String(64))
    endpoint: Mapped[str] = mapped_column(String(2048), unique=True)
    # The browser's P-256 public key and auth secret, base64url, for RFC 8291 encryption.
    p256dh: Mapped[str] = mapped_column(String(128))
    auth: Mapped[str] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    last_sent_at: Mapped[dt.datetime | None]


class PushPreference(Base):
    """The alert kinds a user wants pushed for a warehouse; without a row, the role's default."""

    __tablename__ = "push_preferences"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"), primary_key=True)
    kinds: Mapped[list[str]] = mapped_column(JsonB)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class PushDelivery(Base):
    """One alert to one subscription: the queue the delivery workers take from.

    Written in the transaction that raised the alert; claimed with FOR UPDATE SKIP LOCKED on
    PostgreSQL (status sending, `lease_until`), sent after commit, retried with exponential
    backoff through `next_attempt_at`."""

    __tablename__ = "push_deliveries"
    __table_args__ = (
        CheckConstraint(_in("status", DELIVERY_STATUSES), name="status"),
        Index("ix_push_deliveries_due", "status", "next_attempt_at"),
    )
    id: Mapped[int] = mapped_column(BigIntIdentity, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id"), index=True)
    subscription_id: Mapped[int | None] = mapped_column(
        ForeignKey("push_subscriptions.id"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    lease_until: Mapped[dt.datetime | None]
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[dt.datetime | None]


class SensorThreshold(Base):
    """The range a zone's temperature or humidity must stay in; either bound may be open."""

    __tablename__ = "sensor_thresholds"
    __table_args__ = (
        CheckConstraint(_in("kind", SENSOR_KINDS), name="kind"),
        CheckConstraint(
            "min_value IS NULL OR max_value IS NULL OR min_value <= max_value", name="range"
        ),
    )
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    min_value: Mapped[Decimal | None] = mapped_column(Numeric(10, 3))
    max_value: Mapped[Decimal | None] = mapped_column(Numeric(10, 3))
    updated_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class SensorReading(Base):
    __tablename__ = "sensor_readings"
    __table_args__ = (
        CheckConstraint(_in("kind", SENSOR_KINDS), name="kind"),
        Index("ix_sensor_readings_zone_kind_at", "location_id", "kind", "at"),
    )
    id: Mapped[int] = mapped_column(BigIntIdentity, primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[Decimal] = mapped_column(Numeric(10, 3))
    at: Mapped[dt.datetime]
    recorded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class WebhookEndpoint(Base):
    """A URL that receives the integration feed's events, signed with its secret; `cursor`
    is how far into the feed its deliveries have been queued."""

    __tablename__ = "webhook_endpoints"
    id: Mapped[int] = mapped_column(BigIntIdentity, primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    secret: Mapped[str] = mapped_column(String(64))
    event_types: Mapped[list[str]] = mapped_column(JsonB, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    cursor: Mapped[str] = mapped_column(String(64), default="")
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class WebhookDelivery(Base):
    """One event for one endpoint, and how its delivery went."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("endpoint_id", "event_id"),
        CheckConstraint(_in("status", ("pending", "delivered", "failed")), name="status"),
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
    )
    id: Mapped[int] = mapped_column(BigIntIdentity, primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id"))
    event_id: Mapped[str] = mapped_column(String(32))
    event_type: Mapped[str] = mapped_column(String(80))
    payload: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[dt.datetime | None]


class LoginFailure(Base):
    """A failed sign-in, kept for the throttle's window: shared by every API process, so
    guessing passwords is slowed however many processes or replicas answer."""

    __tablename__ = "login_failures"
    __table_args__ = (
        Index("ix_login_failures_username_at", "username", "at"),
        Index("ix_login_failures_client_at", "client", "at"),
    )
    id: Mapped[int] = mapped_column(BigIntIdentity, primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    client: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
