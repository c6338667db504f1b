"""Packing picked stock into SSCC-numbered packages and shipping them, as the floor does it.

A supervisor allocates, a worker picks by scanning the bin (and the lot), packs into cartons
that get an SSCC from the company's GS1 prefix, and ships them by scanning the SSCC. Every flow
ends with the ledger checks: each item's quants sum to zero over all locations, no real
location is negative, and the sealed hash chain verifies.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select

from backend.db.models import Quant, Serial
from backend.service.sealing import seal_pending
from scanner.gs1 import is_valid_key
from tests.conftest import Api
from tests.ledger_checks import assert_balanced
from tests.test_outbound import _quant

pytestmark = pytest.mark.anyio

PREFIX, EXTENSION = "4006381", "3"


# --- helpers shared with the other outbound document tests --------------------------------------


def expect(response: Any, status: int, code: str | None = None) -> Any:
    assert response.status_code == status, response.text
    body = response.json()
    if code is not None:
        assert body["code"] == code, body
    return body


def gs1_check_digit(body: str) -> int:
    """GS1 mod-10, computed here independently of the code under test."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def sscc_for(counter: int) -> str:
    body = f"{EXTENSION}{PREFIX}{counter:09d}"
    return body + str(gs1_check_digit(body))


async def set_gs1(admin: Api) -> None:
    body = expect(
        await admin.put(
            "/api/settings/gs1", {"company_prefix": PREFIX, "extension_digit": EXTENSION}
        ),
        200,
    )
    assert body == {"company_prefix": PREFIX, "extension_digit": EXTENSION}


@pytest.fixture
async def gs1(admin: Api, supervisor: Api) -> None:
    await set_gs1(admin)
    assert (await supervisor.get("/api/settings/gs1")).json() == {
        "company_prefix": PREFIX,
        "extension_digit": EXTENSION,
    }


async def customer_id(supervisor: Api) -> int:
    customers = (await supervisor.get("/api/customers")).json()
    if customers:
        return int(customers[0]["id"])
    created = expect(
        await supervisor.post(
            "/api/customers",
            {"code": "C1", "name": "Shop", "address": "1 High Street, Springfield"},
        ),
        201,
    )
    assert created["address"] == "1 High Street, Springfield"
    return int(created["id"])


async def order(
    supervisor: Api,
    world,
    lines: list[tuple[str, int]],
    *,
    allocate: bool = True,
    warehouse: str = "W1",
) -> dict:
    created = expect(
        await supervisor.post(
            "/api/sales-orders",
            {
                "customer_id": await customer_id(supervisor),
                "warehouse_id": world.warehouses[warehouse],
                "lines": [{"item_id": world.items[sku], "quantity": q} for sku, q in lines],
            },
        ),
        201,
    )
    if not allocate:
        return created
    return expect(await supervisor.post(f"/api/sales-orders/{created['id']}/allocate"), 200)


async def pick_task(worker: Api, order_id: int) -> dict:
    queue = expect(await worker.get("/api/tasks/mine"), 200)
    return next(t for t in queue if t["type"] == "pick" and t["document_id"] == order_id)


def pick_body(
    api: Api,
    line: dict,
    quantity: int | None = None,
    serials: list[str] | None = None,
    **extra: object,
) -> dict:
    """A pick as the scanner confirms it: the bin scanned, the lot scanned where it has one."""
    body: dict[str, Any] = {
        **api.envelope(),
        "task_line_id": line["id"],
        "location_id": line["from_location_id"],
        "quantity": line["quantity"] - line["done_quantity"] if quantity is None else quantity,
        **extra,
    }
    if line["lot_number"]:
        body["lot_number"] = line["lot_number"]
    if serials:
        body["serials"] = serials
    return body


async def pick_everything(
    worker: Api, order_id: int, serials: dict[str, list[str]] | None = None
) -> None:
    task = await pick_task(worker, order_id)
    for line in task["lines"]:
        if line["status"] != "open":
            continue
        picked = expect(
            await worker.post(
                "/api/picks", pick_body(worker, line, serials=(serials or {}).get(line["sku"]))
            ),
            201,
        )
        assert picked["status"] == "applied"


def pack_body(api: Api, order_id: int, lines: list[dict], **extra: object) -> dict:
    return {**api.envelope(), "order_id": order_id, "lines": lines, **extra}


def pack_line(world, sku: str, quantity: int, **extra: object) -> dict:
    return {"item_id": world.items[sku], "quantity": quantity, **extra}


