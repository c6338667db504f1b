"""Batch (cluster) picking: several orders' pick lines in one walk for one worker.

Each line keeps its reservation, so a pick confirmed on the batch lands on its own order;
the line shows the order number so the worker drops it in that order's tote."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import Task, TaskLine, utcnow
from backend.domain.actor import Actor
from backend.domain.errors import Conflict, InvalidRequest
from backend.domain.vocabulary import ACTIVE_TASK_STATUSES
from backend.service import documents, sales, tasks


async def batch_pick(
    session: AsyncSession,
    actor: Actor,
    order_ids: Sequence[int],
    *,
    assignee_id: int | None = None,
    priority: int = 0,
) -> Task:
    """Move the untouched open lines of the orders' pick tasks into one new pick task; a
    task left with nothing open is closed (done if it had progress, else cancelled)."""
    actor.require_role("supervisor")
    if len(set(order_ids)) != len(order_ids):
        raise InvalidRequest("an order is listed twice")
    orders = [await sales.order_in_scope(session, actor, order_id) for order_id in order_ids]
    warehouses = {order.warehouse_id for order in orders}
    if len(warehouses) != 1:
        raise InvalidRequest("a batch picks in one warehouse: these orders are in several")
    plans: list[tasks.LinePlan] = []
    for order in orders:
        sources = (
            (
                await session.execute(
                    select(Task).where(
                        Task.type == "pick",
                        Task.document_type == "sales_order",
                        Task.document_id == order.id,
                        Task.status.in_(ACTIVE_TASK_STATUSES),
                    )
                )
            )
            .scalars()
            .all()
        )
        for source in sources:
            lines = (
                (await session.execute(select(TaskLine).where(TaskLine.task_id == source.id)))
                .scalars()
                .all()
            )
            moved = [ln for ln in lines if ln.status == "open" and ln.done_quantity == 0]
            for line in moved:
                line.status = "cancelled"
                plans.append(
                    tasks.LinePlan(
                        item_id=line.item_id,
                        quantity=line.quantity,
                        lot_id=line.lot_id,
                        from_location_id=line.from_location_id,
                        to_location_id=line.to_location_id,
                        source_line_id=line.source_line_id,
                        document_ref=order.number,
                    )
                )
            if moved and not any(ln.status == "open" for ln in lines):
                progressed = any(ln.status in ("done", "short") for ln in lines)
                source.status = "done" if progressed else "cancelled"
                source.completed_at = utcnow()
            if moved:
                await documents.record(
                    session, "task", source.id, "batched", actor.id, lines=len(moved)
                )
    if not plans:
        raise Conflict("these orders have no untouched pick lines left to batch")
    numbers = ", ".join(order.number for order in orders)
    batch = await tasks.create_task(
        session,
        actor,
        warehouse_id=warehouses.pop(),
        type="pick",
        lines=plans,
        priority=priority,
        assignee_id=assignee_id,
        document_type="pick_batch",
        note=f"Batch pick {numbers}",
    )
    for order in orders:
        await documents.record(
            session, "sales_order", order.id, "batched", actor.id, task=batch.number
        )
    return batch
