"""Cancelling a task leaves nothing stuck: a pick task gives back what its open lines held,
and a count's task is ended only with its count."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.conftest import Api
from tests.ledger_checks import assert_balanced
from tests.test_outbound import _allocated_order, _pick, _pick_line, _quant
from tests.world import World

pytestmark = pytest.mark.anyio


async def _pick_task(worker: Api, order_id: int) -> dict[str, Any]:
    queue = (await worker.get("/api/tasks/mine")).json()
    return next(t for t in queue if t["document_id"] == order_id and t["type"] == "pick")


async def test_a_cancelled_pick_gives_back_what_it_held_and_the_order_allocates_again(
    supervisor: Api, worker: Api, sessions: async_sessionmaker[AsyncSession], world: World,
    shipping: int,
) -> None:  # fmt: skip
    order = await _allocated_order(supervisor, world, "PLAIN", 8)
    line = await _pick_line(worker, order["id"])
    picked = await worker.post("/api/picks", json=_pick(worker, line, world.loc("A-01"), 3))
    assert picked.status_code == 201, picked.text
    assert await _quant(sessions, world, "PLAIN", "A-01") == (7, 5)
    task = await _pick_task(worker, order["id"])

    cancelled = await supervisor.post(f"/api/tasks/{task['id']}/cancel", {"reason": "truck left"})
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    # The 5 units still held are free again; the 3 picked stay picked at the dock.
    assert await _quant(sessions, world, "PLAIN", "A-01") == (7, 0)
    assert await _quant(sessions, world, "PLAIN", "SHIP") == (3, 0)
    now = (await supervisor.get(f"/api/sales-orders/{order['id']}")).json()
    assert now["status"] == "picking"
    assert (now["lines"][0]["picked_quantity"], now["lines"][0]["reserved_quantity"]) == (3, 0)
    assert now["history"][-1]["action"] == "pick_cancelled"
    assert now["history"][-1]["details"] == {"task": task["number"], "released": {"1": 5}}

    again = await supervisor.post(f"/api/sales-orders/{order['id']}/allocate")
    assert again.status_code == 200, again.text
    assert await _quant(sessions, world, "PLAIN", "A-01") == (7, 5)
    fresh = await _pick_task(worker, order["id"])
    assert fresh["id"] != task["id"] and [ln["quantity"] for ln in fresh["lines"]] == [5]
    await assert_balanced(sessions)


async def test_an_untouched_pick_cancelled_sends_its_order_back_to_draft(
    supervisor: Api, worker: Api, sessions: async_sessionmaker[AsyncSession], world: World,
    shipping: int,
) -> None:  # fmt: skip
    order = await _allocated_order(supervisor, world, "PLAIN", 4)
    task = await _pick_task(worker, order["id"])
    cancelled = await supervisor.post(f"/api/tasks/{task['id']}/cancel", {"reason": "on hold"})
    assert cancelled.status_code == 200, cancelled.text
    assert await _quant(sessions, world, "PLAIN", "A-01") == (10, 0)
    now = (await supervisor.get(f"/api/sales-orders/{order['id']}")).json()
    assert (now["status"], now["lines"][0]["reserved_quantity"]) == ("draft", 0)
    again = await supervisor.post(f"/api/tasks/{task['id']}/cancel", {"reason": "twice"})
    assert (again.status_code, again.json()["code"]) == (409, "conflict")


async def test_a_counts_task_is_cancelled_with_its_count_only(
    supervisor: Api, world: World
) -> None:
    count = await supervisor.post("/api/counts", {
        "warehouse_id": world.warehouses["W1"], "location_ids": [world.loc("A-01")]})  # fmt: skip
    assert count.status_code == 201, count.text
    task_id = count.json()["lines"][0]["task_id"]
    refused = await supervisor.post(f"/api/tasks/{task_id}/cancel", {"reason": "not today"})
    assert (refused.status_code, refused.json()["code"]) == (409, "cancel_the_document")
    assert refused.json()["details"] == {"count_id": count.json()["id"]}
    still = await supervisor.get(f"/api/counts/{count.json()['id']}")
    assert still.json()["status"] == "counting"
