"""The demo history's outbound side: the day's sales orders (short where stock ran out) and
their shipment, bins → customer location, through the ledger."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import DocumentEvent, SalesOrder, SalesOrderLine, Shipment
from backend.domain.moves import MoveLine
from backend.service.demo_history_sim import DayPlan
from backend.service.demo_history_write import Context, Written, at, bulk, event, post


async def sales_orders(
    session: AsyncSession, ctx: Context, plan: DayPlan, written: Written
) -> list[int]:
    if not plan.orders:
        return []
    closed = at(plan.date, 16 * 60 + 30)
    rows: list[dict[str, Any]] = []
    for order in plan.orders:
        shipped = any(line.served for line in order.lines)
        rows.append(
            {
                "number": next(written.numbers["sales_order"]),
                "customer_id": order.customer_id,
                "warehouse_id": ctx.warehouse_id,
                "status": "shipped" if shipped else "cancelled",
                "requested_date": plan.date,
                "note": None if shipped else "Nothing in stock: cancelled",
                "created_by": ctx.office_user,
                "created_at": at(plan.date, order.minute),
                "updated_at": closed,
                "completed_at": closed,
            }
        )
    ids = await bulk(session, SalesOrder, rows)
    lines, events = [], []
    for order_id, order, row in zip(ids, plan.orders, rows, strict=True):
        short: dict[str, int] = {}
        for n, line in enumerate(order.lines, start=1):
            if line.short:
                short[str(n)] = line.short
            lines.append(
                {
                    "order_id": order_id,
                    "line_no": n,
                    "item_id": line.item_id,
                    "quantity": line.quantity,
                    "unit_price": price(ctx.costs[line.item_id]),
                    "reserved_quantity": 0,
                    "picked_quantity": line.served,
                    "shipped_quantity": line.served,
                    "short_quantity": line.short,
                }
            )
        created = row["created_at"]
        events.append(event("sales_order", order_id, "created", ctx.office_user, created))
        events.append(
            event(
                "sales_order",
                order_id,
                "allocated",
                ctx.office_user,
                created + dt.timedelta(minutes=5),
                lines_reserved=len(order.lines) - len(short),
                short_lines=short,
            )
        )
        if row["status"] == "cancelled":
            events.append(
                event(
                    "sales_order",
                    order_id,
                    "cancelled",
                    ctx.office_user,
                    closed,
                    reason="nothing in stock",
                )
            )
    await session.execute(insert(SalesOrderLine), lines)
    await session.execute(insert(DocumentEvent), events)
    written.counts["sales_orders"] += len(ids)
    return ids


def price(cost: Decimal) -> Decimal:
    return (cost * Decimal("1.45")).quantize(Decimal("0.01"))


async def ship(
    session: AsyncSession,
    ctx: Context,
    plan: DayPlan,
    order_ids: list[int],
    written: Written,
) -> None:
    """The day's orders leave together: the units go from their bins to the customer
    location in one command (the history has no separate pick step: it would double the
    moves and the time to load them, and no figure reads it)."""
    when = at(plan.date, 16 * 60 + 30)
    lines = [
        MoveLine(item_id, q, bin_id, ctx.customer_place, reason="shipment")
        for (item_id, bin_id), q in sorted(plan.picks.items())
    ]
    wave = f"WAVE-{plan.date:%Y%m%d}"
    command_id = await post(
        session, ctx, "history_shipment", when, lines, "shipment", wave, written
    )
    shipments, events = [], []
    for order_id, order in zip(order_ids, plan.orders, strict=True):
        units = sum(line.served for line in order.lines)
        if not units:
            continue
        number = next(written.numbers["shipment"])
        shipments.append(
            {
                "number": number,
                "warehouse_id": ctx.warehouse_id,
                "order_id": order_id,
                "units": units,
                "command_id": command_id,
                "created_by": ctx.floor_user,
                "created_at": when,
            }
        )
        events.append(
            event(
                "sales_order",
                order_id,
                "shipped",
                ctx.floor_user,
                when,
                command_id=command_id,
                shipment=number,
                units=units,
                packages=[],
            )
        )
    await bulk(session, Shipment, shipments)
    await session.execute(insert(DocumentEvent), events)
    written.counts["shipments"] += len(shipments)
