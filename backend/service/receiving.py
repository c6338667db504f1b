"""Receiving against purchase orders, and putaway from the dock to a suggested bin."""

from __future__ import annotations

import math
from decimal import Decimal

from sqlalchemy import ColumnElement, Select, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import (
    Command,
    Item,
    Location,
    PurchaseOrderLine,
    Quant,
    Receipt,
    Supplier,
    Task,
    TaskLine,
)
from backend.domain.actor import Actor
from backend.domain.commands import PutAway, ReceiveGoods
from backend.domain.errors import (
    Conflict,
    InvalidMove,
    InvalidRequest,
    NotFound,
    NotReceivable,
    OverReceipt,
    TrackingError,
)
from backend.domain.moves import MoveLine
from backend.domain.vocabulary import ACTIVE_TASK_STATUSES, RECEIVABLE_PO_STATUSES
from backend.service import documents, purchasing, tasks
from backend.service.applied import Applied
from backend.service.confirm import confirm_scans
from backend.service.ledger import post_moves
from backend.service.tracking import (
    check_serial_count,
    find_or_create_lot,
    find_serials,
    unit_lines,
)
from backend.service.warehouses import virtual_location


async def location_for(session: AsyncSession, warehouse_id: int, purpose: str) -> Location:
    location = (
        await session.execute(
            select(Location)
            .where(
                Location.warehouse_id == warehouse_id,
                Location.purpose == purpose,
                Location.active.is_(True),
            )
            .order_by(Location.pick_sequence, Location.id)
            .limit(1)
        )
    ).scalar_one_or_none()
    if location is None:
        raise NotFound(
            f"this warehouse has no {purpose} location; a supervisor sets one up", purpose=purpose
        )
    return location


def allowed_quantity(ordered: int, tolerance_pct: Decimal) -> int:
    # Decimal, not float: 100 * 1.15 in floats is 114.99999999999999.
    return math.floor(Decimal(ordered) * (100 + tolerance_pct) / 100)


