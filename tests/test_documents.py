"""Documents as supervisors look them up: numbered goods receipts and shipments, packages, and
who did what on a task — each seen only within the user's warehouses."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests import test_inbound, test_packing
from tests.conftest import Api, login
from tests.test_inbound import Inbound, approved, claim, get_task, putaway, receipt, receive
from tests.test_packing import (
    expect,
    ledger_intact,
    order,
    pack,
    pack_line,
    pick_everything,
)

pytestmark = pytest.mark.anyio

inbound = test_inbound.inbound  # fixtures
gs1 = test_packing.gs1


def numbers(page: dict) -> list[str]:
    return [r["number"] for r in page["items"]]


async def receipts(api: Api, **params: object) -> dict:
    page = expect(await api.get("/api/receipts", params=params), 200)
    assert page["total"] >= len(page["items"])
    return page


async def no_leak(response: Any) -> None:
    """A filter naming a warehouse outside the user's scope answers 403 or nothing at all."""
    if response.status_code == 403:
        assert response.json()["code"] == "warehouse_out_of_scope"
    else:
        assert response.status_code == 200, response.text
        assert response.json()["total"] == 0 and response.json()["items"] == []


async def test_goods_receipts_are_numbered_listed_filtered_and_scoped(
    inbound: Inbound, supervisor, worker, admin, client, sessions, world
) -> None:
    po1 = await approved(supervisor, inbound, ("PLAIN", 5, "2.50"), ("LOTTED", 3, "0.80"))
    po2 = await approved(supervisor, inbound, ("PLAIN", 4, "2.50"))
    first_body = receipt(worker, po1, 2)
    assert (
        expect(await worker.post("/api/receipts", first_body), 201)["result"]["receipt"]
        == "GR000001"
    )
    # Over-receipt is refused: no receipt is recorded and no number is used up.
    expect(await worker.post("/api/receipts", receipt(worker, po1, 4)), 409, "over_receipt")
    assert (await receive(worker, po1, 3, damaged_quantity=1))["receipt"] == "GR000002"
    expiry = str(dt.date.today() + dt.timedelta(days=60))
    assert (await receive(worker, po1, 3, line=2, lot_number="R1", expiry_date=expiry))[
        "receipt"
    ] == "GR000003"
    assert (await receive(worker, po2, 3))["receipt"] == "GR000004"
    # A replayed receipt is the first one, not a new one.
    replay = expect(await worker.post("/api/receipts", first_body), 200)
    assert replay["status"] == "duplicate"
    assert replay["first_outcome"]["result"]["receipt"] == "GR000001"
    # Damaged units alone make a receipt too.
    damaged = receipt(worker, po2, 0, damaged_quantity=1)
    assert (
        expect(await worker.post("/api/receipts", damaged), 201)["result"]["receipt"] == "GR000005"
    )

    everything = await receipts(supervisor)
    assert everything["total"] == 5
    assert numbers(everything) == ["GR000005", "GR000004", "GR000003", "GR000002", "GR000001"]
    gr2 = next(r for r in everything["items"] if r["number"] == "GR000002")
    assert {
        k: gr2[k]
        for k in (
            "order_id",
            "order_number",
            "sku",
            "lot_number",
            "quantity",
            "damaged_quantity",
            "dock_location",
            "created_by",
            "warehouse_id",
        )
    } == {
        "order_id": po1["id"],
        "order_number": po1["number"],
        "sku": "PLAIN",
        "lot_number": None,
        "quantity": 3,
        "damaged_quantity": 1,
        "dock_location": "DOCK-1",
        "created_by": world.users["worker"],
        "warehouse_id": world.warehouses["W1"],
    }

    assert numbers(await receipts(supervisor, order_id=po1["id"])) == [
        "GR000003",
        "GR000002",
        "GR000001",
    ]
    lotted = await receipts(supervisor, item_id=world.items["LOTTED"])
    assert numbers(lotted) == ["GR000003"]
    assert (lotted["items"][0]["lot_number"], lotted["items"][0]["quantity"]) == ("R1", 3)
    assert (await receipts(supervisor, order_id=po2["id"], item_id=world.items["LOTTED"]))[
        "total"
    ] == 0
    assert numbers(
        await receipts(supervisor, order_id=po2["id"], item_id=world.items["PLAIN"])
    ) == ["GR000005", "GR000004"]
    paged = await receipts(supervisor, limit=2, offset=1)
    assert numbers(paged) == ["GR000004", "GR000003"] and paged["total"] == 5

    # Workers receive but do not list receipts.
    expect(await worker.get("/api/receipts"), 403, "forbidden")

    # W2 receives its own; each supervisor sees only their warehouse's, the admin sees all.
    supervisor2 = await login(client, "supervisor2")
    assert (await receipts(supervisor2))["total"] == 0
    expect(
        await supervisor2.post(
            "/api/locations",
            {
                "warehouse_id": world.warehouses["W2"],
                "code": "DOCK-2",
                "kind": "dock",
                "purpose": "receiving",
            },
        ),
        201,
    )
    po3 = expect(
        await supervisor2.post(
            "/api/purchase-orders",
            {
                "supplier_id": inbound.supplier,
                "warehouse_id": world.warehouses["W2"],
                "lines": [{"item_id": world.items["PLAIN"], "quantity": 2, "unit_price": "1"}],
            },
        ),
        201,
    )
    po3 = expect(await supervisor2.post(f"/api/purchase-orders/{po3['id']}/submit"), 200)
    assert po3["status"] == "approved"
    worker2 = await login(client, "worker2")
    assert (await receive(worker2, po3, 2))["receipt"] == "GR000006"
    theirs = await receipts(supervisor2)
    assert numbers(theirs) == ["GR000006"] and theirs["items"][0]["dock_location"] == "DOCK-2"
    assert (await receipts(supervisor2, order_id=po1["id"]))["total"] == 0
    assert "GR000006" not in numbers(await receipts(supervisor))
    assert (await receipts(supervisor))["total"] == 5
    await no_leak(
        await supervisor.get("/api/receipts", params={"warehouse_id": world.warehouses["W2"]})
    )
    assert len(numbers(await receipts(admin))) == 6
    assert numbers(await receipts(admin, warehouse_id=world.warehouses["W2"])) == ["GR000006"]
    await ledger_intact(supervisor, sessions)


