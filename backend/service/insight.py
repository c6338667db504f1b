"""Stock seen as money: value by warehouse, zone, location, item or lot; slow-moving and dead
stock; ABC classes from outbound value."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from backend.db.models import Item, Location, Lot, Quant, StockMove, Warehouse, utcnow
from backend.domain.actor import Actor
from backend.domain.errors import InvalidRequest
from backend.service import queries

GroupBy = Literal["warehouse", "zone", "location", "item", "lot"]
# Outbound = what left for customers; scrap and adjustments are not demand.
OUTBOUND_KIND = "customer"
ABC_SHARES = (Decimal("0.80"), Decimal("0.95"))  # cumulative outbound value closing A, then B


@dataclass(frozen=True)
class ValueRow:
    key: int | None
    label: str
    quantity: int
    value: Decimal


async def stock_value(
    session: AsyncSession, actor: Actor, group_by: GroupBy, warehouse_id: int | None = None
) -> list[ValueRow]:
    """On-hand quantity and value (quantity × the item's unit cost) of real locations."""
    zone = aliased(Location)
    value = func.sum(Quant.on_hand * Item.unit_cost)
    quantity = func.sum(Quant.on_hand)
    columns: dict[str, tuple[Any, Any]] = {
        "warehouse": (Warehouse.id, Warehouse.code),
        "zone": (zone.id, func.coalesce(zone.code, "")),
        "location": (Location.id, Location.code),
        "item": (Item.id, Item.sku),
        "lot": (Lot.id, func.coalesce(Item.sku + " " + Lot.lot_number, Item.sku)),
    }
    if group_by not in columns:
        raise InvalidRequest("group_by is warehouse, zone, location, item or lot")
    key, label = columns[group_by]
    query = (
        select(key, label, quantity, value)
        .select_from(Quant)
        .join(Item, Item.id == Quant.item_id)
        .join(Location, Location.id == Quant.location_id)
        .join(Warehouse, Warehouse.id == Quant.warehouse_id)
        .outerjoin(zone, zone.id == Location.parent_id)
        .outerjoin(Lot, Lot.id == Quant.lot_id)
        .where(Quant.is_virtual.is_(False), Quant.on_hand > 0)
        .group_by(key, label)
        .order_by(value.desc(), label)
    )
    query = queries.scoped(query, Quant.warehouse_id, actor)
    if warehouse_id is not None:
        actor.require_warehouse(warehouse_id)
        query = query.where(Quant.warehouse_id == warehouse_id)
    return [
        ValueRow(k, str(lbl), int(q), Decimal(v or 0).quantize(Decimal("0.01")))
        for k, lbl, q, v in (await session.execute(query)).tuples()
    ]


@dataclass(frozen=True)
class Mover:
    item_id: int
    sku: str
    name: str
    warehouse_id: int
    quantity: int
    value: Decimal
    last_outbound_at: dt.datetime | None
    days_since: int | None
    status: Literal["slow", "dead"]


async def slow_movers(
    session: AsyncSession,
    actor: Actor,
    warehouse_id: int,
    *,
    slow_days: int = 60,
    dead_days: int = 180,
    now: dt.datetime | None = None,
) -> list[Mover]:
    """Items on hand with no outbound movement for `slow_days` (slow) or `dead_days`, or
    never (dead), with the value they tie up, most value first."""
    if not 0 < slow_days <= dead_days:
        raise InvalidRequest("slow_days must be positive and at most dead_days")
    actor.require_warehouse(warehouse_id)
    now = now or utcnow()
    customer = aliased(Location)
    last_out = (
        select(StockMove.item_id, func.max(StockMove.occurred_at).label("at"))
        .join(customer, customer.id == StockMove.to_location_id)
        .where(customer.kind == OUTBOUND_KIND, customer.warehouse_id == warehouse_id)
        .group_by(StockMove.item_id)
        .subquery()
    )
    on_hand = (
        select(
            Item.id,
            Item.sku,
            Item.name,
            func.sum(Quant.on_hand),
            func.sum(Quant.on_hand * Item.unit_cost),
            last_out.c.at,
        )
        .join(Quant, Quant.item_id == Item.id)
        .outerjoin(last_out, last_out.c.item_id == Item.id)
        .where(Quant.warehouse_id == warehouse_id, Quant.is_virtual.is_(False), Quant.on_hand > 0)
        .group_by(Item.id, Item.sku, Item.name, last_out.c.at)
    )
    movers = []
    for item_id, sku, name, quantity, value, at in (await session.execute(on_hand)).tuples():
        days = None if at is None else (now - at).days
        if days is not None and days < slow_days:
            continue
        status: Literal["slow", "dead"] = "dead" if days is None or days >= dead_days else "slow"
        movers.append(
            Mover(
                item_id,
                sku,
                name,
                warehouse_id,
                int(quantity),
                Decimal(value or 0).quantize(Decimal("0.01")),
                at,
                days,
                status,
            )
        )
    return sorted(movers, key=lambda m: (-m.value, m.sku))


@dataclass(frozen=True)
class AbcRow:
    item_id: int
    sku: str
    outbound_value: Decimal
    share: Decimal
    abc_class: str
    previous: str | None


async def abc_classes(
    session: AsyncSession, *, days: int = 90, now: dt.datetime | None = None
) -> list[AbcRow]:
    """Every active item's class from its outbound value over the last `days`: the items
    making the first 80 % of the value are A, up to 95 % B, the rest (and items that did not
    move) C."""
    since = (now or utcnow()) - dt.timedelta(days=days)
    customer = aliased(Location)
    outbound = (
        select(StockMove.item_id, func.sum(StockMove.quantity).label("units"))
        .join(customer, customer.id == StockMove.to_location_id)
        .where(customer.kind == OUTBOUND_KIND, StockMove.occurred_at >= since)
        .group_by(StockMove.item_id)
        .subquery()
    )
    rows = (
        await session.execute(
            select(Item.id, Item.sku, Item.unit_cost, Item.abc_class, outbound.c.units)
            .outerjoin(outbound, outbound.c.item_id == Item.id)
            .where(Item.active.is_(True))
        )
    ).tuples()
    valued = [
        (item_id, sku, Decimal(units or 0) * Decimal(cost), previous)
        for item_id, sku, cost, previous, units in rows
    ]
    valued.sort(key=lambda r: (-r[2], r[1]))
    total = sum((v for _, _, v, _ in valued), Decimal(0))
    classes = classify([v for _, _, v, _ in valued])
    return [
        AbcRow(
            item_id,
            sku,
            value.quantize(Decimal("0.01")),
            (value / total).quantize(Decimal("0.0001")) if total else Decimal(0),
            klass,
            previous,
        )
        for (item_id, sku, value, previous), klass in zip(valued, classes, strict=True)
    ]


def classify(values: list[Decimal]) -> list[str]:
    """Classes of values sorted largest first: A while the value before an item has not yet
    reached 80 % of the total (the item that crosses the line belongs to the class it
    completes), B up to 95 %, then C; an item that did not move is C."""
    total = sum(values, Decimal(0))
    classes, running = [], Decimal(0)
    for value in values:
        before = running / total if total else Decimal(1)
        running += value
        if value == 0 or before >= ABC_SHARES[1]:
            classes.append("C")
        elif before >= ABC_SHARES[0]:
            classes.append("B")
        else:
            classes.append("A")
    return classes


async def apply_abc(session: AsyncSession, rows: list[AbcRow]) -> int:
    """Store the classes; returns how many items changed class."""
    changed = 0
    for klass in ("A", "B", "C"):
        ids = [r.item_id for r in rows if r.abc_class == klass and r.previous != klass]
        if ids:
            await session.execute(
                update(Item)
                .where(Item.id.in_(ids))
                .values(abc_class=klass, updated_at=utcnow())
                .execution_options(synchronize_session=False)
            )
            changed += len(ids)
    return changed
