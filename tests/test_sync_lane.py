"""The set-wise lane of `/api/sync` against the handlers it stands in for.

The same world is built in two databases and the same batches are applied to both, once with
the lane and once through the handlers alone; every outcome and every row the events touched
must come out the same. The batches mix what the lane takes (moves, whole picks, count records)
with everything that must stop it: broken rules, serials, short picks, recounts, the last line
of a count, duplicates and dependencies on rejected events.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import uuid
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
import psycopg
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.api.schemas import SyncEvent
from backend.db.engine import create_engine
from backend.db.migrate import upgrade
from backend.db.models import (
    Alert,
    Command,
    Count,
    CountEntry,
    CountLine,
    Customer,
    DocumentEvent,
    Quant,
    Reservation,
    SalesOrder,
    SalesOrderLine,
    StockMove,
    Task,
    TaskLine,
)
from backend.domain.actor import Actor
from backend.domain.commands import MoveStock, OpeningLine, PostOpeningBalance
from backend.service import catalog, counting, sales
from backend.service import sync as sync_service
from backend.service.commands import Outcome, apply_command
from backend.service.sealing import verify_ledger
from backend.service.sync import apply_batch
from tests.conftest import PG_ADMIN_URL, _truncate
from tests.world import World, build_world

pytestmark = pytest.mark.anyio

DECODE = msgspec.json.Decoder(list[SyncEvent])


@pytest.fixture(scope="module")
def postgres_twin() -> Iterator[str]:
    name = f"stockhand_test_{os.getpid()}_twin"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0].split("://", 1)[1]
    url = f"postgresql+psycopg://{base}/{name}"
    upgrade(url)
    yield url
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def twin_url(db_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if db_url.startswith("sqlite"):
        source = Path(db_url.split("///", 1)[1])
        twin = tmp_path / "twin.db"
        twin.write_bytes(source.read_bytes())
        return f"sqlite+aiosqlite:///{twin}"
    url: str = request.getfixturevalue("postgres_twin")
    _truncate(url)
    return url


@pytest.fixture
async def twin_sessions(twin_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(twin_url, pool_size=5)
    yield async_sessionmaker(engine, expire_on_commit=False)
    await engine.dispose()


@pytest.fixture
def taken(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many events the lane applied (a one-item list, counted up as runs are written)."""
    count = [0]
    original = sync_service.lane_run.apply_run

    async def counting_run(*args: Any, **kwargs: Any) -> tuple[list[Outcome], bool]:
        decided, blocked = await original(*args, **kwargs)
        count[0] += len(decided)
        return decided, blocked

    monkeypatch.setattr(sync_service.lane_run, "apply_run", counting_run)
    return count


