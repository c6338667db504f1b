"""Floor tasks: created and assigned by supervisors, claimed and worked by workers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import Command, CountLine, Task, TaskLine, User, utcnow
from backend.domain.actor import Actor
from backend.domain.commands import ClaimTask
from backend.domain.errors import Conflict, InvalidRequest, NotFound, RecountByOther
from backend.domain.vocabulary import ACTIVE_TASK_STATUSES
from backend.service import documents
from backend.service.applied import Applied
from backend.service.users import warehouse_ids


@dataclass(frozen=True)
class LinePlan:
    item_id: int
    quantity: int
    lot_id: int | None = None
    from_location_id: int | None = None
    to_location_id: int | None = None
    source_line_id: int | None = None
    document_ref: str | None = None


async def create_task(
    session: AsyncSession,
    actor: Actor,
    *,
    warehouse_id: int,
    type: str,
    lines: Sequence[LinePlan],
    priority: int = 0,
    due_at: dt.datetime | None = None,
    assignee_id: int | None = None,
    document_type: str | None = None,
    document_id: int | None = None,
    note: str | None = None,
) -> Task:
    actor.require_warehouse(warehouse_id)
    if assignee_id is not None:
        await _check_assignee(session, assignee_id, warehouse_id)
    task = Task(
        number=await documents.next_number(session, "task"),
        warehouse_id=warehouse_id,
        type=type,
        status="assigned" if assignee_id else "open",
        assignee_id=assignee_id,
        priority=priority,
        due_at=due_at,
        document_type=document_type,
        document_id=document_id,
        note=note,
        created_by=actor.id,
    )
    session.add(task)
    await session.flush()
    session.add_all(
        TaskLine(
            task_id=task.id,
            seq=seq,
            item_id=p.item_id,
            lot_id=p.lot_id,
            quantity=p.quantity,
            from_location_id=p.from_location_id,
            to_location_id=p.to_location_id,
            source_line_id=p.source_line_id,
            document_ref=p.document_ref,
        )
        for seq, p in enumerate(lines, start=1)
    )
    await documents.record(
        session, "task", task.id, "created", actor.id, type=type, assignee_id=assignee_id
    )
    await session.flush()
    return task


async def _check_assignee(session: AsyncSession, user_id: int, warehouse_id: int) -> None:
    user = await session.get(User, user_id)
    if user is None or not user.active:
        raise NotFound("no such active user", user_id=user_id)
    if user.role != "admin" and warehouse_id not in await warehouse_ids(session, user_id):
        raise InvalidRequest(f"{user.username} does not work in this warehouse", user_id=user_id)


async def task_in_scope(session: AsyncSession, actor: Actor, task_id: int) -> Task:
    task = await session.get(Task, task_id)
    if task is None:
        raise NotFound("no such task", task_id=task_id)
    actor.require_warehouse(task.warehouse_id)
    return task


async def assign(session: AsyncSession, actor: Actor, task_id: int, user_id: int) -> Task:
    actor.require_role("supervisor")
    task = await task_in_scope(session, actor, task_id)
    if task.status not in ACTIVE_TASK_STATUSES:
        raise Conflict(f"task {task.number} is {task.status}", status=task.status)
    await _check_assignee(session, user_id, task.warehouse_id)
    previous = task.assignee_id
    task.assignee_id = user_id
    if task.status == "open":
        task.status = "assigned"
    action = "reassigned" if previous else "assigned"
    await documents.record(
        session,
        "task",
        task.id,
        action,
        actor.id,
        assignee_id=user_id,
        previous_assignee_id=previous,
    )
    return task


async def cancel(session: AsyncSession, actor: Actor, task_id: int, reason: str) -> Task:
    actor.require_role("supervisor")
    task = await task_in_scope(session, actor, task_id)
    if task.status not in ACTIVE_TASK_STATUSES:
        raise Conflict(f"task {task.number} is {task.status}", status=task.status)
    task.status = "cancelled"
    task.completed_at = utcnow()
    await session.execute(
        update(TaskLine)
        .where(TaskLine.task_id == task.id, TaskLine.status == "open")
        .values(status="cancelled")
    )
    await documents.record(session, "task", task.id, "cancelled", actor.id, reason=reason)
    return task


async def cancel_lines_of(
    session: AsyncSession, actor: Actor, document_ref: str, reason: str
) -> None:
    """Cancel the open lines serving one document in tasks that serve several (a batch
    pick); a task left with nothing open is closed."""
    lines = (
        (
            await session.execute(
                select(TaskLine)
                .join(Task, Task.id == TaskLine.task_id)
                .where(
                    TaskLine.document_ref == document_ref,
                    TaskLine.status == "open",
                    Task.status.in_(ACTIVE_TASK_STATUSES),
                )
            )
        )
        .scalars()
        .all()
    )
    for line in lines:
        line.status = "cancelled"
    await session.flush()
    for task_id in {line.task_id for line in lines}:
        task = await session.get(Task, task_id)
        assert task is not None
        statuses = set(
            (await session.execute(select(TaskLine.status).where(TaskLine.task_id == task_id)))
            .scalars()
            .all()
        )
        await documents.record(session, "task", task.id, "lines_cancelled", actor.id, reason=reason)
        if "open" not in statuses:
            task.status = "done" if statuses & {"done", "short"} else "cancelled"
            task.completed_at = utcnow()


async def claim_task(
    session: AsyncSession, command: ClaimTask, actor: Actor, row: Command
) -> Applied:
    """Take an open, unassigned task: a conditional update, so two workers cannot both win."""
    task = await task_in_scope(session, actor, command.task_id)
    if task.assignee_id == actor.id and task.status in ACTIVE_TASK_STATUSES:
        return Applied({"task_id": task.id, "number": task.number, "already_yours": True})
    if await session.scalar(select(_recount_excluding(actor.id).where(Task.id == task.id))):
        raise RecountByOther(
            f"task {task.number} recounts your own count: another worker takes it",
            task_id=task.id,
        )
    result = await session.execute(
        update(Task)
        .where(Task.id == task.id, Task.assignee_id.is_(None), Task.status == "open")
        .values(assignee_id=actor.id, status="assigned", updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        await session.refresh(task)
        raise Conflict(
            f"task {task.number} is already taken or no longer open",
            task_id=task.id,
            status=task.status,
        )
    await documents.record(session, "task", task.id, "claimed", actor.id, command_id=row.id)
    return Applied({"task_id": task.id, "number": task.number})


async def progress(
    session: AsyncSession,
    line: TaskLine,
    quantity: int,
    *,
    short: bool = False,
    actor: Actor,
    command_id: int | None,
    details: dict[str, Any],
) -> None:
    """Count work done on a line; the task is in progress, then done when no line is open."""
    line.done_quantity += quantity
    if line.done_quantity >= line.quantity:
        line.status = "done"
    elif short:
        line.status = "short"
    task = await session.get(Task, line.task_id)
    assert task is not None
    if task.status in ("open", "assigned"):
        task.status = "in_progress"
        if task.assignee_id is None:
            task.assignee_id = actor.id
    await session.flush()
    open_lines = await session.scalar(
        select(func.count()).where(TaskLine.task_id == task.id, TaskLine.status == "open")
    )
    await documents.record(
        session,
        "task",
        task.id,
        "line_progress",
        actor.id,
        command_id=command_id,
        line=line.seq,
        quantity=quantity,
        **details,
    )
    if not open_lines:
        task.status = "done"
        task.completed_at = utcnow()
        await documents.record(session, "task", task.id, "done", actor.id, command_id=command_id)


def _recount_excluding(user_id: int) -> Any:
    """A recount task whose lines the user counted first: someone else must take it."""
    return exists().where(CountLine.task_id == Task.id, CountLine.excluded_user_id == user_id)


def queue_for(actor: Actor) -> Any:
    """A worker's queue: their own active tasks, then open unassigned ones of their
    warehouses, highest priority and earliest due first."""
    mine = and_(Task.assignee_id == actor.id, Task.status.in_(ACTIVE_TASK_STATUSES))
    claimable = and_(
        Task.assignee_id.is_(None), Task.status == "open", ~_recount_excluding(actor.id)
    )
    if not actor.all_warehouses:
        claimable = and_(claimable, Task.warehouse_id.in_(actor.warehouse_ids))
    return (
        select(Task)
        .where(or_(mine, claimable))
        .order_by(
            (Task.assignee_id == actor.id).desc().nulls_last(),
            Task.priority.desc(),
            Task.due_at.asc().nulls_last(),
            Task.id,
        )
    )
