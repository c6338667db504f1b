"""Turning rows into response bodies."""

from __future__ import annotations

from typing import Any

import msgspec

from backend.api.schemas import (
    BarcodeOut,
    DocumentEventOut,
    ItemOut,
    LocationOut,
    LotOut,
    MoveOut,
    OrderLineOut,
    PurchaseOrderOut,
    StockRow,
    SupplierOut,
    TaskLineOut,
    TaskOut,
    WarehouseOut,
)
from backend.db.models import (
    Item,
    ItemBarcode,
    Location,
    Lot,
    PurchaseOrder,
    Supplier,
    Task,
    Warehouse,
)


def changes(data: msgspec.Struct) -> dict[str, Any]:
    """The fields a PATCH body actually set."""
    return {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}


def warehouse_out(w: Warehouse) -> WarehouseOut:
    return WarehouseOut(id=w.id, code=w.code, name=w.name, active=w.active)


def location_out(loc: Location) -> LocationOut:
    return LocationOut(
        id=loc.id,
        warehouse_id=loc.warehouse_id,
        parent_id=loc.parent_id,
        code=loc.code,
        name=loc.name,
        kind=loc.kind,
        barcode=loc.barcode,
        pick_sequence=loc.pick_sequence,
        purpose=loc.purpose,
        active=loc.active,
    )


def barcode_out(b: ItemBarcode) -> BarcodeOut:
    return BarcodeOut(
        id=b.id,
        item_id=b.item_id,
        code=b.code,
        quantity=b.quantity,
        packaging=b.packaging,
        active=b.active,
    )


def item_out(item: Item, barcodes: list[ItemBarcode]) -> ItemOut:
    return ItemOut(
        id=item.id,
        sku=item.sku,
        name=item.name,
        unit=item.unit,
        tracking=item.tracking,
        shelf_life_days=item.shelf_life_days,
        unit_cost=item.unit_cost,
        abc_class=item.abc_class,
        active=item.active,
        barcodes=[barcode_out(b) for b in barcodes],
    )


def lot_out(lot: Lot) -> LotOut:
    return LotOut(
        id=lot.id, item_id=lot.item_id, lot_number=lot.lot_number, expiry_date=lot.expiry_date
    )


def stock_row(row: Any) -> StockRow:
    quant, sku, name, unit, location_code, lot_number, expiry = row
    return StockRow(
        item_id=quant.item_id,
        sku=sku,
        item_name=name,
        unit=unit,
        warehouse_id=quant.warehouse_id,
        location_id=quant.location_id,
        location_code=location_code,
        lot_id=quant.lot_id,
        lot_number=lot_number,
        expiry_date=expiry,
        on_hand=quant.on_hand,
        reserved=quant.reserved,
        available=quant.on_hand - quant.reserved,
    )


def move_out(row: Any) -> MoveOut:
    move, event_id, command_type, sku, lot_number, serial, source, dest, username = row
    return MoveOut(
        id=move.id,
        event_id=str(event_id),
        command_type=command_type,
        seq=move.seq,
        item_id=move.item_id,
        sku=sku,
        lot_number=lot_number,
        serial=serial,
        quantity=move.quantity,
        from_location_id=move.from_location_id,
        from_location=source,
        to_location_id=move.to_location_id,
        to_location=dest,
        user_id=move.user_id,
        username=username,
        occurred_at=move.occurred_at,
        created_at=move.created_at,
        document_type=move.document_type,
        document_ref=move.document_ref,
        reason=move.reason,
        note=move.note,
    )


def supplier_out(s: Supplier) -> SupplierOut:
    return SupplierOut(
        id=s.id,
        code=s.code,
        name=s.name,
        over_receipt_tolerance_pct=s.over_receipt_tolerance_pct,
        lead_time_days=s.lead_time_days,
        active=s.active,
    )


def event_out(row: Any) -> DocumentEventOut:
    event, username = row
    return DocumentEventOut(
        action=event.action,
        user_id=event.user_id,
        username=username,
        at=event.at,
        details=event.details,
    )


def order_out(
    order: PurchaseOrder, supplier_code: str, lines: list[Any], history: list[Any]
) -> PurchaseOrderOut:
    return PurchaseOrderOut(
        id=order.id,
        number=order.number,
        supplier_id=order.supplier_id,
        supplier_code=supplier_code,
        warehouse_id=order.warehouse_id,
        status=order.status,
        total_value=order.total_value,
        approval_role=order.approval_role,
        expected_date=order.expected_date,
        note=order.note,
        created_at=order.created_at,
        lines=[
            OrderLineOut(
                id=line.id,
                line_no=line.line_no,
                item_id=line.item_id,
                sku=sku,
                quantity=line.quantity,
                unit_price=line.unit_price,
                expected_date=line.expected_date,
                received_quantity=line.received_quantity,
                damaged_quantity=line.damaged_quantity,
                closed_short=line.closed_short,
                remaining=0
                if line.closed_short
                else max(0, line.quantity - line.received_quantity),
            )
            for line, sku in lines
        ],
        history=[event_out(h) for h in history],
    )


def task_out(task: Task, lines: list[Any]) -> TaskOut:
    return TaskOut(
        id=task.id,
        number=task.number,
        warehouse_id=task.warehouse_id,
        type=task.type,
        status=task.status,
        assignee_id=task.assignee_id,
        priority=task.priority,
        due_at=task.due_at,
        document_type=task.document_type,
        document_id=task.document_id,
        note=task.note,
        created_at=task.created_at,
        lines=[
            TaskLineOut(
                id=line.id,
                seq=line.seq,
                item_id=line.item_id,
                sku=sku,
                item_name=name,
                lot_id=line.lot_id,
                lot_number=lot_number,
                quantity=line.quantity,
                done_quantity=line.done_quantity,
                from_location_id=line.from_location_id,
                from_location=source,
                to_location_id=line.to_location_id,
                to_location=dest,
                status=line.status,
                document_ref=line.document_ref,
            )
            for line, sku, name, lot_number, source, dest in lines
        ],
    )
