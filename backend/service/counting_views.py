"""The read side of cycle counts: a count's lines and entries, progress, accuracy over a period
and the schedule of what falls due. Who may see the book is decided here, not by callers."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import Count, CountEntry, CountLine, Item, Location, Lot, Quant
from backend.domain.actor import Actor
from backend.domain.errors import NotFound
from backend.domain.vocabulary import ABC, STOCK_KINDS
from backend.service import policies
from backend.service.counting_book import holdings
from backend.service.counting_rules import due_at, required_role


def sees_book(actor: Actor, count: Count) -> bool:
    """A blind count hides the book (and so every variance) from the workers counting it."""
    return not count.blind or actor.has_role("supervisor")


async def count_in_scope(session: AsyncSession, actor: Actor, count_id: int) -> Count:
    count = await session.get(Count, count_id)
    if count is None:
        raise NotFound("no such count", count_id=count_id)
    actor.require_warehouse(count.warehouse_id)
    return count


@dataclass
class LineView:
    line: CountLine
    location_code: str
    pick_sequence: int
    sku: str | None
    status: str
    entries: list[dict[str, Any]] = field(default_factory=list)
    expected: list[dict[str, Any]] = field(default_factory=list)


async def line_views(
    session: AsyncSession, actor: Actor, count: Count, task_id: int | None = None
) -> list[LineView]:
    """The lines in walking order. A blind count shows a worker no line they may not count
    (a recount of their own work) and no status that says a recount was asked for."""
    query = (
        select(CountLine, Location.code, Location.pick_sequence, Item.sku)
        .join(Location, Location.id == CountLine.location_id)
        .outerjoin(Item, Item.id == CountLine.item_id)
        .where(CountLine.count_id == count.id)
        .order_by(Location.pick_sequence, Location.code, CountLine.round, CountLine.id)
    )
    if task_id is not None:
        query = query.where(CountLine.task_id == task_id)
    reveal = sees_book(actor, count)
    views = []
    for line, code, sequence, sku in (await session.execute(query)).tuples():
        if not reveal and line.excluded_user_id == actor.id:
            continue
        status = line.status if reveal or line.status != "recount" else "counted"
        views.append(LineView(line, code, sequence, sku, status))
    if reveal:
        await _add_book(session, views)
    return views


async def _add_book(session: AsyncSession, views: list[LineView]) -> None:
    """Entries of counted lines with book, variance and value; what open lines hold now."""
    policy = await policies.count_policy(session)
    by_line = {v.line.id: v for v in views}
    rows = await session.execute(
        select(CountEntry, Item.sku, Lot.lot_number)
        .join(Item, Item.id == CountEntry.item_id)
        .outerjoin(Lot, Lot.id == CountEntry.lot_id)
        .where(CountEntry.count_line_id.in_(by_line))
        .order_by(CountEntry.id)
    )
    for entry, sku, lot_number in rows.tuples():
        by_line[entry.count_line_id].entries.append(
            {
                "entry": entry,
                "sku": sku,
                "lot_number": lot_number,
                "required_role": required_role(entry.variance_value, policy)
                if entry.status == "pending"
                else None,
            }
        )
    open_views = [v for v in views if v.line.status == "open"]
    held = await holdings(session, sorted({v.line.location_id for v in open_views}))
    keys = {k for place in held.values() for k in place}
    names = await _names(session, keys)
    for view in open_views:
        place = held[view.line.location_id]
        for item_id, lot_id in sorted(place, key=lambda k: (k[0], k[1] or 0)):
            if view.line.item_id in (None, item_id):
                item_sku, lot = names[(item_id, lot_id)]
                view.expected.append(
                    {
                        "item_id": item_id,
                        "sku": item_sku,
                        "lot_number": lot,
                        "quantity": place[(item_id, lot_id)],
                    }
                )


async def _names(
    session: AsyncSession, keys: set[tuple[int, int | None]]
) -> dict[tuple[int, int | None], tuple[str, str | None]]:
    item_ids = {k[0] for k in keys}
    lot_ids = {k[1] for k in keys if k[1] is not None}
    skus = dict(
        (await session.execute(select(Item.id, Item.sku).where(Item.id.in_(item_ids))))
        .tuples()
        .all()
    )
    lots = dict(
        (await session.execute(select(Lot.id, Lot.lot_number).where(Lot.id.in_(lot_ids))))
        .tuples()
        .all()
    )
    return {k: (skus[k[0]], lots.get(k[1]) if k[1] is not None else None) for k in keys}


@dataclass(frozen=True)
class Progress:
    lines_total: int = 0
    lines_open: int = 0
    lines_counted: int = 0
    pending_variances: int = 0
    pending_value: Decimal = Decimal(0)


def progress_of(views: list[LineView]) -> Progress:
    """Progress from the lines a caller sees; superseded first rounds are not lines to do."""
    statuses = [v.status for v in views if v.status not in ("cancelled", "recount")]
    return Progress(
        lines_total=len(statuses),
        lines_open=statuses.count("open"),
        lines_counted=statuses.count("counted"),
    )


async def progress(session: AsyncSession, count_ids: list[int]) -> dict[int, Progress]:
    """Progress of many counts from two grouped queries."""
    found = {cid: Progress() for cid in count_ids}
    if not count_ids:
        return found
    lines = await session.execute(
        select(
            CountLine.count_id,
            func.count(),
            func.sum(case((CountLine.status == "open", 1), else_=0)),
            func.sum(case((CountLine.status == "counted", 1), else_=0)),
        )
        .where(CountLine.count_id.in_(count_ids), CountLine.status.in_(("open", "counted")))
        .group_by(CountLine.count_id)
    )
    pending = await _pending_variances(session, count_ids)
    for cid, total, open_, counted in lines.tuples():
        n, value = pending.get(cid, (0, Decimal(0)))
        found[cid] = Progress(int(total), int(open_ or 0), int(counted or 0), n, value)
    return found


async def _pending_variances(
    session: AsyncSession, count_ids: list[int]
) -> dict[int, tuple[int, Decimal]]:
    """How many variances wait for a decision per count, and their absolute value."""
    value = CountEntry.variance_value
    # A CASE keeps the column's Numeric type (abs() would not), so SQLite gives Decimals too.
    absolute = case((value < 0, -value), else_=value)
    rows = await session.execute(
        select(CountLine.count_id, func.count(), func.sum(absolute))
        .join(CountEntry, CountEntry.count_line_id == CountLine.id)
        .where(CountLine.count_id.in_(count_ids), CountEntry.status == "pending")
        .group_by(CountLine.count_id)
    )
    return {cid: (int(n), Decimal(total or 0)) for cid, n, total in rows.tuples()}


async def closed_counts(
    session: AsyncSession,
    actor: Actor,
    warehouse_id: int | None,
    since: dt.datetime | None,
    until: dt.datetime | None,
) -> list[Count]:
    """Closed counts completed in [since, until), oldest first, in the actor's warehouses."""
    query = select(Count).where(Count.status == "closed").order_by(Count.completed_at, Count.id)
    if not actor.all_warehouses:
        query = query.where(Count.warehouse_id.in_(actor.warehouse_ids))
    if warehouse_id is not None:
        actor.require_warehouse(warehouse_id)
        query = query.where(Count.warehouse_id == warehouse_id)
    if since is not None:
        query = query.where(Count.completed_at >= since)
    if until is not None:
        query = query.where(Count.completed_at < until)
    return list((await session.execute(query)).scalars())


