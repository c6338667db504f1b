"""Near-expiry: lots on the shelves of a warehouse that expire soon or already have.

Expired lots are already kept out of allocation and picking (`sales._candidates`, `picking`)
and out of transfers (`transfers.check_not_expired`); this list is what a supervisor works
from to sell, move or scrap them in time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import Item, Location, Lot, Quant
from backend.domain.actor import Actor
from backend.service.catalog import warehouse_in_scope


@dataclass
class LotPlace:
    location_id: int
    location_code: str
    on_hand: int
    reserved: int


@dataclass
class NearExpiry:
    item_id: int
    sku: str
    item_name: str
    lot_id: int
    lot_number: str
    expiry_date: dt.date
    days_left: int
    expired: bool
    unit_cost: Decimal
    places: list[LotPlace] = field(default_factory=list)

    @property
    def on_hand(self) -> int:
        return sum(p.on_hand for p in self.places)

    @property
    def reserved(self) -> int:
        return sum(p.reserved for p in self.places)

    @property
    def value(self) -> Decimal:
        return self.on_hand * self.unit_cost


async def near_expiry(
    session: AsyncSession,
    actor: Actor,
    warehouse_id: int,
    days: int,
    today: dt.date | None = None,
) -> list[NearExpiry]:
    """Lots with stock in real locations of the warehouse expiring within `days` days (or
    expired: a lot is expired from the day after its expiry date, as for picking), soonest
    first."""
    await warehouse_in_scope(session, warehouse_id, actor)
    today = today or dt.date.today()
    rows = await session.execute(
        select(Quant, Item.sku, Item.name, Item.unit_cost, Lot, Location.code)
        .join(Lot, Lot.id == Quant.lot_id)
        .join(Item, Item.id == Quant.item_id)
        .join(Location, Location.id == Quant.location_id)
        .where(
            Quant.warehouse_id == warehouse_id,
            Quant.is_virtual.is_(False),
            Quant.on_hand > 0,
            Lot.expiry_date.is_not(None),
            Lot.expiry_date <= today + dt.timedelta(days=days),
        )
        .order_by(Lot.expiry_date, Item.sku, Lot.lot_number, Location.code)
    )
    found: dict[int, NearExpiry] = {}
    for quant, sku, name, unit_cost, lot, code in rows.all():
        entry = found.get(lot.id)
        if entry is None:
            days_left = (lot.expiry_date - today).days
            entry = found[lot.id] = NearExpiry(
                item_id=quant.item_id,
                sku=sku,
                item_name=name,
                lot_id=lot.id,
                lot_number=lot.lot_number,
                expiry_date=lot.expiry_date,
                days_left=days_left,
                expired=days_left < 0,
                unit_cost=unit_cost,
            )
        entry.places.append(LotPlace(quant.location_id, code, quant.on_hand, quant.reserved))
    return list(found.values())
