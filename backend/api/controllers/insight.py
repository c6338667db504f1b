"""Supervisors' figures: stock value, slow and dead stock, ABC classes and key figures."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Annotated, Literal

import msgspec
from litestar import Controller, get, post
from litestar.params import FromQuery, Parameter

from backend.api.deps import CurrentActor, Db
from backend.api.guards import requires_admin, requires_supervisor
from backend.api.schemas import (
    AbcOut,
    AbcResult,
    KeyFigures,
    SlowMoverOut,
    StockValueRow,
    Trends,
)
from backend.db.models import utcnow
from backend.service import insight, kpis, trends
from backend.service.buckets import Bucket

Days = Annotated[int, Parameter(ge=1, le=3650)]
# Two years of daily buckets at most: 731 points is already more than a phone can show.
TrendDays = Annotated[int, Parameter(ge=1, le=730)]
ExpiryDays = Annotated[int, Parameter(ge=0, le=3650)]


def _described(definitions: dict[str, str]) -> str:
    return "Definitions, as computed:\n\n" + "\n".join(
        f"- **{name}**: {text}" for name, text in definitions.items()
    )


KPI_DESCRIPTION = _described(kpis.DEFINITIONS)


def _aware(at: dt.datetime | None) -> dt.datetime | None:
    """A time given without an offset is taken as UTC."""
    return at.replace(tzinfo=dt.UTC) if at is not None and at.tzinfo is None else at


class InsightController(Controller):
    path = "/api/insight"
    tags = ["insight"]
    guards = [requires_supervisor]

    @get(
        "/stock-value",
        summary="On-hand quantity and value (× unit cost) by warehouse, zone, location, "
        "item or lot, most value first",
    )
    async def stock_value(
        self,
        db: Db,
        actor: CurrentActor,
        group_by: FromQuery[Literal["warehouse", "zone", "location", "item", "lot"]] = "warehouse",
        warehouse_id: FromQuery[int | None] = None,
    ) -> list[StockValueRow]:
        rows = await insight.stock_value(db, actor, group_by, warehouse_id)
        return [StockValueRow(**dataclasses.asdict(r)) for r in rows]

    @get(
        "/slow-movers",
        summary="Items on hand with no outbound movement for slow_days (slow) or dead_days "
        "or ever (dead), with the value they tie up",
    )
    async def slow_movers(
        self,
        db: Db,
        actor: CurrentActor,
        warehouse_id: FromQuery[int],
        slow_days: FromQuery[Days] = 60,
        dead_days: FromQuery[Days] = 180,
    ) -> list[SlowMoverOut]:
        rows = await insight.slow_movers(
            db, actor, warehouse_id, slow_days=slow_days, dead_days=dead_days
        )
        return [SlowMoverOut(**dataclasses.asdict(r)) for r in rows]

    @get(
        "/abc",
        summary="ABC classes recomputed from the last `days` of outbound value (a preview): "
        "A up to 80 % of the value, B up to 95 %, the rest C",
    )
    async def abc_preview(self, db: Db, days: FromQuery[Days] = 90) -> AbcResult:
        rows = await insight.abc_classes(db, days=days)
        changed = sum(1 for r in rows if r.abc_class != r.previous)
        return AbcResult(
            days=days, changed=changed, items=[AbcOut(**dataclasses.asdict(r)) for r in rows]
        )

    @post(
        "/abc",
        guards=[requires_admin],
        status_code=200,
        summary="Recompute and store every item's ABC class (items are shared by all "
        "warehouses, so an admin does it)",
    )
    async def abc_apply(self, db: Db, days: FromQuery[Days] = 90) -> AbcResult:
        async with db.begin():
            rows = await insight.abc_classes(db, days=days)
            changed = await insight.apply_abc(db, rows)
        return AbcResult(
            days=days, changed=changed, items=[AbcOut(**dataclasses.asdict(r)) for r in rows]
        )

    @get("/kpis", summary="Key figures of a warehouse over a period", description=KPI_DESCRIPTION)
    async def key_figures(
        self,
        db: Db,
        actor: CurrentActor,
        warehouse_id: FromQuery[int],
        since: FromQuery[dt.datetime | None] = None,
        until: FromQuery[dt.datetime | None] = None,
    ) -> KeyFigures:
        actor.require_warehouse(warehouse_id)
        end = _aware(until) or utcnow()
        period = kpis.Period(_aware(since) or end - dt.timedelta(days=30), end)
        return msgspec.convert(
            await kpis.key_figures(db, warehouse_id, period), KeyFigures, from_attributes=True
        )

    @get(
        "/trends",
        summary="Stock value, turnover, stockout rate and count accuracy of a warehouse per "
        "day, week or month over the last `days` days, with low-stock and near-expiry counts now",
        description=_described(trends.DEFINITIONS),
    )
    async def warehouse_trends(
        self,
        db: Db,
        actor: CurrentActor,
        warehouse_id: FromQuery[int],
        days: FromQuery[TrendDays] = 90,
        bucket: FromQuery[Bucket] = "week",
        near_expiry_days: FromQuery[ExpiryDays] = 30,
    ) -> Trends:
        found = await trends.warehouse_trends(
            db,
            actor,
            warehouse_id,
            days=days,
            bucket=bucket,
            near_expiry_days=near_expiry_days,
            # The calendar day of the near-expiry list (GET /api/lots/near-expiry).
            today=dt.date.today(),
        )
        return msgspec.convert(found, Trends, from_attributes=True)
