"""Warehouse transfers: ship into the route's transit, receive out of it, close the rest off.

Every step checks conservation: W1's real stock + transit + W2's real stock + what was written
off to W2's adjustment location always equals what there was at the start.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from backend.db.models import Location, Quant, Serial
from tests.conftest import Api, login
from tests.ledger_checks import assert_balanced
from tests.world import World

pytestmark = pytest.mark.anyio

TRANSIT = "TRANSIT:W1>W2"


@pytest.fixture
async def w2_docks(client, world: World) -> None:
    """W2's receiving dock and quarantine, where transfers arrive by default."""
    supervisor2 = await login(client, "supervisor2")
    for code, purpose in (("R-DOCK", "receiving"), ("QUAR", "quarantine")):
        response = await supervisor2.post("/api/locations", {
            "warehouse_id": world.warehouses["W2"], "code": code, "kind": "dock",
            "purpose": purpose})
        assert response.status_code == 201, response.text
        world.locations[code] = response.json()["id"]


async def quantities(sessions, world: World, sku: str) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """On hand of an item by location code, the warehouse's virtual ones prefixed W1/ or W2/."""
    async with sessions() as session:
        rows = await session.execute(
            select(Location.code, Location.kind, Location.warehouse_id, func.sum(Quant.on_hand))
            .join(Location, Location.id == Quant.location_id)
            .where(Quant.item_id == world.items[sku])
            .group_by(Location.code, Location.kind, Location.warehouse_id))
        names = {v: k for k, v in world.warehouses.items()}
        found = {}
        for code, kind, warehouse_id, total in rows.all():
            # @ADJUSTMENT and friends exist in both warehouses; bins and transit are unique.
            shared = kind not in ("bin", "dock", "transit")
            found[f"{names[warehouse_id]}/{code}" if shared else code] = int(total)
        return {k: v for k, v in found.items() if v}


async def assert_conserved(sessions, world: World, sku: str, start: int,  # type: ignore[no-untyped-def]
                           w2_adjustment_start: int = 0) -> dict[str, int]:
    now = await quantities(sessions, world, sku)
    real = sum(q for code, q in now.items() if "/" not in code and code != TRANSIT)
    written_off = now.get("W2/@ADJUSTMENT", 0) - w2_adjustment_start
    assert real + now.get(TRANSIT, 0) + written_off == start, now
    await assert_balanced(sessions)
    return now


async def create(supervisor: Api, world: World, lines: list[dict], **extra: object) -> dict:
    response = await supervisor.post("/api/transfers", {
        "from_warehouse_id": world.warehouses["W1"], "to_warehouse_id": world.warehouses["W2"],
        "lines": lines, **extra})
    assert response.status_code == 201, response.text
    return response.json()


def ship(api: Api, transfer: dict, *lines: dict) -> dict:
    return {**api.envelope(), "transfer_id": transfer["id"], "lines": list(lines)}


def receive(api: Api, transfer: dict, *lines: dict) -> dict:
    return {**api.envelope(), "transfer_id": transfer["id"], "lines": list(lines)}


