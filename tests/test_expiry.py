"""The near-expiry list: lots with stock expiring within N days or expired, per warehouse."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.conftest import Api, login
from tests.world import World

pytestmark = pytest.mark.anyio


async def found(api: Api, world: World, at: str, quantity: int, lot: str, days: int) -> None:
    expiry = dt.date.today() + dt.timedelta(days=days)
    response = await api.post("/api/adjustments", {
        **api.envelope(), "item_id": world.items["LOTTED"], "location_id": world.loc(at),
        "quantity": quantity, "reason": "found", "lot_number": lot,
        "expiry_date": str(expiry)})
    assert response.status_code == 201, response.text
    assert response.json()["result"]["status"] == "posted"


async def near(api: Api, world: World, warehouse: str = "W1", **params: object):  # type: ignore[no-untyped-def]
    return await api.get("/api/lots/near-expiry", params={
        "warehouse_id": world.warehouses[warehouse], **params})


@pytest.fixture
async def lots(world: World, client, supervisor: Api) -> None:
    """Besides the world's L1 (20 units at A-02, 20 days left): lots soon, gone, later,
    emptied, and one in W2."""
    await found(supervisor, world, "A-04", 4, "SOON", 5)
    await found(supervisor, world, "A-05", 2, "GONE", -3)
    await found(supervisor, world, "A-04", 3, "LATER", 60)
    await found(supervisor, world, "A-05", 1, "EMPTY", 2)
    response = await supervisor.post("/api/adjustments", {
        **supervisor.envelope(), "item_id": world.items["LOTTED"],
        "location_id": world.loc("A-05"), "quantity": -1, "reason": "loss",
        "lot_number": "EMPTY"})
    assert response.status_code == 201, response.text
    await found(await login(client, "supervisor2"), world, "B-01", 6, "W2LOT", 3)
    moved = await supervisor.post("/api/bin-moves", {
        **supervisor.envelope(), "item_id": world.items["LOTTED"], "lot_number": "L1",
        "from_location_id": world.loc("A-02"), "to_location_id": world.loc("DOCK-1"),
        "quantity": 5})
    assert moved.status_code == 201, moved.text


async def test_lists_lots_expiring_within_n_days_and_expired_ones(
        world, supervisor: Api, lots, shipping) -> None:
    customer = (await supervisor.post("/api/customers", {"code": "C1", "name": "Shop"})).json()
    order = (await supervisor.post("/api/sales-orders", {
        "customer_id": customer["id"], "warehouse_id": world.warehouses["W1"],
        "lines": [{"item_id": world.items["LOTTED"], "quantity": 3}]})).json()
    allocated = await supervisor.post(f"/api/sales-orders/{order['id']}/allocate")
    assert allocated.status_code == 200, allocated.text
    response = await near(supervisor, world, days=30)
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["days"], report["as_of"]) == (30, str(dt.date.today()))
    rows = report["lots"]
    assert [(r["lot_number"], r["days_left"], r["expired"], r["on_hand"]) for r in rows] == [
        ("GONE", -3, True, 2), ("SOON", 5, False, 4), ("L1", 20, False, 20)]
    # FEFO reserved the soonest lot that has not expired.
    assert [r["reserved"] for r in rows] == [0, 3, 0]
    l1 = rows[2]
    assert (l1["sku"], l1["item_name"], l1["reserved"], l1["value"]) == (
        "LOTTED", "Yoghurt", 0, "16.0000")
    assert [(p["location_code"], p["on_hand"]) for p in l1["locations"]] == [
        ("A-02", 15), ("DOCK-1", 5)]
    assert l1["expiry_date"] == str(dt.date.today() + dt.timedelta(days=20))
    soon = (await near(supervisor, world, days=3)).json()["lots"]
    assert [r["lot_number"] for r in soon] == ["GONE"]
    default = (await near(supervisor, world)).json()
    assert default["days"] == 30 and len(default["lots"]) == 3
    later = (await near(supervisor, world, days=60)).json()["lots"]
    assert [r["lot_number"] for r in later] == ["GONE", "SOON", "L1", "LATER"]


async def test_scope_roles_and_scrapping_an_expired_lot(world, client, supervisor: Api,
                                                       worker: Api, lots) -> None:
    supervisor2 = await login(client, "supervisor2")
    w2 = (await near(supervisor2, world, "W2")).json()["lots"]
    assert [(r["lot_number"], r["days_left"]) for r in w2] == [("W2LOT", 3)]
    refused = await near(supervisor2, world, "W1")
    assert (refused.status_code, refused.json()["code"]) == (403, "warehouse_out_of_scope")
    assert (await near(worker, world)).status_code == 403
    assert (await near(supervisor, world, days=-1)).status_code == 400
    missing = await supervisor.get("/api/lots/near-expiry")
    assert missing.status_code == 400

    # An expired lot is scrapped where it is; then it is off the list.
    scrapped = await worker.post("/api/adjustments", {
        **worker.envelope(), "item_id": world.items["LOTTED"], "location_id": world.loc("A-05"),
        "quantity": -2, "reason": "expired", "lot_number": "GONE"})
    assert scrapped.status_code == 201, scrapped.text
    assert scrapped.json()["result"]["counterpart"] == "@SCRAP"
    after = (await near(supervisor, world)).json()["lots"]
    assert [r["lot_number"] for r in after] == ["SOON", "L1"]
