"""Picking reserved stock by scanning, short picks, expired lots, and shipping to the customer."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from backend.db.models import Quant
from tests.ledger_checks import assert_balanced

pytestmark = pytest.mark.anyio


async def _quant(sessions, world, sku: str, location: str) -> tuple[int, int]:
    async with sessions() as session:
        row = (await session.execute(select(Quant.on_hand, Quant.reserved).where(
            Quant.item_id == world.items[sku], Quant.location_id == world.loc(location)))).first()
        return (row[0], row[1]) if row else (0, 0)




async def _allocated_order(supervisor, world, sku: str, quantity: int) -> dict:
    customers = (await supervisor.get("/api/customers")).json()
    customer_id = customers[0]["id"] if customers else (await supervisor.post(
        "/api/customers", json={"code": "C1", "name": "Shop"})).json()["id"]
    order = (await supervisor.post("/api/sales-orders", json={
        "customer_id": customer_id, "warehouse_id": world.warehouses["W1"],
        "lines": [{"item_id": world.items[sku], "quantity": quantity}]})).json()
    allocated = await supervisor.post(f"/api/sales-orders/{order['id']}/allocate")
    assert allocated.status_code == 200, allocated.text
    return allocated.json()


async def _pick_line(worker, order_id: int) -> dict:
    queue = (await worker.get("/api/tasks/mine")).json()
    task = next(t for t in queue if t["document_id"] == order_id and t["type"] == "pick")
    return next(line for line in task["lines"] if line["status"] == "open")


def _pick(worker, line: dict, location_id: int, quantity: int, **extra) -> dict:
    return {**worker.envelope(), "task_line_id": line["id"], "location_id": location_id,
            "quantity": quantity, **extra}


async def test_pick_short_pick_reallocate_and_ship(supervisor, worker, sessions, world,
                                                   shipping) -> None:
    order = await _allocated_order(supervisor, world, "PLAIN", 8)
    line = await _pick_line(worker, order["id"])
    assert (line["from_location"], line["to_location"], line["quantity"]) == ("A-01", "SHIP", 8)
    assert await _quant(sessions, world, "PLAIN", "A-01") == (10, 8)

    wrong = await worker.post("/api/picks", json=_pick(worker, line, world.loc("A-02"), 5))
    assert wrong.status_code == 422 and wrong.json()["code"] == "scan_mismatch"
    picked = await worker.post("/api/picks", json=_pick(worker, line, world.loc("A-01"), 5))
    assert picked.status_code == 201, picked.text
    assert await _quant(sessions, world, "PLAIN", "A-01") == (5, 3)
    assert await _quant(sessions, world, "PLAIN", "SHIP") == (5, 0)

    # The bin holds fewer than the book says: one found, the shortage of 2 is recorded, the
    # rest of the reservation is freed and the order line stays open.
    short = await worker.post("/api/picks", json=_pick(worker, line, world.loc("A-01"), 1,
                                                       short=True))
    assert short.status_code == 201, short.text
    assert short.json()["result"]["short"] == 2 and short.json()["result"]["line_status"] == "short"
    assert await _quant(sessions, world, "PLAIN", "A-01") == (4, 0)
    order_now = (await supervisor.get(f"/api/sales-orders/{order['id']}")).json()
    sale_line = order_now["lines"][0]
    assert (sale_line["picked_quantity"], sale_line["reserved_quantity"],
            sale_line["short_quantity"]) == (6, 0, 2)
    assert order_now["status"] == "picking"

    shipped = await worker.post("/api/shipments", json={**worker.envelope(),
                                                         "order_id": order["id"]})
    assert shipped.status_code == 201 and shipped.json()["result"]["units"] == 6
    assert shipped.json()["result"]["order_status"] == "picking"  # 2 still to come
    assert await _quant(sessions, world, "PLAIN", "SHIP") == (0, 0)
    assert await _quant(sessions, world, "PLAIN", "W1/@customer") == (6, 0)
    nothing = await worker.post("/api/shipments", json={**worker.envelope(),
                                                        "order_id": order["id"]})
    assert nothing.status_code == 409

    again = (await supervisor.post(f"/api/sales-orders/{order['id']}/allocate")).json()
    assert again["lines"][0]["reserved_quantity"] == 2
    line = await _pick_line(worker, order["id"])
    assert (await worker.post("/api/picks", json=_pick(worker, line, world.loc("A-01"),
                                                       2))).status_code == 201
    final = await worker.post("/api/shipments", json={**worker.envelope(),
                                                      "order_id": order["id"]})
    assert final.json()["result"]["order_status"] == "shipped"
    assert await _quant(sessions, world, "PLAIN", "W1/@customer") == (8, 0)
    history = (await supervisor.get(f"/api/sales-orders/{order['id']}")).json()["history"]
    assert [h["action"] for h in history].count("shipped") == 2
    await assert_balanced(sessions)


async def test_lots_are_scanned_and_an_expired_lot_is_never_picked(
        supervisor, worker, sessions, world, shipping) -> None:
    order = await _allocated_order(supervisor, world, "LOTTED", 3)
    line = await _pick_line(worker, order["id"])
    wrong = await worker.post("/api/picks", json=_pick(worker, line, world.loc("A-02"), 3,
                                                       lot_number="L9"))
    assert wrong.status_code == 422 and wrong.json()["code"] == "scan_mismatch"
    lot = (await supervisor.get("/api/lots", params={"lot_number": "L1"})).json()["items"][0]
    yesterday = str(dt.date.today() - dt.timedelta(days=1))
    assert (await supervisor.patch(f"/api/lots/{lot['id']}",
                                   {"expiry_date": yesterday})).status_code == 200
    expired = await worker.post("/api/picks", json=_pick(worker, line, world.loc("A-02"), 3,
                                                         lot_number="L1"))
    assert expired.status_code == 409 and expired.json()["code"] == "lot_expired"
    assert await _quant(sessions, world, "LOTTED", "A-02") == (20, 3)
    await assert_balanced(sessions)


async def test_reserved_units_go_to_one_order_only(supervisor, worker, sessions, world,
                                                   shipping) -> None:
    first = await _allocated_order(supervisor, world, "PLAIN", 10)
    second = await _allocated_order(supervisor, world, "PLAIN", 1)
    assert first["status"] == "allocated" and second["status"] == "partially_allocated"
    assert second["lines"][0]["reserved_quantity"] == 0
    line = await _pick_line(worker, first["id"])
    body = _pick(worker, line, world.loc("A-01"), 10)
    assert (await worker.post("/api/picks", json=body)).status_code == 201
    again = await worker.post("/api/picks", json={**body, **worker.envelope()})
    assert again.status_code == 409  # the line is done: the same units cannot go twice
    assert await _quant(sessions, world, "PLAIN", "A-01") == (0, 0)
    await assert_balanced(sessions)


async def test_offline_pick_batch_twice_is_once(supervisor, worker, sessions, world,
                                                shipping) -> None:
    order = await _allocated_order(supervisor, world, "PLAIN", 4)
    line = await _pick_line(worker, order["id"])
    events = [{"type": "pick_item", **_pick(worker, line, world.loc("A-01"), 4)},
              {"type": "ship_order", **worker.envelope(), "order_id": order["id"]}]
    first = (await worker.post("/api/sync", json={"events": events})).json()["outcomes"]
    assert [o["status"] for o in first] == ["applied", "applied"]
    second = (await worker.post("/api/sync", json={"events": events})).json()["outcomes"]
    assert [o["status"] for o in second] == ["duplicate", "duplicate"]
    assert await _quant(sessions, world, "PLAIN", "A-01") == (6, 0)
    assert await _quant(sessions, world, "PLAIN", "W1/@customer") == (4, 0)
    await assert_balanced(sessions)
