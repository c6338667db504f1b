"""Task endpoints for stock commands, and the offline batch endpoint that applies the same ones."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, post
from litestar.datastructures import State
from litestar.params import JSONBody
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.api.deps import CurrentActor, Sessions
from backend.api.guards import requires_admin
from backend.api.schemas import SyncRequest
from backend.domain.actor import Actor
from backend.domain.commands import AdjustStock, CommandBase, MoveStock, PostOpeningBalance
from backend.domain.errors import status_for_code
from backend.service.commands import Outcome, apply_command
from backend.service.sync import apply_batch


def _answer(outcome: Outcome) -> Response[Any]:
    if outcome.status == "rejected":
        return Response(
            {
                "code": outcome.code,
                "message": outcome.message,
                "details": {**(outcome.details or {}), "event_id": outcome.event_id},
            },
            status_code=status_for_code(outcome.code),
        )
    return Response(outcome, status_code=201 if outcome.status == "applied" else 200)


async def apply_and_answer(
    state: State, sessions: async_sessionmaker[AsyncSession], command: CommandBase, actor: Actor
) -> Response[Any]:
    """A task endpoint's answer: 201 applied, 200 duplicate, 4xx with the rejection's code."""
    outcome = await apply_command(sessions, command, actor)
    if outcome.status == "applied":
        state.sealer.poke()
    return _answer(outcome)


class OperationsController(Controller):
    path = "/api"
    tags = ["stock commands"]

    @post(
        "/bin-moves",
        summary="Move stock from bin to bin (idempotent by event_id)",
        description="201 when applied, 200 with the first outcome when the event_id was "
        "seen before, 4xx with a code when a rule is broken (the rejection is recorded).",
    )
    async def move(
        self, state: State, sessions: Sessions, actor: CurrentActor, data: JSONBody[MoveStock]
    ) -> Response[Any]:
        return await apply_and_answer(state, sessions, data, actor)

    @post(
        "/adjustments",
        summary="Adjust stock with a reason code (idempotent by event_id)",
        description="Any signed-in user may adjust stock of their warehouses. Damage and "
        "expired go to scrap, the others to the adjustment location; 'other' needs a comment. "
        "Worth more (|quantity| x unit cost) than the author's role may post alone (see "
        "/api/settings/adjustment-approval), nothing moves: the result is status "
        "pending_approval with the request number (AJ...) and the role that must approve.",
    )
    async def adjust(
        self, state: State, sessions: Sessions, actor: CurrentActor, data: JSONBody[AdjustStock]
    ) -> Response[Any]:
        return await apply_and_answer(state, sessions, data, actor)

    @post(
        "/opening-balances",
        guards=[requires_admin],
        summary="Load stock already on the shelves, all lines or none (idempotent by event_id)",
    )
    async def opening_balance(
        self,
        state: State,
        sessions: Sessions,
        actor: CurrentActor,
        data: JSONBody[PostOpeningBalance],
    ) -> Response[Any]:
        return await apply_and_answer(state, sessions, data, actor)

    @post(
        "/sync",
        status_code=200,
        summary="Apply a device's batch of commands in order",
        description="One outcome per event, in order: applied, duplicate (with the first "
        "outcome) or rejected (with a code and message). Each event is atomic on its own: a "
        "rejected one never undoes another. An event naming `depends_on` events that were "
        "rejected or never arrived is rejected with code dependency_rejected. Replaying a "
        "batch after a lost response answers duplicate for what was applied and applies "
        "the rest.",
    )
    async def sync(
        self, state: State, sessions: Sessions, actor: CurrentActor, data: JSONBody[SyncRequest]
    ) -> dict[str, list[Outcome]]:
        outcomes = await apply_batch(sessions, data.events, actor)
        if any(o.status == "applied" for o in outcomes):
            state.sealer.poke()
        return {"outcomes": outcomes}
