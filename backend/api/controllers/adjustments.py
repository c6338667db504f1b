"""Adjustment requests awaiting approval, their decisions, and the approval limits."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, get, post, put
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy import Select, select

from backend.api.controllers.convert import event_out
from backend.api.controllers.operations import apply_and_answer
from backend.api.deps import CurrentActor, Db, Limit, Offset, Sessions
from backend.api.guards import requires_admin, requires_supervisor
from backend.api.schemas import AdjustmentRequestOut, ApprovalLimits, Page
from backend.db.models import AdjustmentRequest, Command, Item, Location, User
from backend.domain.commands import DecideAdjustment
from backend.domain.errors import NotFound
from backend.service import policies, queries
from backend.service.adjustments import DOCUMENT


def _requests_query() -> Select[Any]:
    return (
        select(AdjustmentRequest, Command, Item.sku, Location.code, User.username)
        .join(Command, Command.id == AdjustmentRequest.command_id)
        .join(Item, Item.id == AdjustmentRequest.item_id)
        .join(Location, Location.id == AdjustmentRequest.location_id)
        .join(User, User.id == AdjustmentRequest.requested_by)
    )


def _request_out(row: Any, history: list[Any] | None = None) -> AdjustmentRequestOut:
    request, command, sku, location_code, username = row
    # The lot, serials and comment travel in the command the request was made from.
    payload = command.payload
    return AdjustmentRequestOut(
        id=request.id,
        number=request.number,
        event_id=str(command.event_id),
        warehouse_id=request.warehouse_id,
        item_id=request.item_id,
        sku=sku,
        location_id=request.location_id,
        location_code=location_code,
        lot_number=payload.get("lot_number"),
        serials=list(payload.get("serials") or []),
        quantity=request.quantity,
        reason=request.reason,
        comment=payload.get("comment"),
        value=request.value,
        required_role=request.required_role,
        status=request.status,
        requested_by=request.requested_by,
        requested_by_username=username,
        created_at=request.created_at,
        decided_by=request.decided_by,
        decided_at=request.decided_at,
        decision_note=request.decision_note,
        history=[event_out(h) for h in history or []],
    )


class AdjustmentRequestController(Controller):
    path = "/api/adjustment-requests"
    tags = ["adjustments"]
    guards = [requires_supervisor]

    @get("/", summary="Adjustments waiting for (or given) approval, newest first")
    async def list_requests(
        self,
        db: Db,
        actor: CurrentActor,
        limit: Limit = 50,
        offset: Offset = 0,
        warehouse_id: FromQuery[int | None] = None,
        status: FromQuery[str | None] = None,
    ) -> Page[AdjustmentRequestOut]:
        query = _requests_query().order_by(AdjustmentRequest.id.desc())
        query = queries.scoped(query, AdjustmentRequest.warehouse_id, actor)
        query = queries.matching(
            query,
            (AdjustmentRequest.warehouse_id, warehouse_id),
            (AdjustmentRequest.status, status),
        )
        total = await queries.count_rows(db, query)
        rows = (await db.execute(query.limit(limit).offset(offset))).all()
        return Page(items=[_request_out(r) for r in rows], total=total, limit=limit, offset=offset)

    @get("/{request_id:int}", summary="An adjustment request with its history")
    async def get_request(
        self, db: Db, actor: CurrentActor, request_id: FromPath[int]
    ) -> AdjustmentRequestOut:
        query = _requests_query().where(AdjustmentRequest.id == request_id)
        row = (await db.execute(query)).first()
        if row is None:
            raise NotFound("no such adjustment request", request_id=request_id)
        actor.require_warehouse(row[0].warehouse_id)
        return _request_out(row, await queries.history(db, DOCUMENT, request_id))


@post(
    "/api/adjustment-decisions",
    tags=["adjustments"],
    guards=[requires_supervisor],
    summary="Approve or reject a pending adjustment (a command, idempotent by event_id)",
    description="The decider needs the request's required role and may not approve their own "
    "request (409 self_approval); only pending requests are decided (409). Approval posts the "
    "original adjustment as if made now; if the stock is gone it is refused with "
    "insufficient_stock and the request stays pending.",
)
async def decide_adjustment(
    state: State, sessions: Sessions, actor: CurrentActor, data: JSONBody[DecideAdjustment]
) -> Response[Any]:
    return await apply_and_answer(state, sessions, data, actor)


def _limits(supervisor_over: Any, admin_over: Any) -> dict[str, str]:
    return {"supervisor_over": str(supervisor_over), "admin_over": str(admin_over)}


@get(
    "/api/settings/adjustment-approval",
    tags=["adjustments"],
    guards=[requires_supervisor],
    summary="The adjustment values above which a supervisor, then an admin, must approve",
)
async def get_adjustment_limits(db: Db) -> dict[str, str]:
    return _limits(*await policies.adjustment_approval_limits(db))


@put(
    "/api/settings/adjustment-approval",
    tags=["adjustments"],
    guards=[requires_admin],
    summary="Set the approval limits of stock adjustments (value = |quantity| x unit cost)",
)
async def set_adjustment_limits(db: Db, data: JSONBody[ApprovalLimits]) -> dict[str, str]:
    async with db.begin():
        await policies.set_adjustment_approval_limits(db, data.supervisor_over, data.admin_over)
    return _limits(data.supervisor_over, data.admin_over)
