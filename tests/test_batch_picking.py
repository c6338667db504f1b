"""Batch (cluster) picking: a supervisor puts several orders' pick lines into one walk, a
worker claims it and picks every line into the right order's tote."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.conftest import Api
from tests.test_outbound import _quant
from tests.test_packing import (
    expect,
    ledger_intact,
    order,
    pick_body,
    pick_task,
)

pytestmark = pytest.mark.anyio


async def batch(supervisor: Api, *orders: dict, **extra: object) -> dict:
    task = expect(
        await supervisor.post(
            "/api/pick-batches", {"order_ids": [o["id"] for o in orders], **extra}
        ),
        201,
    )
    assert task["type"] == "pick" and task["document_type"] == "pick_batch"
    return task


async def task(api: Api, task_id: int) -> dict:
    return expect(await api.get(f"/api/tasks/{task_id}"), 200)


async def sale(supervisor: Api, so: dict) -> dict:
    return expect(await supervisor.get(f"/api/sales-orders/{so['id']}"), 200)


def walk(task: dict) -> list[tuple[str, str, str, int]]:
    return [
        (ln["from_location"], ln["document_ref"], ln["sku"], ln["quantity"]) for ln in task["lines"]
    ]


def line_of(task: dict, so: dict, sku: str) -> dict:
    return next(
        ln for ln in task["lines"] if ln["document_ref"] == so["number"] and ln["sku"] == sku
    )


async def pick(worker: Api, line: dict, **extra: object) -> dict:
    serials = ["SN-1"] if line["sku"] == "SERIAL" else None
    outcome = expect(
        await worker.post("/api/picks", pick_body(worker, line, serials=serials, **extra)), 201
    )
    assert outcome["status"] == "applied"
    return outcome["result"]


@pytest.fixture
async def three_orders(supervisor: Api, world, shipping) -> tuple[dict, dict, dict]:
    """SO1 takes from A-01 and A-03, SO2 from A-02, SO3 from A-01 too: their walks interleave."""
    so1 = await order(supervisor, world, [("PLAIN", 3), ("SERIAL", 1)])
    so2 = await order(supervisor, world, [("LOTTED", 4)])
    so3 = await order(supervisor, world, [("PLAIN", 2)])
    assert {o["status"] for o in (so1, so2, so3)} == {"allocated"}
    return so1, so2, so3


async def test_a_worker_picks_a_batch_and_each_order_gets_its_own(
    supervisor, worker, sessions, world, three_orders
) -> None:
    so1, so2, so3 = three_orders
    originals = {so["id"]: (await pick_task(worker, so["id"]))["id"] for so in three_orders}

    created = await batch(supervisor, so1, so2, so3, priority=5)
    # Walking order: by the bins' pick sequence (A-01 10, A-02 20, A-03 30), whatever the order
    # the orders were listed in; each line names the order whose tote it goes in.
    expected = [
        ("A-01", so1["number"], "PLAIN", 3),
        ("A-01", so3["number"], "PLAIN", 2),
        ("A-02", so2["number"], "LOTTED", 4),
        ("A-03", so1["number"], "SERIAL", 1),
    ]
    assert walk(created) == expected
    assert {ln["to_location"] for ln in created["lines"]} == {"SHIP"}
    assert created["status"] == "open" and created["assignee_id"] is None
    assert created["priority"] == 5
    assert so1["number"] in created["note"] and so3["number"] in created["note"]

    # The per-order tasks are closed, their lines moved; the worker's queue is the batch alone.
    for task_id in originals.values():
        original = await task(supervisor, task_id)
        assert original["status"] == "cancelled"
        assert {ln["status"] for ln in original["lines"]} == {"cancelled"}
        actions = [
            h["action"] for h in expect(await supervisor.get(f"/api/tasks/{task_id}/history"), 200)
        ]
        assert actions == ["created", "batched"]
    queue = expect(await worker.get("/api/tasks/mine"), 200)
    assert [t["id"] for t in queue if t["type"] == "pick"] == [created["id"]]
    for so in three_orders:
        history = [h["action"] for h in (await sale(supervisor, so))["history"]]
        assert history == ["created", "allocated", "batched"]

    claim = expect(
        await worker.post("/api/task-claims", {**worker.envelope(), "task_id": created["id"]}), 201
    )
    assert claim["status"] == "applied"
    mine = await task(worker, created["id"])
    assert mine["assignee_id"] == worker_id(world) and mine["status"] == "assigned"
    for line in mine["lines"]:
        result = await pick(worker, line)
        assert result["order"] == line["document_ref"] and result["picked"] == line["quantity"]
    done = await task(worker, created["id"])
    assert done["status"] == "done"
    assert [(ln["status"], ln["done_quantity"]) for ln in done["lines"]] == [
        ("done", q) for *_, q in expected
    ]

    # Each order got exactly its own quantities.
    for so, picked in ((so1, [3, 1]), (so2, [4]), (so3, [2])):
        view = await sale(supervisor, so)
        assert [ln["picked_quantity"] for ln in view["lines"]] == picked, view
        assert [ln["reserved_quantity"] for ln in view["lines"]] == [0] * len(picked)
        assert view["status"] == "picked"
    assert await _quant(sessions, world, "PLAIN", "A-01") == (5, 0)
    assert await _quant(sessions, world, "PLAIN", "SHIP") == (5, 0)
    # The picks are booked to their own orders: shipping each takes just its own units.
    for so, units in ((so3, 2), (so1, 4), (so2, 4)):
        shipped = expect(
            await worker.post("/api/shipments", {**worker.envelope(), "order_id": so["id"]}), 201
        )
        assert shipped["result"]["units"] == units
        assert shipped["result"]["order_status"] == "shipped"

    # The history tells who did what, in order.
    history = expect(await worker.get(f"/api/tasks/{created['id']}/history"), 200)
    assert [(h["action"], h["username"]) for h in history] == [
        ("created", "supervisor"),
        ("claimed", "worker"),
        *[("line_progress", "worker")] * 4,
        ("done", "worker"),
    ]
    assert [h["details"].get("quantity") for h in history if h["action"] == "line_progress"] == [
        3,
        2,
        4,
        1,
    ]
    stamps = [dt.datetime.fromisoformat(h["at"]) for h in history]
    assert stamps == sorted(stamps)
    await ledger_intact(supervisor, sessions)


def worker_id(world) -> int:
    return world.users["worker"]


async def test_a_short_pick_on_a_batch_line_frees_only_that_orders_reservation(
    supervisor, worker, sessions, world, three_orders
) -> None:
    so1, _so2, so3 = three_orders
    created = await batch(supervisor, so1, so3, assignee_id=worker_id(world))
    assert created["status"] == "assigned" and created["assignee_id"] == worker_id(world)
    assert await _quant(sessions, world, "PLAIN", "A-01") == (10, 5)

    result = await pick(worker, line_of(created, so1, "PLAIN"), quantity=1, short=True)
    assert (result["order"], result["picked"], result["short"]) == (so1["number"], 1, 2)
    assert await _quant(sessions, world, "PLAIN", "A-01") == (9, 2)
    first = (await sale(supervisor, so1))["lines"][0]
    assert (first["picked_quantity"], first["reserved_quantity"], first["short_quantity"]) == (
        1,
        0,
        2,
    )
    other = (await sale(supervisor, so3))["lines"][0]
    assert (other["picked_quantity"], other["reserved_quantity"], other["short_quantity"]) == (
        0,
        2,
        0,
    )

    # SO3's units are still there for it and only for it.
    assert (await pick(worker, line_of(created, so3, "PLAIN")))["order_status"] == "picked"
    assert await _quant(sessions, world, "PLAIN", "A-01") == (7, 0)
    assert (await sale(supervisor, so1))["status"] == "picking"
    after = await task(supervisor, created["id"])
    statuses = {(ln["document_ref"], ln["sku"]): ln["status"] for ln in after["lines"]}
    assert statuses == {
        (so1["number"], "PLAIN"): "short",
        (so3["number"], "PLAIN"): "done",
        (so1["number"], "SERIAL"): "open",
    }
    await ledger_intact(supervisor, sessions)


async def test_cancelling_an_order_cancels_only_its_batch_lines(
    supervisor, worker, sessions, world, three_orders
) -> None:
    so1, so2, so3 = three_orders
    created = await batch(supervisor, so1, so2, so3)
    picked = await pick(worker, line_of(created, so1, "PLAIN"))
    assert picked["order"] == so1["number"]

    cancelled = expect(
        await supervisor.post(
            f"/api/sales-orders/{so2['id']}/cancel", {"reason": "customer withdrew"}
        ),
        200,
    )
    assert cancelled["status"] == "cancelled"
    after = await task(supervisor, created["id"])
    assert after["status"] == "in_progress"
    statuses = [(ln["document_ref"], ln["status"]) for ln in after["lines"]]
    assert statuses == [
        (so1["number"], "done"),
        (so3["number"], "open"),
        (so2["number"], "cancelled"),
        (so1["number"], "open"),
    ]
    assert await lot_reserved(sessions, world) == 0
    # The cancelled line cannot be picked any more; SO1 has picked stock and cannot be cancelled.
    refused = await worker.post("/api/picks", pick_body(worker, line_of(after, so2, "LOTTED")))
    expect(refused, 409, "conflict")
    expect(
        await supervisor.post(f"/api/sales-orders/{so1['id']}/cancel", {"reason": "no"}),
        409,
        "conflict",
    )

    # Cancelling SO3 too leaves SO1's serial open; picking it finishes the batch.
    expect(
        await supervisor.post(
            f"/api/sales-orders/{so3['id']}/cancel", {"reason": "duplicate order"}
        ),
        200,
    )
    assert await _quant(sessions, world, "PLAIN", "A-01") == (7, 0)
    await pick(worker, line_of(after, so1, "SERIAL"))
    done = await task(supervisor, created["id"])
    assert done["status"] == "done"
    assert [ln["status"] for ln in done["lines"]] == ["done", "cancelled", "cancelled", "done"]
    assert (await sale(supervisor, so1))["status"] == "picked"
    await ledger_intact(supervisor, sessions)


async def test_a_batch_left_with_nothing_open_by_a_cancellation_is_closed(
    supervisor, worker, sessions, world, three_orders
) -> None:
    so1, so2, _so3 = three_orders
    created = await batch(supervisor, so1, so2)
    for line in [ln for ln in created["lines"] if ln["document_ref"] == so1["number"]]:
        await pick(worker, line)
    assert (await task(supervisor, created["id"]))["status"] == "in_progress"
    expect(
        await supervisor.post(f"/api/sales-orders/{so2['id']}/cancel", {"reason": "withdrawn"}), 200
    )
    closed = await task(supervisor, created["id"])
    assert closed["status"] == "done"
    assert all(t["id"] != created["id"] for t in expect(await worker.get("/api/tasks/mine"), 200))
    await ledger_intact(supervisor, sessions)


async def test_only_untouched_lines_move_and_a_touched_task_is_done_or_kept(
    supervisor, worker, sessions, world, three_orders
) -> None:
    so1, so2, so3 = three_orders
    t1 = await pick_task(worker, so1["id"])
    t3 = await pick_task(worker, so3["id"])
    # SO1: the PLAIN line is finished before the batch; SO3: its only line is half picked.
    await pick(worker, line_of(t1, so1, "PLAIN"))
    await pick(worker, line_of(t3, so3, "PLAIN"), quantity=1)

    created = await batch(supervisor, so1, so2, so3)
    assert walk(created) == [
        ("A-02", so2["number"], "LOTTED", 4),
        ("A-03", so1["number"], "SERIAL", 1),
    ]
    kept1 = await task(supervisor, t1["id"])
    assert kept1["status"] == "done"  # it had progress: done, not cancelled
    assert [ln["status"] for ln in kept1["lines"]] == ["done", "cancelled"]
    kept3 = await task(supervisor, t3["id"])
    assert kept3["status"] == "in_progress"
    assert [(ln["status"], ln["done_quantity"]) for ln in kept3["lines"]] == [("open", 1)]
    assert (await task(supervisor, (await task_of(supervisor, so2))["id"]))["status"] == "cancelled"

    # Nothing untouched is left: a second batch of the same orders has nothing to take.
    expect(
        await supervisor.post("/api/pick-batches", {"order_ids": [so1["id"], so3["id"]]}),
        409,
        "conflict",
    )
    assert (await task(supervisor, t3["id"]))["status"] == "in_progress"
    await pick(worker, line_of(kept3, so3, "PLAIN"), quantity=1)
    assert (await sale(supervisor, so3))["status"] == "picked"
    await ledger_intact(supervisor, sessions)


async def task_of(supervisor: Api, so: dict) -> dict:
    tasks = expect(await supervisor.get("/api/tasks", params={"type": "pick"}), 200)["items"]
    return next(t for t in tasks if t["document_id"] == so["id"])


async def test_who_may_batch_what(
    supervisor, worker, admin, client, sessions, world, three_orders
) -> None:
    from tests.conftest import login

    so1, so2, _so3 = three_orders
    before = await pick_task(worker, so1["id"])
    expect(
        await worker.post("/api/pick-batches", {"order_ids": [so1["id"], so2["id"]]}),
        403,
        "forbidden",
    )
    assert (await task(supervisor, before["id"]))["status"] == "open"

    w2 = await order(admin, world, [("PLAIN", 1)], warehouse="W2")
    assert w2["status"] == "allocated"
    mixed = await admin.post("/api/pick-batches", {"order_ids": [so1["id"], w2["id"]]})
    expect(mixed, 422, "invalid_request")
    expect(
        await supervisor.post("/api/pick-batches", {"order_ids": [so1["id"], w2["id"]]}),
        403,
        "warehouse_out_of_scope",
    )
    supervisor2 = await login(client, "supervisor2")
    expect(
        await supervisor2.post("/api/pick-batches", {"order_ids": [so1["id"], so2["id"]]}),
        403,
        "warehouse_out_of_scope",
    )
    expect(
        await supervisor.post("/api/pick-batches", {"order_ids": [so1["id"], so1["id"]]}),
        422,
        "invalid_request",
    )
    expect(await supervisor.post("/api/pick-batches", {"order_ids": [so1["id"]]}), 400)
    unallocated = await order(supervisor, world, [("PLAIN", 1)], allocate=False)
    other = await order(supervisor, world, [("PLAIN", 1)], allocate=False)
    expect(
        await supervisor.post("/api/pick-batches", {"order_ids": [unallocated["id"], other["id"]]}),
        409,
        "conflict",
    )
    expect(
        await supervisor.post("/api/pick-batches", {"order_ids": [so1["id"], 999_999]}),
        404,
        "not_found",
    )
    expect(
        await supervisor.post(
            "/api/pick-batches",
            {"order_ids": [so1["id"], so2["id"]], "assignee_id": world.users["worker2"]},
        ),
        422,
        "invalid_request",
    )
    # None of the refusals touched the orders' own tasks.
    after = await task(supervisor, before["id"])
    assert after["status"] == "open" and {ln["status"] for ln in after["lines"]} == {"open"}
    assert (await sale(supervisor, so1))["history"][-1]["action"] == "allocated"
    await ledger_intact(supervisor, sessions)


async def lot_reserved(sessions, world) -> int:
    from sqlalchemy import func, select

    from backend.db.models import Quant

    async with sessions() as session:
        return int(
            await session.scalar(
                select(func.coalesce(func.sum(Quant.reserved), 0)).where(
                    Quant.item_id == world.items["LOTTED"]
                )
            )
        )