async def test_ship_receive_part_and_close_off_the_rest(
        world, sessions, supervisor: Api, worker: Api, client, w2_docks) -> None:
    worker2, supervisor2 = await login(client, "worker2"), await login(client, "supervisor2")
    start = {"A-01": 10, "B-01": 5, "W1/@ADJUSTMENT": -10, "W2/@ADJUSTMENT": -5}
    assert await assert_conserved(sessions, world, "PLAIN", 15, -5) == start
    transfer = await create(supervisor, world, [
        {"item_id": world.items["PLAIN"], "quantity": 8, "from_location_id": world.loc("A-01")}],
        note="restock W2")
    assert (transfer["number"], transfer["status"], transfer["transit_location"]) == (
        "TR000001", "open", TRANSIT)
    (line,) = transfer["lines"]

    shipped = await worker.post("/api/transfers/ship", ship(worker, transfer, {
        "line_id": line["id"], "quantity": 6, "from_location_id": world.loc("A-01")}))
    assert shipped.status_code == 201, shipped.text
    assert shipped.json()["result"]["status"] == "in_transit"
    now = await assert_conserved(sessions, world, "PLAIN", 15, -5)
    assert (now["A-01"], now[TRANSIT], now["B-01"]) == (4, 6, 5)
    over = await worker.post("/api/transfers/ship", ship(worker, transfer, {
        "line_id": line["id"], "quantity": 3, "from_location_id": world.loc("A-01")}))
    assert (over.status_code, over.json()["code"]) == (409, "over_shipment")

    got = await worker2.post("/api/transfers/receive", receive(worker2, transfer, {
        "line_id": line["id"], "quantity": 4}))
    assert got.status_code == 201, got.text
    now = await assert_conserved(sessions, world, "PLAIN", 15, -5)
    assert (now[TRANSIT], now["R-DOCK"]) == (2, 4)
    too_many = await worker2.post("/api/transfers/receive", receive(worker2, transfer, {
        "line_id": line["id"], "quantity": 3}))
    assert (too_many.status_code, too_many.json()["code"]) == (409, "over_receipt")
    view = (await worker2.get(f"/api/transfers/{transfer['id']}")).json()
    assert view["status"] == "partially_received"
    (row,) = view["lines"]
    assert {k: row[k] for k in ("shipped_quantity", "received_quantity", "in_transit",
                                "discrepancy", "written_off_quantity")} == {
        "shipped_quantity": 6, "received_quantity": 4, "in_transit": 2, "discrepancy": 2,
        "written_off_quantity": 0}

    closed = await supervisor2.post(f"/api/transfers/{transfer['id']}/close",
                                    {"reason": "lost on the truck"})
    assert closed.status_code == 201, closed.text
    assert (closed.json()["result"]["status"], closed.json()["result"]["written_off"]) == (
        "closed", 2)
    now = await assert_conserved(sessions, world, "PLAIN", 15, -5)
    assert TRANSIT not in now and now["W2/@ADJUSTMENT"] == -3 and now["R-DOCK"] == 4
    view = (await supervisor2.get(f"/api/transfers/{transfer['id']}")).json()
    assert (view["status"], view["lines"][0]["written_off_quantity"],
            view["lines"][0]["discrepancy"]) == ("closed", 2, 0)
    assert [h["action"] for h in view["history"]] == ["created", "shipped", "received", "closed"]
    assert view["history"][-1]["details"]["reason"] == "lost on the truck"
    moves = (await supervisor2.get("/api/moves", params={"document_ref": "TR000001"})).json()
    losses = [m for m in moves["items"] if m["to_location"] == "@ADJUSTMENT"]
    assert [(m["quantity"], m["reason"], m["note"]) for m in losses] == [
        (2, "transit_loss", "lost on the truck")]
    # Written off from where the units were last seen: nothing passes through the dock.
    assert [(m["from_location"], m["to_location"]) for m in moves["items"]
            if m["reason"] == "transit_loss"] == [(TRANSIT, "@ADJUSTMENT")]
    late = await worker.post("/api/transfers/ship", ship(worker, transfer, {
        "line_id": line["id"], "quantity": 1, "from_location_id": world.loc("A-01")}))
    assert late.status_code == 409
    listed = (await worker2.get("/api/transfers", params={"status": "closed"})).json()
    assert [t["number"] for t in listed["items"]] == ["TR000001"]
    assert (await worker2.get("/api/transfers", params={"status": "open"})).json()["total"] == 0
    report = await supervisor.get("/api/ledger/verify")
    assert report.json()["ok"], report.text


async def test_lots_damaged_units_and_full_receipt(world, sessions, supervisor: Api,
                                                   worker: Api, client, w2_docks) -> None:
    worker2 = await login(client, "worker2")
    transfer = await create(supervisor, world, [
        {"item_id": world.items["LOTTED"], "quantity": 10}])
    line_id = transfer["lines"][0]["id"]
    unscanned = await worker.post("/api/transfers/ship", ship(worker, transfer, {
        "line_id": line_id, "quantity": 10, "from_location_id": world.loc("A-02")}))
    assert (unscanned.status_code, unscanned.json()["code"]) == (422, "tracking_mismatch")
    shipped = await worker.post("/api/transfers/ship", ship(worker, transfer, {
        "line_id": line_id, "quantity": 10, "from_location_id": world.loc("A-02"),
        "lot_number": "L1"}))
    assert shipped.status_code == 201, shipped.text
    received = await worker2.post("/api/transfers/receive", receive(worker2, transfer, {
        "line_id": line_id, "quantity": 8, "damaged_quantity": 2,
        "to_location_id": world.loc("B-02")}))
    assert received.status_code == 201, received.text
    now = await assert_conserved(sessions, world, "LOTTED", 20)
    assert (now["A-02"], now["B-02"], now["QUAR"]) == (10, 8, 2)
    assert TRANSIT not in now
    view = (await worker2.get(f"/api/transfers/{transfer['id']}")).json()
    assert view["status"] == "received" and view["completed_at"]
    assert (view["lines"][0]["lot_number"], view["lines"][0]["damaged_quantity"],
            view["lines"][0]["received_quantity"]) == ("L1", 2, 10)
    stock = (await worker2.get("/api/stock", params={"sku": "LOTTED",
                                                     "warehouse_id": world.warehouses["W2"]}))
    assert {(r["location_code"], r["lot_number"]) for r in stock.json()["items"]} == {
        ("B-02", "L1"), ("QUAR", "L1")}


