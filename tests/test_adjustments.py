"""Adjustments with reason codes, open to every role, tiered by value into approvals."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from backend.db.models import Quant, StockMove
from tests.conftest import Api, login
from tests.ledger_checks import assert_balanced

pytestmark = pytest.mark.anyio


def adjust(api: Api, world, at: str, quantity: int, reason: str, sku: str = "PLAIN",  # type: ignore[no-untyped-def]
           **extra: object) -> dict:
    return {**api.envelope(), "item_id": world.items[sku], "location_id": world.loc(at),
            "quantity": quantity, "reason": reason, **extra}


def decide(api: Api, request_id: int, decision: str, **extra: object) -> dict:
    return {**api.envelope(), "request_id": request_id, "decision": decision, **extra}


async def on_hand(sessions, world, sku: str, at: str) -> int:  # type: ignore[no-untyped-def]
    async with sessions() as session:
        total = await session.scalar(select(func.sum(Quant.on_hand)).where(
            Quant.item_id == world.items[sku], Quant.location_id == world.loc(at)))
        return int(total or 0)


async def move_count(sessions) -> int:  # type: ignore[no-untyped-def]
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(StockMove)) or 0)


async def assert_ledger_sound(sessions, api: Api) -> None:  # type: ignore[no-untyped-def]
    await assert_balanced(sessions)
    report = await api.get("/api/ledger/verify")
    assert report.status_code == 200 and report.json()["ok"], report.text


async def test_any_role_adjusts_below_the_limit_at_once(world, sessions, worker: Api,
                                                        supervisor: Api) -> None:
    damaged = await worker.post("/api/adjustments", adjust(worker, world, "A-01", -4, "damage"))
    assert damaged.status_code == 201, damaged.text
    result = damaged.json()["result"]
    assert (result["status"], result["counterpart"], result["value"]) == (
        "posted", "@SCRAP", "10.0000")
    found = await worker.post("/api/adjustments", adjust(worker, world, "A-05", 2, "found"))
    assert found.json()["result"]["counterpart"] == "@ADJUSTMENT"
    expired = await worker.post("/api/adjustments", adjust(
        worker, world, "A-02", -5, "expired", sku="LOTTED", lot_number="L1"))
    assert expired.json()["result"]["counterpart"] == "@SCRAP", expired.text
    assert await on_hand(sessions, world, "PLAIN", "A-01") == 6
    assert await on_hand(sessions, world, "PLAIN", "W1/@scrap") == 4
    assert await on_hand(sessions, world, "PLAIN", "A-05") == 2
    assert await on_hand(sessions, world, "LOTTED", "W1/@scrap") == 5
    assert (await supervisor.get("/api/adjustment-requests")).json()["total"] == 0
    await assert_ledger_sound(sessions, supervisor)


async def test_above_the_limit_waits_then_approval_posts_exactly(
        world, sessions, worker: Api, supervisor: Api) -> None:
    body = adjust(worker, world, "A-05", 60, "other", comment="pallet behind the racking")
    response = await worker.post("/api/adjustments", body)
    assert response.status_code == 201, response.text
    result = response.json()["result"]
    assert result["status"] == "pending_approval" and result["move_ids"] == []
    assert (result["request"], result["required_role"]) == ("AJ000001", "supervisor")
    before = await move_count(sessions)
    assert await on_hand(sessions, world, "PLAIN", "A-05") == 0

    assert (await worker.get("/api/adjustment-requests")).status_code == 403
    listed = (await supervisor.get("/api/adjustment-requests", params={
        "warehouse_id": world.warehouses["W1"], "status": "pending"})).json()
    (request,) = listed["items"]
    assert {k: request[k] for k in ("number", "sku", "location_code", "quantity", "reason",
                                    "comment", "value", "required_role", "status",
                                    "requested_by_username")} == {
        "number": "AJ000001", "sku": "PLAIN", "location_code": "A-05", "quantity": 60,
        "reason": "other", "comment": "pallet behind the racking", "value": "150.0000",
        "required_role": "supervisor", "status": "pending", "requested_by_username": "worker"}

    # The worker cannot decide, a W2 supervisor may not; the W1 supervisor approves.
    refused = await worker.post("/api/adjustment-decisions", decide(worker, request["id"],
                                                                     "approve"))
    assert refused.status_code == 403
    approval = decide(supervisor, request["id"], "approve", note="checked")
    approved = await supervisor.post("/api/adjustment-decisions", approval)
    assert approved.status_code == 201, approved.text
    assert approved.json()["result"]["status"] == "approved"
    assert await on_hand(sessions, world, "PLAIN", "A-05") == 60
    assert await move_count(sessions) == before + 1
    moves = (await supervisor.get("/api/moves", params={"document_ref": "AJ000001"})).json()
    (move,) = moves["items"]
    assert (move["document_type"], move["from_location"], move["to_location"],
            move["quantity"], move["reason"]) == ("adjustment", "@ADJUSTMENT", "A-05", 60, "other")

    # Replays change nothing: neither the request nor the decision posts twice.
    again = await supervisor.post("/api/adjustment-decisions", approval)
    assert (again.status_code, again.json()["status"]) == (200, "duplicate")
    replay = await worker.post("/api/adjustments", body)
    assert replay.json()["first_outcome"]["result"]["status"] == "pending_approval"
    other = await supervisor.post("/api/adjustment-decisions",
                                  decide(supervisor, request["id"], "reject"))
    assert (other.status_code, other.json()["code"]) == (409, "conflict")
    assert await on_hand(sessions, world, "PLAIN", "A-05") == 60
    assert await move_count(sessions) == before + 1
    detail = (await supervisor.get(f"/api/adjustment-requests/{request['id']}")).json()
    assert detail["status"] == "approved" and detail["decision_note"] == "checked"
    assert [h["action"] for h in detail["history"]] == ["requested", "approved"]
    await assert_ledger_sound(sessions, supervisor)


async def test_admin_tier_and_no_self_approval(world, sessions, supervisor: Api,
                                               admin: Api) -> None:
    response = await supervisor.post("/api/adjustments",
                                     adjust(supervisor, world, "A-04", 500, "found"))
    result = response.json()["result"]
    assert (result["status"], result["required_role"], result["value"]) == (
        "pending_approval", "admin", "1250.0000")
    request_id = result["request_id"]
    needs_admin = await supervisor.post("/api/adjustment-decisions",
                                        decide(supervisor, request_id, "approve"))
    assert (needs_admin.status_code, needs_admin.json()["code"]) == (403, "forbidden")
    assert needs_admin.json()["details"]["required_role"] == "admin"
    # Promoted to admin, the author still may not approve their own request.
    promoted = await admin.patch(f"/api/users/{world.users['supervisor']}", {"role": "admin"})
    assert promoted.status_code == 200, promoted.text
    own = await supervisor.post("/api/adjustment-decisions",
                                decide(supervisor, request_id, "approve"))
    assert (own.status_code, own.json()["code"]) == (409, "self_approval")
    assert await on_hand(sessions, world, "PLAIN", "A-04") == 0
    approved = await admin.post("/api/adjustment-decisions", decide(admin, request_id,
                                                                   "approve"))
    assert approved.status_code == 201, approved.text
    assert await on_hand(sessions, world, "PLAIN", "A-04") == 500
    await assert_ledger_sound(sessions, admin)


async def test_rejection_posts_nothing_and_bad_requests_are_refused(
        world, sessions, worker: Api, supervisor: Api, client) -> None:
    before = await move_count(sessions)
    pending = await worker.post("/api/adjustments", adjust(worker, world, "A-04", 80, "found"))
    request_id = pending.json()["result"]["request_id"]
    supervisor2 = await login(client, "supervisor2")
    elsewhere = await supervisor2.post("/api/adjustment-decisions",
                                       decide(supervisor2, request_id, "approve"))
    assert elsewhere.json()["code"] == "warehouse_out_of_scope"
    rejected = await supervisor.post("/api/adjustment-decisions",
                                     decide(supervisor, request_id, "reject", note="recount"))
    assert rejected.json()["result"]["status"] == "rejected"
    late = await supervisor.post("/api/adjustment-decisions",
                                 decide(supervisor, request_id, "approve"))
    assert late.status_code == 409
    assert await on_hand(sessions, world, "PLAIN", "A-04") == 0
    assert await move_count(sessions) == before

    # Refused up front, so that no request is doomed: each answers 4xx and stores nothing.
    refusals = [
        (adjust(worker, world, "A-01", -1, "other"), 422, "invalid_request"),  # no comment
        (adjust(worker, world, "A-01", 1, "damage"), 422, "invalid_request"),  # wrong sign
        (adjust(worker, world, "A-01", -50, "loss"), 409, "insufficient_stock"),  # 125 > 100
        (adjust(worker, world, "B-01", -1, "loss"), 403, "warehouse_out_of_scope"),
        (adjust(worker, world, "W1/@scrap", 1, "found"), 422, "invalid_move"),
        (adjust(worker, world, "A-02", -200, "loss", sku="LOTTED"), 422, "tracking_mismatch"),
        (adjust(worker, world, "A-03", -1, "loss", sku="SERIAL", serials=["SN-9"]), 409,
         "serial_unavailable"),
    ]
    for body, status, code in refusals:
        response = await worker.post("/api/adjustments", body)
        assert (response.status_code, response.json()["code"]) == (status, code), body
    assert (await supervisor.get("/api/adjustment-requests")).json()["total"] == 1
    assert await move_count(sessions) == before
    commented = await worker.post("/api/adjustments", adjust(
        worker, world, "A-01", -1, "other", comment="sample for QA"))
    assert commented.status_code == 201, commented.text
    move = (await worker.get("/api/moves", params={"document_type": "adjustment"})).json()
    assert move["items"][0]["note"] == "sample for QA"


async def test_approval_finds_the_stock_gone(world, sessions, worker: Api,
                                            supervisor: Api) -> None:
    found = await supervisor.post("/api/adjustments", adjust(supervisor, world, "A-04", 50,
                                                            "found"))
    assert found.json()["result"]["status"] == "posted"
    write_off = await worker.post("/api/adjustments", adjust(worker, world, "A-04", -45,
                                                            "damage"))
    request_id = write_off.json()["result"]["request_id"]
    moved = await supervisor.post("/api/bin-moves", {
        **supervisor.envelope(), "item_id": world.items["PLAIN"],
        "from_location_id": world.loc("A-04"), "to_location_id": world.loc("A-05"),
        "quantity": 10})
    assert moved.status_code == 201
    refused = await supervisor.post("/api/adjustment-decisions",
                                    decide(supervisor, request_id, "approve"))
    assert (refused.status_code, refused.json()["code"]) == (409, "insufficient_stock")
    assert await on_hand(sessions, world, "PLAIN", "A-04") == 40
    assert await on_hand(sessions, world, "PLAIN", "W1/@scrap") == 0
    request = (await supervisor.get(f"/api/adjustment-requests/{request_id}")).json()
    assert request["status"] == "pending"
    await assert_ledger_sound(sessions, supervisor)


async def test_limits_are_settings_and_offline_batches_apply_once(
        world, sessions, worker: Api, supervisor: Api, admin: Api) -> None:
    limits = await supervisor.get("/api/settings/adjustment-approval")
    assert limits.json() == {"supervisor_over": "100", "admin_over": "1000"}
    assert (await worker.get("/api/settings/adjustment-approval")).status_code == 403
    body = {"supervisor_over": "10", "admin_over": "20"}
    assert (await supervisor.put("/api/settings/adjustment-approval", body)).status_code == 403
    bad = await admin.put("/api/settings/adjustment-approval", {"supervisor_over": "30",
                                                                "admin_over": "20"})
    assert bad.status_code == 400
    assert (await admin.put("/api/settings/adjustment-approval", body)).status_code == 200
    assert (await supervisor.get("/api/settings/adjustment-approval")).json() == body

    # 5 x 2.50 = 12.50 is now above the supervisor limit: the worker's offline write-off waits.
    event = {"type": "adjust_stock", **adjust(worker, world, "A-01", -5, "loss")}
    first = (await worker.post("/api/sync", {"events": [event]})).json()["outcomes"]
    assert first[0]["result"]["status"] == "pending_approval"
    request_id = first[0]["result"]["request_id"]
    decision = {"type": "decide_adjustment", **decide(supervisor, request_id, "approve")}
    for attempt in range(2):
        outcomes = (await supervisor.post("/api/sync", {"events": [decision]})).json()
        assert outcomes["outcomes"][0]["status"] == ("applied", "duplicate")[attempt]
        again = (await worker.post("/api/sync", {"events": [event]})).json()["outcomes"]
        assert again[0]["status"] == "duplicate"
    assert await on_hand(sessions, world, "PLAIN", "A-01") == 5
    assert await on_hand(sessions, world, "PLAIN", "W1/@adjustment") == -5  # -10 opening, +5
    await assert_ledger_sound(sessions, supervisor)


async def test_two_approvers_at_once_post_once(world, sessions, worker: Api) -> None:
    import asyncio

    from backend.domain.commands import DecideAdjustment
    from backend.service.commands import apply_command
    from tests.world import envelope

    pending = await worker.post("/api/adjustments", adjust(worker, world, "A-04", 60, "found"))
    request_id = pending.json()["result"]["request_id"]
    outcomes = await asyncio.gather(*(
        apply_command(sessions, DecideAdjustment(
            **envelope(), request_id=request_id, decision="approve"),  # type: ignore[arg-type]
            world.actors[who]) for who in ("supervisor", "admin")))
    assert sorted((o.status, o.code) for o in outcomes) == [
        ("applied", None), ("rejected", "conflict")]
    assert await on_hand(sessions, world, "PLAIN", "A-04") == 60
