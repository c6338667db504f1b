"""The stock ledger: the one way stock changes.

`post_moves` appends move lines to `stock_moves` and keeps the `quants` projection exact in the
caller's transaction. Stock leaving a real location is taken with a conditional UPDATE
(`... WHERE on_hand - reserved >= :qty`), so concurrent takers are serialised by the database's
row lock and can never drive a quant below zero; the CHECK on `quants` backs that up. Moves are
only ever inserted.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import Item, Location, Lot, Quant, Serial, StockMove, utcnow
from backend.db.upsert import dialect_insert
from backend.domain.errors import InsufficientStock, NotFound, SerialUnavailable, TrackingError
from backend.domain.moves import ItemRules, MoveLine, PlaceRules, check_line
from backend.domain.vocabulary import VIRTUAL_KINDS

QuantKey = tuple[int, int, int]  # item, location, lot (0 for none)


async def post_moves(
    session: AsyncSession,
    lines: Sequence[MoveLine],
    *,
    command_id: int,
    user_id: int,
    occurred_at: dt.datetime,
    document_type: str,
    document_ref: str,
) -> list[StockMove]:
    """Post all `lines` or none: any rule broken raises before the caller commits."""
    if not lines:
        return []
    items, places = await _load_rules(session, lines)
    await _check_tracking_records(session, lines)
    for line in lines:
        check_line(
            line, items[line.item_id], places[line.from_location_id], places[line.to_location_id]
        )

    deltas: dict[QuantKey, int] = defaultdict(int)
    unreserved: dict[QuantKey, int] = defaultdict(int)
    lot_of: dict[QuantKey, int | None] = {}
    for line in lines:
        lot_key = line.lot_id or 0
        for location_id, sign in ((line.from_location_id, -1), (line.to_location_id, 1)):
            key = (line.item_id, location_id, lot_key)
            deltas[key] += sign * line.quantity
            lot_of[key] = line.lot_id
        if line.from_reserved:
            unreserved[(line.item_id, line.from_location_id, lot_key)] += line.quantity
    # A fixed order of row locks keeps two commands touching the same quants from deadlocking.
    additions: list[tuple[QuantKey, int, PlaceRules, int | None]] = []
    for key in sorted(deltas):
        delta = deltas[key]
        if delta == 0:
            continue
        place = places[key[1]]
        if delta < 0 and not place.is_virtual:
            # Write the additions that sort before this take first, so that every row is
            # locked in key order; a command that only adds stays one statement.
            await add_quants(session, additions)
            additions = []
            await _take(session, key, -delta, unreserved[key], items[key[0]], place, lot_of[key])
        else:
            additions.append((key, delta, place, lot_of[key]))
    await add_quants(session, additions)

    for line in lines:
        if line.serial_id is not None:
            await _move_serial(session, line, places)

    now = utcnow()
    moves = [
        StockMove(
            command_id=command_id,
            seq=seq,
            item_id=line.item_id,
            lot_id=line.lot_id,
            serial_id=line.serial_id,
            quantity=line.quantity,
            from_location_id=line.from_location_id,
            to_location_id=line.to_location_id,
            user_id=user_id,
            occurred_at=occurred_at,
            created_at=now,
            document_type=document_type,
            document_ref=document_ref,
            reason=line.reason,
            note=line.note,
        )
        for seq, line in enumerate(lines, start=1)
    ]
    session.add_all(moves)
    await session.flush()
    return moves


async def _load_rules(
    session: AsyncSession, lines: Sequence[MoveLine]
) -> tuple[dict[int, ItemRules], dict[int, PlaceRules]]:
    item_ids = {line.item_id for line in lines}
    location_ids = {lid for line in lines for lid in (line.from_location_id, line.to_location_id)}
    items = {
        row.id: ItemRules(row.id, row.sku, row.tracking, row.active)
        for row in (
            await session.execute(
                select(Item.id, Item.sku, Item.tracking, Item.active).where(Item.id.in_(item_ids))
            )
        )
    }
    places = {
        row.id: PlaceRules(row.id, row.code, row.warehouse_id, row.kind, row.active)
        for row in (
            await session.execute(
                select(
                    Location.id,
                    Location.code,
                    Location.warehouse_id,
                    Location.kind,
                    Location.active,
                ).where(Location.id.in_(location_ids))
            )
        )
    }
    if missing := item_ids - items.keys():
        raise NotFound("no such item", item_ids=sorted(missing))
    if missing := location_ids - places.keys():
        raise NotFound("no such location", location_ids=sorted(missing))
    return items, places


async def _check_tracking_records(session: AsyncSession, lines: Sequence[MoveLine]) -> None:
    """Lots and serials named on a line must belong to the line's item."""
    lot_ids = {line.lot_id for line in lines if line.lot_id is not None}
    serial_ids = {line.serial_id for line in lines if line.serial_id is not None}
    lot_items: dict[int, int] = {}
    if lot_ids:
        lot_items = dict(
            (await session.execute(select(Lot.id, Lot.item_id).where(Lot.id.in_(lot_ids))))
            .tuples()
            .all()
        )
    serial_items: dict[int, int] = {}
    if serial_ids:
        serial_items = dict(
            (
                await session.execute(
                    select(Serial.id, Serial.item_id).where(Serial.id.in_(serial_ids))
                )
            )
            .tuples()
            .all()
        )
    for line in lines:
        if line.lot_id is not None and lot_items.get(line.lot_id) != line.item_id:
            raise TrackingError("the lot does not belong to this item", lot_id=line.lot_id)
        if line.serial_id is not None and serial_items.get(line.serial_id) != line.item_id:
            raise TrackingError("the serial does not belong to this item", serial_id=line.serial_id)


