"""The offline batch endpoint and the task endpoints: ordered, idempotent by event_id."""

from __future__ import annotations

import uuid

import pytest

from tests.conftest import Api

pytestmark = pytest.mark.anyio




def move(api: Api, world, src: str, dst: str, quantity: int, sku: str = "PLAIN",  # type: ignore[no-untyped-def]
         **extra: object) -> dict:
    return {"type": "move_stock", **api.envelope(), "item_id": world.items[sku],
            "from_location_id": world.loc(src), "to_location_id": world.loc(dst),
            "quantity": quantity, **extra}


def adjust(api: Api, world, at: str, quantity: int, reason: str, sku: str = "PLAIN") -> dict:  # type: ignore[no-untyped-def]
    return {"type": "adjust_stock", **api.envelope(), "item_id": world.items[sku],
            "location_id": world.loc(at), "quantity": quantity, "reason": reason}


def task(event: dict) -> dict:
    """The same command for a task endpoint, where the path says what it is."""
    return {k: v for k, v in event.items() if k != "type"}


async def sync(api: Api, events: list[dict]) -> list[dict]:
    response = await api.post("/api/sync", {"events": events})
    assert response.status_code == 200, response.text
    outcomes = response.json()["outcomes"]
    assert [o["event_id"] for o in outcomes] == [e["event_id"] for e in events]
    assert [o["type"] for o in outcomes] == [e["type"] for e in events]
    return outcomes


async def stock(api: Api, sku: str = "PLAIN") -> dict[str, int]:
    response = await api.get("/api/stock", params={"sku": sku, "limit": 500})
    assert response.status_code == 200, response.text
    return {r["location_code"]: r["on_hand"] for r in response.json()["items"]}


async def ledger_size(api: Api) -> int:
    return (await api.get("/api/moves", params={"limit": 1})).json()["total"]


async def test_batch_applies_in_order_and_replays_as_duplicates(world, supervisor: Api):
    events = [move(supervisor, world, "A-01", "A-04", 3),
              adjust(supervisor, world, "A-05", 2, "found"),
              move(supervisor, world, "A-01", "A-04", 50)]
    outcomes = await sync(supervisor, events)
    assert [o["status"] for o in outcomes] == ["applied", "applied", "rejected"]
    assert len(outcomes[0]["result"]["move_ids"]) == 1
    assert outcomes[1]["result"]["quantity"] == 2
    assert outcomes[1]["result"]["counterpart"] == "@ADJUSTMENT"
    rejected = outcomes[2]
    assert rejected["code"] == "insufficient_stock"
    assert rejected["message"]
    assert rejected["details"]["available"] == 7 and rejected["details"]["requested"] == 50
    assert "result" not in rejected
    after = await stock(supervisor)
    assert after == {"A-01": 7, "A-04": 3, "A-05": 2}
    size = await ledger_size(supervisor)

    replay = await sync(supervisor, events)
    assert [o["status"] for o in replay] == ["duplicate"] * 3
    assert [o["first_outcome"]["status"] for o in replay] == ["applied", "applied", "rejected"]
    assert replay[0]["first_outcome"]["result"] == outcomes[0]["result"]
    assert replay[1]["first_outcome"]["result"] == outcomes[1]["result"]
    assert replay[2]["first_outcome"]["code"] == "insufficient_stock"
    assert replay[2]["first_outcome"]["message"] == rejected["message"]
    assert await stock(supervisor) == after
    assert await ledger_size(supervisor) == size
    # The rejection is on record for the supervisor to see.
    trace = (await supervisor.get(f"/api/commands/{events[2]['event_id']}")).json()
    assert (trace["status"], trace["outcome"]["code"], trace["moves"]) == (
        "rejected", "insufficient_stock", [])


async def test_later_events_see_the_effect_of_earlier_ones(world, worker: Api):
    events = [move(worker, world, "A-01", "A-04", 10),
              move(worker, world, "A-04", "A-05", 10),
              move(worker, world, "A-04", "A-05", 1)]
    outcomes = await sync(worker, events)
    assert [o["status"] for o in outcomes] == ["applied", "applied", "rejected"]
    assert outcomes[2]["code"] == "insufficient_stock"
    assert await stock(worker) == {"A-05": 10}


async def test_batch_mixing_new_and_already_applied_events(world, supervisor: Api):
    first = move(supervisor, world, "A-01", "A-04", 4)
    assert [o["status"] for o in await sync(supervisor, [first])] == ["applied"]
    # Resent with a different body, an event_id still means the first command.
    resent = {**first, "quantity": 9}
    fresh = move(supervisor, world, "A-04", "A-05", 1)
    outcomes = await sync(supervisor, [resent, fresh])
    assert [o["status"] for o in outcomes] == ["duplicate", "applied"]
    assert outcomes[0]["first_outcome"]["status"] == "applied"
    assert outcomes[0]["first_outcome"]["result"]["quantity"] == 4
    assert await stock(supervisor) == {"A-01": 6, "A-04": 3, "A-05": 1}


async def test_workers_out_of_scope_adjustment_in_a_batch_is_rejected_alone(world, worker: Api):
    events = [move(worker, world, "A-01", "A-04", 2),
              adjust(worker, world, "B-01", -5, "damage"),
              move(worker, world, "A-02", "A-03", 2, sku="LOTTED", lot_number="L1")]
    outcomes = await sync(worker, events)
    assert [o["status"] for o in outcomes] == ["applied", "rejected", "applied"]
    assert outcomes[1]["code"] == "warehouse_out_of_scope"
    assert outcomes[1]["message"]
    assert await stock(worker) == {"A-01": 8, "A-04": 2}
    assert await stock(worker, "LOTTED") == {"A-02": 18, "A-03": 2}
    trace = (await worker.get(f"/api/commands/{events[1]['event_id']}")).json()
    assert (trace["status"], trace["outcome"]["code"]) == ("rejected", "warehouse_out_of_scope")
    scrap = await worker.get("/api/moves", params={"document_type": "adjustment"})
    assert scrap.json()["total"] == 0