class Floor:
    """The work the batches act on: the test world plus orders with pick tasks and counts."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.pick_lines: list[dict[str, Any]] = []
        self.count_lines: list[dict[str, Any]] = []


async def _floor(sessions: async_sessionmaker[AsyncSession]) -> Floor:
    world = await build_world(sessions)
    floor = Floor(world)
    more = PostOpeningBalance(
        event_id=uuid.uuid4(), device_id="setup",
        occurred_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=1),
        lines=[OpeningLine(item_id=world.items["PLAIN"], location_id=world.loc(code), quantity=60)
               for code in ("A-01", "A-04")],
    )  # fmt: skip
    assert (await apply_command(sessions, more, world.actors["admin"])).status == "applied"
    boss = world.actors["supervisor"]
    w1 = world.warehouses["W1"]
    admin = Actor(0, "setup", "admin", frozenset())
    async with sessions() as session, session.begin():
        ship = await catalog.create_location(
            session, admin, {"warehouse_id": w1, "code": "SHIP", "kind": "dock",
                             "purpose": "shipping"})  # fmt: skip
        world.locations["SHIP"] = ship.id
        customer = Customer(code="C1", name="Customer")
        session.add(customer)
        await session.flush()
        for lines in (
            [sales.SaleLine(world.items["PLAIN"], 3), sales.SaleLine(world.items["LOTTED"], 4)],
            [sales.SaleLine(world.items["PLAIN"], 2)],
            [sales.SaleLine(world.items["LOTTED"], 5)],
        ):
            order = await sales.create_order(
                session, boss, customer_id=customer.id, warehouse_id=w1, lines=lines,
                requested_date=None, note=None,
            )  # fmt: skip
            await sales.allocate(session, boss, order.id)
        for scope in 4 * (
            counting.CountScope(location_ids=[world.loc("A-01"), world.loc("A-04")]),
            counting.CountScope(location_ids=[world.loc("A-02"), world.loc("A-05")]),
            counting.CountScope(item_ids=[world.items["PLAIN"]]),
        ):
            await counting.create_count(
                session, boss, counting.CountPlan(warehouse_id=w1, scope=scope)
            )
    async with sessions() as session:
        picks = await session.execute(
            select(TaskLine.id, TaskLine.from_location_id, TaskLine.quantity, TaskLine.item_id,
                   TaskLine.lot_id)
            .join(Task, Task.id == TaskLine.task_id)
            .where(Task.type == "pick")
            .order_by(TaskLine.id)
        )  # fmt: skip
        floor.pick_lines = [row._asdict() for row in picks]
        counts = await session.execute(
            select(CountLine.id, CountLine.location_id, CountLine.item_id).order_by(CountLine.id)
        )
        floor.count_lines = [row._asdict() for row in counts]
    return floor


def _stream(floor: Floor, seed: int, size: int) -> list[dict[str, Any]]:
    """A worker's day in events, rule-breakers among them, in the order they happened."""
    rng = random.Random(seed)
    world = floor.world
    plain, lotted, serial = (world.items[k] for k in ("PLAIN", "LOTTED", "SERIAL"))
    start = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
    events: list[dict[str, Any]] = []
    rejected_ids: list[str] = []

    def envelope(n: int) -> dict[str, Any]:
        return {"event_id": str(uuid.UUID(int=rng.getrandbits(128))), "device_id": "lane-test",
                "occurred_at": (start + dt.timedelta(seconds=n)).isoformat()}  # fmt: skip

    picks = list(floor.pick_lines)
    counts = list(floor.count_lines)
    # Roughly what each bin holds after each event, so that most counts come close to the book
    # (a count far off is recounted, by the handler).
    shelf = {world.loc("A-01"): 70, world.loc("A-04"): 60, world.loc("A-02"): 20,
             world.loc("A-05"): 0}  # fmt: skip
    history = [dict(shelf)]
    for n in range(size):
        roll = rng.random()
        event: dict[str, Any]
        if roll < 0.35:
            forward = rng.random() < 0.5
            a, b = world.loc("A-01"), world.loc("A-04")
            event = {"type": "move_stock", **envelope(n), "item_id": plain,
                     "from_location_id": a if forward else b,
                     "to_location_id": b if forward else a,
                     "quantity": rng.choice([1, 1, 2, 3, 40])}  # fmt: skip
            if rng.random() < 0.15:
                event |= {"item_id": lotted, "from_location_id": world.loc("A-02"),
                          "to_location_id": world.loc("A-05"),
                          "lot_number": rng.choice(["L1", "L1", "L9"])}  # fmt: skip
            if (
                event.get("lot_number") != "L9"
                and shelf[event["from_location_id"]] >= (event["quantity"])
            ):
                shelf[event["from_location_id"]] -= event["quantity"]
                shelf[event["to_location_id"]] += event["quantity"]
            elif rng.random() < 0.05:
                event["to_location_id"] = world.loc("Z-A")
            elif rng.random() < 0.05:
                event |= {"item_id": serial, "from_location_id": world.loc("A-03"),
                          "to_location_id": world.loc("A-05"), "quantity": 1,
                          "serials": [rng.choice(["SN-1", "SN-2", "SN-3"])]}  # fmt: skip
        elif roll < 0.65 and picks:
            line = picks[0] if rng.random() < 0.8 else rng.choice(picks)
            quantity = rng.choice([1, 1, line["quantity"], line["quantity"] + 1])
            event = {"type": "pick_item", **envelope(n), "task_line_id": line["id"],
                     "quantity": quantity,
                     "location_id": line["from_location_id"] if rng.random() < 0.9
                     else world.loc("A-05")}  # fmt: skip
            if line["lot_id"] is not None:
                event["lot_number"] = "L1"
            if rng.random() < 0.3:
                event["item_code"] = (
                    "4006381333931" if line["item_id"] == plain else "5000112637922"
                )
            if rng.random() < 0.07:
                event |= {"quantity": 0, "short": True}
            if line["from_location_id"] in shelf:
                shelf[line["from_location_id"]] -= event["quantity"]
            if rng.random() < 0.3:
                picks.remove(line)
        elif counts:
            line = counts.pop(0) if rng.random() < 0.85 else rng.choice(counts)
            item = line["item_id"] or (
                lotted if line["location_id"] == world.loc("A-02") else plain
            )
            at = n - 20 if rng.random() < 0.3 else n
            book = history[max(at, 0)].get(line["location_id"], 0)
            entry: dict[str, Any] = {
                "item_id": item,
                "quantity": max(0, book + rng.choice([0, 0, 0, 1, -2, 30])),
            }
            if item == lotted:
                entry["lot_number"] = rng.choice(["L1", "L1", "L2"])
            event = {"type": "record_count", **envelope(n), "count_line_id": line["id"],
                     "entries": [entry]}  # fmt: skip
            if rng.random() < 0.1:
                event |= {"entries": [], "empty": True}
            # Counted earlier, sent after moves made since: those are not variances.
            event["occurred_at"] = (start + dt.timedelta(seconds=at)).isoformat()
        else:
            event = {"type": "move_stock", **envelope(n), "item_id": plain,
                     "from_location_id": world.loc("A-01"), "to_location_id": world.loc("A-04"),
                     "quantity": 1}  # fmt: skip
        if rejected_ids and rng.random() < 0.05:
            event["depends_on"] = [rng.choice(rejected_ids)]
        elif events and rng.random() < 0.05:
            event["depends_on"] = [events[-1]["event_id"]]
        if event["type"] == "move_stock" and event["quantity"] == 40:
            rejected_ids.append(event["event_id"])
        events.append(event)
        history.append(dict(shelf))
        if rng.random() < 0.03:
            events.append(dict(event))  # the same event twice in one batch
    return events


