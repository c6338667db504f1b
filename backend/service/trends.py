"""A warehouse's key figures bucket by bucket, for the supervisors' charts, with what needs
their attention now: items below their reorder minimum and lots near expiry.

Every series is the key figure of `kpis` computed over one bucket, by the same functions.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import utcnow
from backend.domain.actor import Actor
from backend.service import alerts_rules, buckets, expiry, kpis
from backend.service.buckets import Bucket
from backend.service.catalog import warehouse_in_scope

ACCURACY_TARGET = Decimal("0.98")
CENTS = Decimal("0.01")
# A day or a week turns over a small fraction of the stock: two places would show zeros.
TURNOVER_PLACES = "0.0001"

DEFINITIONS = {
    "buckets": "UTC calendar days, ISO weeks (from Monday) or calendar months; the first "
    "bucket holds the moment `days` days ago, the last one is the current bucket and ends now",
    "stock_value": "inventory value at the end of the bucket: on-hand units in real locations "
    "× unit cost, taken from the ledger as of that moment",
    "cost_of_goods_shipped": kpis.DEFINITIONS["cost_of_goods_shipped"] + ", the period being "
    "the bucket",
    "average_inventory_value": "(stock value at the start of the bucket + at its end) ÷ 2",
    "inventory_turnover": kpis.DEFINITIONS["inventory_turnover"] + ", per bucket (not "
    "annualised), to 4 decimal places; null when the average inventory value is zero",
    "stockout_rate": kpis.DEFINITIONS["stockout_rate"] + ", the period being the bucket; null "
    "without order lines",
    "inventory_record_accuracy": kpis.DEFINITIONS["inventory_record_accuracy"] + ", the period "
    "being the bucket; null without counted lines",
    "low_stock_items": "reorder rules of the warehouse whose item's available stock is under "
    "the rule's minimum now (as GET /api/reorder-rules?status=below)",
    "near_expiry": "lots with stock in real locations of the warehouse that expire within "
    "`near_expiry_days` days or have expired (as GET /api/lots/near-expiry), with the expired "
    "ones and the others by week ahead: week 0 holds the lots with 0–6 days left",
}


@dataclass(frozen=True)
class Point:
    start: dt.datetime
    end: dt.datetime
    stock_value: Decimal
    cost_of_goods_shipped: Decimal
    average_inventory_value: Decimal
    inventory_turnover: Decimal | None
    order_lines: int
    stockout_lines: int
    stockout_rate: Decimal | None
    count_lines: int
    count_lines_accurate: int
    inventory_record_accuracy: Decimal | None


@dataclass(frozen=True)
class ExpiryWeek:
    starts: dt.date
    lots: int


@dataclass(frozen=True)
class NearExpiry:
    days: int
    lots: int
    expired: int
    by_week: list[ExpiryWeek]


@dataclass(frozen=True)
class Trends:
    warehouse_id: int
    bucket: Bucket
    days: int
    since: dt.datetime
    until: dt.datetime
    as_of: dt.date
    points: list[Point]
    low_stock_items: int
    near_expiry: NearExpiry
    accuracy_target: Decimal
    definitions: dict[str, str]


async def series(session: AsyncSession, warehouse_id: int, edges: list[dt.datetime]) -> list[Point]:
    """The key figures of each interval between consecutive `edges`."""
    values = await kpis.inventory_values(session, warehouse_id, edges)
    shipped = await kpis.shipped_costs(session, warehouse_id, edges)
    lines = await kpis.order_lines(session, warehouse_id, edges)
    counts = await kpis.accuracies(session, warehouse_id, edges)
    points = []
    for i, (cogs, order, (counted, accurate)) in enumerate(
        zip(shipped, lines, counts, strict=True)
    ):
        average, turnover = kpis.turnover(cogs, values[i], values[i + 1], TURNOVER_PLACES)
        points.append(
            Point(
                start=edges[i],
                end=edges[i + 1],
                stock_value=values[i + 1].quantize(CENTS),
                cost_of_goods_shipped=cogs.quantize(CENTS),
                average_inventory_value=average.quantize(CENTS),
                inventory_turnover=turnover,
                order_lines=order.lines,
                stockout_lines=order.stockouts,
                stockout_rate=kpis.ratio(order.stockouts, order.lines, "0.0001"),
                count_lines=counted,
                count_lines_accurate=accurate,
                inventory_record_accuracy=kpis.ratio(accurate, counted, "0.0001"),
            )
        )
    return points


async def near_expiry_summary(
    session: AsyncSession, actor: Actor, warehouse_id: int, days: int, today: dt.date
) -> NearExpiry:
    lots = await expiry.near_expiry(session, actor, warehouse_id, days, today)
    weeks = [0] * (days // 7 + 1)
    for lot in lots:
        if not lot.expired:
            weeks[lot.days_left // 7] += 1
    return NearExpiry(
        days=days,
        lots=len(lots),
        expired=sum(1 for lot in lots if lot.expired),
        by_week=[
            ExpiryWeek(starts=today + dt.timedelta(weeks=w), lots=n) for w, n in enumerate(weeks)
        ],
    )


async def warehouse_trends(
    session: AsyncSession,
    actor: Actor,
    warehouse_id: int,
    *,
    days: int,
    bucket: Bucket,
    near_expiry_days: int,
    now: dt.datetime | None = None,
    today: dt.date | None = None,
) -> Trends:
    await warehouse_in_scope(session, warehouse_id, actor)
    now = now or utcnow()
    today = today or now.date()
    edges = buckets.calendar_edges(now, days, bucket)
    below = await alerts_rules.list_states(
        session, actor, warehouse_id=warehouse_id, status="below"
    )
    return Trends(
        warehouse_id=warehouse_id,
        bucket=bucket,
        days=days,
        since=edges[0],
        until=edges[-1],
        as_of=today,
        points=await series(session, warehouse_id, edges),
        low_stock_items=len(below),
        near_expiry=await near_expiry_summary(
            session, actor, warehouse_id, near_expiry_days, today
        ),
        accuracy_target=ACCURACY_TARGET,
        definitions=DEFINITIONS,
    )
