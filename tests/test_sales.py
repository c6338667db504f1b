"""Sales orders: allocation reserves FEFO (never an expired lot) or FIFO, in walking order."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from backend.db.models import Quant

pytestmark = pytest.mark.anyio


async def _found(supervisor, world, sku: str, location: str, quantity: int, **lot) -> None:
    response = await supervisor.post("/api/adjustments", json={
        **supervisor.envelope(), "item_id": world.items[sku], "location_id": world.loc(location),
        "quantity": quantity, "reason": "found", **lot})
    assert response.status_code == 201, response.text


async def _order(supervisor, world, lines: list[tuple[str, int]]) -> dict:
    customer = await supervisor.post("/api/customers", json={"code": "C1", "name": "Shop"})
    customer_id = customer.json()["id"] if customer.status_code == 201 else (
        await supervisor.get("/api/customers")).json()[0]["id"]
    response = await supervisor.post("/api/sales-orders", json={
        "customer_id": customer_id, "warehouse_id": world.warehouses["W1"],
        "lines": [{"item_id": world.items[sku], "quantity": q} for sku, q in lines]})
    assert response.status_code == 201, response.text
    return response.json()


async def _reserved(sessions, world, sku: str) -> int:
    async with sessions() as session:
        return await session.scalar(select(func.sum(Quant.reserved)).where(
            Quant.item_id == world.items[sku]))


async def test_fefo_skips_expired_lots_and_lists_picks_in_walking_order(
        supervisor, worker, sessions, world) -> None:
    today = dt.date.today()
    await _found(supervisor, world, "LOTTED", "A-04", 5, lot_number="OLD",
                 expiry_date=str(today - dt.timedelta(days=1)))
    await _found(supervisor, world, "LOTTED", "A-05", 4, lot_number="SOON",
                 expiry_date=str(today + dt.timedelta(days=5)))
    order = await _order(supervisor, world, [("LOTTED", 10)])
    allocated = await supervisor.post(f"/api/sales-orders/{order['id']}/allocate")
    assert allocated.status_code == 200, allocated.text
    body = allocated.json()
    assert body["status"] == "allocated" and body["lines"][0]["reserved_quantity"] == 10
    assert await _reserved(sessions, world, "LOTTED") == 10
    task = (await worker.get("/api/tasks/mine")).json()[0]
    assert task["type"] == "pick" and task["document_id"] == order["id"]
    picks = [(line["from_location"], line["lot_number"], line["quantity"])
             for line in task["lines"]]
    # L1 (A-02, pick sequence 20) comes before SOON (A-05, 50) in the walk; the expired lot
    # is never taken, and the soonest-expiring lot is taken whole.
    assert picks == [("A-02", "L1", 6), ("A-05", "SOON", 4)]


async def test_short_allocation_keeps_the_line_open_and_blocks_reserved_stock(
        supervisor, worker, sessions, world) -> None:
    order = await _order(supervisor, world, [("PLAIN", 15)])
    body = (await supervisor.post(f"/api/sales-orders/{order['id']}/allocate")).json()
    assert body["status"] == "partially_allocated"
    assert body["lines"][0]["reserved_quantity"] == 10  # all of W1's PLAIN; W2's is not used
    move = await worker.post("/api/bin-moves", json={
        **worker.envelope(), "item_id": world.items["PLAIN"],
        "from_location_id": world.loc("A-01"), "to_location_id": world.loc("A-02"),
        "quantity": 1})
    assert move.status_code == 409 and move.json()["code"] == "insufficient_stock"
    again = (await supervisor.post(f"/api/sales-orders/{order['id']}/allocate")).json()
    assert again["lines"][0]["reserved_quantity"] == 10
    assert await _reserved(sessions, world, "PLAIN") == 10

    cancelled = await supervisor.post(f"/api/sales-orders/{order['id']}/cancel",
                                      json={"reason": "customer withdrew"})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert [h["action"] for h in cancelled.json()["history"]] == [
        "created", "allocated", "allocated", "cancelled"]
    assert await _reserved(sessions, world, "PLAIN") == 0
    assert all(t["type"] != "pick" for t in (await worker.get("/api/tasks/mine")).json())
    move = await worker.post("/api/bin-moves", json={
        **worker.envelope(), "item_id": world.items["PLAIN"],
        "from_location_id": world.loc("A-01"), "to_location_id": world.loc("A-02"),
        "quantity": 1})
    assert move.status_code == 201


async def test_workers_cannot_sell_and_scope_holds(supervisor, worker, client, world) -> None:
    from tests.conftest import login

    order = await _order(supervisor, world, [("PLAIN", 1)])
    assert (await worker.post(f"/api/sales-orders/{order['id']}/allocate")).status_code == 403
    assert (await worker.post("/api/customers", json={"code": "X", "name": "Y"})).status_code == 403
    supervisor2 = await login(client, "supervisor2")
    response = await supervisor2.get(f"/api/sales-orders/{order['id']}")
    assert response.status_code == 403 and response.json()["code"] == "warehouse_out_of_scope"
    assert (await supervisor2.get("/api/sales-orders")).json()["total"] == 0
