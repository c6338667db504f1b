"""The demo history's inbound side: purchase orders as they ended up, their receipts through
the ledger (supplier → receiving dock) and the morning's putaway (dock → bins)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import DocumentEvent, PurchaseOrder, PurchaseOrderLine, Receipt
from backend.domain.moves import MoveLine
from backend.service.demo_history_sim import DayPlan, Purchase, Simulation
from backend.service.demo_history_write import (
    Context,
    Written,
    at,
    bulk,
    event,
    post,
    task,
    task_line,
)


async def receive(
    session: AsyncSession,
    ctx: Context,
    purchase: Purchase,
    index: int,
    when: dt.datetime,
    written: Written,
) -> None:
    number = written.purchase_numbers[index]
    lines = [
        MoveLine(item_id, quantity, ctx.supplier_place, ctx.receiving, reason="receipt")
        for item_id, quantity in purchase.lines.items()
    ]
    command_id = await post(
        session, ctx, "history_receipt", when, lines, "receipt", number, written
    )
    receipts, events = [], []
    for item_id, quantity in purchase.lines.items():
        line_id, line_no = written.purchase_lines[(index, item_id)]
        receipt = next(written.numbers["receipt"])
        receipts.append(
            {
                "number": receipt,
                "warehouse_id": ctx.warehouse_id,
                "order_id": written.purchase_ids[index],
                "order_line_id": line_id,
                "item_id": item_id,
                "quantity": quantity,
                "damaged_quantity": 0,
                "dock_location_id": ctx.receiving,
                "command_id": command_id,
                "created_by": ctx.floor_user,
                "created_at": when,
            }
        )
        events.append(
            event(
                "purchase_order",
                written.purchase_ids[index],
                "received",
                ctx.floor_user,
                when,
                command_id=command_id,
                receipt=receipt,
                line=line_no,
                quantity=quantity,
                damaged=0,
            )
        )
    await bulk(session, Receipt, receipts)
    await session.execute(insert(DocumentEvent), events)


async def put_away(session: AsyncSession, ctx: Context, plan: DayPlan, written: Written) -> None:
    when = at(plan.date, 9 * 60)
    placed = sorted(plan.putaways.items())
    _, number = await task(
        session,
        ctx,
        written,
        kind="putaway",
        created=at(plan.date, 8 * 60 + 30),
        completed=when,
        lines=[
            task_line(item_id, q, True, source=ctx.receiving, dest=bin_id)
            for (item_id, bin_id), q in placed
        ],
        note="Put away the morning's deliveries",
    )
    lines = [
        MoveLine(item_id, q, ctx.receiving, bin_id, reason="putaway")
        for (item_id, bin_id), q in placed
    ]
    await post(session, ctx, "history_putaway", when, lines, "putaway", number, written)


async def purchase_order(
    session: AsyncSession,
    ctx: Context,
    sim: Simulation,
    index: int,
    when: dt.datetime,
    days: int,
    written: Written,
) -> None:
    """A purchase order as it ends up: received on its arrival day, or still on order."""
    purchase = sim.purchases[index]
    arrived = purchase.arrival_day < days
    arrival = sim.days[purchase.arrival_day].date if arrived else None
    received_at = at(arrival, 450) if arrival else None
    lead = max(i.lead_time for i in sim.items if i.item_id in purchase.lines)
    expected = when.date() + dt.timedelta(days=lead)
    items = sorted(purchase.lines.items())
    total = sum((Decimal(q) * ctx.costs[i] for i, q in items), Decimal(0))
    number = next(written.numbers["purchase_order"])
    (order_id,) = await bulk(
        session,
        PurchaseOrder,
        [
            {
                "number": number,
                "supplier_id": purchase.supplier_id,
                "warehouse_id": ctx.warehouse_id,
                "status": "received" if arrived else "approved",
                "total_value": total,
                "approval_role": None,
                "expected_date": expected,
                "note": "Weekly replenishment review",
                "created_by": ctx.office_user,
                "created_at": when,
                "updated_at": received_at or when,
                "completed_at": received_at,
            }
        ],
    )
    line_ids = await bulk(
        session,
        PurchaseOrderLine,
        [
            {
                "order_id": order_id,
                "line_no": n,
                "item_id": item_id,
                "quantity": q,
                "unit_price": ctx.costs[item_id],
                "expected_date": expected,
                "received_quantity": q if arrived else 0,
                "damaged_quantity": 0,
                "closed_short": False,
            }
            for n, (item_id, q) in enumerate(items, start=1)
        ],
    )
    written.purchase_ids[index] = order_id
    written.purchase_numbers[index] = number
    for n, ((item_id, _), line_id) in enumerate(zip(items, line_ids, strict=True), start=1):
        written.purchase_lines[(index, item_id)] = (line_id, n)
    await session.execute(
        insert(DocumentEvent),
        [
            event(
                "purchase_order",
                order_id,
                "created",
                ctx.office_user,
                when,
                total_value=str(total),
            ),
            event(
                "purchase_order",
                order_id,
                "approved",
                ctx.office_user,
                when + dt.timedelta(minutes=2),
                role="admin",
                automatic=False,
                comment=None,
            ),
        ],
    )
    await task(
        session,
        ctx,
        written,
        kind="receive",
        created=when + dt.timedelta(minutes=2),
        completed=received_at,
        lines=[
            task_line(item_id, q, arrived, source_line_id=line_id)
            for (item_id, q), line_id in zip(items, line_ids, strict=True)
        ],
        note=f"Receive {number}",
        document_id=order_id,
    )