async def pack(api: Api, order_id: int, lines: list[dict], **extra: object) -> dict:
    outcome = expect(await api.post("/api/packages", pack_body(api, order_id, lines, **extra)), 201)
    assert outcome["status"] == "applied"
    return outcome["result"]


async def ship(api: Api, order_id: int, ssccs: list[str] | None = None) -> dict:
    body: dict[str, Any] = {**api.envelope(), "order_id": order_id}
    if ssccs is not None:
        body["package_ssccs"] = ssccs
    outcome = expect(await api.post("/api/shipments", body), 201)
    assert outcome["status"] == "applied"
    return outcome["result"]


async def packages_of(api: Api, order_id: int) -> list[dict]:
    page = expect(await api.get("/api/packages", params={"order_id": order_id}), 200)
    assert page["total"] == len(page["items"])
    return sorted(page["items"], key=lambda p: p["id"])


def contents(package: dict) -> set[tuple[str, str | None, str | None, int]]:
    return {(ln["sku"], ln["lot_number"], ln["serial"], ln["quantity"]) for ln in package["lines"]}


async def ledger_intact(supervisor: Api, sessions) -> None:
    """The ledger's invariants after a flow: balanced, never negative, sealed and verified."""
    await assert_balanced(sessions)
    await seal_pending(sessions)
    report = expect(await supervisor.get("/api/ledger/verify"), 200)
    assert report["ok"] is True and report["unsealed_moves"] == 0, report


async def lot_quant(sessions, world, sku: str, location: str, lot_number: str) -> int:
    from backend.db.models import Lot

    async with sessions() as session:
        return (
            await session.execute(
                select(Quant.on_hand)
                .join(Lot, Lot.id == Quant.lot_id)
                .where(
                    Quant.item_id == world.items[sku],
                    Quant.location_id == world.loc(location),
                    Lot.lot_number == lot_number,
                )
            )
        ).scalar() or 0


async def quants_snapshot(sessions) -> list[tuple[int, int, int, int, int]]:
    async with sessions() as session:
        rows = await session.execute(
            select(
                Quant.item_id,
                Quant.location_id,
                Quant.lot_key,
                Quant.on_hand,
                Quant.reserved,
            ).order_by(Quant.item_id, Quant.location_id, Quant.lot_key)
        )
        return [tuple(r) for r in rows.all()]  # type: ignore[misc]


# --- the packing and shipping flow -------------------------------------------------------------


