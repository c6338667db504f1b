"""Stock adjustments with reason codes, tiered by value, and the approval of the large ones.

An adjustment is planned first (every rule that can be checked without writing is checked:
reason and sign, comment, bin, lot and serials, and for a write-off that the stock is there),
then either posted at once, when its author's role covers its value, or stored as a pending
`AdjustmentRequest`. Approving a request plans and posts the original command again through
the same two functions, so an approved adjustment obeys exactly the rules of an immediate one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import (
    AdjustmentRequest,
    Command,
    Item,
    Location,
    Lot,
    Quant,
    Serial,
    StockMove,
    utcnow,
)
from backend.domain.actor import Actor
from backend.domain.commands import AdjustStock, DecideAdjustment
from backend.domain.errors import (
    Conflict,
    Forbidden,
    InsufficientStock,
    InvalidMove,
    InvalidRequest,
    NotFound,
    SelfApproval,
    SerialUnavailable,
    TrackingError,
)
from backend.domain.vocabulary import REASON_DESTINATION, STOCK_KINDS, VIRTUAL_KINDS
from backend.service import documents, policies
from backend.service.applied import Applied
from backend.service.ledger import post_moves
from backend.service.tracking import (
    check_serial_count,
    find_lot,
    find_or_create_lot,
    unit_lines,
)

DOCUMENT = "adjustment_request"
# adjustment_requests.value is NUMERIC(16, 4): a value it cannot hold is a typo, not stock.
MAX_VALUE = Decimal(10) ** 12


@dataclass(frozen=True)
class AdjustmentPlan:
    """A checked adjustment: what moves where, and what it is worth."""

    command: AdjustStock
    item: Item
    location: Location
    counterpart: Location
    lot: Lot | None
    value: Decimal

    @property
    def quantity(self) -> int:
        return abs(self.command.quantity)

    @property
    def adding(self) -> bool:
        return self.command.quantity > 0


def check_reason(command: AdjustStock) -> None:
    if command.quantity == 0:
        raise InvalidRequest("an adjustment changes the quantity: it cannot be zero")
    if command.reason == "found" and command.quantity < 0:
        raise InvalidRequest("found stock is a positive adjustment", reason=command.reason)
    if command.reason in ("damage", "loss", "expired") and command.quantity > 0:
        raise InvalidRequest(
            f"{command.reason} takes stock out: the quantity must be negative",
            reason=command.reason,
        )
    if command.reason == "other" and not (command.comment or "").strip():
        raise InvalidRequest("reason 'other' needs a comment", reason=command.reason)


async def plan_adjustment(
    session: AsyncSession, command: AdjustStock, actor: Actor
) -> AdjustmentPlan:
    """Check everything an adjustment needs, writing nothing."""
    check_reason(command)
    location = await _stock_location(session, command.location_id, actor)
    counterpart = await _counterpart(session, location, command)
    item = await session.get(Item, command.item_id)
    if item is None:
        raise NotFound("no such item", item_id=command.item_id)
    if not item.active:
        raise InvalidMove(f"item {item.sku} is deactivated", sku=item.sku)
    quantity = abs(command.quantity)
    value = Decimal(quantity) * item.unit_cost
    if value >= MAX_VALUE:
        raise InvalidRequest(f"an adjustment worth {value} is not plausible", value=str(value))
    check_serial_count(item, command.serials, quantity)
    _check_lot_rule(item, command.lot_number)
    if command.quantity > 0:
        lot = await _lot_for_found(session, item, command)
        await _check_serials_not_in_stock(session, item, command.serials)
    else:
        lot = await find_lot(session, item.id, command.lot_number) if command.lot_number else None
    plan = AdjustmentPlan(command, item, location, counterpart, lot, value)
    if not plan.adding:
        await _check_stock_is_there(session, plan)
    return plan


async def post_adjustment(
    session: AsyncSession,
    plan: AdjustmentPlan,
    *,
    command_id: int,
    user_id: int,
    occurred_at: dt.datetime,
    document_ref: str,
) -> list[StockMove]:
    command = plan.command
    lot_id = plan.lot.id if plan.lot else None
    if plan.adding and command.lot_number is not None and plan.lot is None:
        lot_id = (
            await find_or_create_lot(session, plan.item.id, command.lot_number, command.expiry_date)
        ).id
    source, dest = (
        (plan.counterpart.id, plan.location.id)
        if plan.adding
        else (plan.location.id, plan.counterpart.id)
    )
    lines = await unit_lines(
        session,
        plan.item,
        quantity=plan.quantity,
        source=source,
        dest=dest,
        lot_id=lot_id,
        serials=command.serials,
        create_serials=plan.adding,
        reason=command.reason,
        note=command.comment,
    )
    return await post_moves(
        session,
        lines,
        command_id=command_id,
        user_id=user_id,
        occurred_at=occurred_at,
        document_type="adjustment",
        document_ref=document_ref,
    )


async def required_role(session: AsyncSession, value: Decimal) -> str | None:
    supervisor_over, admin_over = await policies.adjustment_approval_limits(session)
    return policies.approval_role(value, supervisor_over, admin_over)


async def adjust_stock(
    session: AsyncSession, command: AdjustStock, actor: Actor, row: Command
) -> Applied:
    """Any role may adjust; above what the author's role covers, it waits for approval."""
    plan = await plan_adjustment(session, command, actor)
    role = await required_role(session, plan.value)
    if role is not None and not actor.has_role(role):
        request = await _request_approval(session, plan, role, actor, row)
        return Applied(
            {
                "status": "pending_approval",
                "request": request.number,
                "request_id": request.id,
                "required_role": role,
                "value": str(plan.value),
                "quantity": command.quantity,
            }
        )
    moves = await post_adjustment(
        session,
        plan,
        command_id=row.id,
        user_id=actor.id,
        occurred_at=command.occurred_at,
        document_ref=str(command.event_id),
    )
    return Applied(
        {
            "status": "posted",
            "quantity": command.quantity,
            "counterpart": plan.counterpart.code,
            "value": str(plan.value),
        },
        moves,
    )


