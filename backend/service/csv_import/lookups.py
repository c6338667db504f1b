"""Look-ups against what is stored, a chunk of keys at a time: who owns a barcode, item ids by
SKU, warehouses by code."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import Item, ItemBarcode, Location, Warehouse
from backend.domain.actor import Actor
from backend.service.csv_import.job import fetch_in


@dataclass(slots=True)
class Owner:
    """What a stored barcode names: an item (with the barcode's row) or a location."""

    barcode_id: int | None = None
    item_id: int | None = None
    sku: str | None = None
    quantity: int | None = None
    packaging: str | None = None
    active: bool | None = None
    location_id: int | None = None
    place: str | None = None

    def describe(self) -> str:
        if self.sku is not None:
            return f"item {self.sku}"
        return f"location {self.place}"


async def barcode_owners(session: AsyncSession, codes: Iterable[str]) -> dict[str, Owner]:
    """A printed code names one thing: item barcodes and location barcodes share one space."""
    wanted = set(codes)
    owners: dict[str, Owner] = {}
    for row in await fetch_in(
        session,
        select(
            ItemBarcode.code,
            ItemBarcode.id,
            ItemBarcode.item_id,
            Item.sku,
            ItemBarcode.quantity,
            ItemBarcode.packaging,
            ItemBarcode.active,
        ).join(Item, Item.id == ItemBarcode.item_id),
        ItemBarcode.code,
        wanted,
    ):
        code, barcode_id, item_id, sku, quantity, packaging, active = row
        owners[code] = Owner(barcode_id, item_id, sku, quantity, packaging, active)
    for code, location_id, warehouse, location in await fetch_in(
        session,
        select(Location.barcode, Location.id, Warehouse.code, Location.code).join(
            Warehouse, Warehouse.id == Location.warehouse_id
        ),
        Location.barcode,
        wanted,
    ):
        owners[code] = Owner(location_id=location_id, place=f"{warehouse}/{location}")
    return owners


async def item_ids(session: AsyncSession, skus: Iterable[str]) -> dict[str, int]:
    rows = await fetch_in(session, select(Item.sku, Item.id), Item.sku, skus)
    return {sku: item_id for sku, item_id in rows}


async def warehouses_by_code(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(select(Warehouse.code, Warehouse.id))
    return dict(rows.tuples().all())


def warehouse_problem(
    code: str, warehouses: dict[str, int], actor: Actor
) -> tuple[int | None, str | None]:
    """The warehouse's id, or why this row cannot use it."""
    warehouse_id = warehouses.get(code)
    if warehouse_id is None:
        return None, f"no warehouse {code}"
    if not actor.may_access(warehouse_id):
        return None, f"warehouse {code} is outside your assignment"
    return warehouse_id, None