async def test_pack_two_packages_ship_one_by_sscc_then_the_rest(
    supervisor, worker, admin, sessions, world, shipping, gs1
) -> None:
    so = await order(supervisor, world, [("PLAIN", 7), ("LOTTED", 4)])
    assert so["status"] == "allocated"
    await pick_everything(worker, so["id"])
    assert await _quant(sessions, world, "PLAIN", "SHIP") == (7, 0)

    # More than was picked is refused, and no package (nor SSCC) is made of it.
    over = await worker.post(
        "/api/packages", pack_body(worker, so["id"], [pack_line(world, "PLAIN", 8)])
    )
    body = expect(over, 409, "not_picked")
    assert body["details"]["available"] == 7 and body["details"]["asked"] == 8
    assert await packages_of(supervisor, so["id"]) == []

    # Package 1 is filled by three scans: opened, added to, then closed.
    first = await pack(worker, so["id"], [pack_line(world, "PLAIN", 2)], close=False)
    p1 = first["sscc"]
    assert first["package_status"] == "open" and first["units"] == 2
    added = await pack(
        worker, so["id"], [pack_line(world, "LOTTED", 1, lot_number="L1")], sscc=p1, close=False
    )
    assert (added["sscc"], added["package_id"], added["package_status"]) == (
        p1,
        first["package_id"],
        "open",
    )
    closed = await pack(worker, so["id"], [pack_line(world, "PLAIN", 1)], sscc=p1)
    assert closed["package_status"] == "closed" and closed["package_id"] == first["package_id"]
    refused = await worker.post(
        "/api/packages", pack_body(worker, so["id"], [pack_line(world, "PLAIN", 1)], sscc=p1)
    )
    expect(refused, 409, "conflict")

    second = await pack(
        worker, so["id"], [pack_line(world, "PLAIN", 3), pack_line(world, "LOTTED", 3)]
    )
    p2 = second["sscc"]
    assert second["package_status"] == "closed" and second["units"] == 6
    third = await pack(worker, so["id"], [pack_line(world, "PLAIN", 1)], close=False)
    p3 = third["sscc"]

    # SSCCs: 18 digits, extension + company prefix + counter + GS1 check digit, all different.
    assert [p1, p2, p3] == [sscc_for(1), sscc_for(2), sscc_for(3)]
    for sscc in (p1, p2, p3):
        assert len(sscc) == 18 and sscc.isdigit() and is_valid_key(sscc)
        assert sscc.startswith(EXTENSION + PREFIX)
    assert not is_valid_key(p1[:-1] + str((int(p1[-1]) + 1) % 10))

    # Everything picked is packed now: nothing more can go in.
    expect(
        await worker.post(
            "/api/packages", pack_body(worker, so["id"], [pack_line(world, "LOTTED", 1)])
        ),
        409,
        "not_picked",
    )

    listed = await packages_of(supervisor, so["id"])
    assert [(p["sscc"], p["status"]) for p in listed] == [
        (p1, "closed"),
        (p2, "closed"),
        (p3, "open"),
    ]
    assert contents(listed[0]) == {("PLAIN", None, None, 3), ("LOTTED", "L1", None, 1)}
    assert contents(listed[1]) == {("PLAIN", None, None, 3), ("LOTTED", "L1", None, 3)}
    assert all(p["order_number"] == so["number"] for p in listed)
    by_sscc = expect(await supervisor.get("/api/packages", params={"sscc": p2}), 200)
    assert by_sscc["total"] == 1 and by_sscc["items"][0]["id"] == second["package_id"]
    open_ones = expect(await supervisor.get("/api/packages", params={"status": "open"}), 200)
    assert [p["sscc"] for p in open_ones["items"]] == [p3]
    one = expect(await worker.get(f"/api/packages/{first['package_id']}"), 200)
    assert one["sscc"] == p1 and contents(one) == contents(listed[0])

    # An open package cannot ship; an unknown SSCC is not found; neither moves stock.
    expect(
        await worker.post(
            "/api/shipments", {**worker.envelope(), "order_id": so["id"], "package_ssccs": [p3]}
        ),
        409,
        "conflict",
    )
    expect(
        await worker.post(
            "/api/shipments",
            {**worker.envelope(), "order_id": so["id"], "package_ssccs": [sscc_for(99)]},
        ),
        404,
        "not_found",
    )
    assert await _quant(sessions, world, "PLAIN", "W1/@customer") == (0, 0)

    # Package 1 ships alone: exactly its contents leave, the order stays open.
    shipped = await ship(worker, so["id"], [p1])
    assert shipped["shipment"] == "SH000001" and shipped["packages"] == [p1]
    assert shipped["units"] == 4 and shipped["order_status"] == "picked"
    assert await _quant(sessions, world, "PLAIN", "W1/@customer") == (3, 0)
    assert await lot_quant(sessions, world, "LOTTED", "W1/@customer", "L1") == 1
    assert await _quant(sessions, world, "PLAIN", "SHIP") == (4, 0)
    assert await lot_quant(sessions, world, "LOTTED", "SHIP", "L1") == 3
    view = expect(await supervisor.get(f"/api/sales-orders/{so['id']}"), 200)
    assert view["status"] == "picked"
    assert [ln["shipped_quantity"] for ln in view["lines"]] == [3, 1]
    shipments = expect(await supervisor.get("/api/shipments", params={"order_id": so["id"]}), 200)
    assert shipments["total"] == 1
    assert [
        (s["number"], s["units"], s["packages"], s["order_number"]) for s in shipments["items"]
    ] == [("SH000001", 4, [p1], so["number"])]
    p1_now = expect(await supervisor.get(f"/api/packages/{first['package_id']}"), 200)
    assert p1_now["status"] == "shipped" and p1_now["shipment_id"] == shipped["shipment_id"]
    expect(
        await worker.post(
            "/api/shipments", {**worker.envelope(), "order_id": so["id"], "package_ssccs": [p1]}
        ),
        404,
        "not_found",
    )

    # The rest ships without naming packages: package 2, the open package 3, everything.
    rest = await ship(worker, so["id"])
    assert rest["shipment"] == "SH000002" and rest["units"] == 7
    assert sorted(rest["packages"]) == sorted([p2, p3])
    assert rest["order_status"] == "shipped"
    assert await _quant(sessions, world, "PLAIN", "W1/@customer") == (7, 0)
    assert await lot_quant(sessions, world, "LOTTED", "W1/@customer", "L1") == 4
    assert await _quant(sessions, world, "PLAIN", "SHIP") == (0, 0)
    assert await lot_quant(sessions, world, "LOTTED", "SHIP", "L1") == 0
    assert {p["status"] for p in await packages_of(supervisor, so["id"])} == {"shipped"}
    listing = expect(await supervisor.get("/api/shipments", params={"order_id": so["id"]}), 200)
    assert [s["number"] for s in listing["items"]] == ["SH000002", "SH000001"]
    detail = expect(await supervisor.get(f"/api/shipments/{rest['shipment_id']}"), 200)
    assert sorted(detail["packages"]) == sorted([p2, p3]) and detail["units"] == 7
    view = expect(await supervisor.get(f"/api/sales-orders/{so['id']}"), 200)
    assert view["status"] == "shipped"
    assert [h["action"] for h in view["history"]].count("packed") == 5
    assert [h["action"] for h in view["history"]].count("shipped") == 2

    # A shipped order takes no more packing or shipping.
    expect(
        await worker.post(
            "/api/packages", pack_body(worker, so["id"], [pack_line(world, "PLAIN", 1)])
        ),
        409,
        "conflict",
    )
    expect(
        await worker.post("/api/shipments", {**worker.envelope(), "order_id": so["id"]}),
        409,
        "conflict",
    )
    await ledger_intact(supervisor, sessions)


