"""The dashboard's time series against a week worked out by hand.

The world (tests/world.py) opens W1 now with 401.00 of stock: PLAIN 10 × 2.50, LOTTED
20 × 0.80 (lot L1, 20 days left), SERIAL 3 × 120. The days before are filled in at known
UTC times (orders and counts are made now, then dated back):

    day −6  opening: GADGET 50 × 4.00 in A-04; LOTTED lot L2 10 × 0.80 (3 days left) and lot
            L0 5 × 0.80 (expired yesterday) in A-05                        value 212.00
    day −4  order 1: GADGET 30, allocated, picked and shipped (120.00)         value  92.00
    day −2  order 2: GADGET 30, only 20 allocated (a stockout), 20 shipped   value  12.00
    day −1  a count of A-01 and A-02 closed: 2 lines counted, 1 accurate
    today   the world's opening                                            value 413.00

Reorder rules: GADGET (0 available, minimum 5) is below, PLAIN (10, minimum 5) is not.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import update

from backend.db.models import Count, SalesOrder
from backend.service.buckets import calendar_edges
from tests.conftest import Api, login
from tests.test_counts import create_count, item, line_at, record
from tests.test_counts_decisions import decide
from tests.test_packing import expect, order, pick_body, pick_task

pytestmark = pytest.mark.anyio


def at(today: dt.date, days_ago: int, hour: int) -> dt.datetime:
    return dt.datetime.combine(today - dt.timedelta(days=days_ago), dt.time(hour), dt.UTC)


async def ship_at(supervisor: Api, worker: Api, world, quantity: int, when: dt.datetime) -> int:
    """An order of GADGET allocated now, picked and shipped at `when`; returns its id."""
    sale = await order(supervisor, world, [("GADGET", quantity)])
    task = await pick_task(worker, sale["id"])
    for line in task["lines"]:
        picked = await worker.post("/api/picks", {
            **pick_body(worker, line), "occurred_at": (when - dt.timedelta(hours=1)).isoformat()})
        assert picked.status_code == 201, picked.text
    shipped = await worker.post("/api/shipments", {
        **worker.envelope(), "occurred_at": when.isoformat(), "order_id": sale["id"]})
    assert shipped.status_code == 201, shipped.text
    return int(sale["id"])


@pytest.fixture
async def week(world, sessions, shipping, admin: Api, supervisor: Api, worker: Api) -> dt.date:
    today = dt.datetime.now(dt.UTC).date()
    gadget = expect(await admin.post("/api/items", {
        "sku": "GADGET", "name": "Gadget", "unit_cost": "4.00"}), 201)
    world.items["GADGET"] = gadget["id"]
    opening = await admin.post("/api/opening-balances", {
        **admin.envelope(), "occurred_at": at(today, 6, 10).isoformat(), "lines": [
            {"item_id": gadget["id"], "location_id": world.loc("A-04"), "quantity": 50},
            {"item_id": world.items["LOTTED"], "location_id": world.loc("A-05"), "quantity": 10,
             "lot_number": "L2", "expiry_date": (today + dt.timedelta(days=3)).isoformat()},
            {"item_id": world.items["LOTTED"], "location_id": world.loc("A-05"), "quantity": 5,
             "lot_number": "L0", "expiry_date": (today - dt.timedelta(days=1)).isoformat()},
        ]})  # fmt: skip
    assert opening.status_code == 201, opening.text
    first = await ship_at(supervisor, worker, world, 30, at(today, 4, 12))
    second = await ship_at(supervisor, worker, world, 30, at(today, 2, 12))
    count = await create_count(supervisor, world, from_code="A-01", to_code="A-02")
    await record(worker, line_at(count, "A-01")["id"], [item(world, "PLAIN", 10)])
    await record(worker, line_at(count, "A-02")["id"], [item(world, "LOTTED", 19, "L1")])
    assert (await decide(supervisor, count["id"], "reject"))["result"]["count_status"] == "closed"
    for sku, safety in (("GADGET", 5), ("PLAIN", 5)):
        expect(await supervisor.post("/api/reorder-rules", {
            "item_id": world.items[sku], "warehouse_id": world.warehouses["W1"],
            "safety_stock": safety, "daily_consumption": "0"}), 201)  # fmt: skip
    # Orders and counts are dated by the server; these are put back to when they happened.
    async with sessions() as session, session.begin():
        for order_id, days_ago in ((first, 4), (second, 2)):
            await session.execute(update(SalesOrder).where(SalesOrder.id == order_id).values(
                created_at=at(today, days_ago, 9)))  # fmt: skip
        await session.execute(update(Count).where(Count.id == count["id"]).values(
            completed_at=at(today, 1, 12)))  # fmt: skip
    return today


async def trends(api: Api, world, **params: Any) -> dict:
    response = await api.get("/api/insight/trends", params={
        "warehouse_id": world.warehouses["W1"], **params})  # fmt: skip
    return expect(response, 200)


def by_day(today: dt.date, body: dict) -> dict[int, dict]:
    """The points keyed by how many days ago their bucket starts."""
    return {(today - dt.date.fromisoformat(p["start"][:10])).days: p for p in body["points"]}


async def test_daily_series_match_the_hand_computed_week(world, week, supervisor: Api) -> None:
    body = await trends(supervisor, world, days=7, bucket="day")
    points = by_day(week, body)
    assert sorted(points, reverse=True) == [7, 6, 5, 4, 3, 2, 1, 0]
    assert body["since"].startswith((week - dt.timedelta(days=7)).isoformat())
    assert points[0]["end"] == body["until"]
    column = lambda name: [points[d][name] for d in range(7, -1, -1)]  # noqa: E731
    assert column("stock_value") == [
        "0.00", "212.00", "212.00", "92.00", "92.00", "12.00", "12.00", "413.00"]
    assert column("cost_of_goods_shipped") == [
        "0.00", "0.00", "0.00", "120.00", "0.00", "80.00", "0.00", "0.00"]
    assert column("average_inventory_value") == [
        "0.00", "106.00", "212.00", "152.00", "92.00", "52.00", "12.00", "212.50"]
    # 120 / 152 and 80 / 52; no ratio where there was nothing on hand.
    assert column("inventory_turnover") == [
        None, "0.0000", "0.0000", "0.7895", "0.0000", "1.5385", "0.0000", "0.0000"]
    assert column("order_lines") == [0, 0, 0, 1, 0, 1, 0, 0]
    assert column("stockout_rate") == [None, None, None, "0.0000", None, "1.0000", None, None]
    assert column("count_lines") == [0, 0, 0, 0, 0, 0, 2, 0]
    assert column("inventory_record_accuracy") == [None] * 6 + ["0.5000", None]
    assert body["low_stock_items"] == 1
    assert body["accuracy_target"] == "0.98"
    assert body["near_expiry"] == {
        "days": 30, "lots": 3, "expired": 1,
        "by_week": [{"starts": (week + dt.timedelta(weeks=w)).isoformat(), "lots": n}
                    for w, n in enumerate([1, 0, 1, 0, 0])]}  # fmt: skip
    soon = await trends(supervisor, world, days=7, bucket="day", near_expiry_days=7)
    assert (soon["near_expiry"]["lots"], soon["near_expiry"]["expired"]) == (2, 1)
    assert [w["lots"] for w in soon["near_expiry"]["by_week"]] == [1, 0]
    assert "cost of goods shipped ÷ average inventory value" in body["definitions"][
        "inventory_turnover"]


async def test_a_bucket_has_the_key_figures_of_its_period(world, week, supervisor: Api) -> None:
    points = by_day(week, await trends(supervisor, world, days=7, bucket="day"))
    for days_ago in (4, 2, 1):
        point = points[days_ago]
        figures = expect(await supervisor.get("/api/insight/kpis", params={
            "warehouse_id": world.warehouses["W1"], "since": point["start"],
            "until": point["end"]}), 200)  # fmt: skip
        assert figures["inventory_value_end"] == point["stock_value"]
        for name in ("cost_of_goods_shipped", "average_inventory_value", "stockout_rate",
                     "inventory_record_accuracy"):  # fmt: skip
            assert figures[name] == point[name], name
        # The same ratio; the series keeps more places for short buckets.
        turnover = Decimal(point["inventory_turnover"]).quantize(Decimal("0.01"))
        assert Decimal(figures["inventory_turnover"]) == turnover


async def test_weekly_and_monthly_buckets_add_up(world, week, supervisor: Api) -> None:
    for bucket in ("week", "month"):
        body = await trends(supervisor, world, days=7, bucket=bucket)
        points = body["points"]
        starts = [dt.datetime.fromisoformat(p["start"]) for p in points]
        assert all(s.hour == 0 and s.minute == 0 for s in starts)
        if bucket == "week":
            assert all(s.weekday() == 0 for s in starts)
        else:
            assert all(s.day == 1 for s in starts)
        assert [p["end"] for p in points[:-1]] == [p["start"] for p in points[1:]]
        assert points[-1]["stock_value"] == "413.00"
        assert sum(Decimal(p["cost_of_goods_shipped"]) for p in points) == Decimal("200.00")
        assert sum(p["order_lines"] for p in points) == 2
        assert sum(p["stockout_lines"] for p in points) == 1
        assert sum(p["count_lines_accurate"] for p in points) == 1


def day(year: int, month: int, date: int) -> dt.datetime:
    return dt.datetime(year, month, date, tzinfo=dt.UTC)


def test_calendar_buckets_cover_the_period_and_end_now() -> None:
    now = dt.datetime(2026, 3, 4, 15, 30, tzinfo=dt.UTC)  # a Wednesday
    assert calendar_edges(now, 2, "day") == [day(2026, 3, 2), day(2026, 3, 3), day(2026, 3, 4),
                                             now]  # fmt: skip
    assert calendar_edges(now, 10, "week") == [day(2026, 2, 16), day(2026, 2, 23),
                                               day(2026, 3, 2), now]  # fmt: skip
    assert calendar_edges(now, 70, "month") == [day(2025, 12, 1), day(2026, 1, 1),
                                                day(2026, 2, 1), day(2026, 3, 1), now]  # fmt: skip
    # At midnight the new bucket has not started yet: no empty bucket at the end.
    midnight = day(2026, 3, 4)
    assert calendar_edges(midnight, 1, "day") == [day(2026, 3, 3), midnight]
    assert len(calendar_edges(now, 365, "day")) == 367


async def test_trends_need_a_supervisor_of_the_warehouse(
    client, world, week, supervisor: Api, worker: Api, admin: Api
) -> None:
    expect(await worker.get("/api/insight/trends", params={
        "warehouse_id": world.warehouses["W1"]}), 403, "forbidden")  # fmt: skip
    expect(await supervisor.get("/api/insight/trends", params={
        "warehouse_id": world.warehouses["W2"]}), 403, "warehouse_out_of_scope")  # fmt: skip
    supervisor2 = await login(client, "supervisor2")
    expect(await supervisor2.get("/api/insight/trends", params={
        "warehouse_id": world.warehouses["W1"]}), 403, "warehouse_out_of_scope")  # fmt: skip
    own = expect(await supervisor2.get("/api/insight/trends", params={
        "warehouse_id": world.warehouses["W2"], "days": 7, "bucket": "day"}), 200)  # fmt: skip
    # W2 holds only its 5 widgets from today's opening; none of W1's week shows.
    assert [p["stock_value"] for p in own["points"]] == ["0.00"] * 7 + ["12.50"]
    assert (own["low_stock_items"], own["near_expiry"]["lots"]) == (0, 0)
    assert sum(p["order_lines"] for p in own["points"]) == 0
    expect(await admin.get("/api/insight/trends", params={"warehouse_id": 999_999}), 404,
           "not_found")  # fmt: skip


@pytest.mark.parametrize("params", [
    {},
    {"bucket": "year"},
    {"days": 0},
    {"days": 731},
    {"days": "many"},
    {"near_expiry_days": -1},
])  # fmt: skip
async def test_bad_parameters_are_refused(world, supervisor: Api, params: dict) -> None:
    query = {"warehouse_id": world.warehouses["W1"], **params} if params else {}
    expect(await supervisor.get("/api/insight/trends", params=query), 400, "validation_error")


async def test_the_series_are_defined_in_the_openapi_document(client) -> None:
    document = (await client.get("/schema/openapi.json")).json()
    operation = document["paths"]["/api/insight/trends"]["get"]
    for name in ("stock_value", "inventory_turnover", "stockout_rate",
                 "inventory_record_accuracy", "low_stock_items", "near_expiry"):  # fmt: skip
        assert f"**{name}**" in operation["description"], name
    parameters = {p["name"]: p for p in operation["parameters"]}
    assert parameters["bucket"]["schema"]["enum"] == ["day", "week", "month"]
    assert parameters["days"]["schema"]["maximum"] == 730
    response = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    trends = document["components"]["schemas"][response.rsplit("/", 1)[1]]
    assert {"points", "low_stock_items", "near_expiry", "definitions"} <= set(trends["required"])
