"""The stock ledger through `apply_command` and `post_moves`, on SQLite and PostgreSQL.

Stock changes only by appending moves; the quant projection must always equal the moves summed,
real locations never go negative, every item's stock sums to zero over all locations (the virtual
ones carry the other side), and a command applies at most once per event_id.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
import uuid
from collections import defaultdict
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.db.engine import create_engine
from backend.db.models import Command, Lot, Quant, Serial, StockMove
from backend.domain.commands import AdjustStock, MoveStock
from backend.service.commands import apply_command
from tests.conftest import _truncate
from tests.world import World, build_world

pytestmark = pytest.mark.anyio

DEVICE = "ledger-tests"
W1_BINS = ("A-01", "A-02", "A-03", "A-04", "A-05", "DOCK-1")


# --- helpers -----------------------------------------------------------------------------------


def envelope(device: str = DEVICE) -> dict:
    return {"event_id": uuid.uuid4(), "device_id": device, "occurred_at": dt.datetime.now(dt.UTC)}


def move(world: World, sku: str, src: str, dst: str, quantity: int, *, lot: str | None = None,
         serials: tuple[str, ...] = (), device: str = DEVICE) -> MoveStock:
    return MoveStock(**envelope(device), item_id=world.items[sku],
                     from_location_id=world.loc(src), to_location_id=world.loc(dst),
                     quantity=quantity, lot_number=lot, serials=list(serials))


def adjust(world: World, sku: str, at: str, quantity: int, reason: str, *,
           lot: str | None = None, serials: tuple[str, ...] = ()) -> AdjustStock:
    return AdjustStock(**envelope(), item_id=world.items[sku], location_id=world.loc(at),
                       quantity=quantity, reason=reason, lot_number=lot,  # type: ignore[arg-type]
                       serials=list(serials))


async def quant_rows(sessions: async_sessionmaker[AsyncSession]) -> dict[tuple, tuple]:
    """(item, location, lot_key) -> (on_hand, reserved, is_virtual)."""
    async with sessions() as session:
        rows = await session.execute(select(Quant.item_id, Quant.location_id, Quant.lot_key,
                                            Quant.on_hand, Quant.reserved, Quant.is_virtual))
        return {(r[0], r[1], r[2]): (r[3], r[4], bool(r[5])) for r in rows}


async def on_hand(sessions: async_sessionmaker[AsyncSession], world: World, sku: str, at: str,
                  lot: str | None = None) -> int:
    async with sessions() as session:
        lot_key = 0
        if lot is not None:
            lot_key = (await session.execute(select(Lot.id).where(
                Lot.item_id == world.items[sku], Lot.lot_number == lot))).scalar_one()
        value = (await session.execute(select(Quant.on_hand).where(
            Quant.item_id == world.items[sku], Quant.location_id == world.loc(at),
            Quant.lot_key == lot_key))).scalar()
        return value or 0


MOVE_COLUMNS = (StockMove.id, StockMove.command_id, StockMove.seq, StockMove.item_id,
                StockMove.lot_id, StockMove.serial_id, StockMove.quantity,
                StockMove.from_location_id, StockMove.to_location_id, StockMove.user_id,
                StockMove.occurred_at, StockMove.created_at, StockMove.document_type,
                StockMove.document_ref, StockMove.reason, StockMove.note)


async def move_rows(sessions: async_sessionmaker[AsyncSession]) -> list[tuple]:
    async with sessions() as session:
        return [tuple(r) for r in await session.execute(
            select(*MOVE_COLUMNS).order_by(StockMove.id))]


async def command_row(sessions: async_sessionmaker[AsyncSession], event_id: uuid.UUID) -> Command:
    async with sessions() as session:
        return (await session.execute(
            select(Command).where(Command.event_id == event_id))).scalar_one()


async def moves_of(sessions: async_sessionmaker[AsyncSession], event_id: uuid.UUID) -> list:
    async with sessions() as session:
        return list((await session.execute(
            select(StockMove).join(Command, Command.id == StockMove.command_id)
            .where(Command.event_id == event_id).order_by(StockMove.seq))).scalars())


async def check_ledger_invariants(sessions: async_sessionmaker[AsyncSession]) -> dict[tuple, int]:
    """Assert the invariants that hold after any sequence of commands; returns real quants."""
    quants = await quant_rows(sessions)
    per_item: dict[int, int] = defaultdict(int)
    for (item_id, _, _), (qty, _, _) in quants.items():
        per_item[item_id] += qty
    assert all(total == 0 for total in per_item.values()), dict(per_item)
    negatives = {k: v for k, v in quants.items() if not v[2] and (v[0] < 0 or v[1] < 0)}
    assert not negatives
    replayed: dict[tuple, int] = defaultdict(int)
    async with sessions() as session:
        rows = await session.execute(select(StockMove.item_id, StockMove.lot_id,
                                            StockMove.quantity, StockMove.from_location_id,
                                            StockMove.to_location_id))
        for item_id, lot_id, quantity, src, dst in rows:
            replayed[(item_id, src, lot_id or 0)] -= quantity
            replayed[(item_id, dst, lot_id or 0)] += quantity
    projected = {k: v[0] for k, v in quants.items() if v[0] != 0}
    assert projected == {k: v for k, v in replayed.items() if v != 0}
    return {k: v[0] for k, v in quants.items() if not v[2]}


# --- property: random operation sequences against a model ------------------------------------

ITEM_LOTS = (("PLAIN", None), ("LOTTED", "L1"), ("LOTTED", "L2"), ("LOTTED", "L3"))
bin_pairs = st.tuples(st.sampled_from(W1_BINS), st.sampled_from(W1_BINS)).filter(
    lambda pair: pair[0] != pair[1])
move_ops = st.tuples(st.just("move"), st.sampled_from(ITEM_LOTS), bin_pairs,
                     st.integers(1, 12))
adjust_ops = st.tuples(st.just("adjust"), st.sampled_from(ITEM_LOTS),
                       st.sampled_from(W1_BINS), st.sampled_from(("found", "loss", "damage")),
                       st.integers(1, 12))
operations = st.lists(st.one_of(move_ops, adjust_ops), min_size=1, max_size=20)


async def run_model(sessions: async_sessionmaker[AsyncSession], world: World,
                    ops: list[tuple]) -> None:
    supervisor = world.actors["supervisor"]
    model: dict[tuple[str, str, str | None], int] = defaultdict(int)
    model[("PLAIN", "A-01", None)] = 10
    model[("LOTTED", "A-02", "L1")] = 20
    known_lots = {"L1"}
    expected_rejections = actual_rejections = 0
    for op in ops:
        (sku, lot) = op[1]
        if op[0] == "move":
            (src, dst), quantity = op[2], op[3]
            command = move(world, sku, src, dst, quantity, lot=lot)
            taking, adding = (sku, src, lot), (sku, dst, lot)
        else:
            at, reason, quantity = op[2], op[3], op[4]
            signed = quantity if reason == "found" else -quantity
            command = adjust(world, sku, at, signed, reason, lot=lot)
            taking, adding = (None, (sku, at, lot)) if signed > 0 else ((sku, at, lot), None)
        if taking is not None and lot is not None and lot not in known_lots:
            expected = ("rejected", "not_found")
        elif taking is not None and model[taking] < quantity:
            expected = ("rejected", "insufficient_stock")
        else:
            expected = ("applied", None)
            if taking is not None:
                model[taking] -= quantity
            if adding is not None:
                model[adding] += quantity
            if lot is not None:
                known_lots.add(lot)
        outcome = await apply_command(sessions, command, supervisor)
        assert (outcome.status, outcome.code) == expected, (op, outcome)
        expected_rejections += expected[0] == "rejected"
        actual_rejections += outcome.status == "rejected"

    real = await check_ledger_invariants(sessions)
    async with sessions() as session:
        lot_ids = dict((await session.execute(select(Lot.lot_number, Lot.id).where(
            Lot.item_id == world.items["LOTTED"]))).tuples().all())
        rejected = (await session.execute(select(func.count()).select_from(Command).where(
            Command.status == "rejected"))).scalar_one()
    assert rejected == actual_rejections == expected_rejections
    expected_real = {(world.items[sku], world.loc(at), lot_ids[lot] if lot else 0): qty
                     for (sku, at, lot), qty in model.items() if qty}
    expected_real[(world.items["PLAIN"], world.loc("B-01"), 0)] = 5
    expected_real[(world.items["SERIAL"], world.loc("A-03"), 0)] = 3
    assert {k: v for k, v in real.items() if v} == expected_real


async def _sqlite_example(snapshot: Path, workdir: Path, world: World, ops: list) -> None:
    path = workdir / f"{uuid.uuid4().hex}.db"
    shutil.copy(snapshot, path)
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    try:
        await run_model(async_sessionmaker(engine, expire_on_commit=False), world, ops)
    finally:
        await engine.dispose()
        path.unlink()


async def _build_world_at(url: str) -> World:
    engine = create_engine(url, pool_size=2)
    try:
        return await build_world(async_sessionmaker(engine, expire_on_commit=False))
    finally:
        await engine.dispose()


async def _postgres_example(url: str, ops: list) -> None:
    _truncate(url)
    engine = create_engine(url, pool_size=2)
    try:
        sessions = async_sessionmaker(engine, expire_on_commit=False)
        await run_model(sessions, await build_world(sessions), ops)
    finally:
        await engine.dispose()


@pytest.mark.parametrize("backend", [
    pytest.param("sqlite", marks=pytest.mark.sqlite),
    pytest.param("postgres", marks=pytest.mark.postgres),
])
def test_random_command_sequences_keep_the_ledger_exact(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """Each example runs on a fresh database: SQLite copies a built world, PostgreSQL is
    truncated and the world rebuilt."""
    if backend == "sqlite":
        snapshot = tmp_path / "world.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), snapshot)
        world = asyncio.run(_build_world_at(f"sqlite+aiosqlite:///{snapshot}"))
        assert not Path(f"{snapshot}-wal").exists()

        def example(ops: list) -> None:
            asyncio.run(_sqlite_example(snapshot, tmp_path, world, ops))

        max_examples = 25
    else:
        url = request.getfixturevalue("postgres_database")

        def example(ops: list) -> None:
            asyncio.run(_postgres_example(url, ops))

        max_examples = 6

    @settings(max_examples=max_examples, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(ops=operations)
    def run(ops: list) -> None:
        example(ops)

    run()


# --- single rules ------------------------------------------------------------------------------


async def test_moving_more_than_on_hand_is_rejected_and_changes_nothing(sessions, world):
    before_quants, before_moves = await quant_rows(sessions), await move_rows(sessions)
    command = move(world, "PLAIN", "A-01", "A-02", 11)
    outcome = await apply_command(sessions, command, world.actors["supervisor"])
    assert outcome.status == "rejected"
    assert outcome.code == "insufficient_stock"
    assert outcome.details is not None
    assert (outcome.details["available"], outcome.details["requested"]) == (10, 11)
    assert await quant_rows(sessions) == before_quants
    assert await move_rows(sessions) == before_moves
    row = await command_row(sessions, command.event_id)
    assert row.status == "rejected"
    assert row.outcome["code"] == "insufficient_stock"
    assert row.moves_digest is None
    # Exactly what is there can be moved.
    outcome = await apply_command(sessions, move(world, "PLAIN", "A-01", "A-02", 10),
                                  world.actors["supervisor"])
    assert outcome.status == "applied"
    assert await on_hand(sessions, world, "PLAIN", "A-01") == 0
    assert await on_hand(sessions, world, "PLAIN", "A-02") == 10
    await check_ledger_invariants(sessions)


async def test_a_rejected_line_rolls_back_the_whole_command(sessions, world):
    """A serial move takes the first serial, then fails on the second: nothing may remain."""
    outcome = await apply_command(sessions, move(world, "SERIAL", "A-03", "A-04", 2,
                                                 serials=("SN-1", "SN-1")),
                                  world.actors["supervisor"])
    assert (outcome.status, outcome.code) == ("rejected", "tracking_mismatch")
    await apply_command(sessions, move(world, "SERIAL", "A-03", "A-05", 1, serials=("SN-2",)),
                        world.actors["supervisor"])
    before_quants, before_moves = await quant_rows(sessions), await move_rows(sessions)
    outcome = await apply_command(sessions, move(world, "SERIAL", "A-03", "A-04", 2,
                                                 serials=("SN-1", "SN-2")),
                                  world.actors["supervisor"])
    assert (outcome.status, outcome.code) == ("rejected", "serial_unavailable")
    assert await quant_rows(sessions) == before_quants
    assert await move_rows(sessions) == before_moves
    async with sessions() as session:
        result = await session.execute(select(Serial.serial, Serial.location_id))
        where = dict(result.tuples().all())
    assert where == {"SN-1": world.loc("A-03"), "SN-2": world.loc("A-05"),
                     "SN-3": world.loc("A-03")}


async def test_lot_tracked_item_needs_a_lot(sessions, world):
    before = await quant_rows(sessions)
    outcome = await apply_command(sessions, move(world, "LOTTED", "A-02", "A-04", 1),
                                  world.actors["supervisor"])
    assert (outcome.status, outcome.code) == ("rejected", "tracking_mismatch")
    assert await quant_rows(sessions) == before
    outcome = await apply_command(sessions, move(world, "LOTTED", "A-02", "A-04", 1, lot="L1"),
                                  world.actors["supervisor"])
    assert outcome.status == "applied"
    assert await on_hand(sessions, world, "LOTTED", "A-04", "L1") == 1
    assert await on_hand(sessions, world, "LOTTED", "A-02", "L1") == 19


async def test_serial_moves_follow_where_the_serial_is(sessions, world):
    supervisor = world.actors["supervisor"]
    first = move(world, "SERIAL", "A-03", "A-04", 1, serials=("SN-1",))
    assert (await apply_command(sessions, first, supervisor)).status == "applied"
    async with sessions() as session:
        serial = (await session.execute(select(Serial).where(Serial.serial == "SN-1"))).scalar_one()
    assert serial.location_id == world.loc("A-04")
    assert await on_hand(sessions, world, "SERIAL", "A-03") == 2
    assert await on_hand(sessions, world, "SERIAL", "A-04") == 1

    before_quants, before_moves = await quant_rows(sessions), await move_rows(sessions)
    again = move(world, "SERIAL", "A-03", "A-05", 1, serials=("SN-1",))
    outcome = await apply_command(sessions, again, supervisor)
    assert (outcome.status, outcome.code) == ("rejected", "serial_unavailable")
    assert await quant_rows(sessions) == before_quants
    assert await move_rows(sessions) == before_moves
    # From where it really is, it moves on.
    onward = move(world, "SERIAL", "A-04", "A-05", 1, serials=("SN-1",))
    assert (await apply_command(sessions, onward, supervisor)).status == "applied"
    await check_ledger_invariants(sessions)


async def test_found_cannot_create_a_serial_that_is_in_stock(sessions, world):
    supervisor = world.actors["supervisor"]
    before_quants, before_moves = await quant_rows(sessions), await move_rows(sessions)
    outcome = await apply_command(
        sessions, adjust(world, "SERIAL", "A-05", 1, "found", serials=("SN-1",)), supervisor)
    assert (outcome.status, outcome.code) == ("rejected", "serial_unavailable")
    assert await quant_rows(sessions) == before_quants
    assert await move_rows(sessions) == before_moves
    # Once written off it can be found again; a new serial can be found at once.
    lost = adjust(world, "SERIAL", "A-03", -1, "loss", serials=("SN-1",))
    assert (await apply_command(sessions, lost, supervisor)).status == "applied"
    found = adjust(world, "SERIAL", "A-05", 2, "found", serials=("SN-1", "SN-9"))
    assert (await apply_command(sessions, found, supervisor)).status == "applied"
    assert await on_hand(sessions, world, "SERIAL", "A-03") == 2
    assert await on_hand(sessions, world, "SERIAL", "A-05") == 2
    await check_ledger_invariants(sessions)


async def test_serial_move_posts_one_unit_per_serial(sessions, world):
    supervisor = world.actors["supervisor"]
    command = move(world, "SERIAL", "A-03", "A-05", 2, serials=("SN-1", "SN-3"))
    assert (await apply_command(sessions, command, supervisor)).status == "applied"
    moves = await moves_of(sessions, command.event_id)
    async with sessions() as session:
        ids = dict((await session.execute(select(Serial.serial, Serial.id))).tuples().all())
    assert [(m.seq, m.quantity, m.serial_id) for m in moves] == [
        (1, 1, ids["SN-1"]), (2, 1, ids["SN-3"])]
    assert await on_hand(sessions, world, "SERIAL", "A-05") == 2
    assert await on_hand(sessions, world, "SERIAL", "A-03") == 1
    wrong_count = move(world, "SERIAL", "A-03", "A-05", 2, serials=("SN-2",))
    outcome = await apply_command(sessions, wrong_count, supervisor)
    assert (outcome.status, outcome.code) == ("rejected", "tracking_mismatch")


@pytest.mark.parametrize(("src", "dst"), [("A-01", "Z-A"), ("A-01", "B-01"),
                                          ("A-01", "W1/@scrap"), ("A-01", "A-01")])
async def test_invalid_moves_are_rejected(sessions, world, src, dst):
    before_quants, before_moves = await quant_rows(sessions), await move_rows(sessions)
    # The admin may touch both warehouses, so only the move itself is at fault.
    outcome = await apply_command(sessions, move(world, "PLAIN", src, dst, 1),
                                  world.actors["admin"])
    assert (outcome.status, outcome.code) == ("rejected", "invalid_move")
    assert await quant_rows(sessions) == before_quants
    assert await move_rows(sessions) == before_moves


async def test_worker_may_not_adjust_nor_leave_their_warehouse(sessions, world):
    worker = world.actors["worker"]
    before_quants = await quant_rows(sessions)
    outcome = await apply_command(sessions, adjust(world, "PLAIN", "B-01", -1, "loss"), worker)
    assert (outcome.status, outcome.code) == ("rejected", "warehouse_out_of_scope")
    outcome = await apply_command(sessions, move(world, "PLAIN", "B-01", "B-02", 1), worker)
    assert (outcome.status, outcome.code) == ("rejected", "warehouse_out_of_scope")
    assert await quant_rows(sessions) == before_quants
    # The same move is fine for a W2 worker, and in W1 for this one.
    assert (await apply_command(sessions, move(world, "PLAIN", "B-01", "B-02", 1),
                                world.actors["worker2"])).status == "applied"
    assert (await apply_command(sessions, move(world, "PLAIN", "A-01", "A-02", 1),
                                worker)).status == "applied"


async def test_moves_are_only_ever_appended(sessions, world):
    supervisor = world.actors["supervisor"]
    before = await move_rows(sessions)
    commands = [
        move(world, "PLAIN", "A-01", "A-02", 4),
        move(world, "PLAIN", "A-02", "A-01", 3),
        adjust(world, "PLAIN", "A-01", -2, "damage"),
        adjust(world, "LOTTED", "A-02", 5, "found", lot="L1"),
        move(world, "LOTTED", "A-02", "DOCK-1", 25, lot="L1"),
        move(world, "PLAIN", "A-02", "A-04", 50),  # rejected
    ]
    for command in commands:
        await apply_command(sessions, command, supervisor)
    after = await move_rows(sessions)
    assert after[: len(before)] == before
    assert len(after) == len(before) + 5
    assert [row[0] for row in after] == sorted({row[0] for row in after})
    await check_ledger_invariants(sessions)


# --- idempotency -------------------------------------------------------------------------------


async def test_replayed_command_applies_once(sessions, world):
    supervisor = world.actors["supervisor"]
    command = move(world, "PLAIN", "A-01", "A-04", 3)
    first = await apply_command(sessions, command, supervisor)
    assert first.status == "applied"
    moves_after_first = await move_rows(sessions)
    second = await apply_command(sessions, command, supervisor)
    assert second.status == "duplicate"
    assert second.event_id == str(command.event_id)
    assert second.first_outcome is not None
    assert second.first_outcome["status"] == "applied"
    assert second.first_outcome["result"]["move_ids"] == first.result["move_ids"]  # type: ignore[index]
    assert await on_hand(sessions, world, "PLAIN", "A-01") == 7
    assert await on_hand(sessions, world, "PLAIN", "A-04") == 3
    assert await move_rows(sessions) == moves_after_first
    # A replay with a different body under the same event_id is still only the first outcome.
    altered = MoveStock(event_id=command.event_id, device_id=DEVICE,
                        occurred_at=command.occurred_at, item_id=world.items["PLAIN"],
                        from_location_id=world.loc("A-01"), to_location_id=world.loc("A-05"),
                        quantity=1)
    assert (await apply_command(sessions, altered, supervisor)).status == "duplicate"
    assert await on_hand(sessions, world, "PLAIN", "A-05") == 0


async def test_replayed_rejection_stays_rejected(sessions, world):
    supervisor = world.actors["supervisor"]
    command = move(world, "PLAIN", "A-01", "A-04", 30)
    first = await apply_command(sessions, command, supervisor)
    assert (first.status, first.code) == ("rejected", "insufficient_stock")
    # Stock arrives meanwhile; the replay must not apply the command now.
    assert (await apply_command(sessions, adjust(world, "PLAIN", "A-01", 40, "found"),
                                supervisor)).status == "applied"
    again = await apply_command(sessions, command, supervisor)
    assert again.status == "duplicate"
    assert again.first_outcome is not None
    assert again.first_outcome["status"] == "rejected"
    assert again.first_outcome["code"] == "insufficient_stock"
    assert await on_hand(sessions, world, "PLAIN", "A-01") == 50
    assert await on_hand(sessions, world, "PLAIN", "A-04") == 0
    async with sessions() as session:
        count = (await session.execute(select(func.count()).select_from(Command).where(
            Command.event_id == command.event_id))).scalar_one()
    assert count == 1


@pytest.mark.parametrize("device", ["test-device", "brand-new-device"])
async def test_concurrent_replays_apply_once(sessions, world, device):
    """The world's device is known; a new device is inserted by both racers."""
    supervisor = world.actors["supervisor"]
    before_moves = len(await move_rows(sessions))
    command = move(world, "PLAIN", "A-01", "A-04", 4, device=device)
    outcomes = await asyncio.gather(apply_command(sessions, command, supervisor),
                                    apply_command(sessions, command, supervisor))
    assert sorted(o.status for o in outcomes) == ["applied", "duplicate"]
    duplicate = next(o for o in outcomes if o.status == "duplicate")
    assert duplicate.first_outcome is not None
    assert duplicate.first_outcome["status"] == "applied"
    assert await on_hand(sessions, world, "PLAIN", "A-01") == 6
    assert await on_hand(sessions, world, "PLAIN", "A-04") == 4
    assert len(await move_rows(sessions)) == before_moves + 1
    await check_ledger_invariants(sessions)


async def test_concurrent_replays_of_a_rejection_record_it_once(sessions, world):
    supervisor = world.actors["supervisor"]
    command = move(world, "PLAIN", "A-01", "A-04", 11, device="brand-new-device")
    outcomes = await asyncio.gather(apply_command(sessions, command, supervisor),
                                    apply_command(sessions, command, supervisor))
    assert sorted(o.status for o in outcomes) == ["duplicate", "rejected"]
    rejected = next(o for o in outcomes if o.status == "rejected")
    duplicate = next(o for o in outcomes if o.status == "duplicate")
    assert rejected.code == "insufficient_stock"
    assert duplicate.first_outcome is not None
    assert duplicate.first_outcome["status"] == "rejected"
    assert duplicate.first_outcome["code"] == "insufficient_stock"
    async with sessions() as session:
        count = (await session.execute(select(func.count()).select_from(Command).where(
            Command.event_id == command.event_id))).scalar_one()
    assert count == 1
    assert await on_hand(sessions, world, "PLAIN", "A-01") == 10
