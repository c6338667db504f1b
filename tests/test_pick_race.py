"""Pickers racing for the same stock: a pick line is picked once, a unit is taken once; and
the packing and shipping that follow: picked units go into one package and leave once.

Like tests/test_concurrency.py these races need real row locks, so they run on PostgreSQL
only, through httpx's ASGITransport (every request a task on the test's event loop), and each
race asserts that the requests really were in flight together.

Every request comes from its own handheld (device id): the commands of one device are
serialised by the upsert of its device row, which would hide a race between two pickers.
To make each race certain rather than likely, `gate` holds every pick just before it posts its
moves until all racers have got that far (or 0.5 s have passed): by then each has read the task
line, the reservation and the order line it is about to change. A picker kept out by a row lock
never reaches the gate, so correct code only pays the 0.5 s once.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from backend.db.models import Command, Quant, SalesOrderLine, Serial, StockMove
from backend.service import packing, picking, shipping
from tests import test_concurrency
from tests.conftest import Api, login
from tests.ledger_checks import assert_balanced
from tests.test_outbound import _quant
from tests.test_packing import (
    expect,
    order,
    pack_body,
    pack_line,
    pick_body,
    pick_everything,
    pick_task,
    set_gs1,
)

pytestmark = pytest.mark.anyio

POSTGRES_ONLY = test_concurrency.POSTGRES_ONLY
http = test_concurrency.http  # fixtures: real concurrent requests, commands in flight
in_flight = test_concurrency.in_flight

RACERS = 8


class Gate:
    """Holds picks before their moves until `expected` picks are waiting, or 0.5 s passed."""

    def __init__(self) -> None:
        self.expected = 2
        self.arrived = 0
        self.open = asyncio.Event()


def hold(monkeypatch: pytest.MonkeyPatch, module: object, name: str) -> Gate:
    """Hold every call of `module.name` at a gate before it runs."""
    held = Gate()
    original = getattr(module, name)

    async def gated(*args, **kwargs):  # type: ignore[no-untyped-def]
        held.arrived += 1
        if held.arrived >= held.expected:
            held.open.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(held.open.wait(), 0.5)
        return await original(*args, **kwargs)

    monkeypatch.setattr(module, name, gated)
    return held


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> Gate:
    """Picks held just before they post their moves."""
    return hold(monkeypatch, picking, "post_moves")


async def pickers(http: httpx.AsyncClient, world) -> tuple[Api, Api, Api]:
    """The supervisor and two workers of W1: `worker` and a second picker, `picker2`."""
    admin = await login(http, "admin")  # type: ignore[arg-type]
    expect(
        await admin.post(
            "/api/users",
            {
                "username": "picker2",
                "password": "correct-horse-battery",
                "role": "worker",
                "warehouse_ids": [world.warehouses["W1"]],
            },
        ),
        201,
    )
    supervisor = await login(http, "supervisor")  # type: ignore[arg-type]
    created = expect(
        await supervisor.post(
            "/api/locations",
            {
                "warehouse_id": world.warehouses["W1"],
                "code": "SHIP",
                "kind": "dock",
                "purpose": "shipping",
            },
        ),
        201,
    )
    world.locations["SHIP"] = created["id"]
    first = await login(http, "worker")  # type: ignore[arg-type]
    second = await login(http, "picker2")  # type: ignore[arg-type]
    return supervisor, first, second


def from_device(body: dict, n: int) -> dict:
    return {**body, "event_id": str(uuid.uuid4()), "device_id": f"handheld-{n}"}


async def race(apis: list[Api], bodies: list[dict], paths: list[str] | None = None) -> list[Any]:
    paths = paths or ["/api/picks"] * len(bodies)
    return list(
        await asyncio.gather(
            *(
                apis[n % len(apis)].post(path, json=body)
                for n, (path, body) in enumerate(zip(paths, bodies, strict=True))
            )
        )
    )


def show(responses: list[Any]) -> list[tuple[int, str]]:
    return [(r.status_code, r.text) for r in responses]


async def moves_of(sessions, bodies: list[dict]) -> int:
    ids = [uuid.UUID(b["event_id"]) for b in bodies]
    async with sessions() as session:
        return int(
            (
                await session.execute(
                    select(func.count())
                    .select_from(StockMove)
                    .join(Command, Command.id == StockMove.command_id)
                    .where(Command.event_id.in_(ids))
                )
            ).scalar_one()
        )


async def order_lines(sessions, order_id: int) -> list[tuple[int, int]]:
    """(picked, reserved) of each line of a sales order."""
    async with sessions() as session:
        rows = await session.execute(
            select(
                SalesOrderLine.picked_quantity,
                SalesOrderLine.reserved_quantity,
            )
            .where(SalesOrderLine.order_id == order_id)
            .order_by(SalesOrderLine.line_no)
        )
        return [tuple(r) for r in rows.all()]  # type: ignore[misc]


async def never_negative(sessions) -> None:
    await assert_balanced(sessions)
    async with sessions() as session:
        assert (
            await session.scalar(
                select(func.count()).where(
                    Quant.is_virtual.is_(False),
                    (Quant.on_hand < 0) | (Quant.reserved < 0),
                    Quant.reserved > Quant.on_hand,
                )
            )
            == 0
        )


@POSTGRES_ONLY
async def test_two_workers_racing_for_the_last_unit_on_one_line(
    http, sessions, world, in_flight, gate
) -> None:
    supervisor, first, second = await pickers(http, world)
    # Nine of A-01's ten go elsewhere: the order is allocated the last unit at A-01.
    expect(
        await first.post(
            "/api/bin-moves",
            {
                **first.envelope(),
                "item_id": world.items["PLAIN"],
                "from_location_id": world.loc("A-01"),
                "to_location_id": world.loc("A-04"),
                "quantity": 9,
            },
        ),
        201,
    )
    so = await order(supervisor, world, [("PLAIN", 1)])
    line = (await pick_task(first, so["id"]))["lines"][0]
    assert (line["from_location"], line["quantity"]) == ("A-01", 1)
    assert await _quant(sessions, world, "PLAIN", "A-01") == (1, 1)

    gate.expected = RACERS
    bodies = [from_device(pick_body(first, line), n) for n in range(RACERS)]
    responses = await race([first, second], bodies)

    assert in_flight.most > 1, "the picks did not run concurrently"
    codes = [r.status_code for r in responses]
    assert codes.count(201) == 1 and codes.count(409) == RACERS - 1, show(responses)
    assert {r.json()["code"] for r in responses if r.status_code == 409} <= {
        "conflict",
        "insufficient_stock",
    }, show(responses)
    assert await _quant(sessions, world, "PLAIN", "A-01") == (0, 0)
    assert await _quant(sessions, world, "PLAIN", "SHIP") == (1, 0)
    assert await order_lines(sessions, so["id"]) == [(1, 0)]
    assert await moves_of(sessions, bodies) == 1
    await never_negative(sessions)


@POSTGRES_ONLY
async def test_racing_picks_of_one_line_take_it_once_when_the_bin_holds_more_reserved(
    http, sessions, world, in_flight, gate
) -> None:
    supervisor, first, second = await pickers(http, world)
    so = await order(supervisor, world, [("PLAIN", 1)])
    other = await order(supervisor, world, [("PLAIN", 9)])
    assert await _quant(sessions, world, "PLAIN", "A-01") == (10, 10)
    line = (await pick_task(first, so["id"]))["lines"][0]

    gate.expected = RACERS
    bodies = [from_device(pick_body(first, line), n) for n in range(RACERS)]
    responses = await race([first, second], bodies)

    assert in_flight.most > 1, "the picks did not run concurrently"
    codes = [r.status_code for r in responses]
    assert codes.count(201) == 1 and codes.count(409) == RACERS - 1, show(responses)
    assert await moves_of(sessions, bodies) == 1
    assert await _quant(sessions, world, "PLAIN", "A-01") == (9, 9)
    assert await _quant(sessions, world, "PLAIN", "SHIP") == (1, 0)
    assert await order_lines(sessions, so["id"]) == [(1, 0)]
    # The other order's nine are still there for it.
    assert await order_lines(sessions, other["id"]) == [(0, 9)]
    other_line = (await pick_task(first, other["id"]))["lines"][0]
    expect(await first.post("/api/picks", json=pick_body(first, other_line)), 201)
    await never_negative(sessions)


@POSTGRES_ONLY
async def test_two_pickers_of_two_tasks_of_one_order_line_both_count(
    http, sessions, world, in_flight, gate
) -> None:
    supervisor, first, second = await pickers(http, world)
    so = await order(supervisor, world, [("PLAIN", 15)])
    assert so["status"] == "partially_allocated"
    expect(
        await supervisor.post(
            "/api/adjustments",
            {
                **supervisor.envelope(),
                "item_id": world.items["PLAIN"],
                "location_id": world.loc("A-04"),
                "quantity": 5,
                "reason": "found",
            },
        ),
        201,
    )
    again = expect(await supervisor.post(f"/api/sales-orders/{so['id']}/allocate"), 200)
    assert again["status"] == "allocated"
    tasks = [
        t for t in expect(await first.get("/api/tasks/mine"), 200) if t["document_id"] == so["id"]
    ]
    lines = [t["lines"][0] for t in tasks]
    assert sorted((ln["from_location"], ln["quantity"]) for ln in lines) == [
        ("A-01", 10),
        ("A-04", 5),
    ]

    gate.expected = 2
    bodies = [from_device(pick_body(first, ln), n) for n, ln in enumerate(lines)]
    responses = await race([first, second], bodies)

    assert in_flight.most > 1, "the picks did not run concurrently"
    assert [r.status_code for r in responses] == [201, 201], show(responses)
    assert await _quant(sessions, world, "PLAIN", "SHIP") == (15, 0)
    assert await order_lines(sessions, so["id"]) == [(15, 0)]
    view = expect(await supervisor.get(f"/api/sales-orders/{so['id']}"), 200)
    assert view["status"] == "picked"
    await never_negative(sessions)


@POSTGRES_ONLY
async def test_pickers_of_two_orders_allocated_the_last_units_never_take_one_twice(
    http, sessions, world, in_flight, gate
) -> None:
    supervisor, first, second = await pickers(http, world)
    mine = await order(supervisor, world, [("PLAIN", 6), ("SERIAL", 1)])
    theirs = await order(supervisor, world, [("PLAIN", 4), ("SERIAL", 1)])
    assert await _quant(sessions, world, "PLAIN", "A-01") == (10, 10)
    assert await _quant(sessions, world, "SERIAL", "A-03") == (3, 2)
    my_task, their_task = await pick_task(first, mine["id"]), await pick_task(second, theirs["id"])

    def line(task: dict, sku: str) -> dict:
        return next(ln for ln in task["lines"] if ln["sku"] == sku)

    # Each picker picks their order's PLAIN, and both scan the same drill, SN-1, at once;
    # meanwhile someone tries to move units off A-01, all of which are promised.
    bodies = [
        from_device(pick_body(first, line(my_task, "PLAIN")), 0),
        from_device(pick_body(second, line(their_task, "PLAIN")), 1),
        from_device(pick_body(first, line(my_task, "SERIAL"), serials=["SN-1"]), 2),
        from_device(pick_body(second, line(their_task, "SERIAL"), serials=["SN-1"]), 3),
    ]
    thieves = [
        from_device(
            {
                **first.envelope(),
                "item_id": world.items["PLAIN"],
                "from_location_id": world.loc("A-01"),
                "to_location_id": world.loc("A-05"),
                "quantity": 1,
            },
            4 + n,
        )
        for n in range(2)
    ]
    gate.expected = len(bodies)
    responses = await race(
        [first, second],
        bodies + thieves,
        ["/api/picks"] * len(bodies) + ["/api/bin-moves"] * len(thieves),
    )

    assert in_flight.most > 2, "the commands did not run concurrently"
    codes = [r.status_code for r in responses]
    assert codes[:2] == [201, 201], show(responses)
    assert sorted(codes[2:4]) == [201, 409], show(responses)
    loser = 2 if codes[2] == 409 else 3
    assert responses[loser].json()["code"] == "serial_unavailable", show(responses)
    assert [r.json()["code"] for r in responses[4:]] == ["insufficient_stock"] * 2
    assert await _quant(sessions, world, "PLAIN", "A-01") == (0, 0)
    assert await _quant(sessions, world, "PLAIN", "A-05") == (0, 0)
    assert await _quant(sessions, world, "PLAIN", "SHIP") == (10, 0)
    assert await moves_of(sessions, bodies + thieves) == 3

    # The picker who lost SN-1 scans another drill; each order has exactly its units.
    retry = pick_body(
        second if loser == 3 else first,
        line(their_task if loser == 3 else my_task, "SERIAL"),
        serials=["SN-2"],
    )
    expect(await (second if loser == 3 else first).post("/api/picks", json=retry), 201)
    assert await order_lines(sessions, mine["id"]) == [(6, 0), (1, 0)]
    assert await order_lines(sessions, theirs["id"]) == [(4, 0), (1, 0)]
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
        "SN-1": world.loc("SHIP"),
        "SN-2": world.loc("SHIP"),
        "SN-3": world.loc("A-03"),
    }
    assert await _quant(sessions, world, "SERIAL", "A-03") == (1, 0)
    await never_negative(sessions)


@POSTGRES_ONLY
async def test_packers_racing_for_the_same_picked_units_make_one_package(
    http, sessions, world, in_flight, monkeypatch
) -> None:
    supervisor, first, second = await pickers(http, world)
    await set_gs1(await login(http, "admin"))  # type: ignore[arg-type]
    so = await order(supervisor, world, [("PLAIN", 3)])
    await pick_everything(first, so["id"])
    held = hold(monkeypatch, packing, "new_sscc")  # packers held before they number a package
    held.expected = 4
    bodies = [
        from_device(pack_body(first, so["id"], [pack_line(world, "PLAIN", 3)]), n) for n in range(4)
    ]
    responses = await race([first, second], bodies, ["/api/packages"] * 4)

    assert in_flight.most > 1, "the packs did not run concurrently"
    codes = [r.status_code for r in responses]
    assert codes.count(201) == 1 and codes.count(409) == 3, show(responses)
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"not_picked"}
    packages = expect(await supervisor.get("/api/packages", params={"order_id": so["id"]}), 200)
    assert packages["total"] == 1
    assert sum(ln["quantity"] for p in packages["items"] for ln in p["lines"]) == 3


@POSTGRES_ONLY
async def test_racing_shipments_of_one_order_ship_it_once(
    http, sessions, world, in_flight, monkeypatch
) -> None:
    supervisor, first, second = await pickers(http, world)
    so = await order(supervisor, world, [("PLAIN", 3)])
    other = await order(supervisor, world, [("PLAIN", 7)])
    await pick_everything(first, so["id"])
    await pick_everything(first, other["id"])
    assert await _quant(sessions, world, "PLAIN", "SHIP") == (10, 0)
    held = hold(monkeypatch, shipping, "post_moves")
    held.expected = 4
    bodies = [from_device({**first.envelope(), "order_id": so["id"]}, n) for n in range(4)]
    responses = await race([first, second], bodies, ["/api/shipments"] * 4)

    assert in_flight.most > 1, "the shipments did not run concurrently"
    codes = [r.status_code for r in responses]
    assert codes.count(201) == 1 and codes.count(409) == 3, show(responses)
    assert await _quant(sessions, world, "PLAIN", "W1/@customer") == (3, 0)
    assert await _quant(sessions, world, "PLAIN", "SHIP") == (7, 0)
    shipped = expect(
        await first.post("/api/shipments", json={**first.envelope(), "order_id": other["id"]}), 201
    )
    assert shipped["result"]["units"] == 7
    await never_negative(sessions)
