"""Deciding count variances: approval posts the adjustment to the warehouse's adjustment
location, rejection keeps the book. Who may decide depends on the variance's value."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import Command, Count, CountEntry, CountLine, Item, StockMove
from backend.domain.actor import Actor
from backend.domain.commands import DecideCount
from backend.domain.errors import Conflict, Forbidden, NotFound, TrackingError
from backend.domain.moves import MoveLine
from backend.service import documents, policies
from backend.service.applied import Applied
from backend.service.counting import OPEN_COUNT_STATUSES, locked_count, settle
from backend.service.counting_rules import required_role
from backend.service.ledger import post_moves
from backend.service.warehouses import virtual_location

Pending = list[tuple[CountEntry, int]]  # entry, location of its line


async def decide_count(
    session: AsyncSession, command: DecideCount, actor: Actor, row: Command
) -> Applied:
    actor.require_role("supervisor")
    count = await locked_count(session, command.count_id, actor)
    if count.status not in OPEN_COUNT_STATUSES:
        raise Conflict(f"count {count.number} is {count.status}", status=count.status)
    pending = await _pending(session, count, command.entry_ids)
    policy = await policies.count_policy(session)
    above = [e.id for e, _ in pending if required_role(e.variance_value, policy) == "admin"]
    if above and not actor.has_role("admin"):
        raise Forbidden(
            f"variances worth more than {policy.admin_over} need an admin's decision",
            required_role="admin",
            entry_ids=above,
        )
    moves: list[StockMove] = []
    if command.decision == "approve":
        moves = await _adjust(session, count, pending, actor, row, command)
    status = "approved" if command.decision == "approve" else "rejected"
    for entry, _ in pending:
        entry.status = status
        entry.decided_by, entry.decided_at = actor.id, command.occurred_at
        entry.decision_note = command.note
    await documents.record(
        session,
        "count",
        count.id,
        f"variances_{status}",
        actor.id,
        command_id=row.id,
        entry_ids=[e.id for e, _ in pending],
    )
    await session.flush()
    await settle(session, count, actor, row.id)
    return Applied(
        {
            "count": count.number,
            "decision": command.decision,
            "entries": len(pending),
            "count_status": count.status,
        },
        moves,
    )


async def _pending(session: AsyncSession, count: Count, entry_ids: Sequence[int] | None) -> Pending:
    """The entries decided: those listed, each of this count and pending; or all pending."""
    query = (
        select(CountEntry, CountLine.location_id)
        .join(CountLine, CountLine.id == CountEntry.count_line_id)
        .where(CountLine.count_id == count.id)
        .order_by(CountEntry.id)
        .execution_options(populate_existing=True)
    )
    if entry_ids is None:
        rows = list((await session.execute(query.where(CountEntry.status == "pending"))).tuples())
        if not rows:
            raise Conflict(f"count {count.number} has no variance waiting for a decision")
        return rows
    rows = list((await session.execute(query.where(CountEntry.id.in_(set(entry_ids))))).tuples())
    if missing := set(entry_ids) - {e.id for e, _ in rows}:
        raise NotFound(f"no such entry in count {count.number}", entry_ids=sorted(missing))
    if decided := [e.id for e, _ in rows if e.status != "pending"]:
        raise Conflict("only pending variances are decided", entry_ids=decided)
    return rows


async def _adjust(
    session: AsyncSession,
    count: Count,
    pending: Pending,
    actor: Actor,
    row: Command,
    command: DecideCount,
) -> list[StockMove]:
    """One move per variance between the bin and the adjustment location. Takes are checked
    by the ledger: a bin that no longer holds what a loss takes rejects the whole decision."""
    adjustment = await virtual_location(session, count.warehouse_id, "adjustment")
    tracking = dict(
        (
            await session.execute(
                select(Item.id, Item.tracking).where(Item.id.in_({e.item_id for e, _ in pending}))
            )
        )
        .tuples()
        .all()
    )
    lines = []
    for entry, location_id in pending:
        if tracking[entry.item_id] == "serial":
            raise TrackingError(
                "serial-tracked stock is adjusted with its serial numbers: post an adjustment "
                "with them, then reject this variance",
                entry_id=entry.id,
            )
        found = entry.variance > 0
        lines.append(
            MoveLine(
                item_id=entry.item_id,
                quantity=abs(entry.variance),
                from_location_id=adjustment.id if found else location_id,
                to_location_id=location_id if found else adjustment.id,
                lot_id=entry.lot_id,
                reason="count",
            )
        )
    return await post_moves(
        session,
        lines,
        command_id=row.id,
        user_id=actor.id,
        occurred_at=command.occurred_at,
        document_type="count",
        document_ref=count.number,
    )