async def test_packing_needs_the_company_gs1_prefix(
    supervisor, worker, admin, sessions, world, shipping
) -> None:
    assert expect(await supervisor.get("/api/settings/gs1"), 200) == {
        "company_prefix": None,
        "extension_digit": None,
    }
    so = await order(supervisor, world, [("PLAIN", 2)])
    await pick_everything(worker, so["id"])
    refused = await worker.post(
        "/api/packages", pack_body(worker, so["id"], [pack_line(world, "PLAIN", 2)])
    )
    expect(refused, 409, "setup_required")
    assert await packages_of(supervisor, so["id"]) == []

    # Only an admin sets it, and only a real prefix.
    for api in (worker, supervisor):
        expect(await api.put("/api/settings/gs1", {"company_prefix": PREFIX}), 403)
    expect(await worker.get("/api/settings/gs1"), 403)
    for bad in (
        {"company_prefix": "123456"},
        {"company_prefix": "12345678901"},
        {"company_prefix": "12345ab"},
        {"company_prefix": PREFIX, "extension_digit": "10"},
    ):
        assert (await admin.put("/api/settings/gs1", bad)).status_code in (400, 422), bad
    await set_gs1(admin)

    packed = await pack(worker, so["id"], [pack_line(world, "PLAIN", 2)])
    assert packed["sscc"] == sscc_for(1)
    # A longer prefix leaves fewer digits to the counter; the SSCC is still 18 digits.
    assert expect(
        await admin.put(
            "/api/settings/gs1", {"company_prefix": "4006381999", "extension_digit": "0"}
        ),
        200,
    )
    other = await order(supervisor, world, [("PLAIN", 1)])
    await pick_everything(worker, other["id"])
    packed = await pack(worker, other["id"], [pack_line(world, "PLAIN", 1)])
    sscc = packed["sscc"]
    assert len(sscc) == 18 and sscc.startswith("04006381999") and is_valid_key(sscc)
    assert int(sscc[11:17]) >= 1 and sscc[-1] == str(gs1_check_digit(sscc[:-1]))
    await ledger_intact(supervisor, sessions)


