"""Who a supervisor can hand work to: the active people of a warehouse and their open tasks."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import Task, User, UserWarehouse, Warehouse
from backend.domain.actor import Actor
from backend.domain.errors import NotFound
from backend.domain.vocabulary import ACTIVE_TASK_STATUSES


@dataclass(frozen=True)
class Assignable:
    user: User
    open_tasks: int


async def assignable(session: AsyncSession, actor: Actor, warehouse_id: int) -> list[Assignable]:
    """Workers first, then supervisors, each by name; admins are not on a warehouse's floor
    list (they may still be assigned by id). `open_tasks` counts their unfinished tasks there,
    so work can go to whoever has least."""
    actor.require_role("supervisor")
    actor.require_warehouse(warehouse_id)
    if await session.get(Warehouse, warehouse_id) is None:
        raise NotFound("no such warehouse", warehouse_id=warehouse_id)
    open_tasks = (
        select(Task.assignee_id, func.count().label("n"))
        .where(Task.warehouse_id == warehouse_id, Task.status.in_(ACTIVE_TASK_STATUSES))
        .group_by(Task.assignee_id)
        .subquery()
    )
    rows = await session.execute(
        select(User, func.coalesce(open_tasks.c.n, 0))
        .join(UserWarehouse, UserWarehouse.user_id == User.id)
        .outerjoin(open_tasks, open_tasks.c.assignee_id == User.id)
        .where(
            UserWarehouse.warehouse_id == warehouse_id,
            User.active.is_(True),
            User.role != "admin",
        )
        .order_by(User.role.desc(), User.display_name, User.username)
    )
    return [Assignable(user, int(n)) for user, n in rows.tuples()]
