"""Suppliers and purchase orders, with approval tiered by the order's value."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import Item, PurchaseOrder, PurchaseOrderLine, Supplier, Task, utcnow
from backend.domain.actor import Actor
from backend.domain.errors import Conflict, Forbidden, InvalidRequest, NotFound
from backend.domain.vocabulary import ACTIVE_TASK_STATUSES
from backend.service import documents, policies, tasks
from backend.service.catalog import get_or_404, warehouse_in_scope


@dataclass(frozen=True)
class OrderLine:
    item_id: int
    quantity: int
    unit_price: Decimal
    expected_date: dt.date | None = None


async def order_in_scope(session: AsyncSession, actor: Actor, order_id: int) -> PurchaseOrder:
    order = await session.get(PurchaseOrder, order_id)
    if order is None:
        raise NotFound("no such purchase order", order_id=order_id)
    actor.require_warehouse(order.warehouse_id)
    return order


async def lines_of(session: AsyncSession, order_id: int) -> list[PurchaseOrderLine]:
    rows = await session.execute(
        select(PurchaseOrderLine)
        .where(PurchaseOrderLine.order_id == order_id)
        .order_by(PurchaseOrderLine.line_no)
    )
    return list(rows.scalars())


async def create_order(
    session: AsyncSession,
    actor: Actor,
    *,
    supplier_id: int,
    warehouse_id: int,
    lines: Sequence[OrderLine],
    expected_date: dt.date | None,
    note: str | None,
) -> PurchaseOrder:
    actor.require_role("supervisor")
    await warehouse_in_scope(session, warehouse_id, actor)
    supplier = await get_or_404(session, Supplier, supplier_id, "supplier")
    if not supplier.active:
        raise InvalidRequest(f"supplier {supplier.code} is deactivated")
    if not lines:
        raise InvalidRequest("a purchase order needs at least one line")
    for line in lines:
        item = await get_or_404(session, Item, line.item_id, "item")
        if not item.active:
            raise InvalidRequest(f"item {item.sku} is deactivated", sku=item.sku)
    order = PurchaseOrder(
        number=await documents.next_number(session, "purchase_order"),
        supplier_id=supplier.id,
        warehouse_id=warehouse_id,
        status="draft",
        expected_date=expected_date,
        note=note,
        created_by=actor.id,
        total_value=sum((Decimal(line.quantity) * line.unit_price for line in lines), Decimal(0)),
    )
    session.add(order)
    await session.flush()
    session.add_all(
        PurchaseOrderLine(
            order_id=order.id,
            line_no=n,
            item_id=line.item_id,
            quantity=line.quantity,
            unit_price=line.unit_price,
            expected_date=line.expected_date or expected_date,
        )
        for n, line in enumerate(lines, start=1)
    )
    await documents.record(
        session, "purchase_order", order.id, "created", actor.id, total_value=str(order.total_value)
    )
    await session.flush()
    return order


async def submit(session: AsyncSession, actor: Actor, order_id: int) -> PurchaseOrder:
    """Send a draft for approval; an order within the lowest limit is approved at once."""
    actor.require_role("supervisor")
    order = await order_in_scope(session, actor, order_id)
    if order.status not in ("draft", "rejected"):
        raise Conflict(f"order {order.number} is {order.status}", status=order.status)
    supervisor_over, admin_over = await policies.po_approval_limits(session)
    role = policies.approval_role(order.total_value, supervisor_over, admin_over)
    order.approval_role = role
    order.status = "pending_approval"
    await documents.record(
        session,
        "purchase_order",
        order.id,
        "submitted",
        actor.id,
        needs=role or "nobody",
        total_value=str(order.total_value),
    )
    if role is None:
        await _approve(session, actor, order, automatic=True)
    return order


async def decide(
    session: AsyncSession, actor: Actor, order_id: int, *, approve: bool, comment: str | None
) -> PurchaseOrder:
    order = await order_in_scope(session, actor, order_id)
    if order.status != "pending_approval" or order.approval_role is None:
        raise Conflict(f"order {order.number} is not waiting for approval", status=order.status)
    if not actor.has_role(order.approval_role):
        raise Forbidden(
            f"order {order.number} is worth {order.total_value}: it needs an "
            f"{order.approval_role}'s decision",
            required_role=order.approval_role,
        )
    if approve:
        await _approve(session, actor, order, comment=comment)
    else:
        order.status = "rejected"
        await documents.record(
            session,
            "purchase_order",
            order.id,
            "rejected",
            actor.id,
            role=actor.role,
            comment=comment,
        )
    return order


async def _approve(
    session: AsyncSession,
    actor: Actor,
    order: PurchaseOrder,
    *,
    automatic: bool = False,
    comment: str | None = None,
) -> None:
    order.status = "approved"
    order.approval_role = None
    await documents.record(
        session,
        "purchase_order",
        order.id,
        "approved",
        actor.id,
        role=actor.role,
        automatic=automatic,
        comment=comment,
    )
    # The receiving task the dock works from.
    await tasks.create_task(
        session,
        actor,
        warehouse_id=order.warehouse_id,
        type="receive",
        document_type="purchase_order",
        document_id=order.id,
        lines=[
            tasks.LinePlan(item_id=line.item_id, quantity=line.quantity, source_line_id=line.id)
            for line in await lines_of(session, order.id)
        ],
        note=f"Receive {order.number}",
    )


async def cancel(session: AsyncSession, actor: Actor, order_id: int, reason: str) -> PurchaseOrder:
    actor.require_role("supervisor")
    order = await order_in_scope(session, actor, order_id)
    if order.status in ("partially_received", "received", "cancelled"):
        raise Conflict(f"order {order.number} is {order.status}", status=order.status)
    order.status = "cancelled"
    order.completed_at = utcnow()
    await documents.record(
        session, "purchase_order", order.id, "cancelled", actor.id, reason=reason
    )
    open_tasks = await session.execute(
        select(Task.id).where(
            Task.document_type == "purchase_order",
            Task.document_id == order.id,
            Task.status.in_(ACTIVE_TASK_STATUSES),
        )
    )
    for task_id in open_tasks.scalars().all():
        await tasks.cancel(session, actor, task_id, f"order {order.number} cancelled: {reason}")
    return order


def refresh_status(order: PurchaseOrder, lines: Sequence[PurchaseOrderLine]) -> None:
    """Received once every line is fully received or closed short."""
    if all(line.closed_short or line.received_quantity >= line.quantity for line in lines):
        order.status = "received"
        order.completed_at = utcnow()
    elif any(line.received_quantity or line.damaged_quantity for line in lines):
        order.status = "partially_received"