async def receive_goods(
    session: AsyncSession, command: ReceiveGoods, actor: Actor, row: Command
) -> Applied:
    order = await purchasing.order_in_scope(session, actor, command.order_id)
    if order.status not in RECEIVABLE_PO_STATUSES:
        raise NotReceivable(
            f"order {order.number} is {order.status.replace('_', ' ')}; it "
            "can be received once approved",
            status=order.status,
        )
    line = await session.get(PurchaseOrderLine, command.line_id)
    if line is None or line.order_id != order.id:
        raise NotFound("no such line on this order", line_id=command.line_id)
    if line.closed_short:
        raise Conflict(f"line {line.line_no} of {order.number} was closed short")
    arrived = command.quantity + command.damaged_quantity
    if arrived == 0:
        raise InvalidRequest("nothing to receive: quantity and damaged quantity are both 0")
    supplier = await session.get(Supplier, order.supplier_id)
    assert supplier is not None
    allowed = allowed_quantity(line.quantity, supplier.over_receipt_tolerance_pct)
    # Damaged units do not fill the line (the supplier owes good ones), so only good units
    # count against the ordered quantity and its tolerance.
    already = line.received_quantity
    if already + command.quantity > allowed:
        raise OverReceipt(
            f"{already + command.quantity} good units would exceed the {allowed} allowed for "
            f"line {line.line_no} ({line.quantity} ordered, "
            f"{supplier.over_receipt_tolerance_pct}% tolerance)",
            ordered=line.quantity,
            already_received=already,
            arriving=command.quantity,
            allowed=allowed,
        )
    item = await session.get(Item, line.item_id)
    assert item is not None
    lot_id = None
    if item.tracking == "lot":
        if not command.lot_number:
            raise TrackingError(f"{item.sku} is lot-tracked: scan or type the lot", sku=item.sku)
        lot_id = (
            await find_or_create_lot(session, item.id, command.lot_number, command.expiry_date)
        ).id
    elif command.lot_number:
        raise TrackingError(f"{item.sku} is not lot-tracked", sku=item.sku)
    if item.tracking == "serial" and len(command.serials) != arrived:
        raise TrackingError(
            f"{item.sku} needs one serial per unit: {arrived} units, "
            f"{len(command.serials)} serials",
            sku=item.sku,
        )
    if item.tracking != "serial" and command.serials:
        raise TrackingError(f"{item.sku} is not serial-tracked", sku=item.sku)

    if command.dock_location_id is not None:
        dock = await session.get(Location, command.dock_location_id)
        if dock is None or dock.warehouse_id != order.warehouse_id:
            raise NotFound(
                "no such dock in this order's warehouse", location_id=command.dock_location_id
            )
    else:
        dock = await location_for(session, order.warehouse_id, "receiving")
    supplier_place = await virtual_location(session, order.warehouse_id, "supplier")
    plan = [(dock, command.quantity)]
    if command.damaged_quantity:
        plan.append(
            (
                await location_for(session, order.warehouse_id, "quarantine"),
                command.damaged_quantity,
            )
        )
    serial_records = (
        await find_serials(session, item.id, command.serials, create=True, lot_id=lot_id)
        if command.serials
        else []
    )
    lines: list[MoveLine] = []
    for place, quantity in plan:
        if not quantity:
            continue
        if serial_records:
            batch, serial_records = serial_records[:quantity], serial_records[quantity:]
            lines += [
                MoveLine(item.id, 1, supplier_place.id, place.id, lot_id, s.id, "receipt")
                for s in batch
            ]
        else:
            lines.append(
                MoveLine(item.id, quantity, supplier_place.id, place.id, lot_id, None, "receipt")
            )
    moves = await post_moves(
        session,
        lines,
        command_id=row.id,
        user_id=actor.id,
        occurred_at=command.occurred_at,
        document_type="receipt",
        document_ref=order.number,
    )
    receipt = Receipt(
        number=await documents.next_number(session, "receipt"),
        warehouse_id=order.warehouse_id,
        order_id=order.id,
        order_line_id=line.id,
        item_id=item.id,
        lot_id=lot_id,
        quantity=command.quantity,
        damaged_quantity=command.damaged_quantity,
        dock_location_id=dock.id,
        command_id=row.id,
        created_by=actor.id,
    )
    session.add(receipt)
    line.received_quantity += command.quantity
    line.damaged_quantity += command.damaged_quantity
    purchasing.refresh_status(order, await purchasing.lines_of(session, order.id))
    await documents.record(
        session,
        "purchase_order",
        order.id,
        "received",
        actor.id,
        command_id=row.id,
        receipt=receipt.number,
        line=line.line_no,
        quantity=command.quantity,
        damaged=command.damaged_quantity,
        lot=command.lot_number,
    )
    await _progress_receive_task(session, order.id, line.id, command.quantity, actor, row.id)
    result = {
        "receipt": receipt.number,
        "order": order.number,
        "order_status": order.status,
        "line": line.line_no,
        "received": command.quantity,
        "damaged": command.damaged_quantity,
        "line_remaining": max(0, line.quantity - line.received_quantity),
    }
    if command.quantity:
        suggestion = await suggest_bin(session, order.warehouse_id, item.id)
        putaway = await tasks.create_task(
            session,
            actor,
            warehouse_id=order.warehouse_id,
            type="putaway",
            document_type="purchase_order",
            document_id=order.id,
            lines=[
                tasks.LinePlan(
                    item_id=item.id,
                    quantity=command.quantity,
                    lot_id=lot_id,
                    from_location_id=dock.id,
                    to_location_id=suggestion.id if suggestion else None,
                    document_ref=order.number,
                )
            ],
            note=f"Put away {item.sku} from {order.number}",
        )
        result |= {
            "putaway_task_id": putaway.id,
            "suggested_location": suggestion.code if suggestion else None,
        }
    return Applied(result, moves)


async def _progress_receive_task(
    session: AsyncSession,
    order_id: int,
    line_id: int,
    quantity: int,
    actor: Actor,
    command_id: int | None,
    *,
    short: bool = False,
) -> None:
    """Count received units on the order line's receiving task, if it is still open."""
    task_line = (
        await session.execute(
            select(TaskLine)
            .join(Task, Task.id == TaskLine.task_id)
            .where(
                Task.document_type == "purchase_order",
                Task.document_id == order_id,
                Task.type == "receive",
                Task.status.in_(ACTIVE_TASK_STATUSES),
                TaskLine.source_line_id == line_id,
                TaskLine.status == "open",
            )
        )
    ).scalar()
    if task_line is not None:
        await tasks.progress(
            session,
            task_line,
            quantity,
            short=short,
            actor=actor,
            command_id=command_id,
            details={"closed_short": True} if short else {},
        )


async def close_line_short(
    session: AsyncSession, actor: Actor, order_id: int, line_id: int, reason: str
) -> None:
    """Accept less than ordered on purpose: the line stops waiting for the rest."""
    actor.require_role("supervisor")
    order = await purchasing.order_in_scope(session, actor, order_id)
    line = await session.get(PurchaseOrderLine, line_id)
    if line is None or line.order_id != order.id:
        raise NotFound("no such line on this order", line_id=line_id)
    if order.status not in RECEIVABLE_PO_STATUSES:
        raise NotReceivable(f"order {order.number} is {order.status}", status=order.status)
    line.closed_short = True
    purchasing.refresh_status(order, await purchasing.lines_of(session, order.id))
    await documents.record(
        session,
        "purchase_order",
        order.id,
        "line_closed_short",
        actor.id,
        line=line.line_no,
        received=line.received_quantity,
        ordered=line.quantity,
        reason=reason,
    )
    await _progress_receive_task(session, order.id, line.id, 0, actor, None, short=True)


