"""Handlers for the stock commands of the foundation: bin-to-bin moves and adjustments."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import Command, Item, Location
from backend.domain.actor import Actor
from backend.domain.commands import AdjustStock, MoveStock, PostOpeningBalance
from backend.domain.errors import InvalidMove, NotFound
from backend.domain.moves import MoveLine
from backend.domain.vocabulary import STOCK_KINDS
from backend.service import adjustments
from backend.service.applied import Applied
from backend.service.ledger import post_moves
from backend.service.tracking import (
    check_serial_count,
    find_lot,
    find_or_create_lot,
    unit_lines,
)
from backend.service.warehouses import virtual_location


async def _location(session: AsyncSession, location_id: int, actor: Actor) -> Location:
    location = await session.get(Location, location_id)
    if location is None:
        raise NotFound("no such location", location_id=location_id)
    actor.require_warehouse(location.warehouse_id)
    return location


async def _item(session: AsyncSession, item_id: int) -> Item:
    item = await session.get(Item, item_id)
    if item is None:
        raise NotFound("no such item", item_id=item_id)
    return item


async def move_stock(
    session: AsyncSession, command: MoveStock, actor: Actor, row: Command
) -> Applied:
    source = await _location(session, command.from_location_id, actor)
    dest = await _location(session, command.to_location_id, actor)
    for place in (source, dest):
        if place.kind not in STOCK_KINDS:
            raise InvalidMove(f"{place.code} is not a bin or dock", location=place.code)
    item = await _item(session, command.item_id)
    check_serial_count(item, command.serials, command.quantity)
    lot_id = None
    if command.lot_number is not None:
        lot_id = (await find_lot(session, item.id, command.lot_number)).id
    lines = await unit_lines(
        session,
        item,
        quantity=command.quantity,
        source=source.id,
        dest=dest.id,
        lot_id=lot_id,
        serials=command.serials,
        create_serials=False,
        note=command.note,
    )
    moves = await post_moves(
        session,
        lines,
        command_id=row.id,
        user_id=actor.id,
        occurred_at=command.occurred_at,
        document_type="bin_move",
        document_ref=str(command.event_id),
    )
    return Applied({"quantity": command.quantity}, moves)


async def adjust_stock(
    session: AsyncSession, command: AdjustStock, actor: Actor, row: Command
) -> Applied:
    """Any role may adjust; large adjustments wait for approval (see `adjustments`)."""
    return await adjustments.adjust_stock(session, command, actor, row)


async def post_opening_balance(
    session: AsyncSession, command: PostOpeningBalance, actor: Actor, row: Command
) -> Applied:
    """All lines post in one command: an opening balance is loaded whole or not at all."""
    actor.require_role("admin")
    lines: list[MoveLine] = []
    counterparts: dict[int, Location] = {}
    for entry in command.lines:
        location = await _location(session, entry.location_id, actor)
        if location.kind not in STOCK_KINDS:
            raise InvalidMove(f"{location.code} is not a bin or dock", location=location.code)
        if location.warehouse_id not in counterparts:
            counterparts[location.warehouse_id] = await virtual_location(
                session, location.warehouse_id, "adjustment"
            )
        counterpart = counterparts[location.warehouse_id]
        item = await _item(session, entry.item_id)
        check_serial_count(item, entry.serials, entry.quantity)
        lot_id = None
        if entry.lot_number is not None:
            lot_id = (
                await find_or_create_lot(session, item.id, entry.lot_number, entry.expiry_date)
            ).id
        lines += await unit_lines(
            session,
            item,
            quantity=entry.quantity,
            source=counterpart.id,
            dest=location.id,
            lot_id=lot_id,
            serials=entry.serials,
            create_serials=True,
            reason="opening",
        )
    moves = await post_moves(
        session,
        lines,
        command_id=row.id,
        user_id=actor.id,
        occurred_at=command.occurred_at,
        document_type="opening_balance",
        document_ref=command.reference,
    )
    return Applied({"lines": len(command.lines)}, moves)
