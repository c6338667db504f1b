"""Master data: locations, items, barcodes and lots, with the checks the schema cannot make."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import Base, Item, ItemBarcode, Location, Lot, Quant, Warehouse, utcnow
from backend.domain.actor import Actor
from backend.domain.errors import Conflict, InvalidRequest, NotFound
from backend.domain.vocabulary import is_virtual


async def get_or_404(session: AsyncSession, model: type[Any], ident: int, label: str) -> Any:
    record = await session.get(model, ident)
    if record is None:
        raise NotFound(f"no such {label}", id=ident)
    return record


def apply_changes(record: Base, changes: Mapping[str, Any]) -> None:
    for name, value in changes.items():
        setattr(record, name, value)


async def _unique(
    session: AsyncSession, column: Any, value: Any, label: str, exclude_id: int | None = None
) -> None:
    query = select(column.class_.id).where(column == value)
    if exclude_id is not None:
        query = query.where(column.class_.id != exclude_id)
    if (await session.execute(query)).first():
        raise Conflict(f"{label} {value} is already in use", **{label: value})


async def _code_is_free(session: AsyncSession, code: str) -> None:
    """A printed code must name one thing: an item barcode and a location barcode never clash."""
    await _unique(session, ItemBarcode.code, code, "barcode")
    await _unique(session, Location.barcode, code, "barcode")


# --- warehouses -------------------------------------------------------------------------------


async def warehouse_in_scope(session: AsyncSession, warehouse_id: int, actor: Actor) -> Warehouse:
    warehouse = await get_or_404(session, Warehouse, warehouse_id, "warehouse")
    actor.require_warehouse(warehouse.id)
    return warehouse


# --- locations --------------------------------------------------------------------------------


async def location_in_scope(session: AsyncSession, location_id: int, actor: Actor) -> Location:
    location = await get_or_404(session, Location, location_id, "location")
    actor.require_warehouse(location.warehouse_id)
    return location


async def _check_parent(
    session: AsyncSession, warehouse_id: int, parent_id: int | None, location_id: int | None = None
) -> None:
    if parent_id is None:
        return
    parent = await get_or_404(session, Location, parent_id, "parent location")
    if parent.warehouse_id != warehouse_id or parent.kind != "zone":
        raise InvalidRequest(
            "a location's parent is a zone of the same warehouse", parent_id=parent_id
        )
    if parent.id == location_id:
        raise InvalidRequest("a location cannot contain itself", parent_id=parent_id)


async def create_location(session: AsyncSession, actor: Actor, data: Mapping[str, Any]) -> Location:
    await warehouse_in_scope(session, data["warehouse_id"], actor)
    if is_virtual(data["kind"]) and data["kind"] != "transit":
        raise InvalidRequest(
            "supplier, customer, adjustment and scrap locations come with the warehouse",
            kind=data["kind"],
        )
    existing = await session.execute(
        select(Location.id).where(
            Location.warehouse_id == data["warehouse_id"], Location.code == data["code"]
        )
    )
    if existing.first():
        raise Conflict(
            f"location {data['code']} already exists in this warehouse", code=data["code"]
        )
    if data.get("barcode"):
        await _code_is_free(session, data["barcode"])
    await _check_parent(session, data["warehouse_id"], data.get("parent_id"))
    location = Location(**data)
    session.add(location)
    await session.flush()
    return location


async def update_location(
    session: AsyncSession, actor: Actor, location_id: int, changes: Mapping[str, Any]
) -> Location:
    location = await location_in_scope(session, location_id, actor)
    if changes.get("barcode") and changes["barcode"] != location.barcode:
        await _code_is_free(session, changes["barcode"])
    if "parent_id" in changes:
        await _check_parent(session, location.warehouse_id, changes["parent_id"], location.id)
    if changes.get("active") is False and location.kind != "zone":
        held = await session.execute(
            select(func.count()).where(Quant.location_id == location.id, Quant.on_hand != 0)
        )
        if held.scalar():
            raise Conflict(
                f"location {location.code} still holds stock; move it out first",
                location=location.code,
            )
    apply_changes(location, changes)
    await session.flush()
    return location


# --- items and barcodes -----------------------------------------------------------------------


async def create_item(
    session: AsyncSession, data: Mapping[str, Any], barcodes: Sequence[Mapping[str, Any]]
) -> Item:
    await _unique(session, Item.sku, data["sku"], "sku")
    if len({b["code"] for b in barcodes}) != len(barcodes):
        raise InvalidRequest("the same barcode is listed twice")
    for barcode in barcodes:
        await _code_is_free(session, barcode["code"])
    item = Item(**data)
    session.add(item)
    await session.flush()
    session.add_all(ItemBarcode(item_id=item.id, **b) for b in barcodes)
    await session.flush()
    return item


async def update_item(session: AsyncSession, item_id: int, changes: Mapping[str, Any]) -> Item:
    item = await get_or_404(session, Item, item_id, "item")
    apply_changes(item, changes)
    await session.flush()
    return item


async def add_barcode(session: AsyncSession, item_id: int, data: Mapping[str, Any]) -> ItemBarcode:
    item = await get_or_404(session, Item, item_id, "item")
    await _code_is_free(session, data["code"])
    # Handhelds fetch an item's barcodes again when the item changed since their last sync.
    item.updated_at = utcnow()
    barcode = ItemBarcode(item_id=item_id, **data)
    session.add(barcode)
    await session.flush()
    return barcode


async def barcodes_of(session: AsyncSession, item_ids: list[int]) -> dict[int, list[ItemBarcode]]:
    found: dict[int, list[ItemBarcode]] = {i: [] for i in item_ids}
    if item_ids:
        rows = await session.execute(
            select(ItemBarcode).where(ItemBarcode.item_id.in_(item_ids)).order_by(ItemBarcode.id)
        )
        for barcode in rows.scalars():
            found[barcode.item_id].append(barcode)
    return found


def item_search(query: Any, q: str | None, sku: str | None, barcode: str | None) -> Any:
    if sku:
        query = query.where(Item.sku == sku)
    if barcode:
        query = query.where(
            Item.id.in_(select(ItemBarcode.item_id).where(ItemBarcode.code == barcode))
        )
    if q:
        pattern = f"%{q.lower()}%"
        query = query.where(
            or_(func.lower(Item.sku).like(pattern), func.lower(Item.name).like(pattern))
        )
    return query


# --- lots -------------------------------------------------------------------------------------


async def create_lot(session: AsyncSession, data: Mapping[str, Any]) -> Lot:
    item = await get_or_404(session, Item, data["item_id"], "item")
    if item.tracking != "lot":
        raise InvalidRequest(f"item {item.sku} is not lot-tracked", sku=item.sku)
    existing = await session.execute(
        select(Lot.id).where(Lot.item_id == item.id, Lot.lot_number == data["lot_number"])
    )
    if existing.first():
        raise Conflict(
            f"lot {data['lot_number']} of {item.sku} already exists", lot_number=data["lot_number"]
        )
    lot = Lot(**data)
    session.add(lot)
    await session.flush()
    return lot