async def test_shipments_and_packages_are_listed_within_scope(
    supervisor, worker, admin, client, sessions, world, shipping, gs1
) -> None:
    first = await order(supervisor, world, [("PLAIN", 3)])
    second = await order(supervisor, world, [("PLAIN", 2)])
    for so in (first, second):
        await pick_everything(worker, so["id"])
    shipped = expect(
        await worker.post("/api/shipments", {**worker.envelope(), "order_id": first["id"]}), 201
    )
    assert shipped["result"]["shipment"] == "SH000001" and shipped["result"]["packages"] == []
    packed = await pack(worker, second["id"], [pack_line(world, "PLAIN", 2)])
    by_package = expect(
        await worker.post(
            "/api/shipments",
            {**worker.envelope(), "order_id": second["id"], "package_ssccs": [packed["sscc"]]},
        ),
        201,
    )
    assert by_package["result"]["shipment"] == "SH000002"

    page = expect(await supervisor.get("/api/shipments"), 200)
    assert page["total"] == 2
    assert [
        (s["number"], s["order_number"], s["units"], s["packages"], s["created_by"])
        for s in page["items"]
    ] == [
        ("SH000002", second["number"], 2, [packed["sscc"]], world.users["worker"]),
        ("SH000001", first["number"], 3, [], world.users["worker"]),
    ]
    assert numbers(
        expect(await supervisor.get("/api/shipments", params={"order_id": first["id"]}), 200)
    ) == ["SH000001"]
    assert (
        expect(
            await supervisor.get("/api/shipments", params={"warehouse_id": world.warehouses["W1"]}),
            200,
        )["total"]
        == 2
    )
    one = expect(await supervisor.get(f"/api/shipments/{by_package['result']['shipment_id']}"), 200)
    assert (one["number"], one["packages"], one["order_id"]) == (
        "SH000002",
        [packed["sscc"]],
        second["id"],
    )

    supervisor2 = await login(client, "supervisor2")
    assert expect(await supervisor2.get("/api/shipments"), 200)["total"] == 0
    await no_leak(
        await supervisor2.get("/api/shipments", params={"warehouse_id": world.warehouses["W1"]})
    )
    expect(
        await supervisor2.get(f"/api/shipments/{shipped['result']['shipment_id']}"),
        403,
        "warehouse_out_of_scope",
    )
    assert expect(await supervisor2.get("/api/packages"), 200)["total"] == 0
    expect(
        await supervisor2.get(f"/api/packages/{packed['package_id']}"),
        403,
        "warehouse_out_of_scope",
    )
    assert expect(await admin.get("/api/shipments"), 200)["total"] == 2
    # The W2 supervisor cannot ship a W1 order either.
    expect(
        await supervisor2.post(
            "/api/shipments", {**supervisor2.envelope(), "order_id": second["id"]}
        ),
        403,
        "warehouse_out_of_scope",
    )

    for path in (
        "/api/shipments/999999",
        "/api/packages/999999",
        "/api/tasks/999999",
        "/api/tasks/999999/history",
    ):
        expect(await supervisor.get(path), 404, "not_found")
    expect(await worker.get("/api/tasks/999999/history"), 404, "not_found")
    expect(
        await worker.post(
            "/api/packages",
            {**worker.envelope(), "order_id": 999_999, "lines": [pack_line(world, "PLAIN", 1)]},
        ),
        404,
        "not_found",
    )
    expect(
        await worker.post("/api/shipments", {**worker.envelope(), "order_id": 999_999}),
        404,
        "not_found",
    )
    await ledger_intact(supervisor, sessions)


