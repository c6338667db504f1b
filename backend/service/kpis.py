"""Key figures of a warehouse over a period, each computed as its definition says.

The definitions are the contract: they are returned with every figure and shown in the API
documentation, so a supervisor can redo any number by hand.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Integer, and_, func, literal_column, select
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
from backend.domain.vocabulary import STOCK_KINDS
from backend.service import buckets

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


def ratio(numerator: Decimal | int, denominator: Decimal | int, places: str) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(Decimal(places))


# The figures below are computed for consecutive intervals at once: `edges` [t0, t1, …, tn]
# stand for [t0, t1), [t1, t2), …, and each function answers one entry per interval from a
# few grouped queries. A single period is the case of two edges.


def _span(column: Any, edges: Sequence[dt.datetime]) -> tuple[ColumnElement[bool], ...]:
    return column >= edges[0], column < edges[-1]


async def inventory_values(
    session: AsyncSession, warehouse_id: int, moments: Sequence[dt.datetime]
) -> list[Decimal]:
    """Value on hand in the warehouse's real locations at each of the ascending `moments`:
    today's quants with the moves that happened after the moment undone."""
    now = (
        await session.execute(
            select(func.sum(Quant.on_hand * Item.unit_cost))
            .join(Item, Item.id == Quant.item_id)
            .where(Quant.warehouse_id == warehouse_id, Quant.is_virtual.is_(False))
        )
    ).scalar() or 0
    # Net value moved in, keyed by how many moments precede the move.
    moved_in = [Decimal(0)] * (len(moments) + 1)
    slot = buckets.position(StockMove.occurred_at, moments, inclusive=False)
    for column, sign in ((StockMove.to_location_id, 1), (StockMove.from_location_id, -1)):
        place = aliased(Location)
        rows = await session.execute(
            buckets.per_slot(
                select((StockMove.quantity * Item.unit_cost).label("value"))
                .join(Item, Item.id == StockMove.item_id)
                .join(place, place.id == column)
                .where(
                    place.warehouse_id == warehouse_id,
                    place.kind.in_(STOCK_KINDS),
                    StockMove.occurred_at > moments[0],
                ),
                slot,
            )
        )
        for index, value in rows.tuples():
            moved_in[index] += sign * Decimal(value or 0)
    values, undone = [], Decimal(0)
    for index in range(len(moments), 0, -1):
        undone += moved_in[index]
        values.append(Decimal(now) - undone)
    return values[::-1]


async def shipped_costs(
    session: AsyncSession, warehouse_id: int, edges: Sequence[dt.datetime]
) -> list[Decimal]:
    """Cost of goods shipped per interval: units moved to the warehouse's customer location
    × the item's unit cost."""
    customer = aliased(Location)
    rows = await session.execute(
        buckets.per_slot(
            select((StockMove.quantity * Item.unit_cost).label("value"))
            .join(Item, Item.id == StockMove.item_id)
            .join(customer, customer.id == StockMove.to_location_id)
            .where(
                customer.kind == "customer",
                customer.warehouse_id == warehouse_id,
                *_span(StockMove.occurred_at, edges),
            ),
            buckets.position(StockMove.occurred_at, edges, inclusive=True),
        )
    )
    found = [Decimal(0)] * (len(edges) - 1)
    for index, value in rows.tuples():
        found[index - 1] = Decimal(value or 0)
    return found


@dataclass(frozen=True)
class OrderLines:
    lines: int = 0
    stockouts: int = 0
    ordered: int = 0
    shipped: int = 0


