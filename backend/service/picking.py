"""Picking reserved stock in walking order, and short picks."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import (
    Command,
    Item,
    Lot,
    Reservation,
    SalesOrder,
    SalesOrderLine,
    StockMove,
    Task,
    TaskLine,
)
from backend.domain.actor import Actor
from backend.domain.commands import PickItem
from backend.domain.errors import (
    Conflict,
    InvalidRequest,
    LotExpired,
    NotFound,
)
from backend.domain.vocabulary import ACTIVE_TASK_STATUSES
from backend.service import documents, sales, tasks
from backend.service.applied import Applied
from backend.service.confirm import confirm_scans
from backend.service.ledger import post_moves
from backend.service.receiving import location_for
from backend.service.tracking import check_serial_count, unit_lines


async def pick_item(
    session: AsyncSession, command: PickItem, actor: Actor, row: Command
) -> Applied:
    # Rows are locked in one order (line, task, reservation, sales order, order line) so that
    # racing pickers, packers and shippers queue up instead of reading stale progress.
    line = await session.get(
        TaskLine, command.task_line_id, with_for_update=True, populate_existing=True
    )
    task = (
        await session.get(Task, line.task_id, with_for_update=True, populate_existing=True)
        if line
        else None
    )
    if line is None or task is None or task.type != "pick":
        raise NotFound("no such pick line", task_line_id=command.task_line_id)
    actor.require_warehouse(task.warehouse_id)
    if task.status not in ACTIVE_TASK_STATUSES or line.status != "open":
        raise Conflict(f"task {task.number} line {line.seq} is {line.status}", status=line.status)
    if task.assignee_id not in (None, actor.id):
        raise Conflict(f"task {task.number} is assigned to someone else", task_id=task.id)
    item = await session.get(Item, line.item_id)
    assert item is not None
    await confirm_scans(
        session,
        "pick",
        line=line,
        item=item,
        source_bin=command.location_id,
        item_code=command.item_code,
        lot_number=command.lot_number,
        serials=command.serials,
    )
    lot = await session.get(Lot, line.lot_id) if line.lot_id is not None else None
    if lot is not None and lot.expiry_date is not None and lot.expiry_date < dt.date.today():
        raise LotExpired(
            f"lot {lot.lot_number} expired on {lot.expiry_date}; it cannot be picked",
            lot=lot.lot_number,
        )
    remaining = line.quantity - line.done_quantity
    if command.quantity > remaining:
        raise InvalidRequest(f"only {remaining} left to pick on this line", remaining=remaining)
    if command.quantity == 0 and not command.short:
        raise InvalidRequest("a pick of 0 is a short pick: say so with short")
    reservation = await session.get(
        Reservation, line.source_line_id, with_for_update=True, populate_existing=True
    )
    order_line = (
        await session.get(SalesOrderLine, reservation.order_line_id) if reservation else None
    )
    if reservation is None or order_line is None or reservation.status != "open":
        raise Conflict("this pick line's reservation is no longer open")
    order = await session.get(
        SalesOrder, order_line.order_id, with_for_update=True, populate_existing=True
    )
    order_line = await session.get(
        SalesOrderLine, order_line.id, with_for_update=True, populate_existing=True
    )
    assert order is not None and order_line is not None and line.from_location_id is not None
    dest = line.to_location_id or (await location_for(session, task.warehouse_id, "shipping")).id
    moves: list[StockMove] = []
    if command.quantity:
        check_serial_count(item, command.serials, command.quantity)
        move_lines = await unit_lines(
            session,
            item,
            quantity=command.quantity,
            source=line.from_location_id,
            dest=dest,
            lot_id=line.lot_id,
            serials=command.serials,
            reason="pick",
            from_reserved=True,
        )
        moves = await post_moves(
            session,
            move_lines,
            command_id=row.id,
            user_id=actor.id,
            occurred_at=command.occurred_at,
            document_type="pick",
            document_ref=order.number,
        )
        order_line.picked_quantity += command.quantity
        order_line.reserved_quantity -= command.quantity
        reservation.quantity -= command.quantity
    shortage = remaining - command.quantity if command.short else 0
    if shortage:
        # The bin did not hold what the book said: the rest of the reservation goes back and
        # the order line stays open for it; the shortage is on record.
        order_line.short_quantity += shortage
        await sales.release_reservation(session, reservation, shortage)
    if reservation.quantity == 0 and command.quantity:
        reservation.status = "picked"
    await tasks.progress(
        session,
        line,
        command.quantity,
        short=command.short,
        actor=actor,
        command_id=row.id,
        details={"short": shortage},
    )
    lines = await sales.lines_of(session, order.id)
    order.status = "picked" if all(ln.picked_quantity >= ln.quantity for ln in lines) else "picking"
    await documents.record(
        session,
        "sales_order",
        order.id,
        "picked",
        actor.id,
        command_id=row.id,
        line=order_line.line_no,
        quantity=command.quantity,
        short=shortage,
    )
    return Applied(
        {
            "order": order.number,
            "order_status": order.status,
            "picked": command.quantity,
            "short": shortage,
            "line_status": line.status,
            "task_status": task.status,
        },
        moves,
    )
