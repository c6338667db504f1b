"""The demo history's cycle counts: weekly counts through the counting code, closed and dated
in the past, whose accuracy the key figures and the dashboard's chart read; on both databases."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from backend.db.models import Count, CountEntry, CountLine, StockMove, Task
from backend.domain.actor import Actor
from backend.domain.commands import OpeningLine, PostOpeningBalance
from backend.service import catalog, policies
from backend.service.commands import apply_command
from backend.service.demo_history import load_history
from backend.service.demo_history_counts import count_days, month_misses
from backend.service.sealing import seal_pending, verify_ledger
from tests.conftest import Api
from tests.ledger_checks import assert_balanced

DAYS = 120
COSTS = ("0.40", "1.20", "2.50", "6.00", "9.50", "14.00", "19.90")


async def _stocked_world(world, sessions, supervisor: Api) -> int:
    """Customers, a supplier and a receiving dock for the history, and thirty items of every
    ABC class in a dozen bins of W1, stocked before the history starts."""
    w1 = world.warehouses["W1"]
    for path, body in (
        ("/api/customers", {"code": "C1", "name": "Shop"}),
        ("/api/suppliers", {"code": "S1", "name": "Supplies", "lead_time_days": 5}),
        ("/api/locations", {"warehouse_id": w1, "code": "RECV", "kind": "dock",
                            "purpose": "receiving"}),
    ):  # fmt: skip
        assert (await supervisor.post(path, body)).status_code == 201
    rnd = random.Random(5)
    setup = Actor(0, "setup", "admin", frozenset())
    lines = []
    async with sessions() as session, session.begin():
        bins = [
            (await catalog.create_location(session, setup, {
                "warehouse_id": w1, "code": f"C-{n:02d}", "kind": "bin",
                "pick_sequence": 100 + n})).id
            for n in range(1, 13)
        ]  # fmt: skip
        for n in range(30):
            tracking = "lot" if n % 7 == 3 else "serial" if n == 29 else "none"
            item = await catalog.create_item(session, {
                "sku": f"CC-{n:02d}", "name": f"Counted thing {n}", "tracking": tracking,
                "unit_cost": Decimal(COSTS[n % len(COSTS)]), "abc_class": "AABBBCCCCC"[n % 10],
                "shelf_life_days": 365 if tracking == "lot" else None}, [])  # fmt: skip
            for place in rnd.sample(bins, rnd.choice((1, 1, 2))):
                if tracking == "serial":
                    serials = [f"CC-SN-{place}-{k}" for k in range(3)]
                    lines.append(OpeningLine(item_id=item.id, location_id=place, quantity=3,
                                             serials=serials))  # fmt: skip
                    continue
                lot = {"lot_number": f"L{n}", "expiry_date": dt.date.today()
                       + dt.timedelta(days=200)} if tracking == "lot" else {}  # fmt: skip
                lines.append(OpeningLine(item_id=item.id, location_id=place,
                                         quantity=rnd.randint(40, 240), **lot))  # fmt: skip
        # Thirty items are few: they fall due more often than the default policy says, so
        # that there is something to count every week.
        await policies.set_count_policy(
            session, policies.CountPolicy(interval_days=(("A", 7), ("B", 14), ("C", 28)))
        )
    outcome = await apply_command(
        sessions,
        PostOpeningBalance(
            event_id=uuid.uuid4(),
            device_id="test",
            occurred_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=DAYS + 5),
            lines=lines,
        ),
        world.actors["admin"],
    )
    assert outcome.status == "applied", outcome
    return w1


@pytest.mark.anyio
async def test_the_history_has_weekly_counts_closed_in_the_past(world, sessions, supervisor: Api):
    w1 = await _stocked_world(world, sessions, supervisor)
    summary = (await load_history(sessions, w1, days=DAYS, items=6, seed=8))["counts"]
    assert summary["counts"] >= DAYS // 7 - 1
    assert summary["recounts"] >= 1 and summary["variances_by_admin"] >= 1
    assert summary["variances_by_supervisor"] >= 1
    today = dt.datetime.now(dt.UTC).date()
    first = today - dt.timedelta(days=DAYS)
    async with sessions() as session:
        counts = (await session.execute(select(Count))).scalars().all()
        assert len(counts) == summary["counts"]
        assert all(c.status == "closed" for c in counts)
        # Created and closed on the day of the count, within the history.
        assert all(first <= c.created_at.date() == c.completed_at.date() < today for c in counts)
        assert sum(c.lines_counted for c in counts) == summary["lines_counted"]
        tasks = (await session.execute(select(Task).where(Task.type == "count"))).scalars()
        assert all(t.status == "done" and t.completed_at.date() < today for t in tasks)
        assert await session.scalar(select(func.count()).where(CountLine.round == 2)) >= 1
        policy = await policies.count_policy(session)
        decided = (
            (await session.execute(select(CountEntry).where(CountEntry.status == "approved")))
            .scalars()
            .all()
        )
        by_admin = [e for e in decided if e.decided_by == world.users["admin"]]
        assert by_admin and all(abs(e.variance_value) > policy.admin_over for e in by_admin)
        assert any(e.decided_by == world.users["supervisor"] for e in decided)
        adjusted = (
            (await session.execute(select(StockMove).where(StockMove.document_type == "count")))
            .scalars()
            .all()
        )
        assert len(adjusted) == summary["adjustment_moves"] == len(decided)
        assert all(first <= m.occurred_at.date() < today for m in adjusted)

    response = await supervisor.get(
        "/api/insight/trends", params={"warehouse_id": w1, "days": DAYS, "bucket": "month"}
    )
    assert response.status_code == 200, response.text
    months = [
        float(p["inventory_record_accuracy"]) for p in response.json()["points"] if p["count_lines"]
    ]
    assert len(months) >= 4
    assert all(0.9 <= a <= 1 for a in months) and min(months) < 1, months
    since = dt.datetime.combine(first, dt.time(), dt.UTC)
    response = await supervisor.get(
        "/api/insight/kpis", params={"warehouse_id": w1, "since": since.isoformat()}
    )
    figures = response.json()
    assert figures["count_lines"] == summary["lines_counted"]
    assert figures["count_lines_accurate"] == summary["lines_accurate"]
    assert 0.9 < float(figures["inventory_record_accuracy"]) < 1

    assert await seal_pending(sessions) > 0
    async with sessions() as session:
        report = await verify_ledger(session)
        assert report.ok, report.as_dict()
    await assert_balanced(sessions)


def test_counts_fall_weekly_and_no_full_month_is_perfect():
    dates = [dt.date(2025, 3, 3) + dt.timedelta(days=i) for i in range(70)]
    days = count_days(dates, random.Random(1))
    assert len(days) == 10 and all(d.weekday() < 5 for d in days)
    assert len({d.isocalendar()[:2] for d in days}) == 10
    assert days == count_days(dates, random.Random(1))
    # A good month: none off yet after its first count, one by its last.
    assert month_misses(0.995, 13, full=True, closing=False) == 0
    assert month_misses(0.995, 60, full=True, closing=True) == 1
    # A poor one, but never more than 4 % of its lines off.
    assert month_misses(0.96, 60, full=True, closing=True) == 2
    assert month_misses(0.9, 60, full=True, closing=True) == 2
    # A month cut short by the history's start has only what its share rounds down to.
    assert month_misses(0.96, 13, full=False, closing=True) == 0