@dataclass
class Due:
    item: Item
    interval_days: int
    last_counted_at: dt.datetime | None
    due_at: dt.datetime | None
    locations: list[tuple[int, str]] = field(default_factory=list)

    def days_overdue(self, now: dt.datetime) -> int | None:
        return None if self.due_at is None else (now - self.due_at).days


async def schedule(
    session: AsyncSession, actor: Actor, warehouse_id: int, limit: int, now: dt.datetime
) -> list[Due]:
    """Items of an ABC class in stock here whose interval has run out since their last count
    (or never counted), most overdue first; at equal standing A before B before C."""
    actor.require_warehouse(warehouse_id)
    policy = await policies.count_policy(session)
    places = await _stocked_places(session, warehouse_id)
    items = (
        await session.execute(select(Item).where(Item.id.in_(places), Item.abc_class.is_not(None)))
    ).scalars()
    last = await _last_counted(session, warehouse_id)
    due = []
    for item in items:
        interval = policy.interval(item.abc_class or "C")
        when = due_at(last.get(item.id), interval)
        if when is None or when <= now:
            due.append(Due(item, interval, last.get(item.id), when, places[item.id]))
    never = dt.datetime.min.replace(tzinfo=dt.UTC)
    due.sort(key=lambda d: (d.due_at or never, ABC.index(d.item.abc_class or "C"), d.item.sku))
    return due[:limit]


async def _stocked_places(
    session: AsyncSession, warehouse_id: int
) -> dict[int, list[tuple[int, str]]]:
    rows = await session.execute(
        select(Quant.item_id, Location.id, Location.code, Location.pick_sequence)
        .join(Location, Location.id == Quant.location_id)
        .where(
            Quant.warehouse_id == warehouse_id,
            Quant.on_hand > 0,
            Location.kind.in_(STOCK_KINDS),
        )
        .distinct()
        .order_by(Quant.item_id, Location.pick_sequence, Location.code, Location.id)
    )
    places: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for item_id, location_id, code, _ in rows.tuples():
        places[item_id].append((location_id, code))
    return places


async def _last_counted(session: AsyncSession, warehouse_id: int) -> dict[int, dt.datetime]:
    """When each item was last counted in the warehouse: the latest line with an entry of it."""
    rows = await session.execute(
        select(CountEntry.item_id, func.max(CountLine.counted_at))
        .join(CountLine, CountLine.id == CountEntry.count_line_id)
        .join(Count, Count.id == CountLine.count_id)
        .where(Count.warehouse_id == warehouse_id, CountLine.counted_at.is_not(None))
        .group_by(CountEntry.item_id)
    )
    return {item_id: at for item_id, at in rows.tuples() if at is not None}
