"""Cycle counts: created by supervisors for a range of bins, some items or an ABC class, then
counted line by line (counting_record), reviewed (counting_decisions) and closed with the
inventory record accuracy they measured.

A count's lines are `CountLine`s, not task lines: a task line needs an item, while a count line
may say "everything in this bin". Each count has one task for its first round; recounts go to
tasks of their own so that someone other than the first counter takes them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import (
    Count,
    CountEntry,
    CountLine,
    Item,
    Location,
    Quant,
    Task,
    Warehouse,
    utcnow,
)
from backend.domain.actor import Actor
from backend.domain.errors import Conflict, InvalidRequest, NotFound
from backend.domain.vocabulary import ACTIVE_TASK_STATUSES, STOCK_KINDS
from backend.service import documents, tasks

# Beyond this a count is too big for one walk of the floor: split it.
MAX_LINES = 5000
OPEN_COUNT_STATUSES = ("counting", "review")


@dataclass(frozen=True)
class CountScope:
    """What to count; exactly one kind: a range of bin codes, some locations, some items or
    the items of an ABC class."""

    from_code: str | None = None
    to_code: str | None = None
    location_ids: Sequence[int] = ()
    item_ids: Sequence[int] = ()
    abc_class: str | None = None

    def kind(self) -> str:
        kinds = [
            name
            for name, given in (
                ("range", self.from_code is not None or self.to_code is not None),
                ("locations", bool(self.location_ids)),
                ("items", bool(self.item_ids)),
                ("abc_class", self.abc_class is not None),
            )
            if given
        ]
        if len(kinds) != 1:
            raise InvalidRequest(
                "say what to count with exactly one of: from_code and to_code, location_ids, "
                "item_ids, abc_class",
                given=kinds,
            )
        return kinds[0]


@dataclass(frozen=True)
class CountPlan:
    warehouse_id: int
    scope: CountScope
    blind: bool = True
    assignee_id: int | None = None
    priority: int = 0
    due_at: dt.datetime | None = None
    note: str | None = None


@dataclass(frozen=True)
class _Line:
    location: Location
    item_id: int | None = None


async def create_count(session: AsyncSession, actor: Actor, plan: CountPlan) -> Count:
    actor.require_role("supervisor")
    actor.require_warehouse(plan.warehouse_id)
    if await session.get(Warehouse, plan.warehouse_id) is None:
        raise NotFound("no such warehouse", warehouse_id=plan.warehouse_id)
    lines = await _lines_for(session, plan.warehouse_id, plan.scope)
    if not lines:
        raise InvalidRequest("the scope selects nothing to count", scope=plan.scope.kind())
    if len(lines) > MAX_LINES:
        raise InvalidRequest(
            f"the scope selects {len(lines)} lines; split it (at most {MAX_LINES})",
            lines=len(lines),
        )
    count = Count(
        number=await documents.next_number(session, "count"),
        warehouse_id=plan.warehouse_id,
        blind=plan.blind,
        note=plan.note,
        created_by=actor.id,
    )
    session.add(count)
    await session.flush()
    task = await tasks.create_task(
        session,
        actor,
        warehouse_id=plan.warehouse_id,
        type="count",
        lines=[],
        priority=plan.priority,
        due_at=plan.due_at,
        assignee_id=plan.assignee_id,
        document_type="count",
        document_id=count.id,
        note=plan.note or f"Count {count.number}",
    )
    session.add_all(
        CountLine(
            count_id=count.id,
            task_id=task.id,
            seq=seq,
            location_id=line.location.id,
            item_id=line.item_id,
        )
        for seq, line in enumerate(lines, start=1)
    )
    await documents.record(
        session, "count", count.id, "created", actor.id, scope=plan.scope.kind(), lines=len(lines)
    )
    await session.flush()
    return count


async def _lines_for(session: AsyncSession, warehouse_id: int, scope: CountScope) -> list[_Line]:
    """The lines in walking order (pick sequence, then code, then item)."""
    kind = scope.kind()
    if kind == "range":
        lines = await _range_lines(session, warehouse_id, scope.from_code, scope.to_code)
    elif kind == "locations":
        lines = await _location_lines(session, warehouse_id, scope.location_ids)
    elif kind == "items":
        lines = await _item_lines(session, warehouse_id, scope.item_ids)
    else:
        lines = await _abc_lines(session, warehouse_id, scope.abc_class or "")
    unique = {(line.location.id, line.item_id): line for line in lines}
    return sorted(
        unique.values(),
        key=lambda ln: (ln.location.pick_sequence, ln.location.code, ln.item_id or 0),
    )


async def _range_lines(
    session: AsyncSession, warehouse_id: int, from_code: str | None, to_code: str | None
) -> list[_Line]:
    if from_code is None or to_code is None:
        raise InvalidRequest("a range of bins needs both from_code and to_code")
    if from_code > to_code:
        raise InvalidRequest("from_code sorts after to_code", from_code=from_code, to_code=to_code)
    bins = (
        await session.execute(
            select(Location).where(
                Location.warehouse_id == warehouse_id,
                Location.kind == "bin",
                Location.active.is_(True),
            )
        )
    ).scalars()
    # Compared here, not in SQL: PostgreSQL's collation would order codes differently from
    # SQLite's, and a range must select the same bins on both.
    return [_Line(b) for b in bins if from_code <= b.code <= to_code]


async def _location_lines(
    session: AsyncSession, warehouse_id: int, location_ids: Sequence[int]
) -> list[_Line]:
    found = {
        loc.id: loc
        for loc in (
            await session.execute(select(Location).where(Location.id.in_(set(location_ids))))
        ).scalars()
    }
    if missing := set(location_ids) - found.keys():
        raise NotFound("no such location", location_ids=sorted(missing))
    for loc in found.values():
        if loc.warehouse_id != warehouse_id or loc.kind not in STOCK_KINDS or not loc.active:
            raise InvalidRequest(
                f"{loc.code} is not an active bin or dock of this warehouse", location=loc.code
            )
    return [_Line(loc) for loc in found.values()]


async def _item_lines(
    session: AsyncSession, warehouse_id: int, item_ids: Sequence[int]
) -> list[_Line]:
    """Every real location of the warehouse holding the item, and the storage bins that held
    it before (its quant stays behind at zero): its usual bins, where a stray unit would be.
    Docks it only passed through are not counted once empty."""
    known = set(
        (await session.execute(select(Item.id).where(Item.id.in_(set(item_ids))))).scalars()
    )
    if missing := set(item_ids) - known:
        raise NotFound("no such item", item_ids=sorted(missing))
    usual_bin = and_(Location.kind == "bin", Location.purpose.is_(None))
    rows = await session.execute(
        _stock_places(warehouse_id)
        .where(Quant.item_id.in_(known), or_(Quant.on_hand > 0, usual_bin))
        .add_columns(Quant.item_id)
    )
    return [_Line(loc, item_id) for loc, item_id in rows.tuples()]


async def _abc_lines(session: AsyncSession, warehouse_id: int, abc_class: str) -> list[_Line]:
    rows = await session.execute(
        _stock_places(warehouse_id)
        .join(Item, Item.id == Quant.item_id)
        .where(Item.abc_class == abc_class, Item.active.is_(True), Quant.on_hand > 0)
        .add_columns(Quant.item_id)
    )
    return [_Line(loc, item_id) for loc, item_id in rows.tuples()]


def _stock_places(warehouse_id: int) -> Select[tuple[Location]]:
    return (
        select(Location)
        .join(Quant, Quant.location_id == Location.id)
        .where(
            Location.warehouse_id == warehouse_id,
            Location.kind.in_(STOCK_KINDS),
            Location.active.is_(True),
        )
    )


async def locked_count(session: AsyncSession, count_id: int, actor: Actor) -> Count:
    """The count, its row locked: every change to a count goes through here, so two workers
    finishing its last lines at once cannot both miss that it is complete."""
    count = await session.get(Count, count_id, with_for_update=True, populate_existing=True)
    if count is None:
        raise NotFound("no such count", count_id=count_id)
    actor.require_warehouse(count.warehouse_id)
    return count


async def settle(session: AsyncSession, count: Count, actor: Actor, command_id: int | None) -> None:
    """Move a count on once its lines are counted: to review while variances wait for a
    decision, else closed. Its accuracy is known, and stored, once the last line is counted;
    decisions on variances do not change it."""
    if count.status not in OPEN_COUNT_STATUSES:
        return
    if await _scalar(session, CountLine.count_id == count.id, CountLine.status == "open"):
        return
    count.lines_counted, count.lines_accurate = await line_accuracy(session, count.id)
    pending = await _scalar(
        session,
        CountLine.count_id == count.id,
        CountEntry.status == "pending",
        join_entries=True,
    )
    if pending:
        if count.status != "review":
            count.status = "review"
            await documents.record(
                session, "count", count.id, "review", actor.id, command_id=command_id
            )
        return
    count.status = "closed"
    count.completed_at = utcnow()
    await documents.record(
        session,
        "count",
        count.id,
        "closed",
        actor.id,
        command_id=command_id,
        lines_counted=count.lines_counted,
        lines_accurate=count.lines_accurate,
    )


async def line_accuracy(session: AsyncSession, count_id: int) -> tuple[int, int]:
    """Lines counted and lines accurate, judged by each line's final round: a recounted line
    counts once, by its recount (its first round is marked `recount`)."""
    counted = await _scalar(session, CountLine.count_id == count_id, CountLine.status == "counted")
    inaccurate = await session.scalar(
        select(func.count(func.distinct(CountEntry.count_line_id)))
        .join(CountLine, CountLine.id == CountEntry.count_line_id)
        .where(
            CountLine.count_id == count_id,
            CountLine.status == "counted",
            CountEntry.variance != 0,
        )
    )
    return counted, counted - int(inaccurate or 0)


async def _scalar(
    session: AsyncSession, *where: ColumnElement[bool], join_entries: bool = False
) -> int:
    query = select(func.count()).select_from(CountLine)
    if join_entries:
        query = query.join(CountEntry, CountEntry.count_line_id == CountLine.id)
    return int(await session.scalar(query.where(*where)) or 0)


async def cancel_count(session: AsyncSession, actor: Actor, count_id: int, reason: str) -> Count:
    """Nothing more is counted or posted: open lines and their tasks are cancelled, and
    variances still pending are rejected (the book stands)."""
    actor.require_role("supervisor")
    count = await locked_count(session, count_id, actor)
    if count.status not in OPEN_COUNT_STATUSES:
        raise Conflict(f"count {count.number} is {count.status}", status=count.status)
    now = utcnow()
    count.status = "cancelled"
    count.completed_at = now
    await session.execute(
        update(CountLine)
        .where(CountLine.count_id == count.id, CountLine.status == "open")
        .values(status="cancelled")
        .execution_options(synchronize_session=False)
    )
    lines = select(CountLine.id).where(CountLine.count_id == count.id)
    await session.execute(
        update(CountEntry)
        .where(CountEntry.count_line_id.in_(lines), CountEntry.status == "pending")
        .values(
            status="rejected",
            decided_by=actor.id,
            decided_at=now,
            decision_note=f"count cancelled: {reason}",
        )
        .execution_options(synchronize_session=False)
    )
    for task in await count_tasks(session, count.id, active_only=True):
        await tasks.cancel(session, actor, task.id, reason)
    await documents.record(session, "count", count.id, "cancelled", actor.id, reason=reason)
    return count


async def count_tasks(
    session: AsyncSession, count_id: int, *, active_only: bool = False
) -> list[Task]:
    query = select(Task).where(Task.document_type == "count", Task.document_id == count_id)
    if active_only:
        query = query.where(Task.status.in_(ACTIVE_TASK_STATUSES))
    return list((await session.execute(query.order_by(Task.id))).scalars())
