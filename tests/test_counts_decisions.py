"""Deciding count variances: value tiers, adjustments posted on approval only, the accuracy of
counts and periods, and a whole count flow as offline batches, replayed."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select

from backend.db.models import StockMove
from tests.conftest import Api
from tests.test_counts import (
    create_count,
    item,
    leaked_keys,
    ledger_sound,
    line_at,
    on_hand,
    record,
    record_body,
    set_policy,
    view,
)

pytestmark = pytest.mark.anyio


def decide_body(api: Api, count_id: int, decision: str, **extra: Any) -> dict:
    return {**api.envelope(), "count_id": count_id, "decision": decision, **extra}


async def decide(api: Api, count_id: int, decision: str, status: int = 201,
                 **extra: Any) -> dict:
    response = await api.post("/api/counts/decisions", decide_body(api, count_id, decision,
                                                                   **extra))
    assert response.status_code == status, response.text
    return response.json()


async def moves(sessions) -> list[tuple[int, int, int, int, str, str]]:  # type: ignore[no-untyped-def]
    async with sessions() as session:
        rows = await session.execute(select(
            StockMove.item_id, StockMove.from_location_id, StockMove.to_location_id,
            StockMove.quantity, StockMove.document_type, StockMove.document_ref,
        ).order_by(StockMove.id))
        return [tuple(r) for r in rows.all()]  # type: ignore[misc]


async def test_approval_is_tiered_by_value_and_posts_the_variance(
        world, sessions, supervisor: Api, worker: Api, admin: Api) -> None:
    await set_policy(admin, recount_over_quantity=1_000_000, recount_over_value="1000000")
    count = await create_count(supervisor, world, from_code="A-01", to_code="A-02")
    # 500 too many widgets (1250.00: above the admin limit of 1000); 3 yoghurts of L1 missing
    # and 4 of a lot never booked found (small: a supervisor's call).
    await record(worker, line_at(count, "A-01")["id"], [item(world, "PLAIN", 510)])
    await record(worker, line_at(count, "A-02")["id"], [
        item(world, "LOTTED", 17, "L1"), item(world, "LOTTED", 4, "L2")])
    full = await view(supervisor, count["id"])
    big = line_at(full, "A-01")["entries"]
    small = line_at(full, "A-02")["entries"]
    assert [(e["variance"], e["variance_value"], e["required_role"]) for e in big] == [
        (500, "1250.0000", "admin")]
    assert [(e["lot_number"], e["variance"], e["required_role"]) for e in small] == [
        ("L1", -3, "supervisor"), ("L2", 4, "supervisor")]
    assert (full["pending_variances"], full["pending_value"]) == (3, "1255.6000")
    before = await moves(sessions)

    assert (await decide(worker, count["id"], "approve", status=403))["code"] == "forbidden"
    refused = await decide(supervisor, count["id"], "approve", status=403)
    assert refused["code"] == "forbidden" and refused["details"]["entry_ids"] == [big[0]["id"]]
    assert await moves(sessions) == before  # refused whole: the small ones did not post either
    assert [e["status"] for e in line_at(await view(supervisor, count["id"]),
                                         "A-02")["entries"]] == ["pending", "pending"]

    body = decide_body(supervisor, count["id"], "approve", entry_ids=[e["id"] for e in small],
                       note="shelf checked")
    approved = await supervisor.post("/api/counts/decisions", body)
    assert approved.status_code == 201, approved.text
    assert approved.json()["result"]["count_status"] == "review"
    assert await on_hand(sessions, world, "LOTTED", "A-02") == 21  # 17 of L1 + 4 of L2
    adjustment, a01, a02 = world.loc("W1/@adjustment"), world.loc("A-01"), world.loc("A-02")
    lotted = world.items["LOTTED"]
    assert (await moves(sessions))[len(before):] == [
        (lotted, a02, adjustment, 3, "count", count["number"]),
        (lotted, adjustment, a02, 4, "count", count["number"])]
    replay = await supervisor.post("/api/counts/decisions", body)
    assert (replay.status_code, replay.json()["status"]) == (200, "duplicate")
    assert len(await moves(sessions)) == len(before) + 2
    again = await decide(supervisor, count["id"], "reject", entry_ids=[small[0]["id"]],
                         status=409)
    assert again["code"] == "conflict"

    done = await decide(admin, count["id"], "approve")
    assert done["result"]["count_status"] == "closed"
    assert await on_hand(sessions, world, "PLAIN", "A-01") == 510
    assert (await moves(sessions))[-1] == (
        world.items["PLAIN"], adjustment, a01, 500, "count", count["number"])
    closed = await view(supervisor, count["id"])
    assert (closed["status"], closed["lines_accurate"], closed["accuracy"]) == (
        "closed", 0, "0.00")
    assert {e["status"] for ln in closed["lines"] for e in ln["entries"]} == {"approved"}
    assert line_at(closed, "A-02")["entries"][0]["decision_note"] == "shelf checked"
    assert (await decide(admin, count["id"], "approve", status=409))["code"] == "conflict"
    await ledger_sound(sessions, supervisor)


async def test_rejection_posts_nothing_and_a_loss_needs_the_stock(
        world, sessions, supervisor: Api, worker: Api) -> None:
    count = await create_count(supervisor, world, from_code="A-01", to_code="A-01")
    await record(worker, count["lines"][0]["id"], [item(world, "PLAIN", 8)])  # 2 missing
    # Meanwhile 9 of the 10 on the book are moved away: the loss of 2 cannot be taken.
    moved = await supervisor.post("/api/bin-moves", {
        **supervisor.envelope(), "item_id": world.items["PLAIN"],
        "from_location_id": world.loc("A-01"), "to_location_id": world.loc("A-04"),
        "quantity": 9})
    assert moved.status_code == 201, moved.text
    before = await moves(sessions)
    short = await decide(supervisor, count["id"], "approve", status=409)
    assert short["code"] == "insufficient_stock"
    assert await moves(sessions) == before
    assert (await view(supervisor, count["id"]))["pending_variances"] == 1

    rejected = await decide(supervisor, count["id"], "reject", note="found them in A-04")
    assert rejected["result"] == {"count": count["number"], "decision": "reject", "entries": 1,
                                  "count_status": "closed", "move_ids": []}
    assert await moves(sessions) == before
    assert await on_hand(sessions, world, "PLAIN", "A-01") == 1
    closed = await view(supervisor, count["id"])
    assert [e["status"] for e in closed["lines"][0]["entries"]] == ["rejected"]
    assert (closed["lines_accurate"], closed["accuracy"]) == (0, "0.00")
    await ledger_sound(sessions, supervisor)


async def test_accuracy_per_count_and_per_period(world, supervisor: Api, worker: Api) -> None:
    right = await create_count(supervisor, world, from_code="A-01", to_code="A-03")
    for code, entry in (("A-01", item(world, "PLAIN", 10)),
                        ("A-02", item(world, "LOTTED", 20, "L1")),
                        ("A-03", item(world, "SERIAL", 3))):
        await record(worker, line_at(right, code)["id"], [entry])
    wrong = await create_count(supervisor, world, from_code="A-04", to_code="A-05")
    await record(worker, line_at(wrong, "A-04")["id"], [], empty=True)
    await record(worker, line_at(wrong, "A-05")["id"], [item(world, "PLAIN", 1)])
    await decide(supervisor, wrong["id"], "reject")
    unfinished = await create_count(supervisor, world, from_code="A-01", to_code="A-01")

    report = (await supervisor.get("/api/counts/accuracy")).json()
    assert [(c["number"], c["lines_counted"], c["lines_accurate"], c["accuracy"])
            for c in report["counts"]] == [
        (right["number"], 3, 3, "100.00"), (wrong["number"], 2, 1, "50.00")]
    assert (report["lines_counted"], report["lines_accurate"], report["accuracy"]) == (
        5, 4, "80.00")
    assert unfinished["number"] not in {c["number"] for c in report["counts"]}
    later = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).isoformat()
    empty = (await supervisor.get("/api/counts/accuracy", params={"since": later})).json()
    assert (empty["counts"], empty["lines_counted"], empty["accuracy"]) == ([], 0, None)
    until = (await supervisor.get("/api/counts/accuracy", params={
        "until": later, "warehouse_id": world.warehouses["W1"]})).json()
    assert until["accuracy"] == "80.00"
    other = await supervisor.get("/api/counts/accuracy",
                                 params={"warehouse_id": world.warehouses["W2"]})
    assert (other.status_code, other.json()["code"]) == (403, "warehouse_out_of_scope")
    listed = (await supervisor.get("/api/counts", params={"status": "closed"})).json()
    assert {(c["number"], c["accuracy"]) for c in listed["items"]} == {
        (right["number"], "100.00"), (wrong["number"], "50.00")}
    assert (await worker.get("/api/counts/accuracy")).status_code == 403


async def test_a_count_flow_as_offline_batches_twice_is_once(
        world, sessions, supervisor: Api, worker: Api) -> None:
    count = await create_count(supervisor, world, from_code="A-01", to_code="A-02")
    a01, a02 = line_at(count, "A-01"), line_at(count, "A-02")
    claim = {"type": "claim_task", **worker.envelope(), "task_id": a01["task_id"]}
    counted = [
        claim,
        {"type": "record_count", "depends_on": [claim["event_id"]],
         **record_body(worker, a01["id"], [item(world, "PLAIN", 12)])},
        {"type": "record_count", "depends_on": [claim["event_id"]],
         **record_body(worker, a02["id"], [item(world, "LOTTED", 19, "L1")])},
    ]
    decided = [{"type": "decide_count", **supervisor.envelope(), "count_id": count["id"],
                "decision": "approve"}]

    async def sync(api: Api, events: list[dict]) -> list[dict]:
        response = await api.post("/api/sync", {"events": events})
        assert response.status_code == 200, response.text
        return response.json()["outcomes"]

    first = await sync(worker, counted)
    assert [o["status"] for o in first] == ["applied"] * 3
    assert leaked_keys(first) == []
    # A worker's decision in a batch is refused like at the endpoint.
    by_worker = await sync(worker, [{**decided[0], **worker.envelope()}])
    assert (by_worker[0]["status"], by_worker[0]["code"]) == ("rejected", "forbidden")
    assert (await sync(supervisor, decided))[0]["status"] == "applied"
    state = (await view(supervisor, count["id"]), await moves(sessions),
             await on_hand(sessions, world, "PLAIN", "A-01"),
             await on_hand(sessions, world, "LOTTED", "A-02"))
    assert state[0]["status"] == "closed" and state[2:] == (12, 19)

    again = await sync(worker, counted) + await sync(supervisor, decided)
    assert [o["status"] for o in again] == ["duplicate"] * 4
    assert [o["first_outcome"]["status"] for o in again] == ["applied"] * 4
    assert (await view(supervisor, count["id"]), await moves(sessions),
            await on_hand(sessions, world, "PLAIN", "A-01"),
            await on_hand(sessions, world, "LOTTED", "A-02")) == state
    async with sessions() as session:
        adjusted = await session.scalar(select(func.count()).select_from(StockMove).where(
            StockMove.document_type == "count"))
    assert adjusted == 2
    await ledger_sound(sessions, supervisor)
