"""Daily demand series from the ledger: what each item's customers asked for, day by day.

Demand on a day = units moved to the warehouse's customer location that day (by the moves'
`occurred_at`, in UTC) + the units order lines created that day could not get (their short
quantity): a stockout hides demand from the shipments, the short lines bring it back. Days
without either are zeros. Series end the day before `until`, so today's half-day is never
taken for a whole one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import Result, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import Location, SalesOrder, SalesOrderLine, StockMove, utcnow

DEFAULT_DAYS = 365


@dataclass(frozen=True)
class DemandHistory:
    first_day: dt.date
    days: int
    shipped: dict[int, np.ndarray]  # item → units shipped per day
    short: dict[int, np.ndarray]  # item → units asked for and not served per day

    def demand(self, item_id: int) -> np.ndarray:
        zeros = np.zeros(self.days)
        return self.shipped.get(item_id, zeros) + self.short.get(item_id, zeros)

    def stockout_days(self, item_id: int) -> int:
        short = self.short.get(item_id)
        return int(np.count_nonzero(short)) if short is not None else 0

    @property
    def items(self) -> list[int]:
        return sorted(self.shipped.keys() | self.short.keys())


async def demand_history(
    session: AsyncSession,
    warehouse_id: int,
    item_ids: Collection[int] | None = None,
    *,
    days: int = DEFAULT_DAYS,
    until: dt.date | None = None,
) -> DemandHistory:
    """The last `days` days before `until` (today, UTC, by default) for the given items, or
    for every item with demand in the warehouse."""
    end = until or utcnow().date()
    first = end - dt.timedelta(days=days)
    since = dt.datetime.combine(first, dt.time(), dt.UTC)
    before = dt.datetime.combine(end, dt.time(), dt.UTC)
    customers = select(Location.id).where(
        Location.warehouse_id == warehouse_id, Location.kind == "customer"
    )
    shipped_query = select(StockMove.item_id, StockMove.occurred_at, StockMove.quantity).where(
        StockMove.to_location_id.in_(customers),
        StockMove.occurred_at >= since,
        StockMove.occurred_at < before,
    )
    short_query = (
        select(SalesOrderLine.item_id, SalesOrder.created_at, SalesOrderLine.short_quantity)
        .join(SalesOrder, SalesOrder.id == SalesOrderLine.order_id)
        .where(
            SalesOrder.warehouse_id == warehouse_id,
            SalesOrderLine.short_quantity > 0,
            SalesOrder.created_at >= since,
            SalesOrder.created_at < before,
        )
    )
    if item_ids is not None:
        wanted = sorted(set(item_ids))
        shipped_query = shipped_query.where(StockMove.item_id.in_(wanted))
        short_query = short_query.where(SalesOrderLine.item_id.in_(wanted))
    shipped = _by_day(await session.execute(shipped_query), first, days)
    short = _by_day(await session.execute(short_query), first, days)
    return DemandHistory(first, days, shipped, short)


def _by_day(rows: Result[Any], first: dt.date, days: int) -> dict[int, np.ndarray]:
    series: dict[int, np.ndarray] = {}
    for item_id, at, quantity in rows.tuples():
        day = (at.astimezone(dt.UTC).date() - first).days
        if 0 <= day < days:
            if item_id not in series:
                series[item_id] = np.zeros(days)
            series[item_id][day] += int(quantity)
    return series