async def order_lines(
    session: AsyncSession, warehouse_id: int, edges: Sequence[dt.datetime]
) -> list[OrderLines]:
    """Per interval, the lines of the sales orders created in it and not cancelled: how many,
    how many could not be picked in full (an allocation could not reserve all of the line, or
    a pick came up short), units ordered and shipped."""
    slot = buckets.position(SalesOrder.created_at, edges, inclusive=True)
    orders = (
        SalesOrder.warehouse_id == warehouse_id,
        SalesOrder.status != "cancelled",
        *_span(SalesOrder.created_at, edges),
    )
    totals = await session.execute(
        buckets.per_slot(
            select(
                literal_column("1", Integer).label("lines"),
                SalesOrderLine.quantity.label("ordered"),
                SalesOrderLine.shipped_quantity.label("shipped"),
            )
            .join(SalesOrderLine, SalesOrderLine.order_id == SalesOrder.id)
            .where(*orders),
            slot,
        )
    )
    # Each short line once, with its interval, whichever way it came up short.
    short: dict[tuple[int, int], int] = {}
    picked_short = await session.execute(
        select(SalesOrderLine.order_id, SalesOrderLine.line_no, slot)
        .join(SalesOrder, SalesOrder.id == SalesOrderLine.order_id)
        .where(*orders, SalesOrderLine.short_quantity > 0)
    )
    for order_id, line_no, index in picked_short.tuples():
        short[(order_id, line_no)] = index
    allocations = await session.execute(
        select(DocumentEvent.document_id, DocumentEvent.details, slot)
        .join(SalesOrder, SalesOrder.id == DocumentEvent.document_id)
        .where(
            DocumentEvent.document_type == "sales_order",
            DocumentEvent.action == "allocated",
            *orders,
        )
    )
    for order_id, details, index in allocations.tuples():
        for line_no in (details or {}).get("short_lines") or {}:
            short[(order_id, int(line_no))] = index
    stockouts = Counter(short.values())
    found = [OrderLines() for _ in edges[1:]]
    for index, lines, ordered, shipped in totals.tuples():
        found[index - 1] = OrderLines(
            int(lines or 0), stockouts[index], int(ordered or 0), int(shipped or 0)
        )
    return found


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


async def accuracies(
    session: AsyncSession, warehouse_id: int, edges: Sequence[dt.datetime]
) -> list[tuple[int, int]]:
    """(count lines counted, of them accurate) per interval, over counts closed in it."""
    rows = await session.execute(
        buckets.per_slot(
            select(Count.lines_counted, Count.lines_accurate).where(
                Count.warehouse_id == warehouse_id,
                Count.status == "closed",
                *_span(Count.completed_at, edges),
            ),
            buckets.position(Count.completed_at, edges, inclusive=True),
        )
    )
    found = [(0, 0)] * (len(edges) - 1)
    for index, counted, accurate in rows.tuples():
        found[index - 1] = (int(counted or 0), int(accurate or 0))
    return found


def turnover(
    cogs: Decimal, start_value: Decimal, end_value: Decimal, places: str = "0.01"
) -> tuple[Decimal, Decimal | None]:
    """The average inventory value over a period and the inventory turnover it gives."""
    average = (start_value + end_value) / 2
    return average, ratio(cogs, average, places)


async def key_figures(session: AsyncSession, warehouse_id: int, period: Period) -> dict[str, Any]:
    edges = [period.since, period.until]
    (cogs,) = await shipped_costs(session, warehouse_id, edges)
    start, end = await inventory_values(session, warehouse_id, edges)
    average, inventory_turnover = turnover(cogs, start, end)
    (lines,) = await order_lines(session, warehouse_id, edges)
    ((counted, accurate),) = await accuracies(session, warehouse_id, edges)
    daily_cogs = cogs / period.days
    return {
        "warehouse_id": warehouse_id,
        "since": period.since,
        "until": period.until,
        "cost_of_goods_shipped": cogs.quantize(Decimal("0.01")),
        "inventory_value_start": start.quantize(Decimal("0.01")),
        "inventory_value_end": end.quantize(Decimal("0.01")),
        "average_inventory_value": average.quantize(Decimal("0.01")),
        "inventory_turnover": inventory_turnover,
        "days_of_supply": ratio(end, daily_cogs, "0.1"),
        "order_lines": lines.lines,
        "stockout_lines": lines.stockouts,
        "stockout_rate": ratio(lines.stockouts, lines.lines, "0.0001"),
        "count_lines": counted,
        "count_lines_accurate": accurate,
        "inventory_record_accuracy": ratio(accurate, counted, "0.0001"),
        "units_ordered": lines.ordered,
        "units_shipped": lines.shipped,
        "fill_rate": ratio(lines.shipped, lines.ordered, "0.0001"),
        "processing_time": await processing_times(session, warehouse_id, period),
        "definitions": DEFINITIONS,
    }
