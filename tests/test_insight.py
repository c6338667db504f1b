"""Stock value, slow movers, ABC classes and key figures against hand-computed numbers.

The world: W1 holds PLAIN 10 × 2.50 in A-01, LOTTED 20 × 0.80 in A-02 (lot L1), SERIAL
3 × 120 in A-03; W2 holds PLAIN 5 in B-01. One order asks for PLAIN 4 and LOTTED 30: only 20
yoghurts can be reserved, everything reserved is picked and shipped.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from backend.service.insight import classify
from tests.conftest import Api, login
from tests.test_packing import expect, order, pick_everything, ship

pytestmark = pytest.mark.anyio


def test_abc_cut_offs_follow_the_cumulative_value():
    values = [Decimal(v) for v in (50, 30, 10, 6, 4, 0)]
    # Value before each item: 0 %, 50 %, 80 %, 90 %, 96 %, 100 %.
    assert classify(values) == ["A", "A", "B", "B", "C", "C"]
    assert classify([Decimal(0), Decimal(0)]) == ["C", "C"]
    assert classify([Decimal(100)]) == ["A"]


async def test_stock_value_by_warehouse_item_and_scope(world, supervisor: Api, admin: Api):
    rows = expect(await admin.get("/api/insight/stock-value"), 200)
    assert [(r["label"], r["quantity"], r["value"]) for r in rows] == [
        ("W1", 33, "401.00"), ("W2", 5, "12.50")]
    rows = expect(await supervisor.get("/api/insight/stock-value",
                                       params={"group_by": "item"}), 200)
    assert [(r["label"], r["value"]) for r in rows] == [
        ("SERIAL", "360.00"), ("PLAIN", "25.00"), ("LOTTED", "16.00")]
    rows = expect(await supervisor.get("/api/insight/stock-value",
                                       params={"group_by": "lot"}), 200)
    assert ("LOTTED L1", 20) in [(r["label"], r["quantity"]) for r in rows]
    rows = expect(await supervisor.get("/api/insight/stock-value",
                                       params={"group_by": "zone"}), 200)
    assert [(r["label"], r["value"]) for r in rows] == [("Z-A", "401.00")]
    expect(await supervisor.get("/api/insight/stock-value",
                                params={"warehouse_id": world.warehouses["W2"]}), 403)
    worker = await login(supervisor.client, "worker")
    expect(await worker.get("/api/insight/stock-value"), 403)


async def test_key_figures_match_the_hand_computed_ones(
    world, shipping, supervisor: Api, worker: Api
):
    start = dt.datetime.now(dt.UTC) - dt.timedelta(days=2)
    sale = await order(supervisor, world, [("PLAIN", 4), ("LOTTED", 30)])
    assert sale["status"] == "partially_allocated"
    await pick_everything(worker, sale["id"])
    shipped = await ship(worker, sale["id"])
    assert shipped["units"] == 24
    # A count of A-01 that matches the book (6 widgets left): accuracy 1 of 1.
    count = expect(await supervisor.post("/api/counts", {
        "warehouse_id": world.warehouses["W1"], "from_code": "A-01", "to_code": "A-01",
        "assignee_id": world.users["worker"]}), 201)
    view = expect(await worker.get(f"/api/counts/{count['id']}"), 200)
    expect(await worker.post("/api/counts/records", {
        **worker.envelope(), "count_line_id": view["lines"][0]["id"],
        "entries": [{"item_id": world.items["PLAIN"], "quantity": 6}]}), 201)

    figures = expect(await supervisor.get("/api/insight/kpis", params={
        "warehouse_id": world.warehouses["W1"], "since": start.isoformat(),
        "until": (start + dt.timedelta(days=4)).isoformat()}), 200)
    # Shipped: 4 × 2.50 + 20 × 0.80 = 26; stock went 0 → 401 (opening) → 375.
    assert figures["cost_of_goods_shipped"] == "26.00"
    assert figures["inventory_value_start"] == "0.00"
    assert figures["inventory_value_end"] == "375.00"
    assert figures["average_inventory_value"] == "187.50"
    assert figures["inventory_turnover"] == "0.14"  # 26 / 187.5
    assert figures["days_of_supply"] == "57.7"  # 375 / (26 / 4 days)
    assert (figures["order_lines"], figures["stockout_lines"], figures["stockout_rate"]) == (
        2, 1, "0.5000")
    assert (figures["units_ordered"], figures["units_shipped"], figures["fill_rate"]) == (
        34, 24, "0.7059")
    assert (figures["count_lines"], figures["count_lines_accurate"],
            figures["inventory_record_accuracy"]) == (1, 1, "1.0000")
    pick = figures["processing_time"]["pick_task"]
    assert pick["documents"] == 1 and pick["median_seconds"] == pick["p90_seconds"] >= 0
    assert figures["processing_time"]["sales_order"]["documents"] == 0  # still open: short
    assert figures["processing_time"]["count"]["documents"] == 1
    assert "cost of goods shipped ÷ average inventory value" in figures["definitions"][
        "inventory_turnover"]

    # A period before anything happened has no ratios rather than a division by zero.
    empty = expect(await supervisor.get("/api/insight/kpis", params={
        "warehouse_id": world.warehouses["W1"],
        "since": (start - dt.timedelta(days=10)).isoformat(), "until": start.isoformat()}), 200)
    assert (empty["inventory_turnover"], empty["fill_rate"], empty["stockout_rate"]) == (
        None, None, None)
    bad = await supervisor.get("/api/insight/kpis", params={
        "warehouse_id": world.warehouses["W1"], "since": start.isoformat(),
        "until": start.isoformat()})
    expect(bad, 422, "invalid_request")


async def test_slow_and_dead_stock_and_abc_classes(
    world, shipping, supervisor: Api, worker: Api, admin: Api
):
    sale = await order(supervisor, world, [("PLAIN", 4), ("LOTTED", 20)])
    await pick_everything(worker, sale["id"])
    await ship(worker, sale["id"])
    movers = expect(await supervisor.get("/api/insight/slow-movers", params={
        "warehouse_id": world.warehouses["W1"]}), 200)
    # The drills never left: dead, 3 × 120 tied up. Widgets just shipped: not slow.
    assert [(m["sku"], m["status"], m["quantity"], m["value"]) for m in movers] == [
        ("SERIAL", "dead", 3, "360.00")]
    expect(await supervisor.get("/api/insight/slow-movers", params={
        "warehouse_id": world.warehouses["W1"], "slow_days": 90, "dead_days": 30}), 422)

    preview = expect(await supervisor.get("/api/insight/abc"), 200)
    # Outbound value: yoghurt 16, widgets 10, drills 0 → A (0 % before), A (61.5 %), C.
    assert [(r["sku"], r["abc_class"]) for r in preview["items"]] == [
        ("LOTTED", "A"), ("PLAIN", "A"), ("SERIAL", "C")]
    expect(await supervisor.post("/api/insight/abc"), 403)
    applied = expect(await admin.post("/api/insight/abc"), 200)
    assert applied["changed"] == 3
    item = expect(await admin.get(f"/api/items/{world.items['SERIAL']}"), 200)
    assert item["abc_class"] == "C"
    again = expect(await admin.post("/api/insight/abc"), 200)
    assert again["changed"] == 0