async def test_serials_travel_and_the_lost_one_is_written_off(
        world, sessions, supervisor: Api, worker: Api, client, w2_docks) -> None:
    worker2, supervisor2 = await login(client, "worker2"), await login(client, "supervisor2")
    transfer = await create(supervisor, world, [
        {"item_id": world.items["SERIAL"], "quantity": 2}])
    line_id = transfer["lines"][0]["id"]
    shipped = await worker.post("/api/transfers/ship", ship(worker, transfer, {
        "line_id": line_id, "quantity": 2, "from_location_id": world.loc("A-03"),
        "serials": ["SN-1", "SN-2"]}))
    assert shipped.status_code == 201, shipped.text
    wrong = await worker2.post("/api/transfers/receive", receive(worker2, transfer, {
        "line_id": line_id, "quantity": 1, "serials": ["SN-3"]}))
    assert (wrong.status_code, wrong.json()["code"]) == (409, "serial_unavailable")
    right = await worker2.post("/api/transfers/receive", receive(worker2, transfer, {
        "line_id": line_id, "quantity": 1, "serials": ["SN-1"]}))
    assert right.status_code == 201, right.text
    closed = await supervisor2.post(f"/api/transfers/{transfer['id']}/close",
                                    {"reason": "SN-2 never arrived"})
    assert closed.status_code == 201, closed.text
    now = await assert_conserved(sessions, world, "SERIAL", 3)
    assert (now["A-03"], now["R-DOCK"], now["W2/@ADJUSTMENT"]) == (1, 1, 1)
    async with sessions() as session:
        where = dict((await session.execute(
            select(Serial.serial, Location.code).join(Location, Location.id == Serial.location_id)
        )).tuples().all())
    assert where == {"SN-1": "R-DOCK", "SN-2": "@ADJUSTMENT", "SN-3": "A-03"}


async def test_scope_roles_and_expired_lots(world, sessions, supervisor: Api, worker: Api,
                                            client, w2_docks) -> None:
    worker2, supervisor2 = await login(client, "worker2"), await login(client, "supervisor2")
    plain = [{"item_id": world.items["PLAIN"], "quantity": 2}]
    w1, w2 = world.warehouses["W1"], world.warehouses["W2"]
    for api, body, status in (
            (worker, {"from_warehouse_id": w1, "to_warehouse_id": w2, "lines": plain}, 403),
            (supervisor2, {"from_warehouse_id": w1, "to_warehouse_id": w2, "lines": plain}, 403),
            (supervisor, {"from_warehouse_id": w1, "to_warehouse_id": w1, "lines": plain}, 422)):
        assert (await api.post("/api/transfers", body)).status_code == status
    transfer = await create(supervisor, world, plain)
    line_id = transfer["lines"][0]["id"]
    body = ship(worker2, transfer, {"line_id": line_id, "quantity": 2,
                                    "from_location_id": world.loc("A-01")})
    refused = await worker2.post("/api/transfers/ship", body)
    assert (refused.status_code, refused.json()["code"]) == (403, "warehouse_out_of_scope")
    assert (await worker.post("/api/transfers/ship", ship(worker, transfer, {
        "line_id": line_id, "quantity": 2, "from_location_id": world.loc("A-01")}))
            ).status_code == 201
    not_here = await worker.post("/api/transfers/receive", receive(worker, transfer, {
        "line_id": line_id, "quantity": 2}))
    assert (not_here.status_code, not_here.json()["code"]) == (403, "warehouse_out_of_scope")
    not_yours = await supervisor.post(f"/api/transfers/{transfer['id']}/close",
                                      {"reason": "x"})
    assert not_yours.status_code == 403
    assert (await client.get(f"/api/transfers/{transfer['id']}")).status_code == 401
    assert (await supervisor2.get(f"/api/transfers/{transfer['id']}")).status_code == 200
    assert (await assert_conserved(sessions, world, "PLAIN", 15, -5))[TRANSIT] == 2

    # An expired lot may not leave: neither planned nor shipped. Scrapping it still works.
    lot = (await supervisor.get("/api/lots", params={"lot_number": "L1"})).json()["items"][0]
    yesterday = str(dt.date.today() - dt.timedelta(days=1))
    assert (await supervisor.patch(f"/api/lots/{lot['id']}",
                                   {"expiry_date": yesterday})).status_code == 200
    planned = await supervisor.post("/api/transfers", {
        "from_warehouse_id": w1, "to_warehouse_id": w2,
        "lines": [{"item_id": world.items["LOTTED"], "quantity": 1, "lot_number": "L1"}]})
    assert (planned.status_code, planned.json()["code"]) == (409, "lot_expired")
    open_lot = await create(supervisor, world, [{"item_id": world.items["LOTTED"],
                                                 "quantity": 5}])
    expired = await worker.post("/api/transfers/ship", ship(worker, open_lot, {
        "line_id": open_lot["lines"][0]["id"], "quantity": 5,
        "from_location_id": world.loc("A-02"), "lot_number": "L1"}))
    assert (expired.status_code, expired.json()["code"]) == (409, "lot_expired")
    scrapped = await worker.post("/api/adjustments", {
        **worker.envelope(), "item_id": world.items["LOTTED"], "location_id": world.loc("A-02"),
        "quantity": -20, "reason": "expired", "lot_number": "L1"})
    assert scrapped.status_code == 201, scrapped.text
    assert scrapped.json()["result"]["status"] == "posted"
    assert await quantities(sessions, world, "LOTTED") == {"W1/@ADJUSTMENT": -20,
                                                          "W1/@SCRAP": 20}


