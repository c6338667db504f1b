"""The background delivery worker: one per process, started and stopped with the app.

It sleeps until a commit that queued deliveries wakes it (see `push_queue`), the earliest
retry falls due, or the poll interval passes (rows queued by other processes), then sends
what is due in batches. Sending never happens inside a request: the request that raised the
alert has already answered when the worker starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.config import Settings
from backend.db.models import utcnow
from backend.service import push_keys, push_queue
from backend.service.push_queue import Claimed, Result, RetryPolicy
from backend.service.push_send import WebPushSender

log = logging.getLogger("stockhand.push")
# Rows due but held by another process's worker are not polled for in a tight loop.
MIN_WAIT = 0.05


class Sender(Protocol):
    async def open(self) -> None: ...
    async def close(self) -> None: ...
    async def send(self, target: Claimed) -> Result: ...


class PushWorker:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        settings: Settings,
        *,
        sender: Sender | None = None,
    ) -> None:
        self._sessions = sessions
        self._poll = settings.push_poll_seconds
        self._batch = max(1, settings.push_batch_size)
        # Long enough to cover a send's timeout: a live worker's rows are never re-claimed.
        self._lease = dt.timedelta(seconds=settings.push_timeout_seconds * 2 + 30)
        self._policy = RetryPolicy(
            max_attempts=settings.push_max_attempts,
            backoff_seconds=settings.push_backoff_seconds,
            backoff_max_seconds=settings.push_backoff_max_seconds,
        )
        if sender is None and settings.vapid_private_key:
            sender = WebPushSender(
                push_keys.load(settings.vapid_private_key),
                subject=settings.vapid_subject,
                ttl=settings.push_ttl_seconds,
                timeout=settings.push_timeout_seconds,
            )
        self._sender = sender
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def enabled(self) -> bool:
        return self._sender is not None

    def poke(self) -> None:
        """Deliveries were committed; never blocks the caller."""
        self._wake.set()

    async def start(self) -> None:
        if self._sender is None:
            log.info("web push is off: no VAPID key configured")
            return
        await self._sender.open()
        push_queue.add_waker(self.poke)
        self._task = asyncio.get_running_loop().create_task(self._loop(), name="push-worker")

    async def stop(self) -> None:
        push_queue.remove_waker(self.poke)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._sender is not None:
            await self._sender.close()

    async def run_once(self) -> int:
        """Claim one batch of due deliveries, send them side by side, record the outcomes;
        how many were claimed."""
        assert self._sender is not None, "web push is off"
        claimed = await push_queue.claim(self._sessions, limit=self._batch, lease=self._lease)
        if not claimed:
            return 0
        results = await asyncio.gather(*(self._sender.send(c) for c in claimed))
        await push_queue.record(
            self._sessions, list(zip(claimed, results, strict=True)), self._policy
        )
        for target, result in zip(claimed, results, strict=True):
            if result.outcome not in ("sent", "skipped"):
                log.info(
                    "push delivery %s: %s (%s) %s",
                    target.delivery_id,
                    result.outcome,
                    result.status,
                    result.error,
                )
        return len(claimed)

    async def drain(self) -> int:
        """Send everything due now (for the CLI and tests); how many were claimed."""
        total = 0
        while claimed := await self.run_once():
            total += claimed
        return total

    async def _loop(self) -> None:
        while True:
            self._wake.clear()
            delay = self._poll
            try:
                while await self.run_once() == self._batch:
                    pass
                due = await push_queue.next_due(self._sessions)
                if due is not None:
                    delay = min(delay, max(MIN_WAIT, (due - utcnow()).total_seconds()))
            except Exception:
                # The rows stay queued; the next wake-up or poll tries again.
                log.exception("push delivery pass failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=delay)