async def _apply(
    sessions: async_sessionmaker[AsyncSession],
    floor: Floor,
    events: list[dict[str, Any]],
    *,
    lane: bool,
) -> list[Outcome]:
    actor = floor.world.actors["worker"]
    outcomes: list[Outcome] = []
    for start in range(0, len(events), 60):
        commands = DECODE.decode(msgspec.json.encode(events[start : start + 60]))
        outcomes += await apply_batch(sessions, commands, actor, chunk=25, lane=lane)
    return outcomes


def _outcome(outcome: Outcome) -> dict[str, Any]:
    """An outcome without the ids the database handed out."""
    found = msgspec.to_builtins(outcome)
    for holder in (found.get("result"), (found.get("first_outcome") or {}).get("result")):
        if holder and "move_ids" in holder:
            holder["move_ids"] = len(holder["move_ids"])
    return found


async def _state(
    sessions: async_sessionmaker[AsyncSession], events: list[dict[str, Any]]
) -> dict[str, Any]:
    """Every row the events may touch, keyed by what does not depend on insertion order. The
    commands that built the world have random event ids: they are named "setup"."""
    streamed = {e["event_id"] for e in events}
    async with sessions() as session:
        commands = {c.id: c for c in (await session.execute(select(Command))).scalars()}
        event_of = {
            i: str(c.event_id) if str(c.event_id) in streamed else "setup"
            for i, c in commands.items()
        }

        async def rows(model: Any, *columns: Any) -> list[tuple[Any, ...]]:
            found = await session.execute(select(*columns).order_by(*columns))
            return [tuple(r) for r in found]

        state: dict[str, Any] = {
            "quants": await rows(Quant, Quant.item_id, Quant.location_id, Quant.lot_key,
                                 Quant.on_hand, Quant.reserved),
            "task_lines": await rows(TaskLine, TaskLine.id, TaskLine.status,
                                     TaskLine.done_quantity),
            "tasks": await rows(Task, Task.id, Task.status, Task.assignee_id,
                                Task.completed_at.is_(None)),
            "reservations": await rows(Reservation, Reservation.id, Reservation.status,
                                       Reservation.quantity),
            "order_lines": await rows(SalesOrderLine, SalesOrderLine.id,
                                      SalesOrderLine.reserved_quantity,
                                      SalesOrderLine.picked_quantity,
                                      SalesOrderLine.short_quantity),
            "orders": await rows(SalesOrder, SalesOrder.id, SalesOrder.status),
            "counts": await rows(Count, Count.id, Count.status, Count.lines_counted,
                                 Count.lines_accurate),
            "open_alerts": await rows(Alert, Alert.kind, Alert.subject, Alert.status),
        }  # fmt: skip
        state["open_alerts"] = sorted(a for a in state["open_alerts"] if a[2] == "open")
        lines = (await session.execute(select(CountLine).order_by(CountLine.id))).scalars()
        state["count_lines"] = [
            (ln.id, ln.count_id, ln.task_id, ln.round, ln.status, ln.counted_by,
             ln.counted_at, event_of.get(ln.command_id or 0), ln.excluded_user_id)
            for ln in lines
        ]  # fmt: skip
        entries = (await session.execute(select(CountEntry))).scalars()
        state["count_entries"] = sorted(
            (e.count_line_id, e.item_id, e.lot_id or 0, e.quantity, e.book_quantity,
             e.variance, Decimal(e.variance_value), e.status)
            for e in entries
        )  # fmt: skip
        moves = (await session.execute(select(StockMove))).scalars()
        state["moves"] = sorted(
            (event_of[m.command_id], m.seq, m.item_id, m.lot_id or 0, m.serial_id or 0,
             m.quantity, m.from_location_id, m.to_location_id, m.user_id,
             m.occurred_at if event_of[m.command_id] != "setup" else None,
             m.document_type, m.document_ref, m.reason or "", m.note or "")
            for m in moves
        )  # fmt: skip
        documents = (await session.execute(select(DocumentEvent))).scalars()
        state["documents"] = sorted(
            (d.document_type, d.document_id, d.action, d.user_id,
             event_of.get(d.command_id or 0, ""), msgspec.json.encode(d.details))
            for d in documents
        )  # fmt: skip
        state["commands"] = sorted(
            (event_of[c.id], c.type, c.device_id, c.user_id, c.status,
             msgspec.json.encode(c.payload, order="sorted"), c.moves_digest is None)
            for c in commands.values()
            if event_of[c.id] != "setup"
        )  # fmt: skip
        return state


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_lane_matches_the_handlers(
    sessions: async_sessionmaker[AsyncSession],
    twin_sessions: async_sessionmaker[AsyncSession],
    taken: list[int],
    seed: int,
) -> None:
    floor = await _floor(sessions)
    twin = await _floor(twin_sessions)
    assert floor.pick_lines == twin.pick_lines and floor.count_lines == twin.count_lines
    events = _stream(floor, seed, 180)

    with_lane = await _apply(sessions, floor, events, lane=True)
    reference = await _apply(twin_sessions, twin, events, lane=False)

    assert [_outcome(o) for o in with_lane] == [_outcome(o) for o in reference]
    statuses = {o.status for o in with_lane}
    assert {"applied", "rejected", "duplicate"} <= statuses
    # The lane took most of the stream, or the comparison would prove little.
    assert taken[0] >= len(events) // 3, (taken[0], len(events))
    lane_state = await _state(sessions, events)
    reference_state = await _state(twin_sessions, events)
    for table in reference_state:
        assert lane_state[table] == reference_state[table], table
    # The ledger still balances: every item sums to zero over all locations, real ones >= 0.
    totals: dict[int, int] = {}
    for item, _, _, on_hand, _ in lane_state["quants"]:
        totals[item] = totals.get(item, 0) + on_hand
    assert set(totals.values()) == {0}
    async with sessions() as session:
        report = await verify_ledger(session)
    assert report.ok, report.problems


