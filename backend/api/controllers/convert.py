"""Turning rows into response bodies."""

from __future__ import annotations

from typing import Any

import msgspec

from backend.api.schemas import (
    BarcodeOut,
    ItemOut,
    LocationOut,
    LotOut,
    MoveOut,
    StockRow,
    WarehouseOut,
)
from backend.db.models import Item, ItemBarcode, Location, Lot, Warehouse


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
