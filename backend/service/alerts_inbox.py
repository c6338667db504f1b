"""The in-app notification centre: the alerts a user sees, with their read marks.

Supervisors and admins see every alert of their warehouses; workers see the kinds they chose
to follow per warehouse (none by default).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, false, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import Alert, AlertRead, PushPreference, Warehouse, utcnow
from backend.db.upsert import dialect_insert
from backend.domain.actor import Actor
from backend.domain.errors import NotFound


@dataclass(frozen=True)
class Filters:
    status: str | None = None
    kind: str | None = None
    warehouse_id: int | None = None
    unread: bool | None = None


@dataclass(frozen=True)
class Notification:
    alert: Alert
    warehouse_code: str
    read_at: Any


async def visible(session: AsyncSession, actor: Actor) -> ColumnElement[bool]:
    """The condition on `alerts` of what this user may see."""
    if actor.has_role("supervisor"):
        if actor.all_warehouses:
            return true()
        return Alert.warehouse_id.in_(actor.warehouse_ids)
    chosen = await session.execute(
        select(PushPreference.warehouse_id, PushPreference.kinds).where(
            PushPreference.user_id == actor.id
        )
    )
    allowed = [
        and_(Alert.warehouse_id == warehouse_id, Alert.kind.in_(kinds))
        for warehouse_id, kinds in chosen.tuples()
        if kinds and actor.may_access(warehouse_id)
    ]
    return or_(*allowed) if allowed else false()


async def page(
    session: AsyncSession, actor: Actor, filters: Filters, *, limit: int, offset: int
) -> tuple[list[Notification], int, int]:
    """One page, newest first, the number matching, and how many of those are unread."""
    seen = await visible(session, actor)
    read = and_(AlertRead.alert_id == Alert.id, AlertRead.user_id == actor.id)
    conditions = [seen]
    if filters.status is not None:
        conditions.append(Alert.status == filters.status)
    if filters.kind is not None:
        conditions.append(Alert.kind == filters.kind)
    if filters.warehouse_id is not None:
        conditions.append(Alert.warehouse_id == filters.warehouse_id)
    if filters.unread is True:
        conditions.append(AlertRead.alert_id.is_(None))
    elif filters.unread is False:
        conditions.append(AlertRead.alert_id.is_not(None))
    rows = await session.execute(
        select(Alert, Warehouse.code, AlertRead.read_at)
        .join(Warehouse, Warehouse.id == Alert.warehouse_id)
        .outerjoin(AlertRead, read)
        .where(*conditions)
        .order_by(Alert.raised_at.desc(), Alert.id.desc())
        .limit(limit)
        .offset(offset)
    )
    counted = await session.execute(
        select(func.count(Alert.id), func.count(Alert.id).filter(AlertRead.alert_id.is_(None)))
        .outerjoin(AlertRead, read)
        .where(*conditions)
    )
    total, unread = counted.one()
    return (
        [Notification(alert, code, read_at) for alert, code, read_at in rows.tuples()],
        int(total),
        int(unread),
    )


async def mark_read(session: AsyncSession, actor: Actor, alert_id: int) -> None:
    seen = await visible(session, actor)
    if await session.scalar(select(Alert.id).where(Alert.id == alert_id, seen)) is None:
        raise NotFound("no such notification", alert_id=alert_id)
    statement = dialect_insert(session)(AlertRead).values(
        alert_id=alert_id, user_id=actor.id, read_at=utcnow()
    )
    await session.execute(statement.on_conflict_do_nothing())


async def mark_all_read(session: AsyncSession, actor: Actor) -> int:
    """Mark every visible unread alert read; how many were."""
    seen = await visible(session, actor)
    unread = await session.execute(
        select(Alert.id)
        .outerjoin(AlertRead, and_(AlertRead.alert_id == Alert.id, AlertRead.user_id == actor.id))
        .where(seen, AlertRead.alert_id.is_(None))
    )
    ids = list(unread.scalars())
    if not ids:
        return 0
    now = utcnow()
    for start in range(0, len(ids), 1000):
        statement = dialect_insert(session)(AlertRead).values(
            [
                {"alert_id": i, "user_id": actor.id, "read_at": now}
                for i in ids[start : start + 1000]
            ]
        )
        await session.execute(statement.on_conflict_do_nothing())
    return len(ids)