async def test_serial_items_are_packed_by_the_serials_picked(
    supervisor, worker, admin, sessions, world, shipping, gs1
) -> None:
    so = await order(supervisor, world, [("SERIAL", 2)])
    await pick_everything(worker, so["id"], serials={"SERIAL": ["SN-1", "SN-3"]})

    # SN-2 exists but was not picked; SN-404 does not exist; the count must match the scans.
    unpicked = await worker.post(
        "/api/packages",
        pack_body(worker, so["id"], [pack_line(world, "SERIAL", 1, serials=["SN-2"])]),
    )
    assert expect(unpicked, 409, "not_picked")["details"]["serial"] == "SN-2"
    expect(
        await worker.post(
            "/api/packages",
            pack_body(worker, so["id"], [pack_line(world, "SERIAL", 1, serials=["SN-404"])]),
        ),
        404,
        "not_found",
    )
    expect(
        await worker.post(
            "/api/packages",
            pack_body(worker, so["id"], [pack_line(world, "SERIAL", 2, serials=["SN-3"])]),
        ),
        422,
        "tracking_mismatch",
    )
    assert await packages_of(supervisor, so["id"]) == []

    first = await pack(worker, so["id"], [pack_line(world, "SERIAL", 1, serials=["SN-3"])])
    again = await worker.post(
        "/api/packages",
        pack_body(worker, so["id"], [pack_line(world, "SERIAL", 1, serials=["SN-3"])]),
    )
    expect(again, 409, "not_picked")  # SN-3 is in a package already
    second = await pack(worker, so["id"], [pack_line(world, "SERIAL", 1, serials=["SN-1"])])
    listed = await packages_of(supervisor, so["id"])
    assert [contents(p) for p in listed] == [
        {("SERIAL", None, "SN-3", 1)},
        {("SERIAL", None, "SN-1", 1)},
    ]

    shipped = await ship(worker, so["id"], [first["sscc"]])
    assert shipped["units"] == 1 and shipped["order_status"] == "picked"
    async with sessions() as session:
        where = dict(
            (
                await session.execute(
                    select(Serial.serial, Serial.location_id).where(
                        Serial.item_id == world.items["SERIAL"]
                    )
                )
            )
            .tuples()
            .all()
        )
    assert where == {
        "SN-3": world.loc("W1/@customer"),
        "SN-1": world.loc("SHIP"),
        "SN-2": world.loc("A-03"),
    }
    assert (await ship(worker, so["id"], [second["sscc"]]))["order_status"] == "shipped"
    assert await _quant(sessions, world, "SERIAL", "W1/@customer") == (2, 0)
    assert await _quant(sessions, world, "SERIAL", "A-03") == (1, 0)
    await ledger_intact(supervisor, sessions)


async def test_lot_items_are_packed_by_the_lot_scanned(
    supervisor, worker, admin, sessions, world, shipping, gs1
) -> None:
    later = str(dt.date.today() + dt.timedelta(days=40))
    expect(
        await supervisor.post(
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
        ),
        201,
    )
    so = await order(supervisor, world, [("LOTTED", 22)])
    task = await pick_task(worker, so["id"])
    assert sorted((ln["lot_number"], ln["quantity"]) for ln in task["lines"]) == [
        ("L1", 20),
        ("L2", 2),
    ]
    await pick_everything(worker, so["id"])

    short = await worker.post(
        "/api/packages",
        pack_body(worker, so["id"], [pack_line(world, "LOTTED", 3, lot_number="L2")]),
    )
    details = expect(short, 409, "not_picked")["details"]
    assert (details["asked"], details["available"]) == (3, 2)
    expect(
        await worker.post(
            "/api/packages",
            pack_body(worker, so["id"], [pack_line(world, "LOTTED", 1, lot_number="L9")]),
        ),
        404,
        "not_found",
    )

    by_lot = await pack(worker, so["id"], [pack_line(world, "LOTTED", 2, lot_number="L2")])
    # Without a lot scanned, what is left (all L1) is taken.
    rest = await pack(worker, so["id"], [pack_line(world, "LOTTED", 20)])
    listed = {p["sscc"]: contents(p) for p in await packages_of(supervisor, so["id"])}
    assert listed == {
        by_lot["sscc"]: {("LOTTED", "L2", None, 2)},
        rest["sscc"]: {("LOTTED", "L1", None, 20)},
    }
    expect(
        await worker.post(
            "/api/packages",
            pack_body(worker, so["id"], [pack_line(world, "LOTTED", 1, lot_number="L2")]),
        ),
        409,
        "not_picked",
    )

    assert (await ship(worker, so["id"], [by_lot["sscc"]]))["units"] == 2
    assert await lot_quant(sessions, world, "LOTTED", "W1/@customer", "L2") == 2
    assert await lot_quant(sessions, world, "LOTTED", "W1/@customer", "L1") == 0
    assert await lot_quant(sessions, world, "LOTTED", "SHIP", "L1") == 20
    assert (await ship(worker, so["id"], [rest["sscc"]]))["order_status"] == "shipped"
    assert await lot_quant(sessions, world, "LOTTED", "W1/@customer", "L1") == 20
    assert await lot_quant(sessions, world, "LOTTED", "A-04", "L2") == 3
    await ledger_intact(supervisor, sessions)


