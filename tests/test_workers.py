"""`GET /api/workers`: whom a supervisor can hand work to, and how much they already hold."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api
from tests.world import World

pytestmark = pytest.mark.anyio


def _task(world: World, **extra: Any) -> dict[str, Any]:
    return {"warehouse_id": world.warehouses["W1"], "type": "transfer",
            "lines": [{"item_id": world.items["PLAIN"], "quantity": 1,
                       "from_location_id": world.loc("A-01"),
                       "to_location_id": world.loc("A-04")}], **extra}  # fmt: skip


async def test_supervisor_lists_the_people_of_a_warehouse_with_their_open_tasks(
    world: World, supervisor: Api, admin: Api
) -> None:
    w1 = world.warehouses["W1"]
    for _ in range(2):
        created = await supervisor.post("/api/tasks", _task(world))
        assert created.status_code == 201, created.text
        task_id = created.json()["id"]
        assigned = await supervisor.post(
            f"/api/tasks/{task_id}/assign", {"user_id": world.users["worker"]}
        )
        assert assigned.status_code == 200, assigned.text
    done = await supervisor.post(f"/api/tasks/{task_id}/cancel", {"reason": "not needed"})
    assert done.status_code == 200, done.text
    unassigned = await supervisor.post("/api/tasks", _task(world))
    assert unassigned.status_code == 201

    response = await supervisor.get("/api/workers", params={"warehouse_id": w1})
    assert response.status_code == 200, response.text
    people = [(p["username"], p["role"], p["open_tasks"]) for p in response.json()]
    # worker2 works in W2, admins are not on a floor list; the cancelled task is not open.
    assert people == [("worker", "worker", 1), ("supervisor", "supervisor", 0)]
    assert set(response.json()[0]) == {"id", "username", "display_name", "role", "open_tasks"}

    as_admin = await admin.get("/api/workers", params={"warehouse_id": world.warehouses["W2"]})
    assert [p["username"] for p in as_admin.json()] == ["worker2", "supervisor2"]


async def test_workers_list_is_for_supervisors_of_that_warehouse(
    world: World, supervisor: Api, worker: Api, admin: Api
) -> None:
    refused = await worker.get("/api/workers", params={"warehouse_id": world.warehouses["W1"]})
    assert refused.status_code == 403
    elsewhere = await supervisor.get(
        "/api/workers", params={"warehouse_id": world.warehouses["W2"]}
    )
    assert (elsewhere.status_code, elsewhere.json()["code"]) == (403, "warehouse_out_of_scope")
    missing = await admin.get("/api/workers", params={"warehouse_id": 999_999})
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")
    bad = await supervisor.get("/api/workers", params={"warehouse_id": "W1"})
    assert bad.status_code == 400
    none = await supervisor.get("/api/workers")
    assert none.status_code == 400
