"""Devices syncing at once, their lanes taking the same quants: every event is applied once
or rejected, stock never goes below zero, and the quants are exactly what the moves say."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import uuid
from collections import defaultdict

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.db.models import Command, Quant, StockMove
from backend.domain.commands import MoveStock, OpeningLine, PostOpeningBalance
from backend.service.commands import apply_command
from backend.service.sealing import verify_ledger
from backend.service.sync import apply_batch
from tests.world import World

pytestmark = pytest.mark.anyio

BINS = ("A-01", "A-04", "A-05")


def _batch(world: World, rng: random.Random, device: str, size: int) -> list[MoveStock]:
    at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    batch = []
    for n in range(size):
        source, dest = rng.sample(BINS, 2)
        batch.append(
            MoveStock(
                event_id=uuid.UUID(int=rng.getrandbits(128)), device_id=device,
                occurred_at=at + dt.timedelta(milliseconds=n), item_id=world.items["PLAIN"],
                from_location_id=world.loc(source), to_location_id=world.loc(dest),
                quantity=rng.choice([1, 2, 3, 5, 8]),
            )
        )  # fmt: skip
    return batch


async def test_devices_racing_over_the_same_bins(
    sessions: async_sessionmaker[AsyncSession], world: World
) -> None:
    opening = PostOpeningBalance(
        event_id=uuid.uuid4(), device_id="setup",
        occurred_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1),
        lines=[OpeningLine(item_id=world.items["PLAIN"], location_id=world.loc(b), quantity=20)
               for b in BINS],
    )  # fmt: skip
    assert (await apply_command(sessions, opening, world.actors["admin"])).status == "applied"
    rng = random.Random(11)
    streams = {
        f"handheld-{d}": [_batch(world, rng, f"handheld-{d}", 40) for _ in range(3)]
        for d in range(4)
    }
    actor = world.actors["worker"]

    async def device(batches: list[list[MoveStock]]) -> list[str]:
        statuses = []
        for batch in batches:
            statuses += [o.status for o in await apply_batch(sessions, batch, actor, chunk=15)]
        return statuses

    results = await asyncio.gather(*(device(b) for b in streams.values()))
    statuses = [s for r in results for s in r]
    assert set(statuses) <= {"applied", "rejected"}
    assert statuses.count("applied") > len(statuses) // 2

    events = [c.event_id for batches in streams.values() for b in batches for c in b]
    async with sessions() as session:
        recorded = dict(
            (
                await session.execute(
                    select(Command.status, func.count())
                    .where(Command.event_id.in_(events))
                    .group_by(Command.status)
                )
            )
            .tuples()
            .all()
        )
        moves = (await session.execute(select(StockMove))).scalars().all()
        quants = (await session.execute(select(Quant))).scalars().all()
        # Each command's digest matches the moves written under it, sealed or not.
        report = await verify_ledger(session)
    assert report.ok, report.problems
    assert report.commands_checked >= statuses.count("applied")
    assert recorded == {s: statuses.count(s) for s in set(statuses)}
    # The quants are the ledger, summed; real locations never below zero.
    expected: dict[tuple[int, int], int] = defaultdict(int)
    for m in moves:
        expected[(m.item_id, m.from_location_id)] -= m.quantity
        expected[(m.item_id, m.to_location_id)] += m.quantity
    held = {(q.item_id, q.location_id): q.on_hand for q in quants if q.on_hand}
    assert held == {k: v for k, v in expected.items() if v}
    assert all(q.on_hand >= 0 for q in quants if not q.is_virtual)
    plain = world.items["PLAIN"]
    assert sum(q for (item, _), q in held.items() if item == plain) == 0
    assert sum(held[(plain, world.loc(b))] for b in BINS) == 10 + 60  # the world's own 10
