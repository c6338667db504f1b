"""Demand classes, forecasts and the backtest on synthetic series; the demo's history on a
small world, written through the ledger, on both databases."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import numpy as np
import pytest
from sqlalchemy import func, select

from backend.bench.forecast import backtest, mase, render, smape
from backend.db.models import Location, Quant, ReorderRule, SalesOrderLine, StockMove
from backend.domain.commands import OpeningLine, PostOpeningBalance
from backend.service import catalog, forecast, kpis
from backend.service.commands import apply_command
from backend.service.demo_history import load_history
from backend.service.demo_history_patterns import MIX, demand_matrix
from backend.service.demo_history_sim import SimItem, pattern_mix, simulate
from backend.service.forecast_history import demand_history
from backend.service.sealing import seal_pending, verify_ledger
from tests.conftest import Api

DAYS = [dt.date(2025, 1, 6) + dt.timedelta(days=i) for i in range(365)]  # from a Monday


def test_classes_follow_adi_and_cv2_cut_offs():
    # One demand in 3 days, always 3 units: ADI 3, CV² 0.
    steady_rare = np.tile([0, 0, 3], 40)
    found = forecast.classify(steady_rare)
    # Leading zeros do not count: the series starts at the first demand.
    assert (found.demand_class, found.adi, found.cv2) == ("intermittent", 2.95, 0.0)
    # Every day, 4 or 6 units: CV² = (1/5)² = 0.04.
    assert forecast.classify(np.tile([4, 6], 30)).demand_class == "smooth"
    # Every day, 1 or 9 units: CV² = (4/5)² = 0.64.
    erratic = forecast.classify(np.tile([1, 9], 30))
    assert (erratic.demand_class, erratic.cv2) == ("erratic", 0.64)
    # One day in four, 1 or 9 units.
    assert forecast.classify(np.tile([1, 0, 0, 0, 9, 0, 0, 0], 10)).demand_class == "lumpy"
    # ADI exactly at the cut-off is intermittent (ADI ≥ 1.32).
    assert forecast.classify(np.array([5.0] * 25 + [0.0] * 8)).adi == 1.32
    assert forecast.classify(np.array([5.0] * 25 + [0.0] * 8)).demand_class == "intermittent"
    none = forecast.classify(np.zeros(30))
    assert (none.demand_class, none.adi, none.cv2) == ("none", None, None)
    assert forecast.forecast(np.zeros(30), 5).daily == (0.0,) * 5


def test_generated_patterns_land_in_their_classes():
    profiles, demand = demand_matrix(DAYS, np.random.default_rng(3))
    pairs = zip(profiles, demand, strict=True)
    classes = {(p.pattern, forecast.classify(row).demand_class) for p, row in pairs}
    found = {klass for _, klass in classes}
    assert {"smooth", "erratic", "intermittent", "lumpy"} <= found
    assert all(k == "smooth" for p, k in classes if p in ("seasonal", "trending"))
    assert all(k == "intermittent" for p, k in classes if p == "slow")


def test_intermittent_forecast_rate_is_near_the_mean_demand():
    rng = np.random.default_rng(11)
    # Demand on about one day in four, 4 units each: 1 unit a day on average.
    y = np.where(rng.random(364) < 0.25, 4.0, 0.0)
    made = forecast.forecast(y, 28)
    assert made.demand_class == "intermittent" and made.model == "TSB×weekday"
    assert made.mean_daily == pytest.approx(y[-182:].mean(), rel=0.35)
    assert made.mean_daily == pytest.approx(1.0, rel=0.35)
    assert all(v >= 0 for v in made.daily) and len(made.daily) == 28
    # Beyond the horizon, the mean daily forecast carries on.
    assert made.over(56) == pytest.approx(2 * made.over(28), rel=1e-6)


def test_seasonal_forecast_beats_naive_on_a_seasonal_series():
    rng = np.random.default_rng(5)
    week = np.array([20, 18, 17, 19, 24, 8, 0], dtype=float)
    y = rng.poisson(np.tile(week, 40)).astype(float)
    ours, naive = [], []
    for origin in (224, 238, 252, 266):
        train, actual = y[:origin], y[origin : origin + 14]
        made = forecast.forecast(train, 14)
        assert made.demand_class == "smooth" and made.model == "AutoETS"
        # Sundays (never a sale in eight weeks) are closed days: forecast 0.
        sundays = [i for i in range(14) if (origin + i) % 7 == 6]
        assert all(made.daily[i] == 0 for i in sundays)
        ours.append(mase(actual, np.array(made.daily), train))
        naive.append(mase(actual, forecast.naive(train, 14), train))
    assert np.mean(ours) < 0.6 * np.mean(naive)


def test_smape_counts_only_days_with_something_to_compare():
    assert smape(np.array([0.0, 2.0]), np.array([0.0, 2.0])) == 0.0
    assert smape(np.array([0.0, 0.0]), np.array([0.0, 0.0])) is None
    assert smape(np.array([0.0, 4.0]), np.array([2.0, 4.0])) == pytest.approx(100.0)


def test_backtest_beats_naive_on_a_generated_history():
    mix = (("seasonal", 3), ("trending", 2), ("erratic", 2), ("intermittent", 3), ("lumpy", 2))
    _, demand = demand_matrix(DAYS[:168], np.random.default_rng(8), mix)  # type: ignore[arg-type]
    result = backtest({f"ITEM-{i}": row for i, row in enumerate(demand)}, horizon=14, folds=2)
    assert result.series == 12 and result.overall.count > 0
    assert result.beats_naive, render(result, "generated")
    assert set(result.by_class) >= {"smooth", "intermittent"}
    report = render(result, "generated")
    assert "Verdict: overall the forecast beats naive" in report and "█" in report


def test_pattern_mix_covers_every_pattern_early():
    assert pattern_mix(6) == ["seasonal", "trending", "erratic", "intermittent", "lumpy", "slow"]
    assert len(pattern_mix(100)) == 100
    assert sorted(pattern_mix(sum(n for _, n in MIX))) == sorted(
        p for p, n in MIX for _ in range(n)
    )


def test_a_simulated_year_has_daily_shipments_stockouts_and_replenishment():
    items = [
        SimItem(i, supplier_id=1 + i % 2, lead_time=5 + 2 * (i % 2),
                pack=12 if i % 3 else 1, bins=((100 + i, 30),))
        for i in range(12)
    ]  # fmt: skip
    sim = simulate(items, DAYS, customers=[1, 2], seed=4)
    shipping_days = [d for d in sim.days if d.ships]
    assert len(shipping_days) > 300  # no shipments on Sundays
    lines = sim.lines
    assert sum(1 for line in lines if line.short) > 0
    assert all(0 <= line.served <= line.quantity for line in lines)
    arrived = [p for p in sim.purchases if p.arrival_day < len(DAYS)]
    assert arrived and all(q % items[i].pack == 0 for p in arrived for i, q in p.lines.items())
    # What was served is exactly what was picked, day by day.
    for day in sim.days:
        served = sum(line.served for order in day.orders for line in order.lines)
        assert served == sum(day.picks.values()) == sum(day.ships.values())




@pytest.mark.anyio
async def test_demo_history_goes_through_the_ledger(world, sessions, shipping, supervisor: Api):
    for path, body in (
        ("/api/customers", {"code": "C1", "name": "Shop"}),
        ("/api/customers", {"code": "C2", "name": "Clinic"}),
        ("/api/suppliers", {"code": "S1", "name": "Supplies", "lead_time_days": 5}),
        ("/api/locations", {"warehouse_id": world.warehouses["W1"], "code": "RECV",
                            "kind": "dock", "purpose": "receiving"}),
    ):  # fmt: skip
        assert (await supervisor.post(path, body)).status_code == 201
    async with sessions() as session, session.begin():
        bolt = await catalog.create_item(
            session, {"sku": "BOLT", "name": "Bolt", "unit_cost": Decimal("0.10")}, []
        )
    opened = dt.datetime.now(dt.UTC) - dt.timedelta(days=130)
    outcome = await apply_command(
        sessions,
        PostOpeningBalance(
            event_id=uuid.uuid4(),
            device_id="test",
            occurred_at=opened,
            lines=[OpeningLine(item_id=bolt.id, location_id=world.loc("A-05"), quantity=40)],
        ),
        world.actors["admin"],
    )
    assert outcome.status == "applied"
    w1 = world.warehouses["W1"]
    summary = await load_history(sessions, w1, days=120, seed=3)
    assert summary["items"] == 2 and summary["sales_orders"] > 50
    assert summary["short_lines"] > 0 and summary["purchase_orders"] > 0
    assert summary["reorder_rules"] == 2
    assert await seal_pending(sessions) >= summary["moves"]
    async with sessions() as session:
        report = await verify_ledger(session)
        assert report.ok, report.as_dict()
        sums = (
            await session.execute(
                select(Quant.item_id, func.sum(Quant.on_hand)).group_by(Quant.item_id)
            )
        ).all()
        assert all(total == 0 for _, total in sums)
        customer = select(Location.id).where(
            Location.warehouse_id == w1, Location.kind == "customer"
        )
        shipped_at = (
            await session.execute(
                select(StockMove.occurred_at).where(StockMove.to_location_id.in_(customer))
            )
        ).scalars().all()
        days = {at.date() for at in shipped_at}
        today = dt.datetime.now(dt.UTC).date()
        assert min(days) >= today - dt.timedelta(days=120) and max(days) < today
        assert len(days) > 80  # every open day but the first ones and Sundays
        short = await session.scalar(
            select(func.count()).where(SalesOrderLine.short_quantity > 0)
        )
        assert short == summary["short_lines"]
        history = await demand_history(session, w1, days=120)
        assert set(history.items) == {world.items["PLAIN"], bolt.id}
        assert sum(history.stockout_days(i) for i in history.items) > 0
        rules = (await session.execute(select(ReorderRule))).scalars().all()
        assert all(r.lead_time_days == 5 and r.include_on_order for r in rules)
        period = kpis.Period(
            dt.datetime.now(dt.UTC) - dt.timedelta(days=121), dt.datetime.now(dt.UTC)
        )
        figures = await kpis.key_figures(session, w1, period)
        assert figures["stockout_lines"] > 0 and figures["fill_rate"] < 1
        assert figures["cost_of_goods_shipped"] > 0
        assert figures["processing_time"]["sales_order"]["documents"] > 50
        assert figures["processing_time"]["purchase_order"]["documents"] > 0
