"""Offline batches: each event atomic on its own, dependencies, chunks, the snapshot."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from sqlalchemy import func, select

from backend.db.models import Command, StockMove
from backend.domain.commands import MoveStock
from backend.service import catalog
from backend.service import sync as sync_service
from backend.service.sync import apply_batch
from tests.conftest import Api
from tests.test_sync import move, stock, sync

pytestmark = pytest.mark.anyio


async def test_rejected_dependency_rejects_its_dependents_only(world, worker: Api):
    first = move(worker, world, "A-01", "A-04", 99)  # more than the bin holds: rejected
    after = {**move(worker, world, "A-01", "A-04", 1), "depends_on": [first["event_id"]]}
    unrelated = move(worker, world, "A-01", "A-05", 2)
    outcomes = await sync(worker, [first, after, unrelated])
    assert [o["status"] for o in outcomes] == ["rejected", "rejected", "applied"]
    assert outcomes[0]["code"] == "insufficient_stock"
    assert outcomes[1]["code"] == "dependency_rejected"
    assert first["event_id"] in outcomes[1]["message"]
    assert await stock(worker) == {"A-01": 8, "A-05": 2}


async def test_dependency_on_an_applied_event_passes_and_a_missing_one_fails(
    world, worker: Api
):
    first = move(worker, world, "A-01", "A-04", 1)
    assert (await sync(worker, [first]))[0]["status"] == "applied"
    after = {**move(worker, world, "A-04", "A-05", 1), "depends_on": [first["event_id"]]}
    ghost = {**move(worker, world, "A-01", "A-05", 1), "depends_on": [str(uuid.uuid4())]}
    outcomes = await sync(worker, [after, ghost])
    assert [o["status"] for o in outcomes] == ["applied", "rejected"]
    assert outcomes[1]["code"] == "dependency_rejected"
    assert "not arrived" in outcomes[1]["message"]
    # The task endpoint applies the same rule.
    lone = {**move(worker, world, "A-01", "A-05", 1), "depends_on": [str(uuid.uuid4())]}
    response = await worker.post("/api/bin-moves", {k: v for k, v in lone.items() if k != "type"})
    assert response.status_code == 409
    assert response.json()["code"] == "dependency_rejected"


async def test_an_event_twice_in_one_batch_is_applied_once(world, worker: Api):
    event = move(worker, world, "A-01", "A-04", 2)
    outcomes = await sync(worker, [event, event])
    assert [o["status"] for o in outcomes] == ["applied", "duplicate"]
    assert outcomes[1]["first_outcome"]["status"] == "applied"
    assert (await stock(worker))["A-04"] == 2


async def test_chunks_commit_each_event_once_across_many_chunks(
    world, worker: Api, sessions, monkeypatch
):
    monkeypatch.setattr(sync_service, "CHUNK", 3)
    events = [move(worker, world, "A-01", "A-04", 1) for _ in range(7)]
    events.insert(4, move(worker, world, "A-01", "A-04", 500))  # rejected mid-chunk
    events += [move(worker, world, "A-01", "A-04", 1) for _ in range(5)]  # only 3 units left
    outcomes = await sync(worker, events)
    statuses = [o["status"] for o in outcomes]
    assert statuses.count("applied") == 10
    assert statuses[4] == "rejected" and statuses[-2:] == ["rejected", "rejected"]
    assert await stock(worker) == {"A-04": 10}
    again = await sync(worker, events)
    assert {o["status"] for o in again} == {"duplicate"}
    assert [o["first_outcome"]["status"] for o in again] == statuses
    async with sessions() as session:
        recorded = await session.scalar(
            select(func.count()).select_from(Command).where(Command.type == "move_stock")
        )
    assert recorded == len(events)


class _Deadlock(Exception):
    sqlstate = "40P01"


def _moves(world, n: int) -> list[MoveStock]:  # type: ignore[no-untyped-def]
    return [
        MoveStock(event_id=uuid.uuid4(), device_id="d1", occurred_at=dt.datetime.now(dt.UTC),
                  item_id=world.items["PLAIN"], from_location_id=world.loc("A-01"),
                  to_location_id=world.loc("A-04"), quantity=1)
        for _ in range(n)
    ]


async def _applied_once(sessions, commands) -> None:  # type: ignore[no-untyped-def]
    async with sessions() as session:
        rows = await session.scalar(select(func.count()).select_from(Command).where(
            Command.event_id.in_([c.event_id for c in commands])))
        moved = await session.scalar(select(func.count()).select_from(StockMove).where(
            StockMove.document_ref.in_([str(c.event_id) for c in commands])))
    assert rows == moved == len(commands)


async def test_a_chunk_the_database_gives_up_is_applied_event_by_event(
    world, sessions, monkeypatch
):
    """A deadlock or serialization failure rolls back the whole chunk; its events then go
    one by one, each still applied exactly once."""
    from sqlalchemy.exc import DBAPIError

    real = sync_service._apply_event
    calls = {"n": 0}

    async def flaky(session, command, actor, seen):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 3:
            raise DBAPIError("UPDATE quants", {}, _Deadlock())
        return await real(session, command, actor, seen)

    monkeypatch.setattr(sync_service, "_apply_event", flaky)
    commands = _moves(world, 4)
    outcomes = await apply_batch(sessions, commands, world.actors["worker"], lane=False)
    assert calls["n"] == 3
    assert [o.status for o in outcomes] == ["applied"] * 4
    await _applied_once(sessions, commands)


async def test_a_lane_run_the_database_gives_up_is_applied_event_by_event(
    world, sessions, monkeypatch
):
    """The same when the deadlock hits a run of the set-wise lane after it wrote."""
    from sqlalchemy.exc import DBAPIError

    real = sync_service.lane_run.apply_run
    calls = {"n": 0}

    async def flaky(session, commands, actor, seen):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        decided = await real(session, commands, actor, seen)
        if calls["n"] == 1:
            raise DBAPIError("UPDATE quants", {}, _Deadlock())
        return decided

    monkeypatch.setattr(sync_service.lane_run, "apply_run", flaky)
    commands = _moves(world, 5)
    outcomes = await apply_batch(sessions, commands, world.actors["worker"])
    assert calls["n"] == 1
    assert [o.status for o in outcomes] == ["applied"] * 5
    await _applied_once(sessions, commands)


async def test_snapshot_then_delta(world, worker: Api, supervisor: Api):
    response = await worker.get("/api/sync/snapshot")
    assert response.status_code == 200, response.text
    full = response.json()
    assert full["full"] is True
    items = [dict(zip(full["items"]["columns"], r, strict=True)) for r in full["items"]["rows"]]
    assert {i["sku"] for i in items} == {"PLAIN", "LOTTED", "SERIAL"}
    barcodes = [dict(zip(full["barcodes"]["columns"], r, strict=True))
                for r in full["barcodes"]["rows"]]
    case = next(b for b in barcodes if b["code"] == "14006381333938")
    assert case["quantity"] == 12 and case["item_id"] == world.items["PLAIN"]
    codes = {r[full["locations"]["columns"].index("code")] for r in full["locations"]["rows"]}
    assert "A-01" in codes and "B-01" not in codes  # only the worker's warehouse
    lots = [dict(zip(full["lots"]["columns"], r, strict=True)) for r in full["lots"]["rows"]]
    assert [lot["lot_number"] for lot in lots] == ["L1"]
    assert "book" not in json.dumps(full)

    # Nothing changed: a delta brings no items; a new barcode brings its item and barcodes.
    delta = (await worker.get("/api/sync/snapshot", params={"since": full["cursor"]})).json()
    assert delta["full"] is False
    response = await supervisor.post(f"/api/items/{world.items['SERIAL']}/barcodes",
                                     json={"code": "0012345678905", "quantity": 1})
    assert response.status_code == 201, response.text
    later = (await worker.get("/api/sync/snapshot", params={"since": full["cursor"]})).json()
    skus = {r[later["items"]["columns"].index("sku")] for r in later["items"]["rows"]}
    assert "SERIAL" in skus
    assert ["0012345678905", world.items["SERIAL"]] == later["barcodes"]["rows"][-1][:2] or any(
        r[0] == "0012345678905" for r in later["barcodes"]["rows"])
    assert later["barcodes"]["replaces_items"] is True


async def test_snapshot_lists_the_users_tasks_and_refuses_a_forged_cursor(
    world, worker: Api, supervisor: Api
):
    response = await supervisor.post("/api/tasks", json={
        "warehouse_id": world.warehouses["W1"], "type": "transfer",
        "lines": [{"item_id": world.items["PLAIN"], "quantity": 2,
                   "from_location_id": world.loc("A-01"), "to_location_id": world.loc("A-04")}]})
    assert response.status_code == 201, response.text
    snap = (await worker.get("/api/sync/snapshot")).json()
    assert [t["id"] for t in snap["tasks"]] == [response.json()["id"]]
    bad = await worker.get("/api/sync/snapshot", params={"since": "not-a-cursor"})
    assert bad.status_code == 422
    assert bad.json()["code"] == "invalid_request"


async def test_big_snapshots_are_gzip_compressed(world, worker: Api, sessions):
    async with sessions() as session, session.begin():
        for n in range(80):
            await catalog.create_item(session, {"sku": f"BULK-{n:03d}", "name": f"Bulk {n}"},
                                      [{"code": f"BULK{n:08d}", "quantity": 1}])
    response = await worker.client.get(
        "/api/sync/snapshot", headers={**worker.headers, "Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers.get("content-encoding") == "gzip"
    assert len(response.json()["items"]["rows"]) == 83
