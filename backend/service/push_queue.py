"""The push delivery queue, kept in `push_deliveries`.

Deliveries are written in the transaction that raised their alert, so an alert is never pushed
for a command that rolled back and never lost for one that committed. After that commit the
session wakes the delivery workers of this process (`after_commit`); workers of other
processes find the rows on their next poll.

A worker claims due rows in a short transaction (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so
workers never wait for or take each other's rows; SQLite has one writer at a time anyway),
marking them `sending` with a lease, sends after that commit, then records each outcome.
A worker that dies mid-send leaves rows whose lease runs out; they are claimed again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.event import listens_for
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from backend.db.models import Alert, PushDelivery, PushSubscription, Warehouse, utcnow
from backend.service import push_subscriptions

ENQUEUED = "stockhand.push_enqueued"
_wakers: set[Callable[[], None]] = set()


def add_waker(waker: Callable[[], None]) -> None:
    _wakers.add(waker)


def remove_waker(waker: Callable[[], None]) -> None:
    _wakers.discard(waker)


@listens_for(Session, "after_commit")
def _wake_after_commit(session: Session) -> None:
    # Only the outermost commit fires this: the deliveries are visible to the workers now.
    if session.info.pop(ENQUEUED, False):
        for waker in list(_wakers):
            waker()


async def enqueue(session: AsyncSession, alert_id: int, warehouse_id: int, kind: str) -> int:
    """One delivery per subscription that wants this alert; how many were queued."""
    targets = await push_subscriptions.recipients(session, warehouse_id, kind)
    if not targets:
        return 0
    now = utcnow()
    await session.execute(
        insert(PushDelivery),
        [
            {
                "alert_id": alert_id,
                "subscription_id": subscription_id,
                "user_id": user_id,
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
            for subscription_id, user_id in targets
        ],
    )
    session.info[ENQUEUED] = True
    return len(targets)


def payload(alert: Alert, warehouse_code: str) -> dict[str, Any]:
    """What the service worker receives (decrypted): enough to show the notification and
    open the right screen without asking the server."""
    return {
        "title": alert.title,
        "body": alert.body,
        "kind": alert.kind,
        "alert_id": alert.id,
        "url": alert.url,
        "tag": f"stockhand-alert-{alert.id}",
        "warehouse": warehouse_code,
        "raised_at": alert.raised_at.isoformat(),
        **alert.details,
    }


@dataclass(frozen=True)
class Claimed:
    delivery_id: int
    attempts: int
    subscription_id: int | None
    endpoint: str
    p256dh: str
    auth: str
    alert_open: bool
    payload: dict[str, Any]


Outcome = Literal["sent", "gone", "retry", "failed", "skipped"]


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    status: int | None = None
    error: str | None = None
    retry_after: float | None = None


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 8
    backoff_seconds: float = 30.0
    backoff_max_seconds: float = 3600.0

    def delay(self, attempts: int, retry_after: float | None = None) -> dt.timedelta:
        """Exponential: base, 2×base, 4×base … up to the maximum; a push service's
        Retry-After is honoured when it asks for longer."""
        seconds = min(self.backoff_seconds * 2 ** max(0, attempts - 1), self.backoff_max_seconds)
        if retry_after is not None:
            seconds = max(seconds, min(retry_after, self.backoff_max_seconds))
        return dt.timedelta(seconds=seconds)


def _due(now: dt.datetime) -> Any:
    return or_(
        and_(PushDelivery.status == "pending", PushDelivery.next_attempt_at <= now),
        and_(PushDelivery.status == "sending", PushDelivery.lease_until < now),
    )


async def claim(
    sessions: async_sessionmaker[AsyncSession],
    *,
    limit: int,
    lease: dt.timedelta,
    now: dt.datetime | None = None,
) -> list[Claimed]:
    now = now or utcnow()
    async with sessions() as session, session.begin():
        candidates = (
            await session.execute(
                select(PushDelivery.id)
                .where(_due(now))
                .order_by(PushDelivery.next_attempt_at, PushDelivery.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        ).scalars()
        ids = list(candidates)
        if not ids:
            return []
        # The due condition again: a row claimed and committed by another worker between
        # our look-up and this update is not taken twice.
        claimed = list(
            (
                await session.execute(
                    update(PushDelivery)
                    .where(PushDelivery.id.in_(ids), _due(now))
                    .values(
                        status="sending",
                        attempts=PushDelivery.attempts + 1,
                        lease_until=now + lease,
                    )
                    .returning(PushDelivery.id)
                    .execution_options(synchronize_session=False)
                )
            ).scalars()
        )
        if not claimed:
            return []
        rows = await session.execute(
            select(PushDelivery, PushSubscription, Alert, Warehouse.code)
            .outerjoin(PushSubscription, PushSubscription.id == PushDelivery.subscription_id)
            .join(Alert, Alert.id == PushDelivery.alert_id)
            .join(Warehouse, Warehouse.id == Alert.warehouse_id)
            .where(PushDelivery.id.in_(claimed))
            .order_by(PushDelivery.id)
            .execution_options(populate_existing=True)
        )
        return [
            Claimed(
                delivery_id=delivery.id,
                attempts=delivery.attempts,
                subscription_id=subscription.id if subscription else None,
                endpoint=subscription.endpoint if subscription else "",
                p256dh=subscription.p256dh if subscription else "",
                auth=subscription.auth if subscription else "",
                alert_open=alert.status == "open",
                payload=payload(alert, code),
            )
            for delivery, subscription, alert, code in rows.tuples()
        ]


async def record(
    sessions: async_sessionmaker[AsyncSession],
    results: Sequence[tuple[Claimed, Result]],
    policy: RetryPolicy,
    *,
    now: dt.datetime | None = None,
) -> None:
    """Write each outcome, only onto a row still claimed by this attempt."""
    if not results:
        return
    now = now or utcnow()
    async with sessions() as session, session.begin():
        gone: list[int] = []
        for claimed, result in results:
            values: dict[str, Any] = {
                "last_status": result.status,
                "last_error": result.error[:500] if result.error else None,
                "lease_until": None,
            }
            if result.outcome == "sent":
                values.update(status="sent", sent_at=now)
            elif result.outcome == "retry" and claimed.attempts < policy.max_attempts:
                values.update(
                    status="pending",
                    next_attempt_at=now + policy.delay(claimed.attempts, result.retry_after),
                )
            elif result.outcome in ("gone", "skipped"):
                values.update(status="dropped" if result.outcome == "gone" else "skipped")
            else:
                values.update(status="failed")
            await session.execute(
                update(PushDelivery)
                .where(
                    PushDelivery.id == claimed.delivery_id,
                    PushDelivery.status == "sending",
                    PushDelivery.attempts == claimed.attempts,
                )
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            if result.outcome == "sent" and claimed.subscription_id is not None:
                await session.execute(
                    update(PushSubscription)
                    .where(PushSubscription.id == claimed.subscription_id)
                    .values(last_sent_at=now)
                    .execution_options(synchronize_session=False)
                )
            if result.outcome == "gone" and claimed.subscription_id is not None:
                gone.append(claimed.subscription_id)
        await push_subscriptions.drop(
            session, sorted(set(gone)), reason="the push service says the subscription is gone"
        )


async def next_due(sessions: async_sessionmaker[AsyncSession]) -> dt.datetime | None:
    """When the earliest waiting delivery falls due (a retry, or a lease running out)."""
    async with sessions() as session:
        pending = await session.scalar(
            select(func.min(PushDelivery.next_attempt_at)).where(PushDelivery.status == "pending")
        )
        leased = await session.scalar(
            select(func.min(PushDelivery.lease_until)).where(PushDelivery.status == "sending")
        )
    times = [t for t in (pending, leased) if t is not None]
    return min(times) if times else None