async def decide_adjustment(
    session: AsyncSession, command: DecideAdjustment, actor: Actor, row: Command
) -> Applied:
    request = await _locked_request(session, command.request_id)
    actor.require_warehouse(request.warehouse_id)
    if request.status != "pending":
        raise Conflict(
            f"adjustment {request.number} is already {request.status}", status=request.status
        )
    if not actor.has_role(request.required_role):
        raise Forbidden(
            f"adjustment {request.number} is worth {request.value}: it needs an "
            f"{request.required_role}'s decision",
            required_role=request.required_role,
        )
    approve = command.decision == "approve"
    if approve and request.requested_by == actor.id:
        raise SelfApproval(
            f"adjustment {request.number} is your own request: someone else approves it",
            request=request.number,
        )
    moves: list[StockMove] = []
    if approve:
        original = await _original_command(session, request)
        plan = await plan_adjustment(session, original, actor)
        moves = await post_adjustment(
            session,
            plan,
            command_id=row.id,
            user_id=actor.id,
            occurred_at=command.occurred_at,
            document_ref=request.number,
        )
    request.status = "approved" if approve else "rejected"
    request.decided_by = actor.id
    request.decided_at = utcnow()
    request.decision_note = command.note
    await documents.record(
        session,
        DOCUMENT,
        request.id,
        request.status,
        actor.id,
        command_id=row.id,
        role=actor.role,
        note=command.note,
    )
    return Applied({"status": request.status, "request": request.number}, moves)


# --- the checks ---------------------------------------------------------------------------


async def _stock_location(session: AsyncSession, location_id: int, actor: Actor) -> Location:
    location = await session.get(Location, location_id)
    if location is None:
        raise NotFound("no such location", location_id=location_id)
    actor.require_warehouse(location.warehouse_id)
    if location.kind not in STOCK_KINDS:
        raise InvalidMove(f"{location.code} is not a bin or dock", location=location.code)
    if not location.active:
        raise InvalidMove(f"location {location.code} is deactivated", location=location.code)
    return location


async def _counterpart(session: AsyncSession, location: Location, command: AdjustStock) -> Location:
    """The virtual side: scrap for damage and expiry, the adjustment location otherwise."""
    kind = REASON_DESTINATION[command.reason]
    counterpart = (
        await session.execute(
            select(Location)
            .where(
                Location.warehouse_id == location.warehouse_id,
                Location.kind == kind,
                Location.active.is_(True),
            )
            .order_by(Location.id)
            .limit(1)
        )
    ).scalar_one_or_none()
    if counterpart is None:
        raise NotFound(f"warehouse has no {kind} location")
    return counterpart


def _check_lot_rule(item: Item, lot_number: str | None) -> None:
    if item.tracking == "lot" and lot_number is None:
        raise TrackingError(f"item {item.sku} is lot-tracked: a lot is required", sku=item.sku)
    if item.tracking == "none" and lot_number is not None:
        raise TrackingError(f"item {item.sku} is not tracked by lot or serial", sku=item.sku)


