"""Applying a device's offline batch: in order, each event atomically on its own, once.

A batch is applied in chunks, one transaction per chunk. Within it, runs of bin moves, picks
and count records go through the set-wise lane (`backend.service.lane`), a few statements
per run; any other event, and one the lane leaves to its handler, gets a savepoint of its
own: a rejected event rolls back to its savepoint and is recorded as rejected, the events
around it stand. An outcome is reported only once its chunk has committed, so a crash loses
no applied event and applies none twice: the retried batch finds the committed ones as
duplicates.

Events already on record (a replay after a lost response) are answered from one look-up,
without a transaction. When the database gives up a chunk (a deadlock with another device's
batch, a serialization failure), the chunk is rolled back whole and its events are applied
one by one through `apply_command`, which retries each.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.db.models import Command
from backend.domain.actor import Actor
from backend.domain.commands import CommandBase
from backend.domain.errors import DomainError
from backend.service.commands import (
    RETRYABLE_SQLSTATES,
    Outcome,
    apply_command,
    check_dependencies,
    check_envelope,
    command_row,
    command_type,
    duplicate_outcome,
    is_unique_violation,
    run_handler,
    touch_device,
)
from backend.service.lane import run as lane_run
from backend.service.sealing import moves_digest

log = logging.getLogger(__name__)

CHUNK = 250
# A lot or serial created by a concurrent transaction: the event is retried in a new
# savepoint, where it finds the row.
EVENT_ATTEMPTS = 3


class _ChunkAbandoned(Exception):
    """The database rolled back the chunk's transaction; its events go one by one."""


async def apply_batch(
    sessions: async_sessionmaker[AsyncSession],
    commands: Sequence[CommandBase],
    actor: Actor,
    *,
    chunk: int | None = None,
    lane: bool = True,
) -> list[Outcome]:
    """`lane=False` applies every event through its handler (the reference the lane's tests
    compare with)."""
    size = chunk or CHUNK
    outcomes: list[Outcome | None] = [None] * len(commands)
    wanted = {c.event_id for c in commands} | {d for c in commands for d in c.depends_on}
    known = await _on_record(sessions, wanted)
    statuses = {event_id: row.status for event_id, row in known.items()}
    fresh: list[int] = []
    first_in_batch: dict[uuid.UUID, int] = {}
    for index, command in enumerate(commands):
        if command.event_id in known:
            outcomes[index] = duplicate_outcome(known[command.event_id])
        elif command.event_id in first_in_batch:
            continue  # the same event twice in one batch: answered after its first copy
        else:
            first_in_batch[command.event_id] = index
            fresh.append(index)
    for start in range(0, len(fresh), size):
        part = fresh[start : start + size]
        try:
            decided = await _apply_chunk(
                sessions, [commands[i] for i in part], actor, statuses, lane=lane
            )
        except _ChunkAbandoned:
            decided = [await apply_command(sessions, commands[i], actor) for i in part]
        for index, outcome in zip(part, decided, strict=True):
            outcomes[index] = outcome
            statuses[commands[index].event_id] = outcome.status
    for index, command in enumerate(commands):
        if outcomes[index] is None:
            outcomes[index] = await _repeat(sessions, command)
    return [o for o in outcomes if o is not None]


async def _on_record(
    sessions: async_sessionmaker[AsyncSession], event_ids: set[uuid.UUID]
) -> dict[uuid.UUID, Command]:
    if not event_ids:
        return {}
    async with sessions() as session:
        rows = await session.execute(select(Command).where(Command.event_id.in_(event_ids)))
        return {row.event_id: row for row in rows.scalars()}


async def _repeat(sessions: async_sessionmaker[AsyncSession], command: CommandBase) -> Outcome:
    async with sessions() as session:
        first = (
            await session.execute(select(Command).where(Command.event_id == command.event_id))
        ).scalar_one()
        return duplicate_outcome(first)


async def _apply_chunk(
    sessions: async_sessionmaker[AsyncSession],
    commands: list[CommandBase],
    actor: Actor,
    statuses: dict[uuid.UUID, str],
    *,
    lane: bool,
) -> list[Outcome]:
    """Runs of events the lane takes go through it; any other event, and one that stops a
    run, through its handler on its own."""
    outcomes: list[Outcome] = []
    seen = dict(statuses)

    def decided(command: CommandBase, outcome: Outcome) -> None:
        seen[command.event_id] = outcome.status
        outcomes.append(outcome)

    try:
        async with sessions() as session, session.begin():
            for device_id in sorted({c.device_id for c in commands}):
                await touch_device(session, device_id, actor.id)
            index = 0
            while index < len(commands):
                blocked = True
                if lane and lane_run.takes(commands[index]):
                    end = index
                    while end < len(commands) and lane_run.takes(commands[end]):
                        end += 1
                    run = commands[index:end]
                    taken, blocked = await lane_run.apply_run(session, run, actor, seen)
                    for command, outcome in zip(run, taken, strict=False):
                        decided(command, outcome)
                    index += len(taken)
                if index < len(commands) and blocked:
                    command = commands[index]
                    decided(command, await _apply_event(session, command, actor, seen))
                    index += 1
    except DBAPIError as error:
        sqlstate = getattr(error.orig, "sqlstate", None)
        if sqlstate not in RETRYABLE_SQLSTATES:
            raise
        log.info("sync chunk of %d events rolled back (%s): one by one", len(commands), sqlstate)
        raise _ChunkAbandoned from error
    return outcomes


async def _apply_event(
    session: AsyncSession, command: CommandBase, actor: Actor, seen: dict[uuid.UUID, str]
) -> Outcome:
    kind = command_type(command)
    # Each event reads the database afresh: rows another transaction committed since an
    # earlier event of this chunk loaded them must not be served from the identity map.
    session.expunge_all()
    for attempt in range(1, EVENT_ATTEMPTS + 1):
        savepoint = await session.begin_nested()
        try:
            check_envelope(command)
            await check_dependencies(session, command, seen)
            row = command_row(command, actor, "applied")
            session.add(row)
            await session.flush()
            result, moves = await run_handler(session, command, actor, row)
            row.outcome = {"result": result}
            row.moves_digest = moves_digest(moves) if moves else None
            await session.flush()
            await savepoint.commit()
            return Outcome(
                event_id=str(command.event_id), status="applied", type=kind, result=result
            )
        except DomainError as error:
            await savepoint.rollback()
            return await _reject_in_chunk(session, command, actor, error)
        except IntegrityError as error:
            await savepoint.rollback()
            first = (
                await session.execute(select(Command).where(Command.event_id == command.event_id))
            ).scalar_one_or_none()
            if first is not None:
                return duplicate_outcome(first)
            if not is_unique_violation(error) or attempt == EVENT_ATTEMPTS:
                raise
    raise AssertionError("unreachable")


async def _reject_in_chunk(
    session: AsyncSession, command: CommandBase, actor: Actor, error: DomainError
) -> Outcome:
    outcome = error.as_dict()
    row = command_row(command, actor, "rejected")
    row.outcome = outcome
    try:
        async with session.begin_nested():
            session.add(row)
    except IntegrityError:
        # The same event committed meanwhile by another request: that one stands.
        first = (
            await session.execute(select(Command).where(Command.event_id == command.event_id))
        ).scalar_one()
        return duplicate_outcome(first)
    return Outcome(
        event_id=str(command.event_id), status="rejected", type=command_type(command), **outcome
    )
