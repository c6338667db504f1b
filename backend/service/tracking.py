"""Lots and serial numbers as the floor names them: by the text printed on the label."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import Item, Lot, Serial
from backend.domain.errors import NotFound, TrackingError
from backend.domain.moves import MoveLine


async def find_lot(session: AsyncSession, item_id: int, lot_number: str) -> Lot:
    lot = (
        await session.execute(
            select(Lot).where(Lot.item_id == item_id, Lot.lot_number == lot_number)
        )
    ).scalar_one_or_none()
    if lot is None:
        raise NotFound(f"no lot {lot_number} of this item", lot_number=lot_number)
    return lot


async def find_or_create_lot(
    session: AsyncSession, item_id: int, lot_number: str, expiry_date: dt.date | None
) -> Lot:
    lot = (
        await session.execute(
            select(Lot).where(Lot.item_id == item_id, Lot.lot_number == lot_number)
        )
    ).scalar_one_or_none()
    if lot is None:
        lot = Lot(item_id=item_id, lot_number=lot_number, expiry_date=expiry_date)
        session.add(lot)
        await session.flush()
    elif expiry_date is not None and lot.expiry_date not in (None, expiry_date):
        raise TrackingError(
            f"lot {lot_number} is on record with expiry {lot.expiry_date}, not {expiry_date}",
            lot_number=lot_number,
            expiry_date=str(lot.expiry_date),
        )
    return lot


async def find_serials(
    session: AsyncSession,
    item_id: int,
    serials: list[str],
    *,
    create: bool,
    lot_id: int | None = None,
) -> list[Serial]:
    if len(set(serials)) != len(serials):
        raise TrackingError("the same serial number is listed twice", serials=serials)
    found = {
        s.serial: s
        for s in (
            await session.execute(
                select(Serial).where(Serial.item_id == item_id, Serial.serial.in_(serials))
            )
        ).scalars()
    }
    missing = [s for s in serials if s not in found]
    if missing and not create:
        raise NotFound("unknown serial numbers for this item", serials=missing)
    for serial in missing:
        found[serial] = Serial(item_id=item_id, serial=serial, lot_id=lot_id)
        session.add(found[serial])
    if missing:
        await session.flush()
    return [found[s] for s in serials]


def check_serial_count(item: Item, serials: list[str], quantity: int) -> None:
    """A serial-tracked item moves with one serial per unit; others move with none."""
    if item.tracking == "serial" and len(serials) != quantity:
        raise TrackingError(
            f"{item.sku} is serial-tracked: scan one serial per unit "
            f"({quantity} units, {len(serials)} serials)",
            sku=item.sku,
        )
    if item.tracking != "serial" and serials:
        raise TrackingError(f"{item.sku} is not serial-tracked", sku=item.sku)


async def unit_lines(
    session: AsyncSession,
    item: Item,
    *,
    quantity: int,
    source: int,
    dest: int,
    lot_id: int | None,
    serials: list[str],
    create_serials: bool = False,
    reason: str | None = None,
    note: str | None = None,
    from_reserved: bool = False,
) -> list[MoveLine]:
    """The move lines for `quantity` units: one line, or one line per serial."""
    if item.tracking == "serial":
        records = await find_serials(
            session, item.id, serials, create=create_serials, lot_id=lot_id
        )
        return [
            MoveLine(item.id, 1, source, dest, lot_id, s.id, reason, note, from_reserved)
            for s in records
        ]
    return [MoveLine(item.id, quantity, source, dest, lot_id, None, reason, note, from_reserved)]