async def test_task_history_tells_who_did_what_and_when(
    inbound: Inbound, supervisor, worker, client, sessions, world
) -> None:
    po = await approved(supervisor, inbound, ("PLAIN", 5, "2.50"), ("LOTTED", 2, "0.80"))
    received = await receive(worker, po, 5)
    task_id = received["putaway_task_id"]
    expect(
        await supervisor.post(f"/api/tasks/{task_id}/assign", {"user_id": world.users["worker"]}),
        200,
    )
    line = (await get_task(worker, task_id))["lines"][0]
    expect(
        await worker.post("/api/putaways", putaway(worker, line["id"], world.loc("A-01"), 2)), 201
    )
    expect(
        await worker.post("/api/putaways", putaway(worker, line["id"], world.loc("A-05"), 3)), 201
    )

    history = expect(await worker.get(f"/api/tasks/{task_id}/history"), 200)
    assert [(h["action"], h["username"], h["user_id"]) for h in history] == [
        ("created", "worker", world.users["worker"]),
        ("assigned", "supervisor", world.users["supervisor"]),
        ("line_progress", "worker", world.users["worker"]),
        ("line_progress", "worker", world.users["worker"]),
        ("done", "worker", world.users["worker"]),
    ]
    assert [h["details"].get("quantity") for h in history[2:4]] == [2, 3]
    assert history[1]["details"]["assignee_id"] == world.users["worker"]
    stamps = [dt.datetime.fromisoformat(h["at"]) for h in history]
    assert stamps == sorted(stamps) and all(s.tzinfo is not None for s in stamps)

    # Claimed and then cancelled by a supervisor, with the reason on record.
    other = await receive(worker, po, 2, line=2, lot_number="R2")
    other_id = other["putaway_task_id"]
    expect(await worker.post("/api/task-claims", claim(worker, other_id)), 201)
    expect(await supervisor.post(f"/api/tasks/{other_id}/cancel", {"reason": "wrong dock"}), 200)
    history = expect(await supervisor.get(f"/api/tasks/{other_id}/history"), 200)
    assert [(h["action"], h["username"]) for h in history] == [
        ("created", "worker"),
        ("claimed", "worker"),
        ("cancelled", "supervisor"),
    ]
    assert history[-1]["details"]["reason"] == "wrong dock"

    supervisor2 = await login(client, "supervisor2")
    expect(await supervisor2.get(f"/api/tasks/{task_id}/history"), 403, "warehouse_out_of_scope")
    await ledger_intact(supervisor, sessions)
