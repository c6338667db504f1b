"""Inbound end to end: suppliers, purchase orders with tiered approval, receiving at the dock,
putaway into bins, the floor's task queue and the same flow sent offline.

Every flow ends by checking the ledger: each item's quants sum to zero over all locations
(virtual ones carry the other side) and no real location holds a negative quantity.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.db.models import DocumentEvent, Lot, Quant, Task, TaskLine
from tests.conftest import Api, login
from tests.world import World

pytestmark = pytest.mark.anyio

Sessions = async_sessionmaker[AsyncSession]


# --- helpers ----------------------------------------------------------------------------------


def expect(response: Any, status: int, code: str | None = None) -> Any:
    assert response.status_code == status, response.text
    body = response.json()
    if code is not None:
        assert set(body) == {"code", "message", "details"}, body
        assert body["code"] == code, body
        assert body["message"]
    return body


@dataclass
class Inbound:
    """The world, made ready for receiving: DOCK-1 receives, QUAR quarantines."""

    world: World
    supplier: int  # ACME, no over-receipt tolerance
    tolerant: int  # LOOSE, 10 % tolerance
    quarantine: int

    @property
    def w1(self) -> int:
        return self.world.warehouses["W1"]

    @property
    def dock(self) -> int:
        return self.world.loc("DOCK-1")

    def item(self, sku: str) -> int:
        return self.world.items[sku]


@pytest.fixture
async def inbound(world: World, supervisor: Api) -> Inbound:
    w1 = world.warehouses["W1"]
    dock = expect(await supervisor.patch(f"/api/locations/{world.loc('DOCK-1')}",
                                         {"purpose": "receiving"}), 200)
    assert dock["purpose"] == "receiving"
    quarantine = expect(await supervisor.post("/api/locations", {
        "warehouse_id": w1, "code": "QUAR", "kind": "bin", "purpose": "quarantine"}), 201)
    acme = expect(await supervisor.post("/api/suppliers", {"code": "ACME", "name": "Acme"}), 201)
    loose = expect(await supervisor.post("/api/suppliers", {
        "code": "LOOSE", "name": "Loose Ltd", "over_receipt_tolerance_pct": "10"}), 201)
    return Inbound(world, acme["id"], loose["id"], quarantine["id"])


async def draft(api: Api, inbound: Inbound, *lines: tuple[str, int, str],
                supplier: int | None = None) -> dict:
    body = {"supplier_id": supplier or inbound.supplier, "warehouse_id": inbound.w1,
            "lines": [{"item_id": inbound.item(sku), "quantity": quantity, "unit_price": price}
                      for sku, quantity, price in lines]}
    order = expect(await api.post("/api/purchase-orders", body), 201)
    assert order["status"] == "draft"
    return order


async def submit(api: Api, order: dict) -> dict:
    return expect(await api.post(f"/api/purchase-orders/{order['id']}/submit"), 200)


async def approved(api: Api, inbound: Inbound, *lines: tuple[str, int, str],
                   supplier: int | None = None) -> dict:
    """A purchase order within the lowest limit: approved when submitted."""
    order = await submit(api, await draft(api, inbound, *lines, supplier=supplier))
    assert order["status"] == "approved", order
    return order


async def get_order(api: Api, order: dict) -> dict:
    return expect(await api.get(f"/api/purchase-orders/{order['id']}"), 200)


def receipt(api: Api, order: dict, quantity: int, line: int = 1, **extra: object) -> dict:
    return {**api.envelope(), "order_id": order["id"], "line_id": order["lines"][line - 1]["id"],
            "quantity": quantity, **extra}


async def receive(api: Api, order: dict, quantity: int, line: int = 1,
                  **extra: object) -> dict:
    body = receipt(api, order, quantity, line, **extra)
    outcome = expect(await api.post("/api/receipts", body), 201)
    assert outcome["status"] == "applied", outcome
    return outcome["result"]


async def on_hand(api: Api, location_id: int, sku: str) -> dict[str | None, int]:
    """Stock of a SKU at a real location through the API, by lot number (None: untracked)."""
    response = await api.get("/api/stock", params={"location_id": location_id, "sku": sku,
                                                   "limit": 500})
    rows = expect(response, 200)["items"]
    assert all(r["location_id"] == location_id for r in rows), rows
    found: dict[str | None, int] = {}
    for row in rows:
        found[row["lot_number"]] = found.get(row["lot_number"], 0) + row["on_hand"]
    return found


async def stock_of(api: Api, sku: str) -> dict[str, int]:
    response = await api.get("/api/stock", params={"sku": sku, "limit": 500})
    return {r["location_code"]: r["on_hand"] for r in expect(response, 200)["items"]}


async def quant(sessions: Sessions, item_id: int, location_id: int) -> int:
    async with sessions() as session:
        return (await session.execute(
            select(func.coalesce(func.sum(Quant.on_hand), 0))
            .where(Quant.item_id == item_id, Quant.location_id == location_id))).scalar_one()


async def assert_ledger_balanced(sessions: Sessions) -> None:
    """Every unit came from somewhere: per item the quants sum to 0; real ones are never < 0."""
    async with sessions() as session:
        totals = dict((await session.execute(
            select(Quant.item_id, func.sum(Quant.on_hand)).group_by(Quant.item_id))).tuples().all())
        negative = (await session.execute(
            select(Quant.item_id, Quant.location_id, Quant.on_hand)
            .where(Quant.is_virtual.is_(False), Quant.on_hand < 0))).all()
    assert totals, "no quants at all"
    assert {item: total for item, total in totals.items() if total != 0} == {}
    assert negative == []


async def put(api: Api, path: str, body: object) -> Any:
    return await api.client.put(path, json=body, headers=api.headers)


async def get_task(api: Api, task_id: int) -> dict:
    return expect(await api.get(f"/api/tasks/{task_id}"), 200)


async def mine(api: Api) -> list[dict]:
    return expect(await api.get("/api/tasks/mine"), 200)


def claim(api: Api, task_id: int) -> dict:
    return {**api.envelope(), "task_id": task_id}


def putaway(api: Api, line_id: int, to: int, quantity: int, **extra: object) -> dict:
    return {**api.envelope(), "task_line_id": line_id, "to_location_id": to,
            "quantity": quantity, **extra}


async def task_history(sessions: Sessions, task_id: int) -> list[tuple[str, int, dict]]:
    async with sessions() as session:
        rows = await session.execute(
            select(DocumentEvent.action, DocumentEvent.user_id, DocumentEvent.details)
            .where(DocumentEvent.document_type == "task", DocumentEvent.document_id == task_id)
            .order_by(DocumentEvent.id))
        return [tuple(row) for row in rows.all()]  # type: ignore[misc]


def recent(at: str) -> bool:
    moment = dt.datetime.fromisoformat(at)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return abs(dt.datetime.now(dt.UTC) - moment) < dt.timedelta(minutes=5)


def decisions(order: dict) -> list[tuple[str, str]]:
    """(action, username) of the history, each entry checked to say who and when."""
    for event in order["history"]:
        assert event["username"] and event["user_id"], event
        assert recent(event["at"]), event
    return [(e["action"], e["username"]) for e in order["history"]]


async def new_worker(client: Any, admin: Api, world: World, username: str,
                     warehouse: str = "W1") -> tuple[Api, int]:
    user = expect(await admin.post("/api/users", {
        "username": username, "password": World.PASSWORD, "role": "worker",
        "warehouse_ids": [world.warehouses[warehouse]]}), 201)
    return await login(client, username), user["id"]


# --- suppliers --------------------------------------------------------------------------------


async def test_suppliers_are_created_by_supervisors_and_read_by_everyone(
        world, supervisor: Api, worker: Api):
    created = expect(await supervisor.post("/api/suppliers", {
        "code": "NORD", "name": "Nord Supply", "over_receipt_tolerance_pct": "12.5",
        "lead_time_days": 4}), 201)
    assert Decimal(created["over_receipt_tolerance_pct"]) == Decimal("12.5")
    assert created["active"] is True and created["lead_time_days"] == 4

    expect(await supervisor.post("/api/suppliers", {"code": "NORD", "name": "Again"}),
           409, "conflict")
    expect(await supervisor.post("/api/suppliers", {
        "code": "OVER", "name": "Too loose", "over_receipt_tolerance_pct": "150"}),
        400, "validation_error")
    expect(await supervisor.post("/api/suppliers", {
        "code": "NEG", "name": "Negative", "over_receipt_tolerance_pct": "-1"}),
        400, "validation_error")

    listed = expect(await worker.get("/api/suppliers"), 200)
    assert [s["code"] for s in listed] == ["NORD"]
    assert expect(await worker.get(f"/api/suppliers/{created['id']}"), 200)["name"] == "Nord Supply"
    expect(await worker.post("/api/suppliers", {"code": "MINE", "name": "Mine"}), 403, "forbidden")
    expect(await worker.patch(f"/api/suppliers/{created['id']}", {"name": "Hijacked"}),
           403, "forbidden")

    changed = expect(await supervisor.patch(f"/api/suppliers/{created['id']}",
                                            {"over_receipt_tolerance_pct": "5"}), 200)
    assert Decimal(changed["over_receipt_tolerance_pct"]) == Decimal("5")
    expect(await supervisor.patch(f"/api/suppliers/{created['id']}",
                                  {"over_receipt_tolerance_pct": "101"}), 400, "validation_error")
    assert [s["code"] for s in expect(await worker.get("/api/suppliers"), 200)] == ["NORD"]


# --- purchase orders and tiered approval ------------------------------------------------------


async def test_small_order_is_approved_on_submit_and_queues_a_receive_task(
        inbound: Inbound, supervisor: Api, worker: Api):
    order = await draft(supervisor, inbound, ("PLAIN", 10, "2.50"), ("LOTTED", 100, "0.80"))
    assert Decimal(order["total_value"]) == Decimal("105")
    assert [(line["sku"], line["quantity"], line["remaining"]) for line in order["lines"]] == [
        ("PLAIN", 10, 10), ("LOTTED", 100, 100)]
    assert expect(await worker.get("/api/tasks/mine"), 200) == []

    order = await submit(supervisor, order)
    assert order["status"] == "approved" and order["approval_role"] is None
    assert decisions(order) == [("created", "supervisor"), ("submitted", "supervisor"),
                                ("approved", "supervisor")]
    submitted, approval = order["history"][1:]
    assert submitted["details"]["needs"] == "nobody"
    assert approval["details"]["automatic"] is True

    queue = await mine(worker)
    assert [(t["type"], t["status"], t["document_id"]) for t in queue] == [
        ("receive", "open", order["id"])]
    assert [(line["sku"], line["quantity"]) for line in queue[0]["lines"]] == [
        ("PLAIN", 10), ("LOTTED", 100)]
    # Once approved it is not waiting for anybody's decision; nor can it be submitted again.
    expect(await supervisor.post(f"/api/purchase-orders/{order['id']}/decision",
                                 {"approve": True}), 409, "conflict")
    expect(await supervisor.post(f"/api/purchase-orders/{order['id']}/submit"), 409, "conflict")
    # Workers read orders of their warehouse but do not draft them.
    assert expect(await worker.get("/api/purchase-orders"), 200)["total"] == 1
    expect(await worker.post("/api/purchase-orders", {
        "supplier_id": inbound.supplier, "warehouse_id": inbound.w1,
        "lines": [{"item_id": inbound.item("PLAIN"), "quantity": 1, "unit_price": "1"}]}),
        403, "forbidden")


async def test_order_over_the_supervisor_limit_waits_for_a_supervisor(
        inbound: Inbound, supervisor: Api, worker: Api):
    order = await submit(supervisor, await draft(supervisor, inbound, ("PLAIN", 2000, "2.50")))
    assert Decimal(order["total_value"]) == Decimal("5000")
    assert order["status"] == "pending_approval" and order["approval_role"] == "supervisor"
    assert order["history"][-1]["details"]["needs"] == "supervisor"
    assert await mine(worker) == []  # nothing to receive yet

    decision = f"/api/purchase-orders/{order['id']}/decision"
    expect(await worker.post(decision, {"approve": True}), 403, "forbidden")
    assert (await get_order(worker, order))["status"] == "pending_approval"

    order = expect(await supervisor.post(decision, {"approve": True, "comment": "as agreed"}), 200)
    assert order["status"] == "approved" and order["approval_role"] is None
    assert decisions(order)[-1] == ("approved", "supervisor")
    assert order["history"][-1]["details"] == {
        "role": "supervisor", "automatic": False, "comment": "as agreed"}
    assert [t["type"] for t in await mine(worker)] == ["receive"]


async def test_order_over_the_admin_limit_needs_an_admin(
        inbound: Inbound, supervisor: Api, admin: Api):
    order = await submit(supervisor, await draft(supervisor, inbound, ("PLAIN", 20000, "2.50")))
    assert order["status"] == "pending_approval" and order["approval_role"] == "admin"

    decision = f"/api/purchase-orders/{order['id']}/decision"
    refused = expect(await supervisor.post(decision, {"approve": True}), 403, "forbidden")
    assert refused["details"]["required_role"] == "admin"
    assert (await get_order(supervisor, order))["status"] == "pending_approval"

    order = expect(await admin.post(decision, {"approve": True}), 200)
    assert order["status"] == "approved"
    assert decisions(order) == [("created", "supervisor"), ("submitted", "supervisor"),
                                ("approved", "admin")]
    assert order["history"][-1]["details"]["role"] == "admin"


async def test_rejected_order_can_be_resubmitted(inbound: Inbound, supervisor: Api, worker: Api):
    order = await submit(supervisor, await draft(supervisor, inbound, ("PLAIN", 2000, "2.50")))
    decision = f"/api/purchase-orders/{order['id']}/decision"
    order = expect(await supervisor.post(decision, {"approve": False, "comment": "too many"}), 200)
    assert order["status"] == "rejected"
    assert order["history"][-1]["details"]["comment"] == "too many"
    expect(await worker.post("/api/receipts", receipt(worker, order, 1)), 409, "po_not_receivable")

    order = await submit(supervisor, order)
    assert order["status"] == "pending_approval" and order["approval_role"] == "supervisor"
    order = expect(await supervisor.post(decision, {"approve": True}), 200)
    assert order["status"] == "approved"
    assert decisions(order) == [
        ("created", "supervisor"), ("submitted", "supervisor"), ("rejected", "supervisor"),
        ("submitted", "supervisor"), ("approved", "supervisor")]
    assert [t["type"] for t in await mine(worker)] == ["receive"]


async def test_admin_sets_the_approval_limits(inbound: Inbound, supervisor: Api, admin: Api,
                                              worker: Api):
    limits = "/api/settings/po-approval"
    assert expect(await supervisor.get(limits), 200) == {"supervisor_over": "1000",
                                                         "admin_over": "10000"}
    expect(await worker.get(limits), 403, "forbidden")
    expect(await put(supervisor, limits, {"supervisor_over": "1", "admin_over": "2"}),
           403, "forbidden")
    expect(await put(admin, limits, {"supervisor_over": "50", "admin_over": "10"}),
           400, "validation_error")
    assert expect(await supervisor.get(limits), 200)["supervisor_over"] == "1000"

    expect(await put(admin, limits, {"supervisor_over": "10", "admin_over": "20"}), 200)
    assert expect(await supervisor.get(limits), 200) == {"supervisor_over": "10",
                                                         "admin_over": "20"}
    cheap = await submit(supervisor, await draft(supervisor, inbound, ("PLAIN", 4, "2.50")))
    middle = await submit(supervisor, await draft(supervisor, inbound, ("PLAIN", 6, "2.50")))
    dear = await submit(supervisor, await draft(supervisor, inbound, ("PLAIN", 10, "2.50")))
    assert [(o["status"], o["approval_role"]) for o in (cheap, middle, dear)] == [
        ("approved", None), ("pending_approval", "supervisor"), ("pending_approval", "admin")]
    # A second change replaces the first.
    expect(await put(admin, limits, {"supervisor_over": "1000", "admin_over": "1000"}), 200)
    assert expect(await supervisor.get(limits), 200) == {"supervisor_over": "1000",
                                                         "admin_over": "1000"}


async def test_order_that_is_not_approved_cannot_be_received(
        inbound: Inbound, sessions: Sessions, supervisor: Api, worker: Api):
    before = await stock_of(worker, "PLAIN")
    order = await draft(supervisor, inbound, ("PLAIN", 2000, "2.50"))
    refused = expect(await worker.post("/api/receipts", receipt(worker, order, 5)),
                     409, "po_not_receivable")
    assert refused["details"]["status"] == "draft"
    order = await submit(supervisor, order)
    refused = expect(await worker.post("/api/receipts", receipt(worker, order, 5)),
                     409, "po_not_receivable")
    assert refused["details"]["status"] == "pending_approval"

    assert await stock_of(worker, "PLAIN") == before
    assert await on_hand(worker, inbound.dock, "PLAIN") == {}
    order = await get_order(worker, order)
    assert order["lines"][0]["received_quantity"] == 0 and order["status"] == "pending_approval"
    assert [e["action"] for e in order["history"]] == ["created", "submitted"]
    await assert_ledger_balanced(sessions)


async def test_cancelling_orders(inbound: Inbound, sessions: Sessions, supervisor: Api,
                                 worker: Api):
    order = await draft(supervisor, inbound, ("PLAIN", 10, "2.50"))
    cancel = f"/api/purchase-orders/{order['id']}/cancel"
    expect(await worker.post(cancel, {"reason": "mine"}), 403, "forbidden")
    expect(await supervisor.post(cancel, {"reason": ""}), 400, "validation_error")
    cancelled = expect(await supervisor.post(cancel, {"reason": "ordered twice"}), 200)
    assert cancelled["status"] == "cancelled"
    assert decisions(cancelled)[-1] == ("cancelled", "supervisor")
    assert cancelled["history"][-1]["details"] == {"reason": "ordered twice"}
    expect(await supervisor.post(f"/api/purchase-orders/{order['id']}/submit"), 409, "conflict")
    expect(await worker.post("/api/receipts", receipt(worker, order, 1)), 409, "po_not_receivable")

    started = await approved(supervisor, inbound, ("PLAIN", 10, "2.50"))
    await receive(worker, started, 3)
    refused = expect(await supervisor.post(f"/api/purchase-orders/{started['id']}/cancel",
                                           {"reason": "too late"}), 409, "conflict")
    assert refused["details"]["status"] == "partially_received"
    assert (await get_order(supervisor, started))["status"] == "partially_received"
    await assert_ledger_balanced(sessions)


async def test_cancelling_an_approved_order_withdraws_its_receive_task(
        inbound: Inbound, supervisor: Api, worker: Api):
    order = await approved(supervisor, inbound, ("PLAIN", 10, "2.50"))
    [receive_task] = await mine(worker)
    assert receive_task["document_id"] == order["id"]
    expect(await supervisor.post(f"/api/purchase-orders/{order['id']}/cancel",
                                 {"reason": "supplier went bust"}), 200)
    # The order cannot be received any more, so its receive task must leave the queue.
    assert await mine(worker) == []
    assert (await get_task(worker, receive_task["id"]))["status"] == "cancelled"


# --- receiving --------------------------------------------------------------------------------


async def test_partial_receipt_lands_on_the_dock_with_a_putaway_task(
        inbound: Inbound, sessions: Sessions, supervisor: Api, worker: Api):
    order = await approved(supervisor, inbound, ("PLAIN", 10, "2.50"))
    supplier_place = inbound.world.loc("W1/@supplier")
    body = receipt(worker, order, 4)
    outcome = expect(await worker.post("/api/receipts", body), 201)
    assert outcome["status"] == "applied" and outcome["type"] == "receive_goods"
    result = outcome["result"]
    assert result["received"] == 4 and result["damaged"] == 0
    assert result["line_remaining"] == 6 and result["order_status"] == "partially_received"
    assert result["suggested_location"] == "A-01"  # where PLAIN already is
    assert len(result["move_ids"]) == 1

    assert await on_hand(worker, inbound.dock, "PLAIN") == {None: 4}
    assert await on_hand(worker, inbound.world.loc("A-01"), "PLAIN") == {None: 10}
    assert await quant(sessions, inbound.item("PLAIN"), supplier_place) == -4
    await assert_ledger_balanced(sessions)

    view = await get_order(worker, order)
    assert view["status"] == "partially_received"
    [line] = view["lines"]
    assert (line["received_quantity"], line["damaged_quantity"], line["remaining"]) == (4, 0, 6)
    assert decisions(view)[-1] == ("received", "worker")
    assert view["history"][-1]["details"]["quantity"] == 4

    task = await get_task(worker, result["putaway_task_id"])
    assert (task["type"], task["status"], task["document_id"]) == ("putaway", "open", order["id"])
    [task_line] = task["lines"]
    assert (task_line["sku"], task_line["quantity"], task_line["from_location"],
            task_line["to_location"]) == ("PLAIN", 4, "DOCK-1", "A-01")
    # The receive task counts what arrived.
    [receive_task] = [t for t in await mine(worker) if t["type"] == "receive"]
    assert receive_task["status"] == "in_progress"
    assert receive_task["lines"][0]["done_quantity"] == 4

    # The device sends the same receipt again: the first outcome, nothing posted twice.
    replay = expect(await worker.post("/api/receipts", body), 200)
    assert replay["status"] == "duplicate"
    assert replay["first_outcome"]["result"] == result
    assert await on_hand(worker, inbound.dock, "PLAIN") == {None: 4}
    assert await quant(sessions, inbound.item("PLAIN"), supplier_place) == -4
    assert (await get_order(worker, order))["lines"][0]["received_quantity"] == 4
    puts = expect(await supervisor.get("/api/tasks", params={"type": "putaway"}), 200)
    assert puts["total"] == 1
    await assert_ledger_balanced(sessions)


async def test_a_scanned_case_is_received_as_twelve_units(
        inbound: Inbound, sessions: Sessions, supervisor: Api, worker: Api):
    order = await approved(supervisor, inbound, ("PLAIN", 24, "2.50"))
    result = await receive(worker, order, 12, barcode="14006381333938")
    assert result["received"] == 12 and result["line_remaining"] == 12
    assert await on_hand(worker, inbound.dock, "PLAIN") == {None: 12}
    assert (await get_task(worker, result["putaway_task_id"]))["lines"][0]["quantity"] == 12
    await assert_ledger_balanced(sessions)


async def test_over_receipt_is_held_to_the_suppliers_tolerance(
        inbound: Inbound, sessions: Sessions, supervisor: Api, worker: Api):
    # Two lines, so that the order is still open for receiving when line 1 is full.
    order = await approved(supervisor, inbound, ("PLAIN", 10, "2.50"), ("LOTTED", 5, "0.80"),
                           supplier=inbound.tolerant)
    first = await receive(worker, order, 11)  # 10 ordered, 10 % more allowed
    assert first["line_remaining"] == 0 and first["order_status"] == "partially_received"

    refused = expect(await worker.post("/api/receipts", receipt(worker, order, 1)),
                     409, "over_receipt")
    assert refused["details"]["allowed"] == 11
    assert refused["details"]["ordered"] == 10
    assert refused["details"]["already_received"] == 11
    assert refused["details"]["arriving"] == 1
    # Damaged units do not fill the line: they are recorded and go to quarantine, to be
    # returned, even on a full line.
    expect(await worker.post("/api/receipts", receipt(worker, order, 0, damaged_quantity=1)),
           201)
    assert await on_hand(worker, inbound.dock, "PLAIN") == {None: 11}
    assert await on_hand(worker, inbound.quarantine, "PLAIN") == {None: 1}
    line = (await get_order(worker, order))["lines"][0]
    assert (line["received_quantity"], line["damaged_quantity"]) == (11, 1)

    # Without tolerance not a single unit more than ordered.
    strict = await approved(supervisor, inbound, ("PLAIN", 10, "2.50"))
    refused = expect(await worker.post("/api/receipts", receipt(worker, strict, 11)),
                     409, "over_receipt")
    assert refused["details"]["allowed"] == 10
    await assert_ledger_balanced(sessions)


async def test_over_receipt_tolerance_is_computed_exactly(
        inbound: Inbound, sessions: Sessions, supervisor: Api, worker: Api):
    """15 % on 100 ordered is 115 allowed; a float product (114.999…) must not round it away."""
    fifteen = expect(await supervisor.post("/api/suppliers", {
        "code": "FIFTEEN", "name": "Fifteen", "over_receipt_tolerance_pct": "15"}), 201)
    order = await approved(supervisor, inbound, ("PLAIN", 100, "2.50"), ("LOTTED", 1, "1"),
                           supplier=fifteen["id"])
    response = await worker.post("/api/receipts", receipt(worker, order, 115))
    assert response.status_code == 201, response.text
    refused = expect(await worker.post("/api/receipts", receipt(worker, order, 1)),
                     409, "over_receipt")
    assert refused["details"]["allowed"] == 115
    await assert_ledger_balanced(sessions)


async def test_damaged_units_go_to_quarantine_not_to_putaway(
        inbound: Inbound, sessions: Sessions, supervisor: Api, worker: Api):
    order = await approved(supervisor, inbound, ("PLAIN", 10, "2.50"))
    result = await receive(worker, order, 8, damaged_quantity=2)
    assert (result["received"], result["damaged"]) == (8, 2)
    assert await on_hand(worker, inbound.quarantine, "PLAIN") == {None: 2}
    assert await on_hand(worker, inbound.dock, "PLAIN") == {None: 8}
    assert len(result["move_ids"]) == 2
    task = await get_task(worker, result["putaway_task_id"])
    assert [(line["quantity"], line["from_location"]) for line in task["lines"]] == [
        (8, "DOCK-1")]
    view = await get_order(worker, order)
    assert (view["lines"][0]["received_quantity"], view["lines"][0]["damaged_quantity"]) == (8, 2)

    # Only damaged units: quarantine, and nothing to put away.
    order = await approved(supervisor, inbound, ("PLAIN", 5, "2.50"))
    result = await receive(worker, order, 0, damaged_quantity=3)
    assert "putaway_task_id" not in result
    assert await on_hand(worker, inbound.quarantine, "PLAIN") == {None: 5}
    assert await on_hand(worker, inbound.dock, "PLAIN") == {None: 8}
    puts = expect(await supervisor.get("/api/tasks", params={"type": "putaway"}), 200)
    assert [line["quantity"] for t in puts["items"] for line in t["lines"]] == [8]
    expect(await worker.post("/api/receipts", receipt(worker, order, 0)),
           422, "invalid_request")
    await assert_ledger_balanced(sessions)


async def test_lot_tracked_goods_need_their_lot(
        inbound: Inbound, sessions: Sessions, supervisor: Api, worker: Api):
    order = await approved(supervisor, inbound, ("LOTTED", 50, "0.80"), ("PLAIN", 5, "2.50"))
    missing = expect(await worker.post("/api/receipts", receipt(worker, order, 10)),
                     422, "tracking_mismatch")
    assert missing["details"]["sku"] == "LOTTED"
    expect(await worker.post("/api/receipts", receipt(worker, order, 5, line=2, lot_number="X")),
           422, "tracking_mismatch")
    assert await on_hand(worker, inbound.dock, "LOTTED") == {}

    expiry = dt.date.today() + dt.timedelta(days=45)
    result = await receive(worker, order, 10, lot_number="L7", expiry_date=expiry.isoformat())
    assert result["suggested_location"] == "A-02"  # where LOTTED already is
    async with sessions() as session:
        lot = (await session.execute(select(Lot).where(
            Lot.item_id == inbound.item("LOTTED"), Lot.lot_number == "L7"))).scalar_one()
    assert lot.expiry_date == expiry
    assert await on_hand(worker, inbound.dock, "LOTTED") == {"L7": 10}
    rows = expect(await worker.get("/api/stock", params={"location_id": inbound.dock,
                                                         "lot_number": "L7"}), 200)["items"]
    assert [(r["sku"], r["on_hand"], r["expiry_date"]) for r in rows] == [
        ("LOTTED", 10, expiry.isoformat())]
    task = await get_task(worker, result["putaway_task_id"])
    assert (task["lines"][0]["lot_number"], task["lines"][0]["to_location"]) == ("L7", "A-02")
    # The same lot with another expiry contradicts the record.
    expect(await worker.post("/api/receipts", receipt(
        worker, order, 1, lot_number="L7",
        expiry_date=(expiry + dt.timedelta(days=1)).isoformat())), 422, "tracking_mismatch")
    await assert_ledger_balanced(sessions)


async def test_serial_goods_need_one_new_serial_per_unit(
        inbound: Inbound, sessions: Sessions, supervisor: Api, worker: Api):
    order = await approved(supervisor, inbound, ("SERIAL", 5, "120"))
    assert order["status"] == "approved"
    for quantity, damaged, serials in ((2, 0, ["SN-10"]), (1, 1, ["SN-10"]),
                                       (1, 0, ["SN-10", "SN-11"]), (0, 1, [])):
        expect(await worker.post("/api/receipts", receipt(
            worker, order, quantity, damaged_quantity=damaged, serials=serials)),
            422, "tracking_mismatch")
    taken = expect(await worker.post("/api/receipts", receipt(worker, order, 1, serials=["SN-1"])),
                   409, "serial_unavailable")
    assert taken["details"]["serial"] == "SN-1"
    assert await on_hand(worker, inbound.dock, "SERIAL") == {}
    assert await on_hand(worker, inbound.world.loc("A-03"), "SERIAL") == {None: 3}

    result = await receive(worker, order, 2, damaged_quantity=1,
                           serials=["SN-10", "SN-11", "SN-12"])
    assert len(result["move_ids"]) == 3
    assert await on_hand(worker, inbound.dock, "SERIAL") == {None: 2}
    assert await on_hand(worker, inbound.quarantine, "SERIAL") == {None: 1}
    assert result["suggested_location"] == "A-03"

    # Put the two away, naming them.
    task = await get_task(worker, result["putaway_task_id"])
    expect(await worker.post("/api/task-claims", claim(worker, task["id"])), 201)
    line_id = task["lines"][0]["id"]
    expect(await worker.post("/api/putaways", putaway(worker, line_id, inbound.world.loc("A-03"),
                                                      2, serials=["SN-10"])),
           422, "tracking_mismatch")
    done = expect(await worker.post("/api/putaways", putaway(
        worker, line_id, inbound.world.loc("A-03"), 2, serials=["SN-10", "SN-11"])), 201)
    assert done["result"]["task_status"] == "done"
    assert await on_hand(worker, inbound.world.loc("A-03"), "SERIAL") == {None: 5}
    assert await on_hand(worker, inbound.dock, "SERIAL") == {}
    await assert_ledger_balanced(sessions)


async def test_short_lines_are_closed_by_a_supervisor(
        inbound: Inbound, sessions: Sessions, supervisor: Api, worker: Api):
    order = await approved(supervisor, inbound, ("PLAIN", 10, "2.50"), ("LOTTED", 20, "0.80"))
    await receive(worker, order, 10)
    partial = await receive(worker, order, 15, line=2, lot_number="L1")
    assert partial["order_status"] == "partially_received" and partial["line_remaining"] == 5

    line2 = order["lines"][1]["id"]
    close = f"/api/purchase-orders/{order['id']}/lines/{line2}/close-short"
    expect(await worker.post(close, {"reason": "supplier is out"}), 403, "forbidden")
    view = expect(await supervisor.post(close, {"reason": "supplier is out"}), 200)
    assert view["status"] == "received"
    assert [(line["closed_short"], line["remaining"]) for line in view["lines"]] == [
        (False, 0), (True, 0)]
    assert decisions(view)[-1] == ("line_closed_short", "supervisor")
    assert view["history"][-1]["details"] == {
        "line": 2, "received": 15, "ordered": 20, "reason": "supplier is out"}

    # Nothing left to receive, and the dock's receive task is finished.
    expect(await worker.post("/api/receipts", receipt(worker, order, 1, line=2, lot_number="L1")),
           409, "po_not_receivable")
    receive_tasks = expect(await supervisor.get("/api/tasks", params={"type": "receive"}), 200)
    [task] = receive_tasks["items"]
    assert task["status"] == "done"
    assert [line["status"] for line in task["lines"]] == ["done", "short"]
    assert all(t["type"] == "putaway" for t in await mine(worker))

    # A single line closed before anything came: the order is done with.
    empty = await approved(supervisor, inbound, ("PLAIN", 3, "2.50"))
    view = expect(await supervisor.post(
        f"/api/purchase-orders/{empty['id']}/lines/{empty['lines'][0]['id']}/close-short",
        {"reason": "never coming"}), 200)
    assert view["status"] == "received"
    await assert_ledger_balanced(sessions)


# --- putaway ----------------------------------------------------------------------------------


async def test_putaway_is_claimed_by_one_worker_and_finished_in_the_suggested_bin(
        client, inbound: Inbound, sessions: Sessions, supervisor: Api, worker: Api,
        admin: Api):
    order = await approved(supervisor, inbound, ("PLAIN", 10, "2.50"))
    result = await receive(worker, order, 4)
    task_id = result["putaway_task_id"]
    line_id = (await get_task(worker, task_id))["lines"][0]["id"]
    other, _ = await new_worker(client, admin, inbound.world, "worker3")
    outsider = await login(client, "worker2")
    a01 = inbound.world.loc("A-01")

    claimed = expect(await worker.post("/api/task-claims", claim(worker, task_id)), 201)
    assert claimed["result"]["task_id"] == task_id
    lost = expect(await other.post("/api/task-claims", claim(other, task_id)), 409, "conflict")
    assert lost["details"]["task_id"] == task_id
    expect(await outsider.post("/api/task-claims", claim(outsider, task_id)),
           403, "warehouse_out_of_scope")
    task = await get_task(worker, task_id)
    assert (task["status"], task["assignee_id"]) == ("assigned", inbound.world.users["worker"])
    assert task_id not in [t["id"] for t in await mine(other)]
    assert task_id in [t["id"] for t in await mine(worker)]

    expect(await other.post("/api/putaways", putaway(other, line_id, a01, 4)), 409, "conflict")
    expect(await outsider.post("/api/putaways", putaway(outsider, line_id, a01, 4)),
           403, "warehouse_out_of_scope")
    too_many = expect(await worker.post("/api/putaways", putaway(worker, line_id, a01, 5)),
                      422, "invalid_request")
    assert too_many["details"]["remaining"] == 4
    expect(await worker.post("/api/putaways", putaway(worker, line_id, inbound.dock, 4)),
           422, "invalid_move")
    expect(await worker.post("/api/putaways", putaway(worker, line_id, inbound.quarantine, 4)),
           422, "invalid_move")
    expect(await worker.post("/api/putaways", putaway(worker, line_id,
                                                      inbound.world.loc("B-02"), 4)),
           404, "not_found")
    assert await on_hand(worker, inbound.dock, "PLAIN") == {None: 4}

    done = expect(await worker.post("/api/putaways", putaway(worker, line_id, a01, 4)), 201)
    assert done["result"] == {**done["result"], "to_location": "A-01", "deviated": False,
                              "line_status": "done", "task_status": "done"}
    task = await get_task(worker, task_id)
    assert task["status"] == "done"
    assert [(line["status"], line["done_quantity"]) for line in task["lines"]] == [("done", 4)]
    assert await on_hand(worker, inbound.dock, "PLAIN") == {}
    assert await on_hand(worker, a01, "PLAIN") == {None: 14}
    assert task_id not in [t["id"] for t in await mine(worker)]
    expect(await worker.post("/api/putaways", putaway(worker, line_id, a01, 1)), 409, "conflict")
    await assert_ledger_balanced(sessions)


async def test_putaway_into_another_bin_is_allowed_and_recorded(
        inbound: Inbound, sessions: Sessions, supervisor: Api, worker: Api):
    order = await approved(supervisor, inbound, ("PLAIN", 10, "2.50"))
    result = await receive(worker, order, 6)
    assert result["suggested_location"] == "A-01"
    task_id = result["putaway_task_id"]
    line_id = (await get_task(worker, task_id))["lines"][0]["id"]

    # No claim first: working an open task takes it.
    moved = expect(await worker.post("/api/putaways", putaway(
        worker, line_id, inbound.world.loc("A-05"), 2)), 201)
    assert moved["result"]["deviated"] is True
    assert moved["result"]["to_location"] == "A-05"
    assert (moved["result"]["line_status"], moved["result"]["task_status"]) == (
        "open", "in_progress")
    task = await get_task(worker, task_id)
    assert task["assignee_id"] == inbound.world.users["worker"]
    assert task["lines"][0]["done_quantity"] == 2
    history = await task_history(sessions, task_id)
    progress = [details for action, _, details in history if action == "line_progress"]
    assert progress[-1]["deviated"] is True
    assert progress[-1]["to_location_id"] == inbound.world.loc("A-05")
    assert progress[-1]["suggested_location_id"] == inbound.world.loc("A-01")

    rest = expect(await worker.post("/api/putaways", putaway(
        worker, line_id, inbound.world.loc("A-01"), 4)), 201)
    assert rest["result"]["deviated"] is False and rest["result"]["task_status"] == "done"
    assert await stock_of(worker, "PLAIN") == {"A-01": 14, "A-05": 2}  # B-01 is W2: out of sight
    await assert_ledger_balanced(sessions)


async def test_putaway_into_a_dock_is_refused_even_without_a_purpose(
        inbound: Inbound, sessions: Sessions, supervisor: Api, worker: Api):
    """Putaway stores goods in bins; a dock (here one with no purpose set) is not storage."""
    dock2 = expect(await supervisor.post("/api/locations", {
        "warehouse_id": inbound.w1, "code": "DOCK-2", "kind": "dock"}), 201)
    order = await approved(supervisor, inbound, ("PLAIN", 10, "2.50"))
    result = await receive(worker, order, 4)
    line_id = (await get_task(worker, result["putaway_task_id"]))["lines"][0]["id"]
    expect(await worker.post("/api/putaways", putaway(worker, line_id, dock2["id"], 4)),
           422, "invalid_move")
    assert await on_hand(worker, dock2["id"], "PLAIN") == {}
    await assert_ledger_balanced(sessions)


async def test_new_item_is_suggested_the_first_empty_bin_in_walking_order(
        inbound: Inbound, sessions: Sessions, supervisor: Api, worker: Api):
    item = expect(await supervisor.post("/api/items", {"sku": "NEWBIE", "name": "New thing",
                                                       "unit_cost": "3"}), 201)
    inbound.world.items["NEWBIE"] = item["id"]
    order = await approved(supervisor, inbound, ("NEWBIE", 6, "3"), ("NEWBIE", 4, "3"))
    # A-01..A-03 hold stock, QUAR is for quarantine: A-04 is the first empty storage bin.
    first = await receive(worker, order, 6)
    assert first["suggested_location"] == "A-04"
    task = await get_task(worker, first["putaway_task_id"])
    assert task["lines"][0]["to_location"] == "A-04"
    expect(await worker.post("/api/putaways", putaway(
        worker, task["lines"][0]["id"], inbound.world.loc("A-04"), 6)), 201)
    # From now on the item has a home.
    second = await receive(worker, order, 4, line=2)
    assert second["suggested_location"] == "A-04"
    await assert_ledger_balanced(sessions)


async def test_item_is_suggested_the_bin_it_already_occupies(
        inbound: Inbound, sessions: Sessions, supervisor: Api, worker: Api):
    # Move all PLAIN from A-01 to the last bin: A-01 is empty and earlier in walking order,
    # yet the existing bin wins, however full it is.
    moved = await supervisor.post("/api/bin-moves", {
        **supervisor.envelope(), "item_id": inbound.item("PLAIN"),
        "from_location_id": inbound.world.loc("A-01"),
        "to_location_id": inbound.world.loc("A-05"), "quantity": 10})
    expect(moved, 201)
    order = await approved(supervisor, inbound, ("PLAIN", 300, "2.50"))
    result = await receive(worker, order, 300)
    assert result["suggested_location"] == "A-05"
    line_id = (await get_task(worker, result["putaway_task_id"]))["lines"][0]["id"]
    expect(await worker.post("/api/putaways", putaway(
        worker, line_id, inbound.world.loc("A-05"), 300)), 201)
    again = await approved(supervisor, inbound, ("PLAIN", 10, "2.50"))
    assert (await receive(worker, again, 1))["suggested_location"] == "A-05"
    await assert_ledger_balanced(sessions)


# --- tasks ------------------------------------------------------------------------------------


def transfer(inbound: Inbound, priority: int, **extra: object) -> dict:
    return {"warehouse_id": inbound.w1, "type": "transfer", "priority": priority,
            "lines": [{"item_id": inbound.item("PLAIN"), "quantity": 1,
                       "from_location_id": inbound.world.loc("A-01"),
                       "to_location_id": inbound.world.loc("A-04")}], **extra}


async def test_worker_queue_puts_own_tasks_first_then_priority(
        client, inbound: Inbound, supervisor: Api, worker: Api, admin: Api):
    _, other_id = await new_worker(client, admin, inbound.world, "worker3")
    low = expect(await supervisor.post("/api/tasks", transfer(inbound, 1)), 201)
    high = expect(await supervisor.post("/api/tasks", transfer(inbound, 5)), 201)
    own = expect(await supervisor.post("/api/tasks", transfer(
        inbound, 1, assignee_id=inbound.world.users["worker"])), 201)
    theirs = expect(await supervisor.post("/api/tasks", transfer(
        inbound, 9, assignee_id=other_id)), 201)
    assert (low["status"], own["status"], theirs["status"]) == ("open", "assigned", "assigned")

    queue = [t["id"] for t in await mine(worker)]
    assert theirs["id"] not in queue
    assert queue == [own["id"], high["id"], low["id"]]


async def test_supervisor_assigns_reassigns_and_cancels_tasks(
        client, inbound: Inbound, sessions: Sessions, supervisor: Api, worker: Api,
        admin: Api):
    other, other_id = await new_worker(client, admin, inbound.world, "worker3")
    outsider = await login(client, "worker2")
    users = inbound.world.users
    task = expect(await supervisor.post("/api/tasks", transfer(inbound, 5, note="tidy")), 201)
    path = f"/api/tasks/{task['id']}"
    assert task["status"] == "open" and task["assignee_id"] is None

    expect(await worker.post("/api/tasks", transfer(inbound, 1)), 403, "forbidden")
    expect(await worker.post(f"{path}/assign", {"user_id": users["worker"]}), 403, "forbidden")
    expect(await worker.post(f"{path}/cancel", {"reason": "no"}), 403, "forbidden")
    expect(await outsider.get(path), 403, "warehouse_out_of_scope")
    assert task["id"] not in [t["id"] for t in await mine(outsider)]
    expect(await supervisor.post(f"{path}/assign", {"user_id": users["worker2"]}),
           422, "invalid_request")
    expect(await supervisor.post(f"{path}/assign", {"user_id": 999_999}), 404, "not_found")

    assigned = expect(await supervisor.post(f"{path}/assign", {"user_id": users["worker"]}), 200)
    assert (assigned["status"], assigned["assignee_id"]) == ("assigned", users["worker"])
    assert task["id"] in [t["id"] for t in await mine(worker)]
    assert task["id"] not in [t["id"] for t in await mine(other)]
    expect(await other.post("/api/task-claims", claim(other, task["id"])), 409, "conflict")

    reassigned = expect(await supervisor.post(f"{path}/assign", {"user_id": other_id}), 200)
    assert reassigned["assignee_id"] == other_id
    assert task["id"] not in [t["id"] for t in await mine(worker)]
    assert task["id"] in [t["id"] for t in await mine(other)]
    history = await task_history(sessions, task["id"])
    assert [(action, user) for action, user, _ in history] == [
        ("created", users["supervisor"]), ("assigned", users["supervisor"]),
        ("reassigned", users["supervisor"])]
    assert history[-1][2] == {"assignee_id": other_id, "previous_assignee_id": users["worker"]}

    cancelled = expect(await supervisor.post(f"{path}/cancel", {"reason": "not needed"}), 200)
    assert cancelled["status"] == "cancelled"
    assert [line["status"] for line in cancelled["lines"]] == ["cancelled"]
    assert (await get_task(other, task["id"]))["status"] == "cancelled"
    assert task["id"] not in [t["id"] for t in await mine(other)]
    expect(await supervisor.post(f"{path}/cancel", {"reason": "again"}), 409, "conflict")
    expect(await supervisor.post(f"{path}/assign", {"user_id": users["worker"]}),
           409, "conflict")
    assert (await task_history(sessions, task["id"]))[-1][0] == "cancelled"


# --- offline ----------------------------------------------------------------------------------


async def next_ids(sessions: Sessions) -> tuple[int, int]:
    """The ids the next task and task line will get (both dialects hand out max + 1 here)."""
    async with sessions() as session:
        task = (await session.execute(select(func.coalesce(func.max(Task.id), 0)))).scalar_one()
        line = (await session.execute(
            select(func.coalesce(func.max(TaskLine.id), 0)))).scalar_one()
    return task + 1, line + 1


async def test_offline_batch_applied_twice_gives_the_stock_of_once(
        inbound: Inbound, sessions: Sessions, supervisor: Api, worker: Api):
    order = await approved(supervisor, inbound, ("PLAIN", 10, "2.50"))
    task_id, line_id = await next_ids(sessions)
    events = [
        {"type": "receive_goods", **receipt(worker, order, 6)},
        {"type": "claim_task", **claim(worker, task_id)},
        {"type": "put_away", **putaway(worker, line_id, inbound.world.loc("A-01"), 6)},
    ]

    first = expect(await worker.post("/api/sync", {"events": events}), 200)["outcomes"]
    assert [o["status"] for o in first] == ["applied"] * 3, first
    assert [o["event_id"] for o in first] == [e["event_id"] for e in events]
    assert first[0]["result"]["putaway_task_id"] == task_id
    assert first[2]["result"]["task_status"] == "done"
    once = await stock_of(worker, "PLAIN")
    assert once == {"A-01": 16}  # B-01 is in W2, outside the worker's view
    moves = expect(await supervisor.get("/api/moves", params={"limit": 1}), 200)["total"]

    second = expect(await worker.post("/api/sync", {"events": events}), 200)["outcomes"]
    assert [o["status"] for o in second] == ["duplicate"] * 3, second
    assert [o["first_outcome"]["status"] for o in second] == ["applied"] * 3
    assert await stock_of(worker, "PLAIN") == once
    assert expect(await supervisor.get("/api/moves", params={"limit": 1}), 200)["total"] == moves
    view = await get_order(worker, order)
    assert (view["status"], view["lines"][0]["received_quantity"]) == ("partially_received", 6)
    assert (await get_task(worker, task_id))["status"] == "done"
    await assert_ledger_balanced(sessions)


async def test_receipt_sent_to_the_endpoint_then_in_a_batch_is_one_command(
        inbound: Inbound, sessions: Sessions, supervisor: Api, worker: Api):
    """A receipt first sent to /api/receipts and later inside a batch is the same command."""
    order = await approved(supervisor, inbound, ("PLAIN", 10, "2.50"))
    body = receipt(worker, order, 2)
    expect(await worker.post("/api/receipts", body), 201)
    [outcome] = expect(await worker.post("/api/sync", {"events": [
        {"type": "receive_goods", **body}]}), 200)["outcomes"]
    assert outcome["status"] == "duplicate"
    fresh = {**body, "event_id": str(uuid.uuid4())}
    [again] = expect(await worker.post("/api/sync", {"events": [
        {"type": "receive_goods", **fresh}]}), 200)["outcomes"]
    assert again["status"] == "applied" and again["result"]["line_remaining"] == 6
    assert await on_hand(worker, inbound.dock, "PLAIN") == {None: 4}
    await assert_ledger_balanced(sessions)