async def test_invalid_batches_are_refused_whole(world, supervisor: Api):
    good = move(supervisor, world, "A-01", "A-04", 1)
    unknown = {**move(supervisor, world, "A-01", "A-04", 1), "type": "teleport_stock"}
    response = await supervisor.post("/api/sync", {"events": [good, unknown]})
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "validation_error"
    untyped = task(move(supervisor, world, "A-01", "A-04", 1))
    response = await supervisor.post("/api/sync", {"events": [good, untyped]})
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "validation_error"

    too_many = [move(supervisor, world, "A-01", "A-04", 1) for _ in range(501)]
    response = await supervisor.post("/api/sync", {"events": too_many})
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "validation_error"
    for event in (good, too_many[0], too_many[-1]):
        response = await supervisor.get(f"/api/commands/{event['event_id']}")
        assert response.status_code == 404, response.text
    assert await stock(supervisor) == {"A-01": 10}


# --- task endpoints ----------------------------------------------------------------------------


async def test_bin_move_task_endpoint_is_idempotent(world, worker: Api):
    body = task(move(worker, world, "A-01", "A-04", 4))
    response = await worker.post("/api/bin-moves", body)
    assert response.status_code == 201, response.text
    applied = response.json()
    assert (applied["status"], applied["event_id"], applied["type"]) == (
        "applied", body["event_id"], "move_stock")
    (move_id,) = applied["result"]["move_ids"]
    trace = (await worker.get(f"/api/commands/{body['event_id']}")).json()
    assert [m["id"] for m in trace["moves"]] == [move_id]

    again = await worker.post("/api/bin-moves", body)
    assert again.status_code == 200, again.text
    assert again.json()["status"] == "duplicate"
    assert again.json()["first_outcome"] == {"status": "applied", "result": applied["result"]}
    changed = await worker.post("/api/bin-moves", {**body, "quantity": 6})
    assert changed.status_code == 200 and changed.json()["status"] == "duplicate"
    assert await stock(worker) == {"A-01": 6, "A-04": 4}

    # The same event_id later arriving inside a sync batch is a duplicate too.
    outcomes = await sync(worker, [{"type": "move_stock", **body}])
    assert outcomes[0]["status"] == "duplicate"
    assert outcomes[0]["first_outcome"]["result"]["move_ids"] == [move_id]
    assert await stock(worker) == {"A-01": 6, "A-04": 4}


async def test_sync_event_later_sent_to_the_task_endpoint_is_a_duplicate(world, worker: Api):
    event = move(worker, world, "A-01", "A-04", 2)
    assert (await sync(worker, [event]))[0]["status"] == "applied"
    response = await worker.post("/api/bin-moves", task(event))
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "duplicate"
    assert await stock(worker) == {"A-01": 8, "A-04": 2}


async def test_rejected_task_answers_4xx_with_code_and_event_id(world, worker: Api):
    body = task(move(worker, world, "A-01", "A-04", 11))
    response = await worker.post("/api/bin-moves", body)
    assert response.status_code == 409, response.text
    error = response.json()
    assert error["code"] == "insufficient_stock"
    assert error["message"]
    assert error["details"]["event_id"] == body["event_id"]
    assert (error["details"]["available"], error["details"]["requested"]) == (10, 11)
    # The rejection is the first outcome: a replay does not get a second chance.
    again = await worker.post("/api/bin-moves", body)
    assert again.status_code == 200, again.text
    assert again.json()["first_outcome"]["status"] == "rejected"
    assert again.json()["first_outcome"]["code"] == "insufficient_stock"

    serial = task(move(worker, world, "A-03", "A-04", 2, sku="SERIAL", serials=["SN-1"]))
    response = await worker.post("/api/bin-moves", serial)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "tracking_mismatch"
    assert response.json()["details"]["event_id"] == serial["event_id"]
    to_virtual = task(move(worker, world, "A-01", "W1/@scrap", 1))
    response = await worker.post("/api/bin-moves", to_virtual)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "invalid_move"
    assert await stock(worker) == {"A-01": 10}
    assert await stock(worker, "SERIAL") == {"A-03": 3}


async def test_adjustment_and_opening_balance_task_endpoints(world, supervisor, admin):
    body = task(adjust(supervisor, world, "A-01", -3, "damage"))
    response = await supervisor.post("/api/adjustments", body)
    assert response.status_code == 201, response.text
    assert response.json()["result"]["counterpart"] == "@SCRAP"
    again = await supervisor.post("/api/adjustments", body)
    assert (again.status_code, again.json()["status"]) == (200, "duplicate")
    assert await stock(supervisor) == {"A-01": 7}

    opening = {**admin.envelope(), "reference": "go-live", "lines": [
        {"item_id": world.items["PLAIN"], "location_id": world.loc("A-05"), "quantity": 6}]}
    response = await supervisor.post("/api/opening-balances", opening)
    assert response.status_code == 403, response.text
    response = await admin.post("/api/opening-balances", opening)
    assert response.status_code == 201, response.text
    assert response.json()["result"]["lines"] == 1
    assert await stock(supervisor) == {"A-01": 7, "A-05": 6}
    history = await supervisor.get("/api/moves", params={"document_ref": "go-live"})
    assert [m["to_location"] for m in history.json()["items"]] == ["A-05"]
    assert str(uuid.UUID(response.json()["event_id"])) == opening["event_id"]
