"""A run through the lane: read, decide each event on a draft, write what was accepted."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import Count
from backend.domain.actor import Actor
from backend.domain.commands import CommandBase, MoveStock, PickItem, RecordCount
from backend.domain.errors import DomainError
from backend.service import alerts_counts, alerts_expiry, alerts_stock, counting
from backend.service.alerts import Touched
from backend.service.commands import Outcome, check_envelope, command_type
from backend.service.lane.counts import plan_count
from backend.service.lane.load import load
from backend.service.lane.moves import plan_move
from backend.service.lane.picks import plan_pick
from backend.service.lane.state import Draft, OutOfLane, RunState
from backend.service.lane.write import write

log = logging.getLogger(__name__)

PLANNERS: dict[type[CommandBase], Callable[[Draft, Any, Actor], dict[str, Any]]] = {
    MoveStock: plan_move,
    PickItem: plan_pick,
    RecordCount: plan_count,
}


def takes(command: CommandBase) -> bool:
    return type(command) in PLANNERS


async def apply_run(
    session: AsyncSession,
    commands: Sequence[CommandBase],
    actor: Actor,
    seen: Mapping[uuid.UUID, str],
) -> tuple[list[Outcome], bool]:
    """Apply the leading part of `commands` the lane can take as plainly valid. Returns the
    outcomes of that part, which may be empty, and whether the event after it needs its
    handler (else the lane may go on with it in a new run)."""
    state = RunState(await load(session, commands))
    known = dict(seen)
    blocked = False
    for index, command in enumerate(commands):
        draft = state.draft(index)
        try:
            check_envelope(command)
            for event_id in command.depends_on:
                if known.get(event_id) != "applied":
                    raise OutOfLane("depends on an event not applied")
            result = PLANNERS[type(command)](draft, command, actor)
        except (OutOfLane, DomainError) as stop:
            log.debug("lane stops at %s (%s): %s", command.event_id, command_type(command), stop)
            blocked = True
            break
        except Exception:
            # Deciding touches no database: the handler, the reference, decides instead, and
            # the worker's scan is not lost to a fault of the lane.
            log.exception("lane failed on %s; its handler decides", command.event_id)
            blocked = True
            break
        draft.commit(result)
        known[command.event_id] = "applied"
    accepted = commands[: len(state.results)]
    if not accepted:
        return [], True
    kinds = [command_type(c) for c in accepted]
    try:
        async with session.begin_nested():
            command_ids, moves = await write(session, state, accepted, actor, kinds)
            # After its last line a count takes no more records: every later event of the run
            # on it stopped the run, so settling it now decides the same as settling it then.
            for count_id, event in state.settle:
                count = await session.get(
                    Count, count_id, with_for_update=True, populate_existing=True
                )
                assert count is not None
                await counting.settle(session, count, actor, command_ids[event])
                await session.flush()
            await _alerts(session, state, command_ids, moves)
    except IntegrityError as error:
        log.debug("lane run of %d events not written: %s", len(accepted), error)
        # One of the events was committed meanwhile by another request; the handler path
        # tells which, one event at a time.
        return [], True
    return [
        Outcome(event_id=str(c.event_id), status="applied", type=kind,
                result={**result, "move_ids": [m.id for m in own]})
        for c, kind, result, own in zip(accepted, kinds, state.results, moves, strict=True)
    ], blocked  # fmt: skip


async def _alerts(
    session: AsyncSession, state: RunState, command_ids: list[int], moves: list[list[Any]]
) -> None:
    """What `alerts.after_command` judges per command, judged once for the run."""
    last = command_ids[-1]
    posted = [m for own in moves for m in own]
    if posted:
        touched = Touched(session, posted)
        await alerts_stock.stock_changed(session, touched, command_id=last)
        await alerts_expiry.lots_changed(session, touched, command_id=last)
    if state.count_ids:
        await alerts_counts.judge(session, state.count_ids, command_id=last)