async def test_replayed_lane_batch_is_all_duplicates(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    floor = await _floor(sessions)
    events = _stream(floor, 7, 60)
    first = await _apply(sessions, floor, events, lane=True)
    before = await _state(sessions, events)
    again = await _apply(sessions, floor, events, lane=True)
    assert {o.status for o in again} == {"duplicate"}
    assert [o.first_outcome["status"] for o in again] == [  # type: ignore[index]
        o.status if o.status != "duplicate" else o.first_outcome["status"]  # type: ignore[index]
        for o in first
    ]
    assert await _state(sessions, events) == before


async def test_count_in_a_run_is_judged_before_the_runs_later_moves(
    sessions: async_sessionmaker[AsyncSession], taken: list[int]
) -> None:
    """A bin counted at 10:00 and sent after a move out of it made at 10:05, in one run: the
    count sees the shelf as it was at 10:00, so it matches the book."""
    floor = await _floor(sessions)
    world = floor.world
    line = next(ln for ln in floor.count_lines if ln["location_id"] == world.loc("A-04"))
    at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=30)
    events = [
        {"type": "move_stock", "event_id": str(uuid.uuid4()), "device_id": "d",
         "occurred_at": (at + dt.timedelta(minutes=5)).isoformat(),
         "item_id": world.items["PLAIN"], "from_location_id": world.loc("A-04"),
         "to_location_id": world.loc("A-01"), "quantity": 2},
        {"type": "record_count", "event_id": str(uuid.uuid4()), "device_id": "d",
         "occurred_at": at.isoformat(), "count_line_id": line["id"],
         "entries": [{"item_id": world.items["PLAIN"], "quantity": 60}]},
    ]  # fmt: skip
    outcomes = await _apply(sessions, floor, events, lane=True)
    assert [o.status for o in outcomes] == ["applied", "applied"]
    assert taken[0] == 2
    async with sessions() as session:
        entry = (
            await session.execute(select(CountEntry).where(CountEntry.count_line_id == line["id"]))
        ).scalar_one()
    assert (entry.book_quantity, entry.variance, entry.status) == (60, 0, "accepted")