async def test_replays_and_an_offline_batch_twice_apply_once(
        world, sessions, supervisor: Api, worker: Api, admin: Api, w2_docks) -> None:
    transfer = await create(supervisor, world, [
        {"item_id": world.items["PLAIN"], "quantity": 5}])
    line_id = transfer["lines"][0]["id"]
    body = ship(worker, transfer, {"line_id": line_id, "quantity": 2,
                                   "from_location_id": world.loc("A-01")})
    assert (await worker.post("/api/transfers/ship", body)).status_code == 201
    again = await worker.post("/api/transfers/ship", body)
    assert (again.status_code, again.json()["status"]) == (200, "duplicate")
    assert (await assert_conserved(sessions, world, "PLAIN", 15, -5))[TRANSIT] == 2

    # An admin's device (both warehouses) ships the rest and receives it offline.
    shipped = {"type": "ship_transfer", **ship(admin, transfer, {
        "line_id": line_id, "quantity": 3, "from_location_id": world.loc("A-01")})}
    received = {"type": "receive_transfer", **receive(admin, transfer, {
        "line_id": line_id, "quantity": 5, "to_location_id": world.loc("B-02")}),
        "depends_on": [shipped["event_id"]]}
    batch = {"events": [shipped, received]}
    first = (await admin.post("/api/sync", batch)).json()["outcomes"]
    assert [o["status"] for o in first] == ["applied", "applied"], first
    once = await assert_conserved(sessions, world, "PLAIN", 15, -5)
    assert (once["A-01"], once["B-02"], once.get(TRANSIT, 0)) == (5, 5, 0)
    second = (await admin.post("/api/sync", batch)).json()["outcomes"]
    assert [o["status"] for o in second] == ["duplicate", "duplicate"]
    assert await assert_conserved(sessions, world, "PLAIN", 15, -5) == once
    view = (await admin.get(f"/api/transfers/{transfer['id']}")).json()
    assert (view["status"], view["lines"][0]["shipped_quantity"],
            view["lines"][0]["received_quantity"]) == ("received", 5, 5)
    closed = await admin.post(f"/api/transfers/{transfer['id']}/close", {"reason": "done"})
    assert closed.status_code == 409


async def test_first_shipments_racing_make_one_transit_location(
        world, sessions, supervisor: Api) -> None:
    import asyncio

    from backend.domain.commands import ShipTransfer, ShipTransferLine
    from backend.service.commands import apply_command
    from tests.world import envelope

    transfers = [await create(supervisor, world, [
        {"item_id": world.items["PLAIN"], "quantity": 3}]) for _ in range(2)]
    outcomes = await asyncio.gather(*(
        apply_command(sessions, ShipTransfer(**envelope(), transfer_id=t["id"], lines=[  # type: ignore[arg-type]
            ShipTransferLine(line_id=t["lines"][0]["id"], quantity=3,
                             from_location_id=world.loc("A-01"))]), world.actors["worker"])
        for t in transfers))
    assert [o.status for o in outcomes] == ["applied", "applied"], outcomes
    async with sessions() as session:
        transit = (await session.execute(select(Location.id).where(
            Location.code == TRANSIT))).scalars().all()
    assert len(transit) == 1
    assert (await assert_conserved(sessions, world, "PLAIN", 15, -5))[TRANSIT] == 6
