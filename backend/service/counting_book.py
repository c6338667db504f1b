"""The book a count is compared with: what the ledger says a location held at a moment."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import Quant, StockMove

BookKey = tuple[int, int | None]  # item, lot


async def book_as_of(
    session: AsyncSession, location_id: int, at: dt.datetime, *, item_id: int | None = None
) -> dict[BookKey, int]:
    """What the book held in one location at `at`, per item and lot (only what it held).

    Worked back from the quants (the book now): moves into the location that happened after
    `at` are taken off, moves out of it after `at` are put back. "Happened" is the move's
    `occurred_at`, the time the work was done on the floor, not `created_at`, when the server
    heard of it: a count scanned offline at 10:02 and synced at 11:30 is compared with the shelf
    at 10:02, so a pick made at 10:10 is not a variance of that count, and a move made offline
    at 9:50 and synced at 10:20 is part of the book the 10:02 count saw on the shelf.
    """
    book: dict[BookKey, int] = defaultdict(int)
    quants = select(Quant.item_id, Quant.lot_id, Quant.on_hand).where(
        Quant.location_id == location_id
    )
    if item_id is not None:
        quants = quants.where(Quant.item_id == item_id)
    for item, lot, on_hand in (await session.execute(quants)).tuples():
        book[(item, lot)] += on_hand
    for (item, lot), quantity in (await _later(session, location_id, at, item_id, True)).items():
        book[(item, lot)] -= quantity
    for (item, lot), quantity in (await _later(session, location_id, at, item_id, False)).items():
        book[(item, lot)] += quantity
    # Offline events can be stamped out of order (a pick stamped before the receipt it took
    # from), which can make the worked-back figure dip below zero: a shelf never holds less.
    return {key: quantity for key, quantity in book.items() if quantity > 0}


async def _later(
    session: AsyncSession, location_id: int, at: dt.datetime, item_id: int | None, into: bool
) -> dict[BookKey, int]:
    """The quantity moved into (or out of) the location after `at`, per item and lot."""
    side: Any = StockMove.to_location_id if into else StockMove.from_location_id
    query = (
        select(StockMove.item_id, StockMove.lot_id, func.sum(StockMove.quantity))
        .where(side == location_id, StockMove.occurred_at > at)
        .group_by(StockMove.item_id, StockMove.lot_id)
    )
    if item_id is not None:
        query = query.where(StockMove.item_id == item_id)
    return {(item, lot): int(total) for item, lot, total in (await session.execute(query)).tuples()}


async def holdings(session: AsyncSession, location_ids: list[int]) -> dict[int, dict[BookKey, int]]:
    """What the book holds now in each location, per item and lot (only what it holds)."""
    found: dict[int, dict[BookKey, int]] = {lid: {} for lid in location_ids}
    if not location_ids:
        return found
    rows = await session.execute(
        select(Quant.location_id, Quant.item_id, Quant.lot_id, Quant.on_hand).where(
            Quant.location_id.in_(location_ids), Quant.on_hand > 0
        )
    )
    for location_id, item, lot, on_hand in rows.tuples():
        found[location_id][(item, lot)] = on_hand
    return found


# A move as the book is worked back with it: from, to, item, lot, quantity, occurred_at.
Moved = tuple[int, int, int, int | None, int, dt.datetime]


async def moves_since(
    session: AsyncSession, location_ids: set[int], since: dt.datetime, *, limit: int | None = None
) -> list[Moved]:
    """The moves into or out of the locations that happened after `since`, for working the
    book of many counts back at once (`worked_back`). With `limit`, at most that many."""
    query = select(
        StockMove.from_location_id,
        StockMove.to_location_id,
        StockMove.item_id,
        StockMove.lot_id,
        StockMove.quantity,
        StockMove.occurred_at,
    ).where(
        or_(
            StockMove.to_location_id.in_(location_ids), StockMove.from_location_id.in_(location_ids)
        ),
        StockMove.occurred_at > since,
    )
    if limit is not None:
        query = query.limit(limit)
    return [tuple(row) for row in (await session.execute(query)).tuples()]  # type: ignore[misc]


def worked_back(
    now: Iterable[tuple[BookKey, int]],
    moves: Iterable[Moved],
    location_id: int,
    at: dt.datetime,
    *,
    item_id: int | None = None,
) -> dict[BookKey, int]:
    """`book_as_of` from what the location holds now and moves that include every one into or
    out of it after `at` (others are passed over)."""
    book: dict[BookKey, int] = defaultdict(int)
    for key, quantity in now:
        if item_id in (None, key[0]):
            book[key] += quantity
    for source, dest, item, lot, quantity, when in moves:
        if when <= at or item_id not in (None, item):
            continue
        if dest == location_id:
            book[(item, lot)] -= quantity
        if source == location_id:
            book[(item, lot)] += quantity
    return {key: quantity for key, quantity in book.items() if quantity > 0}
