"""Racing for the same stock: the conditional UPDATE and the CHECK keep quants from going negative.

The races need real row locks, so they run on PostgreSQL only: `db_url` is parametrized
indirectly with just "postgres" (the conftest fixture then truncates the session's test database).
SQLite serialises every writer with BEGIN IMMEDIATE, so it has no such race to lose.

Litestar's AsyncTestClient runs each request to completion in a portal thread before the next
one starts, so gathering its requests races nothing. The HTTP races here use httpx's
ASGITransport instead, which runs every request as a task on the test's own event loop, and each
race asserts that the commands really were in flight together.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from backend.db.models import Command, Quant, StockMove
from backend.domain.commands import MoveStock
from backend.service import commands, ledger
from backend.service.commands import apply_command
from tests.conftest import Api, login

pytestmark = pytest.mark.anyio

POSTGRES_ONLY = pytest.mark.parametrize(
    "db_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
RACERS = 20


class InFlight:
    """Counts how many commands are being applied at once and how often each was attempted."""

    def __init__(self) -> None:
        self.now = self.most = self.attempts = 0


@pytest.fixture
def in_flight(monkeypatch: pytest.MonkeyPatch) -> InFlight:
    counter = InFlight()
    apply_once = commands._apply_once

    async def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        counter.now += 1
        counter.attempts += 1
        counter.most = max(counter.most, counter.now)
        try:
            await asyncio.sleep(0)  # let every racer start before the first one finishes
            return await apply_once(*args, **kwargs)
        finally:
            counter.now -= 1

    monkeypatch.setattr(commands, "_apply_once", counted)
    return counter


@pytest.fixture
async def http(app, world) -> AsyncIterator[httpx.AsyncClient]:
    """A client whose requests really run concurrently, on this event loop."""
    async with app.lifespan(), httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as client:
        yield client


def move(world, src: str, dst: str, quantity: int, device: str = "race") -> MoveStock:
    return MoveStock(event_id=uuid.uuid4(), device_id=device,
                     occurred_at=dt.datetime.now(dt.UTC), item_id=world.items["PLAIN"],
                     from_location_id=world.loc(src), to_location_id=world.loc(dst),
                     quantity=quantity)


def move_body(api: Api, world, src: str, dst: str, quantity: int,
              device: str | None = None) -> dict:
    body = {**api.envelope(), "item_id": world.items["PLAIN"], "from_location_id": world.loc(src),
            "to_location_id": world.loc(dst), "quantity": quantity}
    if device is not None:
        body["device_id"] = device
    return body


async def plain_at(sessions, world, code: str) -> int:
    async with sessions() as session:
        return (await session.execute(select(Quant.on_hand).where(
            Quant.item_id == world.items["PLAIN"], Quant.location_id == world.loc(code),
            Quant.lot_key == 0))).scalar() or 0


async def ledger_counts(sessions, event_ids: list[str]) -> tuple[int, int, int]:
    """(moves, applied commands, rejected commands) for these event ids."""
    ids = [uuid.UUID(e) for e in event_ids]
    async with sessions() as session:
        moves = (await session.execute(
            select(func.count()).select_from(StockMove)
            .join(Command, Command.id == StockMove.command_id)
            .where(Command.event_id.in_(ids)))).scalar_one()
        statuses = dict((await session.execute(
            select(Command.status, func.count()).where(Command.event_id.in_(ids))
            .group_by(Command.status))).tuples().all())
    return moves, statuses.get("applied", 0), statuses.get("rejected", 0)


@POSTGRES_ONLY
async def test_http_moves_racing_for_the_last_units(http, sessions, world, in_flight):
    worker = await login(http, "worker")  # type: ignore[arg-type]
    # The worker puts exactly 10 at A-05 first.
    setup = await worker.post("/api/bin-moves", json=move_body(worker, world, "A-01", "A-05", 10))
    assert setup.status_code == 201, setup.text
    assert await plain_at(sessions, world, "A-05") == 10

    bodies = [move_body(worker, world, "A-05", "A-04", 1) for _ in range(RACERS)]
    responses = await asyncio.gather(*(worker.post("/api/bin-moves", json=b) for b in bodies))

    assert in_flight.most > RACERS // 2, "the requests did not run concurrently"
    codes = [r.status_code for r in responses]
    assert codes.count(201) == 10, [(r.status_code, r.text) for r in responses]
    assert codes.count(409) == 10, [(r.status_code, r.text) for r in responses]
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"insufficient_stock"}
    assert await plain_at(sessions, world, "A-05") == 0
    assert await plain_at(sessions, world, "A-04") == 10
    assert await ledger_counts(sessions, [b["event_id"] for b in bodies]) == (10, 10, 10)


@POSTGRES_ONLY
async def test_direct_commands_racing_for_the_last_units(sessions, world, in_flight):
    actor = world.actors["worker"]
    outcome = await apply_command(sessions, move(world, "A-01", "A-05", 10), actor)
    assert outcome.status == "applied"

    # Distinct devices, so nothing but the stock itself serialises the racers.
    racers = [move(world, "A-05", "A-04", 1, device=f"racer-{n}") for n in range(RACERS)]
    outcomes = await asyncio.gather(*(apply_command(sessions, c, actor) for c in racers))

    assert in_flight.most > RACERS // 2
    statuses = [(o.status, o.code) for o in outcomes]
    assert statuses.count(("applied", None)) == 10, statuses
    assert statuses.count(("rejected", "insufficient_stock")) == 10, statuses
    assert await plain_at(sessions, world, "A-05") == 0
    assert await plain_at(sessions, world, "A-04") == 10
    assert await ledger_counts(sessions, [str(c.event_id) for c in racers]) == (10, 10, 10)


@POSTGRES_ONLY
async def test_first_commands_of_a_new_device_racing(http, sessions, world, in_flight):
    """A handheld's first requests can arrive together (e.g. back online): each one must be
    applied on its own merits, not fail on registering the device."""
    worker = await login(http, "worker")  # type: ignore[arg-type]
    bodies = [move_body(worker, world, "A-01", "A-02", 1, device="handheld-new")
              for _ in range(10)]
    responses = await asyncio.gather(*(worker.post("/api/bin-moves", json=b) for b in bodies))
    assert in_flight.most > 5
    assert [r.status_code for r in responses] == [201] * 10, [r.text for r in responses]
    assert await plain_at(sessions, world, "A-01") == 0
    assert await plain_at(sessions, world, "A-02") == 10


@POSTGRES_ONLY
async def test_opposite_moves_do_not_deadlock(sessions, world, in_flight, monkeypatch):
    """post_moves promises a fixed order of row locks. Two commands moving stock in opposite
    directions between the same two bins are held, each just after taking its source quant,
    until the other has taken its own (or 0.5 s have passed): with a fixed lock order the second
    cannot get that far while the first holds a lock it needs, so nobody deadlocks and every
    command is applied on its first attempt."""
    actor = world.actors["supervisor"]
    for dst in ("A-04", "A-05"):
        assert (await apply_command(sessions, move(world, "A-01", dst, 5), actor)).status == \
            "applied"
    in_flight.attempts = 0
    taken = 0
    both_taken = asyncio.Event()
    take = ledger._take

    async def take_then_wait(*args, **kwargs):  # type: ignore[no-untyped-def]
        nonlocal taken
        await take(*args, **kwargs)
        taken += 1
        if taken >= 2:
            both_taken.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(both_taken.wait(), 0.5)

    monkeypatch.setattr(ledger, "_take", take_then_wait)
    pair = [move(world, "A-04", "A-05", 1, device="left"),
            move(world, "A-05", "A-04", 1, device="right")]
    outcomes = await asyncio.gather(*(apply_command(sessions, c, actor) for c in pair),
                                    return_exceptions=True)
    assert [getattr(o, "status", o) for o in outcomes] == ["applied", "applied"]
    assert in_flight.attempts == 2, "a command had to be retried (deadlock detected)"
    assert await plain_at(sessions, world, "A-04") == 5
    assert await plain_at(sessions, world, "A-05") == 5


async def test_check_constraint_rejects_negative_stock_on_real_locations(sessions, world):
    item, real, virtual = world.items["PLAIN"], world.loc("A-01"), world.loc("W1/@adjustment")
    for statement in ("UPDATE quants SET on_hand = -1 WHERE item_id = :i AND location_id = :l",
                      "UPDATE quants SET reserved = on_hand + 1 "
                      "WHERE item_id = :i AND location_id = :l"):
        with pytest.raises(IntegrityError):
            async with sessions() as session, session.begin():
                result = await session.execute(text(statement), {"i": item, "l": real})
                assert result.rowcount == 1
    assert await plain_at(sessions, world, "A-01") == 10
    # Virtual locations carry the other side of the books and may go below zero.
    async with sessions() as session, session.begin():
        result = await session.execute(
            text("UPDATE quants SET on_hand = on_hand - 1 WHERE item_id = :i AND location_id = :l"),
            {"i": item, "l": virtual})
        assert result.rowcount == 1
    async with sessions() as session:
        assert (await session.execute(select(Quant.on_hand).where(
            Quant.item_id == item, Quant.location_id == virtual))).scalar_one() == -11
