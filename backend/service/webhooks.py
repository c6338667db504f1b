"""Signed webhooks fed by the integration feed, with retries and a delivery log.

Each endpoint keeps its own feed cursor. A pass first queues what the feed has after the
cursor (one delivery row per endpoint and event, so queuing twice is harmless), then sends
what is due. A delivery is claimed by pushing its next attempt into the future in a short
transaction (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so several API processes share the
work), sent with no transaction open, and its outcome recorded; a failure is retried with
exponential backoff until MAX_ATTEMPTS.

Receivers check `X-Stockhand-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "t.body">`
with the endpoint's secret, and may refuse a `t` too far from their clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import hmac
import json
import logging
import secrets
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.db.models import WebhookDelivery, WebhookEndpoint, utcnow
from backend.db.upsert import dialect_insert
from backend.service import feed

log = logging.getLogger("stockhand.webhooks")

MAX_ATTEMPTS = 8
FIRST_RETRY = dt.timedelta(seconds=15)
LONGEST_RETRY = dt.timedelta(hours=1)
LEASE = dt.timedelta(seconds=60)
TIMEOUT = 10.0
BATCH = 50


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(secret: str, header: str, body: bytes) -> bool:
    """What a receiver does: recompute the HMAC for the header's time and compare."""
    try:
        parts = dict(part.split("=", 1) for part in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    expected = signature(secret, timestamp, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


def backoff(attempts: int) -> dt.timedelta:
    """15 s, 30 s, 1 min, 2 min … at most an hour."""
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_RETRY)


def wanted(types: list[str], event_type: str) -> bool:
    """An endpoint takes every event, or those whose type starts with one of its prefixes."""
    return not types or any(event_type.startswith(prefix) for prefix in types)


async def queue(session: AsyncSession, endpoint: WebhookEndpoint, *, limit: int = 500) -> int:
    """Queue the feed's events after the endpoint's cursor; returns how many were queued."""
    events, cursor = await feed.page(session, feed.Cursor.decode(endpoint.cursor), limit)
    rows = [
        {
            "endpoint_id": endpoint.id,
            "event_id": event.id,
            "event_type": event.type,
            "payload": {
                "id": event.id,
                "type": event.type,
                "at": event.at.isoformat(),
                "data": event.data,
            },
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": utcnow(),
            "created_at": utcnow(),
        }
        for event in events
        if wanted(list(endpoint.event_types or []), event.type)
    ]
    if rows:
        statement = dialect_insert(session)(WebhookDelivery).values(rows)
        await session.execute(
            statement.on_conflict_do_nothing(
                index_elements=[WebhookDelivery.endpoint_id, WebhookDelivery.event_id]
            )
        )
    endpoint.cursor = cursor.encode()
    return len(rows)


@dataclass(frozen=True)
class Claimed:
    delivery_id: int
    url: str
    secret: str
    event_type: str
    body: bytes
    attempts: int


async def _claim(sessions: async_sessionmaker[AsyncSession], now: dt.datetime) -> list[Claimed]:
    async with sessions() as session, session.begin():
        rows = await session.execute(
            select(WebhookDelivery, WebhookEndpoint)
            .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
            .where(
                WebhookDelivery.status == "pending",
                WebhookDelivery.next_attempt_at <= now,
                WebhookEndpoint.active.is_(True),
            )
            .order_by(WebhookDelivery.id)
            .limit(BATCH)
            .with_for_update(skip_locked=True, of=WebhookDelivery)
        )
        claimed = []
        for delivery, endpoint in rows.tuples():
            delivery.next_attempt_at = now + LEASE
            claimed.append(
                Claimed(
                    delivery.id,
                    endpoint.url,
                    endpoint.secret,
                    delivery.event_type,
                    json.dumps(delivery.payload, separators=(",", ":")).encode(),
                    delivery.attempts,
                )
            )
        return claimed


async def _send(client: httpx.AsyncClient, job: Claimed) -> tuple[int | None, str | None]:
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Stockhand-Webhooks",
        "X-Stockhand-Event": job.event_type,
        "X-Stockhand-Delivery": str(job.delivery_id),
        "X-Stockhand-Signature": signature(job.secret, int(utcnow().timestamp()), job.body),
    }
    try:
        response = await client.post(job.url, content=job.body, headers=headers)
    except httpx.HTTPError as error:
        return None, f"{type(error).__name__}: {error}"[:500]
    if 200 <= response.status_code < 300:
        return response.status_code, None
    return response.status_code, f"HTTP {response.status_code}"


async def _record(
    sessions: async_sessionmaker[AsyncSession],
    job: Claimed,
    status_code: int | None,
    error: str | None,
) -> None:
    now = utcnow()
    attempts = job.attempts + 1
    values: dict[str, Any] = {"attempts": attempts, "last_status_code": status_code}
    if error is None:
        values |= {"status": "delivered", "delivered_at": now, "last_error": None}
    elif attempts >= MAX_ATTEMPTS:
        values |= {"status": "failed", "last_error": error}
    else:
        values |= {"last_error": error, "next_attempt_at": now + backoff(attempts)}
    async with sessions() as session, session.begin():
        await session.execute(
            update(WebhookDelivery).where(WebhookDelivery.id == job.delivery_id).values(**values)
        )


async def run_once(
    sessions: async_sessionmaker[AsyncSession], *, client: httpx.AsyncClient | None = None
) -> dict[str, int]:
    """One pass: queue new events for every active endpoint, then send what is due."""
    queued = 0
    async with sessions() as session, session.begin():
        endpoints = (
            await session.execute(
                select(WebhookEndpoint)
                .where(WebhookEndpoint.active.is_(True))
                .order_by(WebhookEndpoint.id)
                .with_for_update(skip_locked=True)
            )
        ).scalars()
        for endpoint in endpoints.all():
            queued += await queue(session, endpoint)
    jobs = await _claim(sessions, utcnow())
    delivered = failed = 0
    own = client is None
    client = client or httpx.AsyncClient(timeout=TIMEOUT, follow_redirects=False)
    try:
        for job in jobs:
            status_code, error = await _send(client, job)
            await _record(sessions, job, status_code, error)
            delivered += error is None
            failed += error is not None
    finally:
        if own:
            await client.aclose()
    return {"queued": queued, "delivered": delivered, "failed_attempts": failed}


class WebhookWorker:
    """Runs a pass every `interval` seconds in the background of an API process."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], interval: float) -> None:
        self._sessions = sessions
        self._interval = interval
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._interval > 0:
            self._task = asyncio.get_running_loop().create_task(self._loop())

    async def _loop(self) -> None:
        while True:
            try:
                await run_once(self._sessions)
            except Exception:
                # The deliveries stay queued; the next pass tries again.
                log.exception("webhook pass failed")
            await asyncio.sleep(self._interval)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