async def _lot_for_found(session: AsyncSession, item: Item, command: AdjustStock) -> Lot | None:
    """The existing lot found stock joins; None when the lot is new (it is made on posting)."""
    if command.lot_number is None:
        return None
    lot = (
        await session.execute(
            select(Lot).where(Lot.item_id == item.id, Lot.lot_number == command.lot_number)
        )
    ).scalar_one_or_none()
    recorded = lot.expiry_date if lot else None
    if recorded is not None and command.expiry_date not in (None, recorded):
        raise TrackingError(
            f"lot {command.lot_number} is on record with expiry {recorded}, "
            f"not {command.expiry_date}",
            lot_number=command.lot_number,
            expiry_date=str(recorded),
        )
    return lot


async def _check_serials_not_in_stock(
    session: AsyncSession, item: Item, serials: list[str]
) -> None:
    if not serials:
        return
    if len(set(serials)) != len(serials):
        raise TrackingError("the same serial number is listed twice", serials=serials)
    in_stock = (
        await session.execute(
            select(Serial.serial, Location.code)
            .join(Location, Location.id == Serial.location_id)
            .where(
                Serial.item_id == item.id,
                Serial.serial.in_(serials),
                Location.kind.not_in(VIRTUAL_KINDS),
            )
            .order_by(Serial.serial)
        )
    ).first()
    if in_stock is not None:
        raise SerialUnavailable(
            f"serial {in_stock[0]} is already in stock at {in_stock[1]}",
            serial=in_stock[0],
            location=in_stock[1],
        )


async def _check_stock_is_there(session: AsyncSession, plan: AdjustmentPlan) -> None:
    """A write-off needs the units available now, so that no request is doomed from the start;
    the ledger checks again, atomically, when the moves post."""
    command, item, location, lot = plan.command, plan.item, plan.location, plan.lot
    if command.serials:
        if len(set(command.serials)) != len(command.serials):
            raise TrackingError("the same serial number is listed twice", serials=command.serials)
        here = set(
            (
                await session.execute(
                    select(Serial.serial).where(
                        Serial.item_id == item.id,
                        Serial.serial.in_(command.serials),
                        Serial.location_id == location.id,
                    )
                )
            )
            .scalars()
            .all()
        )
        if missing := [s for s in command.serials if s not in here]:
            raise SerialUnavailable(
                f"serial {missing[0]} is not at {location.code}",
                serial=missing[0],
                location=location.code,
            )
    available = (
        await session.execute(
            select(Quant.on_hand - Quant.reserved).where(
                Quant.item_id == item.id,
                Quant.location_id == location.id,
                Quant.lot_key == (lot.id if lot else 0),
            )
        )
    ).scalar() or 0
    if available < plan.quantity:
        raise InsufficientStock(
            f"only {available} of {item.sku} available at {location.code}, {plan.quantity} needed",
            sku=item.sku,
            location=location.code,
            lot_id=lot.id if lot else None,
            available=available,
            requested=plan.quantity,
        )


# --- requests -----------------------------------------------------------------------------


async def _request_approval(
    session: AsyncSession, plan: AdjustmentPlan, role: str, actor: Actor, row: Command
) -> AdjustmentRequest:
    request = AdjustmentRequest(
        number=await documents.next_number(session, "adjustment"),
        warehouse_id=plan.location.warehouse_id,
        command_id=row.id,
        item_id=plan.item.id,
        location_id=plan.location.id,
        quantity=plan.command.quantity,
        reason=plan.command.reason,
        value=plan.value,
        required_role=role,
        status="pending",
        requested_by=actor.id,
        created_at=utcnow(),
    )
    session.add(request)
    await session.flush()
    await documents.record(
        session,
        DOCUMENT,
        request.id,
        "requested",
        actor.id,
        command_id=row.id,
        value=str(plan.value),
        required_role=role,
    )
    return request


async def _locked_request(session: AsyncSession, request_id: int) -> AdjustmentRequest:
    """The request, row-locked on PostgreSQL so that two approvers cannot both post it
    (SQLite transactions are serialised already)."""
    request = (
        await session.execute(
            select(AdjustmentRequest)
            .where(AdjustmentRequest.id == request_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()
    if request is None:
        raise NotFound("no such adjustment request", request_id=request_id)
    return request


async def _original_command(session: AsyncSession, request: AdjustmentRequest) -> AdjustStock:
    row = await session.get(Command, request.command_id)
    if row is None:
        raise NotFound("the adjustment's command is missing", request=request.number)
    try:
        return msgspec.convert(row.payload, AdjustStock)
    except msgspec.ValidationError as error:
        # A request stored under an older command format the server no longer reads.
        raise Conflict(
            f"adjustment {request.number} can no longer be posted: {error}",
            request=request.number,
        ) from error
