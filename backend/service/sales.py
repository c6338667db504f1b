"""Customers, sales orders, and allocation: stock reserved FEFO (lots) or FIFO, never expired."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Select, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import (
    Customer,
    Item,
    Location,
    Lot,
    Quant,
    Reservation,
    SalesOrder,
    SalesOrderLine,
    Task,
    utcnow,
)
from backend.domain.actor import Actor
from backend.domain.errors import Conflict, InvalidRequest, NotFound
from backend.domain.vocabulary import ACTIVE_TASK_STATUSES
from backend.service import alerts_stock, documents, tasks
from backend.service.catalog import get_or_404, warehouse_in_scope

ALLOCATABLE = ("draft", "partially_allocated", "allocated", "picking")


@dataclass(frozen=True)
class SaleLine:
    item_id: int
    quantity: int
    unit_price: Decimal = Decimal(0)


async def order_in_scope(session: AsyncSession, actor: Actor, order_id: int) -> SalesOrder:
    order = await session.get(SalesOrder, order_id)
    if order is None:
        raise NotFound("no such sales order", order_id=order_id)
    actor.require_warehouse(order.warehouse_id)
    return order


async def lines_of(session: AsyncSession, order_id: int) -> list[SalesOrderLine]:
    rows = await session.execute(
        select(SalesOrderLine)
        .where(SalesOrderLine.order_id == order_id)
        .order_by(SalesOrderLine.line_no)
    )
    return list(rows.scalars())


async def create_order(
    session: AsyncSession,
    actor: Actor,
    *,
    customer_id: int,
    warehouse_id: int,
    lines: Sequence[SaleLine],
    requested_date: dt.date | None,
    note: str | None,
) -> SalesOrder:
    actor.require_role("supervisor")
    await warehouse_in_scope(session, warehouse_id, actor)
    customer = await get_or_404(session, Customer, customer_id, "customer")
    if not customer.active:
        raise InvalidRequest(f"customer {customer.code} is deactivated")
    for line in lines:
        item = await get_or_404(session, Item, line.item_id, "item")
        if not item.active:
            raise InvalidRequest(f"item {item.sku} is deactivated", sku=item.sku)
    order = SalesOrder(
        number=await documents.next_number(session, "sales_order"),
        customer_id=customer.id,
        warehouse_id=warehouse_id,
        requested_date=requested_date,
        note=note,
        created_by=actor.id,
    )
    session.add(order)
    await session.flush()
    session.add_all(
        SalesOrderLine(
            order_id=order.id,
            line_no=n,
            item_id=line.item_id,
            quantity=line.quantity,
            unit_price=line.unit_price,
        )
        for n, line in enumerate(lines, start=1)
    )
    await documents.record(session, "sales_order", order.id, "created", actor.id)
    await session.flush()
    return order


def _candidates(warehouse_id: int, item_id: int, today: dt.date) -> Select[tuple[Quant, str]]:
    """Quants an order may take from, in the order they should go: first expiry first for
    lots (an expired lot never), otherwise oldest stock first; storage bins only."""
    return (
        select(Quant, Location.code)
        .join(Location, Location.id == Quant.location_id)
        .outerjoin(Lot, Lot.id == Quant.lot_id)
        .where(
            Quant.warehouse_id == warehouse_id,
            Quant.item_id == item_id,
            Quant.is_virtual.is_(False),
            Quant.on_hand > Quant.reserved,
            Location.kind == "bin",
            Location.purpose.is_(None),
            Location.active.is_(True),
            or_(Lot.expiry_date.is_(None), Lot.expiry_date >= today),
        )
        .order_by(Lot.expiry_date.asc().nulls_last(), Quant.id, Location.pick_sequence)
    )


async def _reserve(session: AsyncSession, quant: Quant, wanted: int) -> int:
    """Reserve up to `wanted` of a quant; what another transaction took meanwhile is skipped."""
    for _ in range(3):
        available = quant.on_hand - quant.reserved
        take = min(wanted, available)
        if take <= 0:
            return 0
        result = await session.execute(
            update(Quant)
            .where(Quant.id == quant.id, Quant.on_hand - Quant.reserved >= take)
            .values(reserved=Quant.reserved + take, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:  # type: ignore[attr-defined]
            return take
        await session.refresh(quant)
    return 0


async def allocate(session: AsyncSession, actor: Actor, order_id: int) -> SalesOrder:
    """Reserve what each line still needs and make a pick task of it, in walking order."""
    actor.require_role("supervisor")
    order = await order_in_scope(session, actor, order_id)
    if order.status not in ALLOCATABLE:
        raise Conflict(f"order {order.number} is {order.status}", status=order.status)
    shipping = (
        await session.execute(
            select(Location.id)
            .where(
                Location.warehouse_id == order.warehouse_id,
                Location.purpose == "shipping",
                Location.active.is_(True),
            )
            .order_by(Location.id)
            .limit(1)
        )
    ).scalar()
    today = dt.date.today()
    plans: list[tasks.LinePlan] = []
    lines = await lines_of(session, order.id)
    for line in lines:
        need = line.quantity - line.reserved_quantity - line.picked_quantity
        if need <= 0:
            continue
        for quant, _code in (
            await session.execute(_candidates(order.warehouse_id, line.item_id, today))
        ).all():
            taken = await _reserve(session, quant, need)
            if not taken:
                continue
            reservation = Reservation(order_line_id=line.id, quant_id=quant.id, quantity=taken)
            session.add(reservation)
            await session.flush()
            plans.append(
                tasks.LinePlan(
                    item_id=line.item_id,
                    quantity=taken,
                    lot_id=quant.lot_id,
                    from_location_id=quant.location_id,
                    to_location_id=shipping,
                    source_line_id=reservation.id,
                    document_ref=order.number,
                )
            )
            line.reserved_quantity += taken
            need -= taken
            if need == 0:
                break
    missing = {
        line.line_no: line.quantity - line.reserved_quantity - line.picked_quantity
        for line in lines
        if line.quantity > line.reserved_quantity + line.picked_quantity
    }
    order.status = "partially_allocated" if missing else "allocated"
    await documents.record(
        session,
        "sales_order",
        order.id,
        "allocated",
        actor.id,
        lines_reserved=len(plans),
        short_lines=missing,
    )
    # Reserving moves no stock, so no command's hook judges the reorder rules: do it here.
    await alerts_stock.availability_changed(
        session, {(line.item_id, order.warehouse_id) for line in lines}
    )
    if plans:
        await tasks.create_task(
            session,
            actor,
            warehouse_id=order.warehouse_id,
            type="pick",
            document_type="sales_order",
            document_id=order.id,
            lines=plans,
            note=f"Pick {order.number}",
        )
    return order


def progress_status(lines: list[SalesOrderLine]) -> str:
    """Where an open order stands by its lines: picking once anything is picked (picked when
    all of it is), else allocated as far as its reservations go."""
    if lines and all(line.picked_quantity >= line.quantity for line in lines):
        return "picked"
    if any(line.picked_quantity for line in lines):
        return "picking"
    if lines and all(line.reserved_quantity >= line.quantity for line in lines):
        return "allocated"
    if any(line.reserved_quantity for line in lines):
        return "partially_allocated"
    return "draft"


async def release_reservation(
    session: AsyncSession, reservation: Reservation, quantity: int
) -> None:
    """Give back `quantity` of a reservation to the quant's available stock."""
    await session.execute(
        update(Quant)
        .where(Quant.id == reservation.quant_id, Quant.reserved >= quantity)
        .values(reserved=Quant.reserved - quantity, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    line = await session.get(SalesOrderLine, reservation.order_line_id)
    assert line is not None
    line.reserved_quantity -= quantity
    reservation.quantity -= quantity
    if reservation.quantity == 0:
        reservation.status = "released"


async def cancel(session: AsyncSession, actor: Actor, order_id: int, reason: str) -> SalesOrder:
    actor.require_role("supervisor")
    order = await order_in_scope(session, actor, order_id)
    if order.status in ("shipped", "cancelled"):
        raise Conflict(f"order {order.number} is {order.status}", status=order.status)
    if any(line.picked_quantity for line in await lines_of(session, order.id)):
        raise Conflict(f"order {order.number} has picked stock; put it back before cancelling")
    open_reservations = (
        await session.execute(
            select(Reservation)
            .join(SalesOrderLine, SalesOrderLine.id == Reservation.order_line_id)
            .where(SalesOrderLine.order_id == order.id, Reservation.status == "open")
        )
    ).scalars()
    for reservation in open_reservations.all():
        await release_reservation(session, reservation, reservation.quantity)
    for task_id in (
        (
            await session.execute(
                select(Task.id).where(
                    Task.document_type == "sales_order",
                    Task.document_id == order.id,
                    Task.status.in_(ACTIVE_TASK_STATUSES),
                )
            )
        )
        .scalars()
        .all()
    ):
        await tasks.cancel(session, actor, task_id, f"order {order.number} cancelled")
    await tasks.cancel_lines_of(session, actor, order.number, f"order {order.number} cancelled")
    order.status = "cancelled"
    order.completed_at = utcnow()
    await documents.record(session, "sales_order", order.id, "cancelled", actor.id, reason=reason)
    await alerts_stock.availability_changed(
        session, {(line.item_id, order.warehouse_id) for line in await lines_of(session, order.id)}
    )
    return order