async def test_a_replayed_pack_or_ship_changes_nothing(
    supervisor, worker, admin, sessions, world, shipping, gs1
) -> None:
    so = await order(supervisor, world, [("PLAIN", 4)])
    await pick_everything(worker, so["id"])
    body = pack_body(worker, so["id"], [pack_line(world, "PLAIN", 2)])
    first = expect(await worker.post("/api/packages", body), 201)
    replay = expect(await worker.post("/api/packages", body), 200)
    assert replay["status"] == "duplicate"
    assert replay["first_outcome"]["result"]["sscc"] == first["result"]["sscc"]
    assert len(await packages_of(supervisor, so["id"])) == 1
    # The replay used no SSCC: the next package gets the next counter.
    nxt = await pack(worker, so["id"], [pack_line(world, "PLAIN", 2)])
    assert [first["result"]["sscc"], nxt["sscc"]] == [sscc_for(1), sscc_for(2)]

    ship_body = {
        **worker.envelope(),
        "order_id": so["id"],
        "package_ssccs": [first["result"]["sscc"]],
    }
    expect(await worker.post("/api/shipments", ship_body), 201)
    again = expect(await worker.post("/api/shipments", ship_body), 200)
    assert again["status"] == "duplicate" and again["first_outcome"]["result"]["units"] == 2
    assert (
        expect(await supervisor.get("/api/shipments", params={"order_id": so["id"]}), 200)["total"]
        == 1
    )
    assert await _quant(sessions, world, "PLAIN", "W1/@customer") == (2, 0)
    assert await _quant(sessions, world, "PLAIN", "SHIP") == (2, 0)
    await ledger_intact(supervisor, sessions)


async def test_an_offline_batch_of_picks_packs_and_ships_sent_twice_is_once(
    supervisor, worker, admin, sessions, world, shipping, gs1
) -> None:
    so = await order(supervisor, world, [("PLAIN", 5), ("LOTTED", 3), ("SERIAL", 1)])
    task = await pick_task(worker, so["id"])  # the handheld synced its queue before going out
    events: list[dict] = [
        {
            "type": "pick_item",
            **pick_body(worker, line, serials=["SN-2"] if line["sku"] == "SERIAL" else None),
        }
        for line in task["lines"]
    ]
    events += [
        {
            "type": "pack_items",
            **pack_body(
                worker,
                so["id"],
                [pack_line(world, "PLAIN", 2), pack_line(world, "LOTTED", 3, lot_number="L1")],
            ),
        },
        {
            "type": "pack_items",
            **pack_body(
                worker,
                so["id"],
                [pack_line(world, "PLAIN", 3), pack_line(world, "SERIAL", 1, serials=["SN-2"])],
            ),
        },
        {"type": "ship_order", **worker.envelope(), "order_id": so["id"]},
    ]
    first = expect(await worker.post("/api/sync", {"events": events}), 200)["outcomes"]
    assert [o["status"] for o in first] == ["applied"] * len(events), first
    assert first[-1]["result"]["order_status"] == "shipped" and first[-1]["result"]["units"] == 9
    stock = await quants_snapshot(sessions)
    packages = await packages_of(supervisor, so["id"])
    shipments = expect(await supervisor.get("/api/shipments"), 200)
    moves = expect(await supervisor.get("/api/moves", params={"limit": 1}), 200)["total"]
    assert len(packages) == 2 and {p["status"] for p in packages} == {"shipped"}
    assert sorted(first[-1]["result"]["packages"]) == sorted(p["sscc"] for p in packages)

    second = expect(await worker.post("/api/sync", {"events": events}), 200)["outcomes"]
    assert [o["status"] for o in second] == ["duplicate"] * len(events), second
    assert [o["first_outcome"]["status"] for o in second] == ["applied"] * len(events)
    assert await quants_snapshot(sessions) == stock
    assert await packages_of(supervisor, so["id"]) == packages
    assert expect(await supervisor.get("/api/shipments"), 200) == shipments
    assert expect(await supervisor.get("/api/moves", params={"limit": 1}), 200)["total"] == moves
    assert await _quant(sessions, world, "PLAIN", "W1/@customer") == (5, 0)
    assert await lot_quant(sessions, world, "LOTTED", "W1/@customer", "L1") == 3
    assert await _quant(sessions, world, "SERIAL", "W1/@customer") == (1, 0)
    await ledger_intact(supervisor, sessions)
