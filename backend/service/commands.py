"""Applying commands: one function for task endpoints and offline sync alike.

`apply_command` stores each command under its `event_id` with its first outcome, in the same
transaction as the moves it posts. A replay of the same `event_id` changes nothing and answers
`duplicate` with that first outcome; a broken rule rolls the command back and records it as
`rejected`, so the worker and the supervisor can see why.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Literal

import msgspec
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.db.models import Command, Device, utcnow
from backend.db.upsert import dialect_insert
from backend.domain.actor import Actor
from backend.domain.commands import (
    AdjustStock,
    ClaimTask,
    CloseTransfer,
    CommandBase,
    DecideAdjustment,
    DecideCount,
    MoveStock,
    PackItems,
    PickItem,
    PostOpeningBalance,
    PutAway,
    ReceiveGoods,
    ReceiveTransfer,
    RecordCount,
    ShipOrder,
    ShipTransfer,
)
from backend.domain.errors import DependencyRejected, DomainError, InvalidRequest
from backend.service import (
    adjustments,
    alerts,
    counting_decisions,
    counting_record,
    packing,
    picking,
    receiving,
    shipping,
    stock_rules,
    tasks,
    transfers,
)
from backend.service.applied import Applied
from backend.service.sealing import moves_digest

log = logging.getLogger(__name__)

Status = Literal["applied", "duplicate", "rejected"]


class Outcome(msgspec.Struct, kw_only=True, omit_defaults=True):
    event_id: str
    status: Status
    type: str
    code: str | None = None
    message: str | None = None
    details: dict[str, Any] | None = None
    result: dict[str, Any] | None = None
    first_outcome: dict[str, Any] | None = None


Handler = Callable[[AsyncSession, Any, Actor, Command], Awaitable[Applied]]
HANDLERS: dict[type[CommandBase], Handler] = {
    MoveStock: stock_rules.move_stock,
    AdjustStock: stock_rules.adjust_stock,
    PostOpeningBalance: stock_rules.post_opening_balance,
    ClaimTask: tasks.claim_task,
    ReceiveGoods: receiving.receive_goods,
    PutAway: receiving.put_away,
    PickItem: picking.pick_item,
    PackItems: packing.pack_items,
    ShipOrder: shipping.ship_order,
    DecideAdjustment: adjustments.decide_adjustment,
    ShipTransfer: transfers.ship_transfer,
    ReceiveTransfer: transfers.receive_transfer,
    CloseTransfer: transfers.close_transfer,
    RecordCount: counting_record.record_count,
    DecideCount: counting_decisions.decide_count,
}

# PostgreSQL reports these when two transactions lock rows in crossing orders; retrying the
# whole command is safe because nothing of it was committed.
RETRYABLE_SQLSTATES = {"40001", "40P01"}
MAX_ATTEMPTS = 5
CLOCK_SKEW = dt.timedelta(minutes=10)


def command_type(command: CommandBase) -> str:
    return type(command).__struct_config__.tag  # type: ignore[return-value]


async def apply_command(
    sessions: async_sessionmaker[AsyncSession], command: CommandBase, actor: Actor
) -> Outcome:
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            return await _apply_once(sessions, command, actor)
        except _RaceLost as race:
            if attempt == MAX_ATTEMPTS:
                raise race.error from race
            log.info("retrying command %s after %s", command.event_id, race.error)
        except DBAPIError as error:
            sqlstate = getattr(error.orig, "sqlstate", None)
            if sqlstate not in RETRYABLE_SQLSTATES or attempt == MAX_ATTEMPTS:
                raise
            log.info("retrying command %s after %s", command.event_id, sqlstate)
    raise AssertionError("unreachable")


def is_unique_violation(error: IntegrityError) -> bool:
    sqlstate = getattr(error.orig, "sqlstate", None)
    return sqlstate == "23505" or "UNIQUE constraint failed" in str(error.orig)


class _RaceLost(Exception):
    """A concurrent transaction created a row this one also created (a lot, a serial)."""

    def __init__(self, error: IntegrityError) -> None:
        super().__init__(str(error))
        self.error = error


async def _apply_once(
    sessions: async_sessionmaker[AsyncSession], command: CommandBase, actor: Actor
) -> Outcome:
    kind = command_type(command)
    async with sessions() as session:
        try:
            async with session.begin():
                first = await find_command(session, command)
                if first is not None:
                    return duplicate_outcome(first)
                check_envelope(command)
                await check_dependencies(session, command)
                await touch_device(session, command.device_id, actor.id)
                row = command_row(command, actor, "applied")
                session.add(row)
                await session.flush()
                result, moves = await run_handler(session, command, actor, row)
                row.outcome = {"result": result}
                row.moves_digest = moves_digest(moves) if moves else None
            return Outcome(
                event_id=str(command.event_id), status="applied", type=kind, result=result
            )
        except DomainError as error:
            return await record_rejection(sessions, command, actor, error)
        except IntegrityError as error:
            # The same event_id committed by a concurrent request between our look-up and
            # insert is a duplicate; any other unique row created meanwhile means try again.
            first = await find_command(session, command)
            if first is not None:
                return duplicate_outcome(first)
            if is_unique_violation(error):
                raise _RaceLost(error) from error
            raise


async def run_handler(
    session: AsyncSession, command: CommandBase, actor: Actor, row: Command
) -> tuple[dict[str, Any], list[Any]]:
    applied = await HANDLERS[type(command)](session, command, actor, row)
    # Alerts (low stock, expiry, count variances) are judged for what this command touched,
    # in its own transaction or savepoint: raised exactly when its moves commit, never lost.
    await alerts.after_command(session, row, applied.moves)
    return {**applied.result, "move_ids": [m.id for m in applied.moves]}, applied.moves


def check_envelope(command: CommandBase) -> None:
    if command.occurred_at.tzinfo is None:
        raise InvalidRequest(
            "occurred_at needs a time zone offset", occurred_at=command.occurred_at.isoformat()
        )
    if command.occurred_at > utcnow() + CLOCK_SKEW:
        raise InvalidRequest(
            "occurred_at is in the future; check the device clock",
            occurred_at=command.occurred_at.isoformat(),
        )


async def check_dependencies(
    session: AsyncSession, command: CommandBase, known: Mapping[uuid.UUID, str] | None = None
) -> None:
    """Refuse an event whose named predecessors were rejected or never arrived: applying it
    would act on a state the worker did not see (a pick on a task whose claim failed)."""
    if not command.depends_on:
        return
    statuses = dict(known or {})
    unknown = [e for e in command.depends_on if e not in statuses]
    if unknown:
        rows = await session.execute(
            select(Command.event_id, Command.status).where(Command.event_id.in_(unknown))
        )
        statuses.update(dict(rows.tuples().all()))
    for event_id in command.depends_on:
        status = statuses.get(event_id)
        if status is None:
            raise DependencyRejected(
                f"this event depends on {event_id}, which has not arrived: send it first",
                depends_on=str(event_id),
            )
        if status == "rejected":
            raise DependencyRejected(
                f"this event depends on {event_id}, which was rejected",
                depends_on=str(event_id),
            )


async def find_command(session: AsyncSession, command: CommandBase) -> Command | None:
    return (
        await session.execute(select(Command).where(Command.event_id == command.event_id))
    ).scalar_one_or_none()


def duplicate_outcome(first: Command) -> Outcome:
    original = {"status": first.status, **first.outcome}
    return Outcome(
        event_id=str(first.event_id), status="duplicate", type=first.type, first_outcome=original
    )


def command_row(command: CommandBase, actor: Actor, status: str) -> Command:
    payload = msgspec.to_builtins(command)
    occurred_at = command.occurred_at
    if occurred_at.tzinfo is None:
        # Only a rejection gets here (the envelope check refuses naive times): keep it as UTC.
        occurred_at = occurred_at.replace(tzinfo=dt.UTC)
    return Command(
        event_id=command.event_id,
        type=command_type(command),
        device_id=command.device_id,
        user_id=actor.id,
        occurred_at=occurred_at,
        payload=payload,
        status=status,
        outcome={},
    )


async def touch_device(session: AsyncSession, device_id: str, user_id: int) -> None:
    """Record the device and who used it last; an upsert, as a device's first events may race."""
    now = utcnow()
    statement = dialect_insert(session)(Device).values(
        id=device_id, user_id=user_id, first_seen=now, last_seen=now
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[Device.id], set_={"user_id": user_id, "last_seen": now}
        )
    )


async def record_rejection(
    sessions: async_sessionmaker[AsyncSession],
    command: CommandBase,
    actor: Actor,
    error: DomainError,
) -> Outcome:
    kind = command_type(command)
    outcome = error.as_dict()
    async with sessions() as session:
        try:
            async with session.begin():
                await touch_device(session, command.device_id, actor.id)
                row = command_row(command, actor, "rejected")
                row.outcome = outcome
                session.add(row)
        except IntegrityError:
            first = await find_command(session, command)
            if first is None:
                raise
            return duplicate_outcome(first)
    return Outcome(event_id=str(command.event_id), status="rejected", type=kind, **outcome)
