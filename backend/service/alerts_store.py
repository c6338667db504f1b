"""Opening and resolving alerts: at most one open alert per (kind, warehouse, subject).

`open_alert` inserts with ON CONFLICT DO NOTHING against the partial unique index of open
alerts, so two transactions that detect the same condition at once open it once (the second
waits for the first's commit on PostgreSQL, then finds the conflict). Only the insert that
opened the alert queues its pushes: an alert already open is refreshed quietly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import Alert, Warehouse, utcnow
from backend.db.upsert import dialect_insert
from backend.service import push_queue

# Written as literal SQL: PostgreSQL must match it to the index's predicate when planning.
OPEN = text("status = 'open'")


@dataclass(frozen=True)
class Draft:
    kind: str
    warehouse_id: int
    subject: str
    title: str
    body: str
    url: str
    details: dict[str, Any] = field(default_factory=dict)
    item_id: int | None = None
    lot_id: int | None = None
    location_id: int | None = None
    count_id: int | None = None


def _is_open(kind: str, warehouse_id: int, subject: str) -> Any:
    return (
        (Alert.kind == kind)
        & (Alert.warehouse_id == warehouse_id)
        & (Alert.subject == subject)
        & (Alert.status == "open")
    )


async def open_alert(
    session: AsyncSession, draft: Draft, *, command_id: int | None = None
) -> int | None:
    """The id of the alert this opened, or None when one was open already."""
    statement = (
        dialect_insert(session)(Alert)
        .values(
            kind=draft.kind,
            warehouse_id=draft.warehouse_id,
            subject=draft.subject,
            status="open",
            item_id=draft.item_id,
            lot_id=draft.lot_id,
            location_id=draft.location_id,
            count_id=draft.count_id,
            title=draft.title,
            body=draft.body,
            url=draft.url,
            details=draft.details,
            raised_at=utcnow(),
            raised_by_command_id=command_id,
        )
        .on_conflict_do_nothing(
            index_elements=[Alert.kind, Alert.warehouse_id, Alert.subject], index_where=OPEN
        )
        .returning(Alert.id)
    )
    alert_id = (await session.execute(statement)).scalar_one_or_none()
    if alert_id is None:
        await session.execute(
            update(Alert)
            .where(_is_open(draft.kind, draft.warehouse_id, draft.subject))
            .values(body=draft.body, details=draft.details)
            .execution_options(synchronize_session=False)
        )
        return None
    await push_queue.enqueue(session, alert_id, draft.warehouse_id, draft.kind)
    return alert_id


async def resolve_alert(
    session: AsyncSession,
    kind: str,
    warehouse_id: int,
    subject: str,
    resolution: dict[str, Any],
    *,
    command_id: int | None = None,
) -> bool:
    """Resolve the open alert of this subject, recording why; whether there was one."""
    result = await session.execute(
        update(Alert)
        .where(_is_open(kind, warehouse_id, subject))
        .values(
            status="resolved",
            resolved_at=utcnow(),
            resolved_by_command_id=command_id,
            resolution=resolution,
        )
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def warehouse_codes(session: AsyncSession, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = await session.execute(select(Warehouse.id, Warehouse.code).where(Warehouse.id.in_(ids)))
    return dict(rows.tuples().all())
