"""Key figures of a warehouse over a period, each computed as its definition says.

The definitions are the contract: they are returned with every figure and shown in the API
documentation, so a supervisor can redo any number by hand.
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from backend.db.models import (
    Count,
    DocumentEvent,
    Item,
    Location,
    PurchaseOrder,
    Quant,
    SalesOrder,
    SalesOrderLine,
    StockMove,
    Task,
    Transfer,
)
from backend.domain.errors import InvalidRequest

DEFINITIONS = {
    "cost_of_goods_shipped": "units moved to the warehouse's customer location in the period "
    "× the item's unit cost",
    "average_inventory_value": "(inventory value at the start of the period + at its end) ÷ 2; "
    "inventory value = on-hand units in real locations × unit cost, taken from the ledger as "
    "of that moment",
    "inventory_turnover": "cost of goods shipped ÷ average inventory value",
    "days_of_supply": "inventory value at the end of the period ÷ (cost of goods shipped ÷ "
    "days in the period)",
    "stockout_rate": "order lines that could not be picked in full ÷ order lines, over sales "
    "orders created in the period and not cancelled; a line could not be picked in full when "
    "allocation could not reserve all of it or a pick came up short",
    "inventory_record_accuracy": "count lines whose final count matched the book ÷ count "
    "lines counted, over counts closed in the period (target 98 % or better)",
    "fill_rate": "units shipped ÷ units ordered, over sales orders created in the period and "
    "not cancelled",
    "processing_time": "seconds from a document's creation to its completion, median and 90th "
    "percentile, per document type, over documents completed in the period",
}


@dataclass(frozen=True)
class Period:
    since: dt.datetime
    until: dt.datetime

    def __post_init__(self) -> None:
        if self.until <= self.since:
            raise InvalidRequest("the period must end after it starts")

    @property
    def days(self) -> Decimal:
        return Decimal((self.until - self.since).total_seconds()) / Decimal(86400)


def _ratio(numerator: Decimal | int, denominator: Decimal | int, places: str) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(Decimal(places))


async def inventory_value(session: AsyncSession, warehouse_id: int, at: dt.datetime) -> Decimal:
    """Value on hand in the warehouse's real locations at `at`: today's quants with the moves
    that happened after `at` undone."""
    now = (
        await session.execute(
            select(func.sum(Quant.on_hand * Item.unit_cost))
            .join(Item, Item.id == Quant.item_id)
            .where(Quant.warehouse_id == warehouse_id, Quant.is_virtual.is_(False))
        )
    ).scalar() or 0
    value = Decimal(now)
    for column, sign in ((StockMove.to_location_id, -1), (StockMove.from_location_id, 1)):
        place = aliased(Location)
        later = (
            await session.execute(
                select(func.sum(StockMove.quantity * Item.unit_cost))
                .join(Item, Item.id == StockMove.item_id)
                .join(place, place.id == column)
                .where(
                    place.warehouse_id == warehouse_id,
                    place.kind.in_(("bin", "dock")),
                    StockMove.occurred_at > at,
                )
            )
        ).scalar() or 0
        value += sign * Decimal(later)
    return value


async def cost_of_goods_shipped(
    session: AsyncSession, warehouse_id: int, period: Period
) -> Decimal:
    customer = aliased(Location)
    total = (
        await session.execute(
            select(func.sum(StockMove.quantity * Item.unit_cost))
            .join(Item, Item.id == StockMove.item_id)
            .join(customer, customer.id == StockMove.to_location_id)
            .where(
                customer.kind == "customer",
                customer.warehouse_id == warehouse_id,
                StockMove.occurred_at >= period.since,
                StockMove.occurred_at < period.until,
            )
        )
    ).scalar() or 0
    return Decimal(total)


async def _order_lines(
    session: AsyncSession, warehouse_id: int, period: Period
) -> list[tuple[int, int, int, int, int]]:
    """(order id, line no, ordered, shipped, short) of orders created in the period."""
    rows = await session.execute(
        select(
            SalesOrder.id,
            SalesOrderLine.line_no,
            SalesOrderLine.quantity,
            SalesOrderLine.shipped_quantity,
            SalesOrderLine.short_quantity,
        )
        .join(SalesOrderLine, SalesOrderLine.order_id == SalesOrder.id)
        .where(
            SalesOrder.warehouse_id == warehouse_id,
            SalesOrder.status != "cancelled",
            SalesOrder.created_at >= period.since,
            SalesOrder.created_at < period.until,
        )
    )
    return [tuple(r) for r in rows.tuples()]  # type: ignore[misc]


async def _short_allocated(session: AsyncSession, order_ids: set[int]) -> set[tuple[int, int]]:
    """(order, line no) that an allocation could not reserve in full, from the history."""
    if not order_ids:
        return set()
    rows = await session.execute(
        select(DocumentEvent.document_id, DocumentEvent.details).where(
            DocumentEvent.document_type == "sales_order",
            DocumentEvent.action == "allocated",
            DocumentEvent.document_id.in_(order_ids),
        )
    )
    short: set[tuple[int, int]] = set()
    for order_id, details in rows.tuples():
        for line_no in (details or {}).get("short_lines") or {}:
            short.add((order_id, int(line_no)))
    return short


def _percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile: the smallest value with at least `fraction` of the values
    at or below it."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * fraction // 1))
    return ordered[int(rank) - 1]


async def processing_times(
    session: AsyncSession, warehouse_id: int, period: Period
) -> dict[str, dict[str, Any]]:
    documents: dict[str, tuple[Any, Any]] = {
        "purchase_order": (PurchaseOrder, PurchaseOrder.warehouse_id),
        "sales_order": (SalesOrder, SalesOrder.warehouse_id),
        "count": (Count, Count.warehouse_id),
        "transfer": (Transfer, Transfer.to_warehouse_id),
    }
    result: dict[str, dict[str, Any]] = {}
    for name, (model, column) in documents.items():
        rows = await session.execute(
            select(model.created_at, model.completed_at).where(
                column == warehouse_id,
                model.completed_at.is_not(None),
                model.completed_at >= period.since,
                model.completed_at < period.until,
            )
        )
        result[name] = _summary([(done - made).total_seconds() for made, done in rows.tuples()])
    task_rows = await session.execute(
        select(Task.type, Task.created_at, Task.completed_at).where(
            and_(
                Task.warehouse_id == warehouse_id,
                Task.status == "done",
                Task.completed_at >= period.since,
                Task.completed_at < period.until,
            )
        )
    )
    by_type: dict[str, list[float]] = {}
    for kind, made, done in task_rows.tuples():
        if done is not None:
            by_type.setdefault(f"{kind}_task", []).append((done - made).total_seconds())
    for name, seconds in sorted(by_type.items()):
        result[name] = _summary(seconds)
    return result


def _summary(seconds: list[float]) -> dict[str, Any]:
    if not seconds:
        return {"documents": 0, "median_seconds": None, "p90_seconds": None}
    return {
        "documents": len(seconds),
        "median_seconds": round(statistics.median(seconds), 1),
        "p90_seconds": round(_percentile(seconds, 0.9), 1),
    }


async def accuracy(session: AsyncSession, warehouse_id: int, period: Period) -> tuple[int, int]:
    counted, accurate = (
        await session.execute(
            select(func.sum(Count.lines_counted), func.sum(Count.lines_accurate)).where(
                Count.warehouse_id == warehouse_id,
                Count.status == "closed",
                Count.completed_at >= period.since,
                Count.completed_at < period.until,
            )
        )
    ).one()
    return int(counted or 0), int(accurate or 0)


async def key_figures(session: AsyncSession, warehouse_id: int, period: Period) -> dict[str, Any]:
    cogs = await cost_of_goods_shipped(session, warehouse_id, period)
    start = await inventory_value(session, warehouse_id, period.since)
    end = await inventory_value(session, warehouse_id, period.until)
    average = (start + end) / 2
    lines = await _order_lines(session, warehouse_id, period)
    short = await _short_allocated(session, {line[0] for line in lines})
    stockouts = sum(1 for o, n, _, _, s in lines if s > 0 or (o, n) in short)
    ordered = sum(line[2] for line in lines)
    shipped = sum(line[3] for line in lines)
    counted, accurate = await accuracy(session, warehouse_id, period)
    daily_cogs = cogs / period.days
    return {
        "warehouse_id": warehouse_id,
        "since": period.since,
        "until": period.until,
        "cost_of_goods_shipped": cogs.quantize(Decimal("0.01")),
        "inventory_value_start": start.quantize(Decimal("0.01")),
        "inventory_value_end": end.quantize(Decimal("0.01")),
        "average_inventory_value": average.quantize(Decimal("0.01")),
        "inventory_turnover": _ratio(cogs, average, "0.01"),
        "days_of_supply": _ratio(end, daily_cogs, "0.1"),
        "order_lines": len(lines),
        "stockout_lines": stockouts,
        "stockout_rate": _ratio(stockouts, len(lines), "0.0001"),
        "count_lines": counted,
        "count_lines_accurate": accurate,
        "inventory_record_accuracy": _ratio(accurate, counted, "0.0001"),
        "units_ordered": ordered,
        "units_shipped": shipped,
        "fill_rate": _ratio(shipped, ordered, "0.0001"),
        "processing_time": await processing_times(session, warehouse_id, period),
        "definitions": DEFINITIONS,
    }