def _storage_bins(warehouse_id: int) -> Select[tuple[Location]]:
    return select(Location).where(
        Location.warehouse_id == warehouse_id,
        Location.kind == "bin",
        Location.purpose.is_(None),
        Location.active.is_(True),
    )


def _is_empty() -> ColumnElement[bool]:
    return ~exists().where(Quant.location_id == Location.id, Quant.on_hand != 0)


async def suggest_bin(session: AsyncSession, warehouse_id: int, item_id: int) -> Location | None:
    """Where to put an item: its existing bin, else an empty bin in a zone where it has been,
    else the first empty bin in walking order."""
    existing = (
        await session.execute(
            _storage_bins(warehouse_id)
            .join(Quant, Quant.location_id == Location.id)
            .where(Quant.item_id == item_id, Quant.on_hand > 0)
            .group_by(Location.id)
            .order_by(func.sum(Quant.on_hand).desc(), Location.id)
            .limit(1)
        )
    ).scalar_one_or_none()
    if existing is not None:
        return existing
    zones = (
        select(Location.parent_id)
        .join(Quant, Quant.location_id == Location.id)
        .where(
            Quant.item_id == item_id,
            Location.warehouse_id == warehouse_id,
            Location.parent_id.is_not(None),
        )
    )
    in_zone = (
        await session.execute(
            _storage_bins(warehouse_id)
            .where(Location.parent_id.in_(zones), _is_empty())
            .order_by(Location.pick_sequence, Location.id)
            .limit(1)
        )
    ).scalar_one_or_none()
    if in_zone is not None:
        return in_zone
    return (
        await session.execute(
            _storage_bins(warehouse_id)
            .where(_is_empty())
            .order_by(Location.pick_sequence, Location.id)
            .limit(1)
        )
    ).scalar_one_or_none()


async def put_away(session: AsyncSession, command: PutAway, actor: Actor, row: Command) -> Applied:
    line = await session.get(TaskLine, command.task_line_id)
    task = await session.get(Task, line.task_id) if line else None
    if line is None or task is None or task.type != "putaway":
        raise NotFound("no such putaway line", task_line_id=command.task_line_id)
    actor.require_warehouse(task.warehouse_id)
    if task.status not in ACTIVE_TASK_STATUSES or line.status != "open":
        raise Conflict(f"task {task.number} line {line.seq} is already done", status=line.status)
    if task.assignee_id not in (None, actor.id):
        raise Conflict(f"task {task.number} is assigned to someone else", task_id=task.id)
    remaining = line.quantity - line.done_quantity
    if command.quantity > remaining:
        raise InvalidRequest(f"only {remaining} left to put away on this line", remaining=remaining)
    dest = await session.get(Location, command.to_location_id)
    if dest is None or dest.warehouse_id != task.warehouse_id:
        raise NotFound("no such location in this warehouse", location_id=command.to_location_id)
    if dest.kind != "bin" or dest.purpose is not None:
        raise InvalidMove(f"{dest.code} is not a storage bin", location=dest.code)
    assert line.from_location_id is not None
    item = await session.get(Item, line.item_id)
    assert item is not None
    await confirm_scans(
        session,
        "putaway",
        line=line,
        item=item,
        source_bin=command.from_location_id,
        item_code=command.item_code,
        lot_number=command.lot_number,
        serials=command.serials,
        destination_bin=True,
    )
    check_serial_count(item, command.serials, command.quantity)
    lines = await unit_lines(
        session,
        item,
        quantity=command.quantity,
        source=line.from_location_id,
        dest=dest.id,
        lot_id=line.lot_id,
        serials=command.serials,
        reason="putaway",
    )
    moves = await post_moves(
        session,
        lines,
        command_id=row.id,
        user_id=actor.id,
        occurred_at=command.occurred_at,
        document_type="putaway",
        document_ref=task.number,
    )
    deviated = line.to_location_id is not None and line.to_location_id != dest.id
    await tasks.progress(
        session,
        line,
        command.quantity,
        actor=actor,
        command_id=row.id,
        details={
            "to_location_id": dest.id,
            "suggested_location_id": line.to_location_id,
            "deviated": deviated,
        },
    )
    return Applied(
        {
            "task": task.number,
            "to_location": dest.code,
            "deviated": deviated,
            "line_status": line.status,
            "task_status": task.status,
        },
        moves,
    )
