"""Warehouses come with the virtual locations every warehouse needs."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import Location, Warehouse
from backend.domain.errors import Conflict
from backend.domain.vocabulary import WAREHOUSE_VIRTUAL_KINDS

VIRTUAL_NAMES = {
    "supplier": "Suppliers",
    "customer": "Customers",
    "adjustment": "Inventory adjustment",
    "scrap": "Scrap",
}


async def create_warehouse(session: AsyncSession, *, code: str, name: str) -> Warehouse:
    if (await session.execute(select(Warehouse.id).where(Warehouse.code == code))).scalar():
        raise Conflict(f"warehouse {code} already exists", code=code)
    warehouse = Warehouse(code=code, name=name)
    session.add(warehouse)
    await session.flush()
    session.add_all(
        Location(
            warehouse_id=warehouse.id,
            code=f"@{kind.upper()}",
            name=VIRTUAL_NAMES[kind],
            kind=kind,
        )
        for kind in WAREHOUSE_VIRTUAL_KINDS
    )
    await session.flush()
    return warehouse


async def virtual_location(session: AsyncSession, warehouse_id: int, kind: str) -> Location:
    return (
        await session.execute(
            select(Location)
            .where(Location.warehouse_id == warehouse_id, Location.kind == kind)
            .order_by(Location.id)
            .limit(1)
        )
    ).scalar_one()
