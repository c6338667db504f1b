"""The read side: stock by item, lot, location and warehouse, and the movement history."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from backend.db.models import (
    Command,
    DocumentEvent,
    Item,
    ItemBarcode,
    Location,
    Lot,
    PurchaseOrderLine,
    Quant,
    Serial,
    StockMove,
    TaskLine,
    User,
    UserWarehouse,
)
from backend.domain.actor import Actor


@dataclass(frozen=True)
class StockFilter:
    item_id: int | None = None
    sku: str | None = None
    barcode: str | None = None
    lot_number: str | None = None
    location_id: int | None = None
    location_barcode: str | None = None
    warehouse_id: int | None = None
    include_empty: bool = False


def scoped(query: Select[Any], column: Any, actor: Actor) -> Select[Any]:
    """Only rows of the actor's warehouses; `column` holds the row's warehouse id."""
    return query if actor.all_warehouses else query.where(column.in_(actor.warehouse_ids))


def matching(query: Select[Any], *filters: tuple[Any, Any]) -> Select[Any]:
    """Equality filters from optional query parameters: a None value filters nothing."""
    for column, value in filters:
        if value is not None:
            query = query.where(column == value)
    return query


async def count_rows(session: AsyncSession, query: Select[Any]) -> int:
    counted = select(func.count()).select_from(query.order_by(None).subquery())
    return (await session.execute(counted)).scalar_one()


async def _page(
    session: AsyncSession, query: Select[Any], limit: int, offset: int
) -> tuple[list[Any], int]:
    total = await count_rows(session, query)
    rows = (await session.execute(query.limit(limit).offset(offset))).all()
    return list(rows), total


async def record_page(
    session: AsyncSession, query: Select[Any], limit: int, offset: int
) -> tuple[list[Any], int]:
    """One page of the records a single-entity query selects, and how many there are."""
    records = (await session.execute(query.limit(limit).offset(offset))).scalars().all()
    return list(records), await count_rows(session, query)


async def stock(
    session: AsyncSession, actor: Actor, f: StockFilter, *, limit: int, offset: int
) -> tuple[list[Any], int]:
    query = (
        select(
            Quant, Item.sku, Item.name, Item.unit, Location.code, Lot.lot_number, Lot.expiry_date
        )
        .join(Item, Item.id == Quant.item_id)
        .join(Location, Location.id == Quant.location_id)
        .outerjoin(Lot, Lot.id == Quant.lot_id)
        .where(Quant.is_virtual.is_(False))
        .order_by(
            Item.sku,
            Location.pick_sequence,
            Location.code,
            Lot.expiry_date.asc().nulls_last(),
            Quant.id,
        )
    )
    query = scoped(query, Quant.warehouse_id, actor)
    if not f.include_empty:
        query = query.where(Quant.on_hand != 0)
    if f.item_id:
        query = query.where(Quant.item_id == f.item_id)
    if f.sku:
        query = query.where(Item.sku == f.sku)
    if f.barcode:
        query = query.where(
            Quant.item_id.in_(select(ItemBarcode.item_id).where(ItemBarcode.code == f.barcode))
        )
    if f.lot_number:
        query = query.where(Lot.lot_number == f.lot_number)
    if f.location_id:
        query = query.where(
            or_(Quant.location_id == f.location_id, Location.parent_id == f.location_id)
        )
    if f.location_barcode:
        query = query.where(Location.barcode == f.location_barcode)
    if f.warehouse_id:
        query = query.where(Quant.warehouse_id == f.warehouse_id)
    return await _page(session, query, limit, offset)


@dataclass(frozen=True)
class MoveFilter:
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    user_id: int | None = None
    item_id: int | None = None
    location_id: int | None = None
    warehouse_id: int | None = None
    document_type: str | None = None
    document_ref: str | None = None
    event_id: str | None = None


def moves_query(actor: Actor) -> Select[Any]:
    source, dest = aliased(Location), aliased(Location)
    query = (
        select(
            StockMove,
            Command.event_id,
            Command.type,
            Item.sku,
            Lot.lot_number,
            Serial.serial,
            source.code,
            dest.code,
            User.username,
        )
        .join(Command, Command.id == StockMove.command_id)
        .join(Item, Item.id == StockMove.item_id)
        .join(source, source.id == StockMove.from_location_id)
        .join(dest, dest.id == StockMove.to_location_id)
        .join(User, User.id == StockMove.user_id)
        .outerjoin(Lot, Lot.id == StockMove.lot_id)
        .outerjoin(Serial, Serial.id == StockMove.serial_id)
    )
    if not actor.all_warehouses:
        query = query.where(
            or_(
                source.warehouse_id.in_(actor.warehouse_ids),
                dest.warehouse_id.in_(actor.warehouse_ids),
            )
        )
    return query


async def moves(
    session: AsyncSession, actor: Actor, f: MoveFilter, *, limit: int, offset: int
) -> tuple[list[Any], int]:
    query = moves_query(actor).order_by(StockMove.id.desc())
    if f.since:
        query = query.where(StockMove.occurred_at >= f.since)
    if f.until:
        query = query.where(StockMove.occurred_at < f.until)
    if f.user_id:
        query = query.where(StockMove.user_id == f.user_id)
    if f.item_id:
        query = query.where(StockMove.item_id == f.item_id)
    if f.location_id:
        query = query.where(
            or_(
                StockMove.from_location_id == f.location_id,
                StockMove.to_location_id == f.location_id,
            )
        )
    if f.warehouse_id:
        in_warehouse = select(Location.id).where(Location.warehouse_id == f.warehouse_id)
        query = query.where(
            or_(
                StockMove.from_location_id.in_(in_warehouse),
                StockMove.to_location_id.in_(in_warehouse),
            )
        )
    if f.document_type:
        query = query.where(StockMove.document_type == f.document_type)
    if f.document_ref:
        query = query.where(StockMove.document_ref == f.document_ref)
    return await _page(session, query, limit, offset)


async def command_moves(session: AsyncSession, actor: Actor, command_id: int) -> list[Any]:
    query = moves_query(actor).where(StockMove.command_id == command_id).order_by(StockMove.seq)
    return list((await session.execute(query)).all())


async def may_see_command(session: AsyncSession, actor: Actor, command: Command) -> bool:
    """Your own commands; a supervisor also those of people sharing one of their warehouses."""
    if command.user_id == actor.id or actor.all_warehouses:
        return True
    if not actor.has_role("supervisor"):
        return False
    shared = await session.execute(
        select(UserWarehouse.warehouse_id).where(
            UserWarehouse.user_id == command.user_id,
            UserWarehouse.warehouse_id.in_(actor.warehouse_ids),
        )
    )
    return shared.first() is not None


async def history(session: AsyncSession, document_type: str, document_id: int) -> list[Any]:
    rows = await session.execute(
        select(DocumentEvent, User.username)
        .join(User, User.id == DocumentEvent.user_id)
        .where(
            DocumentEvent.document_type == document_type, DocumentEvent.document_id == document_id
        )
        .order_by(DocumentEvent.id)
    )
    return list(rows.all())


async def order_lines(session: AsyncSession, order_id: int) -> list[Any]:
    rows = await session.execute(
        select(PurchaseOrderLine, Item.sku)
        .join(Item, Item.id == PurchaseOrderLine.item_id)
        .where(PurchaseOrderLine.order_id == order_id)
        .order_by(PurchaseOrderLine.line_no)
    )
    return list(rows.all())


async def task_lines(session: AsyncSession, task_ids: list[int]) -> dict[int, list[Any]]:
    """Lines of the tasks, in walking order of their source (or destination) location."""
    source, dest = aliased(Location), aliased(Location)
    found: dict[int, list[Any]] = {t: [] for t in task_ids}
    if not task_ids:
        return found
    rows = await session.execute(
        select(TaskLine, Item.sku, Item.name, Lot.lot_number, source.code, dest.code)
        .join(Item, Item.id == TaskLine.item_id)
        .outerjoin(Lot, Lot.id == TaskLine.lot_id)
        .outerjoin(source, source.id == TaskLine.from_location_id)
        .outerjoin(dest, dest.id == TaskLine.to_location_id)
        .where(TaskLine.task_id.in_(task_ids))
        .order_by(
            TaskLine.task_id, func.coalesce(source.pick_sequence, dest.pick_sequence), TaskLine.seq
        )
    )
    for row in rows.all():
        found[row[0].task_id].append(row)
    return found
