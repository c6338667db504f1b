"""Cancelling a task from the task list, so that nothing its document counts on is left
behind: a pick task gives back the stock its open lines held for their orders, which can
then be allocated again; a count's task ends only with its count."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import Reservation, SalesOrder, SalesOrderLine, Task, TaskLine
from backend.domain.actor import Actor
from backend.domain.errors import CancelTheDocument
from backend.service import alerts_stock, documents, sales, tasks


async def cancel_task(session: AsyncSession, actor: Actor, task_id: int, reason: str) -> Task:
    actor.require_role("supervisor")
    task = await tasks.task_in_scope(session, actor, task_id)
    if task.type == "count" and task.document_type == "count":
        raise CancelTheDocument(
            "a count's tasks end with the count: cancel the count instead",
            count_id=task.document_id,
        )
    released: dict[int, dict[int, int]] = {}
    if task.type == "pick":
        released = await _release_open_lines(session, task)
    task = await tasks.cancel(session, actor, task_id, reason)
    for order_id, lines in released.items():
        await _after_release(session, actor, order_id, lines, task)
    return task


async def _release_open_lines(session: AsyncSession, task: Task) -> dict[int, dict[int, int]]:
    """Release what the task's open lines still hold; returns, per order, the units released
    per order line number."""
    open_lines = (
        await session.execute(
            select(TaskLine.source_line_id).where(
                TaskLine.task_id == task.id,
                TaskLine.status == "open",
                TaskLine.source_line_id.is_not(None),
            )
        )
    ).scalars()
    reservations = (
        (
            await session.execute(
                select(Reservation)
                .where(Reservation.id.in_(list(open_lines)), Reservation.status == "open")
                .order_by(Reservation.id)
                .with_for_update()
            )
        )
        .scalars()
        .all()
    )
    released: dict[int, dict[int, int]] = {}
    for reservation in reservations:
        line = await session.get(SalesOrderLine, reservation.order_line_id)
        assert line is not None
        quantity = reservation.quantity
        await sales.release_reservation(session, reservation, quantity)
        by_line = released.setdefault(line.order_id, {})
        by_line[line.line_no] = by_line.get(line.line_no, 0) + quantity
    await session.flush()
    return released


async def _after_release(
    session: AsyncSession, actor: Actor, order_id: int, lines: dict[int, int], task: Task
) -> None:
    """The order's status as its lines now stand, and a record of what went back."""
    order = await session.get(SalesOrder, order_id, with_for_update=True)
    assert order is not None
    order_lines = await sales.lines_of(session, order.id)
    order.status = sales.progress_status(order_lines)
    await documents.record(
        session,
        "sales_order",
        order.id,
        "pick_cancelled",
        actor.id,
        task=task.number,
        released={str(k): v for k, v in sorted(lines.items())},
    )
    await alerts_stock.availability_changed(
        session, {(line.item_id, order.warehouse_id) for line in order_lines}
    )
