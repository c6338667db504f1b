"""Recording a count: one command per line (a bin, or one item in it), judged against the book
as it stood when the worker counted. Recording never changes stock; approval does."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import Command, Count, CountEntry, CountLine, Item, Task, utcnow
from backend.domain.actor import Actor
from backend.domain.commands import CountedItem, RecordCount
from backend.domain.errors import (
    Conflict,
    InvalidRequest,
    NotFound,
    RecountByOther,
    ScanMismatch,
    TrackingError,
)
from backend.domain.vocabulary import ACTIVE_TASK_STATUSES
from backend.service import documents, policies, tasks
from backend.service.applied import Applied
from backend.service.counting import locked_count, settle
from backend.service.counting_book import BookKey, book_as_of
from backend.service.counting_rules import judge, line_verdict
from backend.service.tracking import find_or_create_lot

# count_entries.variance_value holds 12 digits before the point.
MAX_VALUE = Decimal(10) ** 12


async def record_count(
    session: AsyncSession, command: RecordCount, actor: Actor, row: Command
) -> Applied:
    """The answer says only that the line was counted: in a blind count neither the book nor
    the variance may reach the counter, and whether a recount follows would tell."""
    line = await session.get(CountLine, command.count_line_id)
    if line is None:
        raise NotFound("no such count line", count_line_id=command.count_line_id)
    count = await locked_count(session, line.count_id, actor)
    await session.refresh(line)
    task = await _check_line(session, count, line, actor)
    counted, items = await _counted(session, line, command)
    book = await book_as_of(session, line.location_id, command.occurred_at, item_id=line.item_id)
    if line.item_id is not None and not any(k[0] == line.item_id for k in (*counted, *book)):
        # An item counted absent where the book has none still leaves a mark that it was
        # counted (the schedule goes by the last count of each item).
        counted[(line.item_id, None)] = 0
    items.update(await _items(session, {k[0] for k in (*counted, *book)} - items.keys()))
    entries = await _entries(session, line, counted, book, items)
    line.status = line_verdict([e.status for e in entries])
    line.counted_by, line.counted_at, line.command_id = actor.id, command.occurred_at, row.id
    await documents.record(
        session, "count", count.id, "line_counted", actor.id, command_id=row.id, line=line.seq
    )
    if line.status == "recount":
        await _request_recount(session, count, line, task, actor, row.id)
    await _progress(session, task, line, actor, row.id)
    await settle(session, count, actor, row.id)
    return Applied({"count": count.number, "count_line_id": line.id, "status": "counted"})


async def _check_line(session: AsyncSession, count: Count, line: CountLine, actor: Actor) -> Task:
    if count.status != "counting" or line.status != "open":
        # A superseded line reads as counted: the counter may be counting blind.
        state = count.status if count.status != "counting" else line.status
        state = "counted" if state == "recount" else state
        raise Conflict(
            f"line {line.seq} of count {count.number} is {state}: it takes no count",
            count_line_id=line.id,
            status=state,
        )
    if line.excluded_user_id == actor.id:
        raise RecountByOther(
            "you made the first count of this bin: the recount is someone else's",
            count_line_id=line.id,
        )
    task = await session.get(Task, line.task_id)
    assert task is not None
    if task.status not in ACTIVE_TASK_STATUSES:
        raise Conflict(f"task {task.number} is {task.status}", task_id=task.id)
    if task.assignee_id not in (None, actor.id):
        raise Conflict(f"task {task.number} is assigned to someone else", task_id=task.id)
    return task


async def _counted(
    session: AsyncSession, line: CountLine, command: RecordCount
) -> tuple[dict[BookKey, int], dict[int, Item]]:
    """The quantities counted per item and lot, checked; lots found that were never booked are
    created, as a count may be the first to see them."""
    if command.empty and command.entries:
        raise InvalidRequest("a bin counted empty lists no entries")
    if not command.empty and not command.entries:
        raise InvalidRequest(
            "list what was counted, or say the bin is empty with empty=true",
            count_line_id=line.id,
        )
    items = await _items(session, {e.item_id for e in command.entries})
    if missing := {e.item_id for e in command.entries} - items.keys():
        raise NotFound("no such item", item_ids=sorted(missing))
    counted: dict[BookKey, int] = {}
    for entry in command.entries:
        item = items[entry.item_id]
        if line.item_id is not None and item.id != line.item_id:
            raise ScanMismatch(f"this line counts only one item, not {item.sku}", sku=item.sku)
        key = (item.id, await _lot_id(session, item, entry))
        if key in counted:
            raise InvalidRequest(
                f"{item.sku} {entry.lot_number or ''} is listed twice: send one total".strip(),
                sku=item.sku,
            )
        counted[key] = entry.quantity
    return counted, items


async def _lot_id(session: AsyncSession, item: Item, entry: CountedItem) -> int | None:
    if item.tracking == "lot" and entry.lot_number is None:
        raise TrackingError(f"item {item.sku} is lot-tracked: scan the lot", sku=item.sku)
    if item.tracking == "none" and entry.lot_number is not None:
        raise TrackingError(f"item {item.sku} is not tracked by lot", sku=item.sku)
    if entry.lot_number is None:
        return None
    return (await find_or_create_lot(session, item.id, entry.lot_number, None)).id


async def _items(session: AsyncSession, ids: set[int]) -> dict[int, Item]:
    if not ids:
        return {}
    rows = await session.execute(select(Item).where(Item.id.in_(ids)))
    return {item.id: item for item in rows.scalars()}


async def _entries(
    session: AsyncSession,
    line: CountLine,
    counted: dict[BookKey, int],
    book: dict[BookKey, int],
    items: dict[int, Item],
) -> list[CountEntry]:
    """One entry per item and lot counted or on the book; what the book had and the worker
    did not list was counted as zero."""
    policy = await policies.count_policy(session)
    entries = []
    for key in sorted(set(counted) | set(book), key=lambda k: (k[0], k[1] or 0)):
        quantity, on_book = counted.get(key, 0), book.get(key, 0)
        variance = quantity - on_book
        value = Decimal(variance) * items[key[0]].unit_cost
        if abs(value) >= MAX_VALUE:
            raise InvalidRequest(
                # Said without the variance: the counter may be counting blind.
                f"the quantity of {items[key[0]].sku} counted is beyond any plausible value",
                sku=items[key[0]].sku,
            )
        entries.append(
            CountEntry(
                count_line_id=line.id,
                item_id=key[0],
                lot_id=key[1],
                quantity=quantity,
                book_quantity=on_book,
                variance=variance,
                variance_value=value,
                status=judge(variance, value, line.round, policy),
            )
        )
    if any(e.status == "recount" for e in entries):
        for entry in entries:
            entry.status = "recount"
    session.add_all(entries)
    await session.flush()
    return entries


async def _request_recount(
    session: AsyncSession, count: Count, line: CountLine, task: Task, actor: Actor, command_id: int
) -> CountLine:
    """A second round of the same bin (or item), for anyone but the first counter."""
    recount_task = await _open_recount_task(session, count.id, actor.id)
    if recount_task is None:
        recount_task = await tasks.create_task(
            session,
            actor,
            warehouse_id=count.warehouse_id,
            type="count",
            lines=[],
            priority=task.priority,
            due_at=task.due_at,
            document_type="count",
            document_id=count.id,
            note=f"Recount {count.number}",
        )
    seq = await session.scalar(
        select(func.coalesce(func.max(CountLine.seq), 0)).where(CountLine.count_id == count.id)
    )
    recount = CountLine(
        count_id=count.id,
        task_id=recount_task.id,
        seq=int(seq or 0) + 1,
        location_id=line.location_id,
        item_id=line.item_id,
        round=line.round + 1,
        recount_of_id=line.id,
        excluded_user_id=actor.id,
    )
    session.add(recount)
    await session.flush()
    await documents.record(
        session,
        "count",
        count.id,
        "recount_requested",
        actor.id,
        command_id=command_id,
        line=line.seq,
        recount_line=recount.seq,
    )
    return recount


async def _open_recount_task(session: AsyncSession, count_id: int, counter_id: int) -> Task | None:
    """A recount task of this count nobody has taken yet, whose lines exclude the same
    counter: more recounts join it rather than each making a task."""
    return (
        await session.execute(
            select(Task)
            .join(CountLine, CountLine.task_id == Task.id)
            .where(
                CountLine.count_id == count_id,
                CountLine.excluded_user_id == counter_id,
                Task.status == "open",
                Task.assignee_id.is_(None),
            )
            .order_by(Task.id)
            .limit(1)
        )
    ).scalar_one_or_none()


async def _progress(
    session: AsyncSession, task: Task, line: CountLine, actor: Actor, command_id: int
) -> None:
    """The task is in progress, and done when none of its lines is open. The history says
    which line was counted, never what was found."""
    if task.status in ("open", "assigned"):
        task.status = "in_progress"
        if task.assignee_id is None:
            task.assignee_id = actor.id
    await documents.record(
        session, "task", task.id, "line_counted", actor.id, command_id=command_id, line=line.seq
    )
    await session.flush()
    open_lines = await session.scalar(
        select(func.count()).where(CountLine.task_id == task.id, CountLine.status == "open")
    )
    if not open_lines:
        task.status = "done"
        task.completed_at = utcnow()
        await documents.record(session, "task", task.id, "done", actor.id, command_id=command_id)
