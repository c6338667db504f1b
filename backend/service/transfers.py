"""Warehouse-to-warehouse transfers: shipped into a transit location, received out of it.

Each route (source -> destination) has its own virtual transit location in the source
warehouse, made on first use. Every unit of a line is always somewhere the ledger can show:
still in a source bin, in transit (shipped - received - written off), received at the
destination (good or quarantined), or written off to the destination's adjustment location
when a supervisor closes the transfer with a reason. Nothing vanishes in transit.

Transit is virtual, so the ledger does not stop it going negative: the per-line counters
(`shipped`, `received`, `written_off`, checked under a row lock on the transfer) are what
keep every move out of transit covered by a move into it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import (
    Command,
    Item,
    Location,
    Lot,
    Serial,
    StockMove,
    Transfer,
    TransferLine,
    Warehouse,
    utcnow,
)
from backend.db.upsert import dialect_insert
from backend.domain.actor import Actor
from backend.domain.commands import (
    CloseTransfer,
    ReceiveTransfer,
    ReceiveTransferLine,
    ShipTransfer,
    ShipTransferLine,
)
from backend.domain.errors import (
    Conflict,
    InvalidMove,
    InvalidRequest,
    LotExpired,
    NotFound,
    OverReceipt,
    OverShipment,
    ScanMismatch,
    SerialUnavailable,
    TrackingError,
)
from backend.domain.moves import MoveLine
from backend.domain.vocabulary import STOCK_KINDS
from backend.service import documents
from backend.service.applied import Applied
from backend.service.catalog import get_or_404, warehouse_in_scope
from backend.service.ledger import post_moves
from backend.service.receiving import location_for
from backend.service.tracking import check_serial_count, find_lot, unit_lines
from backend.service.warehouses import virtual_location

DOCUMENT = "transfer"
SHIPPABLE = ("open", "in_transit", "partially_received")
RECEIVABLE = ("in_transit", "partially_received")
CLOSABLE = ("open", "in_transit", "partially_received")
WRITE_OFF_REASON = "transit_loss"


@dataclass(frozen=True)
class PlannedLine:
    item_id: int
    quantity: int
    lot_number: str | None = None
    from_location_id: int | None = None


def in_transit(line: TransferLine) -> int:
    return line.shipped_quantity - line.received_quantity - line.written_off_quantity


# --- creating -----------------------------------------------------------------------------


async def create_transfer(
    session: AsyncSession,
    actor: Actor,
    *,
    from_warehouse_id: int,
    to_warehouse_id: int,
    lines: Sequence[PlannedLine],
    note: str | None,
) -> Transfer:
    """A supervisor of the source warehouse plans what leaves; the destination receives it."""
    actor.require_role("supervisor")
    if from_warehouse_id == to_warehouse_id:
        raise InvalidRequest("a transfer goes to another warehouse; use a bin move within one")
    source = await warehouse_in_scope(session, from_warehouse_id, actor)
    dest = await get_or_404(session, Warehouse, to_warehouse_id, "warehouse")
    for warehouse in (source, dest):
        if not warehouse.active:
            raise InvalidRequest(f"warehouse {warehouse.code} is deactivated")
    if not lines:
        raise InvalidRequest("a transfer needs at least one line")
    rows = [await _checked_line(session, source, line) for line in lines]
    transfer = Transfer(
        number=await documents.next_number(session, "transfer"),
        from_warehouse_id=source.id,
        to_warehouse_id=dest.id,
        status="open",
        note=note,
        created_by=actor.id,
    )
    session.add(transfer)
    await session.flush()
    for n, row in enumerate(rows, start=1):
        row.transfer_id, row.line_no = transfer.id, n
    session.add_all(rows)
    await documents.record(
        session, DOCUMENT, transfer.id, "created", actor.id, to_warehouse=dest.code, lines=len(rows)
    )
    await session.flush()
    return transfer


async def _checked_line(
    session: AsyncSession, source: Warehouse, plan: PlannedLine
) -> TransferLine:
    item = await get_or_404(session, Item, plan.item_id, "item")
    if not item.active:
        raise InvalidRequest(f"item {item.sku} is deactivated", sku=item.sku)
    lot_id = None
    if plan.lot_number is not None:
        if item.tracking == "none":
            raise TrackingError(f"item {item.sku} is not tracked by lot", sku=item.sku)
        lot = await find_lot(session, item.id, plan.lot_number)
        check_not_expired(lot)
        lot_id = lot.id
    if plan.from_location_id is not None:
        await _source_bin(session, source.id, plan.from_location_id)
    return TransferLine(
        item_id=item.id,
        lot_id=lot_id,
        from_location_id=plan.from_location_id,
        quantity=plan.quantity,
    )


def check_not_expired(lot: Lot, today: dt.date | None = None) -> None:
    """An expired lot may be scrapped where it is, never sent on to another warehouse."""
    today = today or dt.date.today()
    if lot.expiry_date is not None and lot.expiry_date < today:
        raise LotExpired(
            f"lot {lot.lot_number} expired on {lot.expiry_date}; it cannot be transferred",
            lot=lot.lot_number,
            expiry_date=str(lot.expiry_date),
        )


# --- transit ------------------------------------------------------------------------------


def transit_code(source: Warehouse, dest: Warehouse) -> str:
    code = f"TRANSIT:{source.code}>{dest.code}"
    # Location codes hold 64 characters; long warehouse codes fall back to their ids.
    return code if len(code) <= 64 else f"TRANSIT:{source.id}>{dest.id}"


async def transit_location(session: AsyncSession, transfer: Transfer) -> Location:
    """The route's transit location, created on first use. INSERT ... ON CONFLICT DO NOTHING on
    the (warehouse, code) key makes two first shipments racing end with one location."""
    source = await get_or_404(session, Warehouse, transfer.from_warehouse_id, "warehouse")
    dest = await get_or_404(session, Warehouse, transfer.to_warehouse_id, "warehouse")
    code, now = transit_code(source, dest), utcnow()
    insert = dialect_insert(session)(Location).values(
        warehouse_id=source.id,
        code=code,
        name=f"In transit {source.code} to {dest.code}",
        kind="transit",
        pick_sequence=0,
        active=True,
        created_at=now,
        updated_at=now,
    )
    await session.execute(
        insert.on_conflict_do_nothing(index_elements=[Location.warehouse_id, Location.code])
    )
    location = (
        await session.execute(
            select(Location).where(Location.warehouse_id == source.id, Location.code == code)
        )
    ).scalar_one()
    if location.kind != "transit":
        raise Conflict(f"location {code} exists and is not a transit location", location=code)
    return location


# --- shipping -----------------------------------------------------------------------------


async def ship_transfer(
    session: AsyncSession, command: ShipTransfer, actor: Actor, row: Command
) -> Applied:
    transfer = await _locked_transfer(session, command.transfer_id)
    actor.require_warehouse(transfer.from_warehouse_id)
    if transfer.status not in SHIPPABLE:
        raise Conflict(f"transfer {transfer.number} is {transfer.status}", status=transfer.status)
    lines = await _lines(session, transfer.id)
    transit = await transit_location(session, transfer)
    plan: list[MoveLine] = []
    report: list[dict[str, Any]] = []
    for entry in command.lines:
        line = _line(lines, entry.line_id)
        plan += await _shipment_lines(session, transfer, line, entry, transit)
        report.append({"line_id": line.id, "quantity": entry.quantity})
    moves = await _post(session, transfer, plan, actor, row, command.occurred_at)
    refresh_status(transfer, lines.values())
    await documents.record(
        session, DOCUMENT, transfer.id, "shipped", actor.id, command_id=row.id, lines=report
    )
    return Applied(
        {
            "transfer": transfer.number,
            "status": transfer.status,
            "shipped": sum(e.quantity for e in command.lines),
            "transit": transit.code,
        },
        moves,
    )


async def _shipment_lines(
    session: AsyncSession,
    transfer: Transfer,
    line: TransferLine,
    entry: ShipTransferLine,
    transit: Location,
) -> list[MoveLine]:
    if line.shipped_quantity + entry.quantity > line.quantity:
        raise OverShipment(
            f"line {line.line_no} of {transfer.number} asks for {line.quantity}; "
            f"{line.shipped_quantity} already shipped",
            line_id=line.id,
            quantity=line.quantity,
            shipped=line.shipped_quantity,
            shipping=entry.quantity,
        )
    source = await _source_bin(session, transfer.from_warehouse_id, entry.from_location_id)
    item = await get_or_404(session, Item, line.item_id, "item")
    check_serial_count(item, entry.serials, entry.quantity)
    lot = await _shipment_lot(session, item, line, entry.lot_number)
    line.shipped_quantity += entry.quantity
    return await unit_lines(
        session,
        item,
        quantity=entry.quantity,
        source=source.id,
        dest=transit.id,
        lot_id=lot.id if lot else None,
        serials=entry.serials,
        note=f"{transfer.number} line {line.line_no}",
    )


async def _shipment_lot(
    session: AsyncSession, item: Item, line: TransferLine, lot_number: str | None
) -> Lot | None:
    """A line carries one lot: the planned one, or the first one shipped. So the receiver
    and the close know which lot is in transit for the line without asking."""
    if item.tracking == "none":
        if lot_number is not None:
            raise TrackingError(f"item {item.sku} is not tracked by lot", sku=item.sku)
        return None
    if line.lot_id is not None:
        lot = await get_or_404(session, Lot, line.lot_id, "lot")
        if lot_number is not None and lot_number != lot.lot_number:
            raise ScanMismatch(
                f"line {line.line_no} ships lot {lot.lot_number}, not {lot_number}",
                expected=lot.lot_number,
                scanned=lot_number,
            )
    elif lot_number is not None:
        lot = await find_lot(session, item.id, lot_number)
        line.lot_id = lot.id
    elif item.tracking == "lot":
        raise TrackingError(f"{item.sku} is lot-tracked: scan the lot shipped", sku=item.sku)
    else:
        return None
    check_not_expired(lot)
    return lot


async def _source_bin(session: AsyncSession, warehouse_id: int, location_id: int) -> Location:
    location = await session.get(Location, location_id)
    if location is None or location.warehouse_id != warehouse_id:
        raise NotFound("no such location in the source warehouse", location_id=location_id)
    if location.kind not in STOCK_KINDS:
        raise InvalidMove(f"{location.code} is not a bin or dock", location=location.code)
    return location


# --- receiving ----------------------------------------------------------------------------


async def receive_transfer(
    session: AsyncSession, command: ReceiveTransfer, actor: Actor, row: Command
) -> Applied:
    transfer = await _locked_transfer(session, command.transfer_id)
    actor.require_warehouse(transfer.to_warehouse_id)
    if transfer.status not in RECEIVABLE:
        raise Conflict(
            f"transfer {transfer.number} is {transfer.status.replace('_', ' ')}; "
            "only what was shipped can be received",
            status=transfer.status,
        )
    lines = await _lines(session, transfer.id)
    transit = await transit_location(session, transfer)
    plan: list[MoveLine] = []
    report: list[dict[str, Any]] = []
    for entry in command.lines:
        line = _line(lines, entry.line_id)
        if entry.quantity + entry.damaged_quantity == 0:
            continue
        plan += await _receipt_lines(session, transfer, line, entry, transit)
        report.append(
            {
                "line_id": line.id,
                "quantity": entry.quantity,
                "damaged_quantity": entry.damaged_quantity,
            }
        )
    if not report:
        raise InvalidRequest("nothing to receive: every quantity is 0")
    moves = await _post(session, transfer, plan, actor, row, command.occurred_at)
    refresh_status(transfer, lines.values())
    await documents.record(
        session, DOCUMENT, transfer.id, "received", actor.id, command_id=row.id, lines=report
    )
    return Applied(
        {
            "transfer": transfer.number,
            "status": transfer.status,
            "received": sum(e["quantity"] for e in report),
            "damaged": sum(e["damaged_quantity"] for e in report),
        },
        moves,
    )


async def _receipt_lines(
    session: AsyncSession,
    transfer: Transfer,
    line: TransferLine,
    entry: ReceiveTransferLine,
    transit: Location,
) -> list[MoveLine]:
    arriving, pending = entry.quantity + entry.damaged_quantity, in_transit(line)
    if arriving > pending:
        raise OverReceipt(
            f"line {line.line_no} of {transfer.number} has {pending} in transit; "
            f"{arriving} cannot arrive",
            line_id=line.id,
            shipped=line.shipped_quantity,
            received=line.received_quantity,
            written_off=line.written_off_quantity,
            in_transit=pending,
            arriving=arriving,
        )
    item = await get_or_404(session, Item, line.item_id, "item")
    check_serial_count(item, entry.serials, entry.quantity)
    check_serial_count(item, entry.damaged_serials, entry.damaged_quantity)
    await _check_serials_in_transit(
        session, transfer, transit, item, [*entry.serials, *entry.damaged_serials]
    )
    good = await _destination(session, transfer, entry.to_location_id)
    plan = [(good, entry.quantity, entry.serials)]
    if entry.damaged_quantity:
        quarantine = await location_for(session, transfer.to_warehouse_id, "quarantine")
        plan.append((quarantine, entry.damaged_quantity, entry.damaged_serials))
    lines: list[MoveLine] = []
    for place, quantity, serials in plan:
        if quantity:
            lines += await unit_lines(
                session,
                item,
                quantity=quantity,
                source=transit.id,
                dest=place.id,
                lot_id=line.lot_id,
                serials=serials,
                note=f"{transfer.number} line {line.line_no}",
            )
    line.received_quantity += arriving
    return lines


async def _destination(
    session: AsyncSession, transfer: Transfer, location_id: int | None
) -> Location:
    if location_id is None:
        return await location_for(session, transfer.to_warehouse_id, "receiving")
    location = await session.get(Location, location_id)
    if location is None or location.warehouse_id != transfer.to_warehouse_id:
        raise NotFound("no such location in the destination warehouse", location_id=location_id)
    if location.kind not in STOCK_KINDS:
        raise InvalidMove(f"{location.code} is not a bin or dock", location=location.code)
    return location


async def _check_serials_in_transit(
    session: AsyncSession,
    transfer: Transfer,
    transit: Location,
    item: Item,
    serials: list[str],
) -> None:
    if len(set(serials)) != len(serials):
        raise TrackingError("the same serial number is listed twice", serials=serials)
    there = set(await serials_in_transit(session, transfer, transit, item.id))
    if missing := [s for s in serials if s not in there]:
        raise SerialUnavailable(
            f"serial {missing[0]} is not in transit on {transfer.number}",
            serial=missing[0],
            transfer=transfer.number,
        )


async def serials_in_transit(
    session: AsyncSession, transfer: Transfer, transit: Location, item_id: int
) -> list[str]:
    """Serials this transfer shipped that are still in the route's transit location (other
    transfers on the same route share the location, not the units)."""
    shipped_here = select(StockMove.serial_id).where(
        StockMove.document_type == DOCUMENT,
        StockMove.document_ref == transfer.number,
        StockMove.to_location_id == transit.id,
        StockMove.serial_id.is_not(None),
    )
    rows = await session.execute(
        select(Serial.serial)
        .where(
            Serial.item_id == item_id,
            Serial.location_id == transit.id,
            Serial.id.in_(shipped_here),
        )
        .order_by(Serial.serial)
    )
    return list(rows.scalars().all())


# --- closing ------------------------------------------------------------------------------


async def close_transfer(
    session: AsyncSession, command: CloseTransfer, actor: Actor, row: Command
) -> Applied:
    """Whatever is still in transit is written off to the destination's adjustment location,
    with the supervisor's reason on the moves and in the document's history."""
    actor.require_role("supervisor")
    transfer = await _locked_transfer(session, command.transfer_id)
    actor.require_warehouse(transfer.to_warehouse_id)
    if transfer.status not in CLOSABLE:
        raise Conflict(f"transfer {transfer.number} is {transfer.status}", status=transfer.status)
    lines = await _lines(session, transfer.id)
    missing = [(line, in_transit(line)) for line in lines.values() if in_transit(line) > 0]
    plan = await _write_off_lines(session, transfer, missing, command.reason) if missing else []
    for line, quantity in missing:
        line.written_off_quantity += quantity
    moves = await _post(session, transfer, plan, actor, row, command.occurred_at)
    transfer.status, transfer.completed_at = "closed", utcnow()
    written_off = [{"line_id": line.id, "quantity": quantity} for line, quantity in missing]
    await documents.record(
        session,
        DOCUMENT,
        transfer.id,
        "closed",
        actor.id,
        command_id=row.id,
        reason=command.reason,
        written_off=written_off,
    )
    return Applied(
        {
            "transfer": transfer.number,
            "status": transfer.status,
            "written_off": sum(q for _, q in missing),
        },
        moves,
    )


async def _write_off_lines(
    session: AsyncSession,
    transfer: Transfer,
    missing: list[tuple[TransferLine, int]],
    reason: str,
) -> list[MoveLine]:
    """Transit -> the destination's adjustment location: what never arrived is written off
    where the ledger last saw it."""
    transit = await transit_location(session, transfer)
    adjustment = await virtual_location(session, transfer.to_warehouse_id, "adjustment")
    pools: dict[int, list[str]] = defaultdict(list)
    lines: list[MoveLine] = []
    for line, quantity in missing:
        item = await get_or_404(session, Item, line.item_id, "item")
        serials: list[str] = []
        if item.tracking == "serial":
            if item.id not in pools:
                pools[item.id] = await serials_in_transit(session, transfer, transit, item.id)
            serials, pools[item.id] = pools[item.id][:quantity], pools[item.id][quantity:]
            if len(serials) != quantity:
                raise Conflict(
                    f"{quantity} serials of {item.sku} should be in transit, {len(serials)} are",
                    sku=item.sku,
                )
        lines += await unit_lines(
            session,
            item,
            quantity=quantity,
            source=transit.id,
            dest=adjustment.id,
            lot_id=line.lot_id,
            serials=serials,
            reason=WRITE_OFF_REASON,
            note=reason,
        )
    return lines


# --- shared -------------------------------------------------------------------------------


def refresh_status(transfer: Transfer, lines: Iterable[TransferLine]) -> None:
    lines = list(lines)
    if all(line.received_quantity >= line.quantity for line in lines):
        transfer.status, transfer.completed_at = "received", utcnow()
    elif any(line.received_quantity for line in lines):
        transfer.status = "partially_received"
    elif any(line.shipped_quantity for line in lines):
        transfer.status = "in_transit"


async def _post(
    session: AsyncSession,
    transfer: Transfer,
    lines: list[MoveLine],
    actor: Actor,
    row: Command,
    occurred_at: dt.datetime,
) -> list[StockMove]:
    return await post_moves(
        session,
        lines,
        command_id=row.id,
        user_id=actor.id,
        occurred_at=occurred_at,
        document_type=DOCUMENT,
        document_ref=transfer.number,
    )


async def _locked_transfer(session: AsyncSession, transfer_id: int) -> Transfer:
    """Row-locked on PostgreSQL, so two devices shipping or receiving one transfer at once
    check the line counters one after the other (SQLite serialises writers already)."""
    transfer = (
        await session.execute(
            select(Transfer)
            .where(Transfer.id == transfer_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()
    if transfer is None:
        raise NotFound("no such transfer", transfer_id=transfer_id)
    return transfer


async def _lines(session: AsyncSession, transfer_id: int) -> dict[int, TransferLine]:
    rows = await session.execute(
        select(TransferLine)
        .where(TransferLine.transfer_id == transfer_id)
        .order_by(TransferLine.line_no)
        .execution_options(populate_existing=True)
    )
    return {line.id: line for line in rows.scalars()}


def _line(lines: dict[int, TransferLine], line_id: int) -> TransferLine:
    if line_id not in lines:
        raise NotFound("no such line on this transfer", line_id=line_id)
    return lines[line_id]
