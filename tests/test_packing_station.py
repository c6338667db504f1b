"""`/api/packing/orders`: what the packing station reads — the orders waiting to be packed,
and for one order what is picked and not yet packed, by item and lot, with its packages."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.conftest import Api, login
from tests.test_packing import (
    expect,
    order,
    pack,
    pack_body,
    pack_line,
    pick_body,
    pick_everything,
    pick_task,
    set_gs1,
    ship,
)

pytestmark = pytest.mark.anyio


def _units(row: dict) -> tuple:
    return (
        row["status"],
        row["units_ordered"],
        row["units_picked"],
        row["units_waiting"],
        row["units_packed"],
        row["units_to_pack"],
        row["open_packages"],
        row["closed_packages"],
    )


async def _waiting(api: Api, **params: object) -> list[dict]:
    page = expect(await api.get("/api/packing/orders", params=params), 200)
    assert page["total"] == len(page["items"])
    return page["items"]


async def test_the_station_lists_picked_and_partly_picked_orders_until_they_ship(
    client, supervisor, worker, admin, world, shipping
) -> None:
    await set_gs1(admin)
    picked = await order(supervisor, world, [("PLAIN", 3), ("LOTTED", 2)])
    await pick_everything(worker, picked["id"])
    partly = await order(supervisor, world, [("PLAIN", 2), ("LOTTED", 1)])
    task = await pick_task(worker, partly["id"])
    plain = next(line for line in task["lines"] if line["sku"] == "PLAIN")
    expect(await worker.post("/api/picks", pick_body(worker, plain)), 201)
    await order(supervisor, world, [("PLAIN", 1)])  # allocated, nothing picked: not listed

    listed = await _waiting(worker)
    assert [o["number"] for o in listed] == [picked["number"], partly["number"]]
    assert _units(listed[0]) == ("picked", 5, 5, 5, 0, 5, 0, 0)
    assert _units(listed[1]) == ("picking", 3, 2, 2, 0, 2, 0, 0)
    assert listed[0]["customer_code"] and listed[0]["warehouse_id"] == world.warehouses["W1"]

    await pack(worker, picked["id"], [pack_line(world, "PLAIN", 2)], close=False)
    await pack(worker, picked["id"], [pack_line(world, "LOTTED", 1)])
    assert _units((await _waiting(worker))[0]) == ("picked", 5, 5, 5, 3, 2, 1, 1)

    # Shipped whole, the order leaves the station's list; the partly picked one stays.
    await ship(worker, picked["id"])
    assert [o["number"] for o in await _waiting(supervisor)] == [partly["number"]]
    filtered = await _waiting(supervisor, warehouse_id=world.warehouses["W1"])
    assert [o["number"] for o in filtered] == [partly["number"]]

    # Only the user's warehouses: another warehouse's worker sees none of them.
    worker2 = await login(client, "worker2")
    assert await _waiting(worker2) == []
    refused = await supervisor.get(
        "/api/packing/orders", params={"warehouse_id": world.warehouses["W2"]}
    )
    assert expect(refused, 403)["code"] == "warehouse_out_of_scope"


async def test_an_order_shows_what_is_picked_and_not_packed_by_item_and_lot(
    client, supervisor, worker, admin, world, shipping
) -> None:
    await set_gs1(admin)
    later = str(dt.date.today() + dt.timedelta(days=40))
    found = await supervisor.post(
        "/api/adjustments",
        {
            **supervisor.envelope(),
            "item_id": world.items["LOTTED"],
            "location_id": world.loc("A-04"),
            "quantity": 5,
            "reason": "found",
            "lot_number": "L2",
            "expiry_date": later,
        },
    )
    expect(found, 201)
    so = await order(supervisor, world, [("PLAIN", 4), ("LOTTED", 22), ("SERIAL", 2)])
    await pick_everything(worker, so["id"], serials={"SERIAL": ["SN-3", "SN-1"]})

    def rows(view: dict) -> list[tuple]:
        return [
            (r["sku"], r["lot_number"], r["picked"], r["packed"], r["to_pack"], r["serials"])
            for r in view["rows"]
        ]

    url = f"/api/packing/orders/{so['id']}"
    view = expect(await worker.get(url), 200)
    assert rows(view) == [
        ("LOTTED", "L1", 20, 0, 20, []),
        ("LOTTED", "L2", 2, 0, 2, []),
        ("PLAIN", None, 4, 0, 4, []),
        ("SERIAL", None, 2, 0, 2, ["SN-1", "SN-3"]),
    ]
    assert (view["number"], view["status"], view["units_to_pack"]) == (so["number"], "picked", 28)
    assert view["rows"][0]["expiry_date"] and view["rows"][0]["tracking"] == "lot"
    assert view["packages"] == [] and view["shipments"] == [] and view["applied_event_ids"] == []

    # Without a lot scanned, packing takes the lots in the order the rows list them.
    first = pack_body(
        worker,
        so["id"],
        [pack_line(world, "LOTTED", 21), pack_line(world, "SERIAL", 1, serials=["SN-3"])],
        close=False,
    )
    expect(await worker.post("/api/packages", first), 201)
    over = pack_body(worker, so["id"], [pack_line(world, "PLAIN", 5)])
    expect(await worker.post("/api/packages", over), 409, "not_picked")
    view = expect(await worker.get(url), 200)
    assert rows(view) == [
        ("LOTTED", "L1", 20, 20, 0, []),
        ("LOTTED", "L2", 2, 1, 1, []),
        ("PLAIN", None, 4, 0, 4, []),
        ("SERIAL", None, 2, 1, 1, ["SN-1"]),
    ]
    assert (view["units_packed"], view["units_to_pack"], view["open_packages"]) == (22, 6, 1)
    [package] = view["packages"]
    assert package["status"] == "open" and len(package["sscc"]) == 18
    # The refused pack is not among the commands the view includes.
    assert view["applied_event_ids"] == [first["event_id"]]

    rest = await pack(
        worker,
        so["id"],
        [
            pack_line(world, "PLAIN", 4),
            pack_line(world, "LOTTED", 1, lot_number="L2"),
            pack_line(world, "SERIAL", 1, serials=["SN-1"]),
        ],
        sscc=package["sscc"],
    )
    assert rest["package_id"] == package["id"]
    view = expect(await worker.get(url), 200)
    assert [r["to_pack"] for r in view["rows"]] == [0, 0, 0, 0]
    assert (view["units_to_pack"], view["open_packages"], view["closed_packages"]) == (0, 0, 1)

    shipped = await ship(worker, so["id"], [package["sscc"]])
    view = expect(await worker.get(url), 200)
    assert view["status"] == "shipped" and view["rows"] == []
    assert [(p["status"], p["shipment_id"]) for p in view["packages"]] == [
        ("shipped", shipped["shipment_id"])
    ]
    assert [(s["number"], s["units"], s["packages"]) for s in view["shipments"]] == [
        (shipped["shipment"], 28, [package["sscc"]])
    ]
    assert len(view["applied_event_ids"]) == 3
    assert (view["units_shipped"], view["units_waiting"]) == (28, 0)


async def test_an_order_is_seen_only_in_its_warehouse(
    client, supervisor, worker, world, shipping
) -> None:
    so = await order(supervisor, world, [("PLAIN", 1)])
    worker2 = await login(client, "worker2")
    refused = await worker2.get(f"/api/packing/orders/{so['id']}")
    assert expect(refused, 403)["code"] == "warehouse_out_of_scope"
    expect(await worker.get("/api/packing/orders/999999"), 404, "not_found")
    # Allocated and not picked: nothing to pack yet, but the order is there to look at.
    view = expect(await worker.get(f"/api/packing/orders/{so['id']}"), 200)
    assert (view["status"], view["units_to_pack"], view["rows"]) == ("allocated", 0, [])