def _quant_match(key: QuantKey) -> Any:
    item_id, location_id, lot_key = key
    return and_(
        Quant.item_id == item_id, Quant.location_id == location_id, Quant.lot_key == lot_key
    )


async def _take(
    session: AsyncSession,
    key: QuantKey,
    quantity: int,
    from_reserved: int,
    item: ItemRules,
    place: PlaceRules,
    lot_id: int | None,
) -> None:
    """Take `quantity`, of which `from_reserved` units were reserved for this very move: the
    rest must be available (on hand and not reserved for anyone)."""
    result = await session.execute(
        update(Quant)
        .where(
            _quant_match(key),
            Quant.reserved >= from_reserved,
            Quant.on_hand - Quant.reserved >= quantity - from_reserved,
        )
        .values(
            on_hand=Quant.on_hand - quantity,
            reserved=Quant.reserved - from_reserved,
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 1:  # type: ignore[attr-defined]
        return
    available = (
        await session.execute(select(Quant.on_hand - Quant.reserved).where(_quant_match(key)))
    ).scalar() or 0
    raise InsufficientStock(
        f"only {available} of {item.sku} available at {place.code}, {quantity} needed",
        sku=item.sku,
        location=place.code,
        lot_id=lot_id,
        available=available,
        requested=quantity,
    )


async def add_quants(
    session: AsyncSession, additions: list[tuple[QuantKey, int, PlaceRules, int | None]]
) -> None:
    """Add to many quants, creating those that do not exist, in a statement per chunk of 500;
    keys are unique, so no row is hit twice. Nothing is taken here: adding needs no lock."""
    now = utcnow()
    for start in range(0, len(additions), 500):
        rows = [
            {
                "item_id": item_id,
                "location_id": location_id,
                "lot_id": lot_id,
                "lot_key": lot_key,
                "warehouse_id": place.warehouse_id,
                "is_virtual": place.is_virtual,
                "on_hand": delta,
                "reserved": 0,
                "updated_at": now,
            }
            for (item_id, location_id, lot_key), delta, place, lot_id in additions[
                start : start + 500
            ]
        ]
        statement = dialect_insert(session)(Quant).values(rows)
        statement = statement.on_conflict_do_update(
            index_elements=[Quant.item_id, Quant.location_id, Quant.lot_key],
            set_={"on_hand": Quant.on_hand + statement.excluded.on_hand, "updated_at": now},
        )
        await session.execute(statement)


async def _move_serial(
    session: AsyncSession, line: MoveLine, places: dict[int, PlaceRules]
) -> None:
    """A serial is where the ledger last put it: it leaves a real location only from there and
    enters from a virtual one only if it is in no real location."""
    source = places[line.from_location_id]
    if source.is_virtual:
        virtual_ids = select(Location.id).where(Location.kind.in_(VIRTUAL_KINDS))
        where_it_is = or_(Serial.location_id.is_(None), Serial.location_id.in_(virtual_ids))
    else:
        where_it_is = Serial.location_id == source.id
    result = await session.execute(
        update(Serial)
        .where(Serial.id == line.serial_id, where_it_is)
        .values(location_id=line.to_location_id)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        serial = await session.get(Serial, line.serial_id)
        label = serial.serial if serial else line.serial_id
        raise SerialUnavailable(
            f"serial {label} is not at {source.code}"
            if not source.is_virtual
            else f"serial {label} is already in stock",
            serial=label,
            location=source.code,
        )