async def test_a_count_stamped_without_a_time_zone_is_refused_alone(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    floor = await _floor(sessions)
    world = floor.world
    first, second = floor.count_lines[0], floor.count_lines[1]
    at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10)

    def count(line: dict[str, Any], stamp: str) -> dict[str, Any]:
        return {"type": "record_count", "event_id": str(uuid.uuid4()), "device_id": "d",
                "occurred_at": stamp, "count_line_id": line["id"],
                "entries": [{"item_id": world.items["PLAIN"], "quantity": 70}]}  # fmt: skip

    events = [
        count(first, at.replace(tzinfo=None).isoformat()),
        count(second, at.isoformat()),
    ]
    outcomes = await _apply(sessions, floor, events, lane=True)
    assert [(o.status, o.code) for o in outcomes] == [
        ("rejected", "invalid_request"),
        ("applied", None),
    ]


async def test_a_fault_in_the_lane_leaves_the_event_to_its_handler(
    sessions: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    floor = await _floor(sessions)
    world = floor.world
    real = sync_service.lane_run.PLANNERS[MoveStock]
    calls = [0]

    def faulty(draft: Any, command: Any, actor: Actor) -> dict[str, Any]:
        calls[0] += 1
        if calls[0] == 2:
            raise KeyError("a fault of the lane")
        return real(draft, command, actor)

    monkeypatch.setitem(sync_service.lane_run.PLANNERS, MoveStock, faulty)
    events = [
        {"type": "move_stock", "event_id": str(uuid.uuid4()), "device_id": "d",
         "occurred_at": dt.datetime.now(dt.UTC).isoformat(), "item_id": world.items["PLAIN"],
         "from_location_id": world.loc("A-01"), "to_location_id": world.loc("A-04"),
         "quantity": 1}
        for _ in range(3)
    ]  # fmt: skip
    outcomes = await _apply(sessions, floor, events, lane=True)
    assert [o.status for o in outcomes] == ["applied"] * 3
    assert "its handler decides" in caplog.text
    async with sessions() as session:
        moved = await session.scalar(
            select(func.count())
            .select_from(StockMove)
            .where(StockMove.document_ref.in_([e["event_id"] for e in events]))
        )
    assert moved == 3
