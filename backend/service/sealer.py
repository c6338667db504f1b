"""Runs sealing in the background after commits, one pass at a time per process."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.service.sealing import seal_pending

log = logging.getLogger("stockhand.sealer")


class Sealer:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, enabled: bool = True):
        self._sessions = sessions
        self._enabled = enabled
        self._task: asyncio.Task[None] | None = None
        self._again = False

    def poke(self) -> None:
        """Note that moves were committed; never blocks the request that calls it."""
        if not self._enabled:
            return
        if self._task is not None and not self._task.done():
            self._again = True
            return
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while True:
            self._again = False
            try:
                sealed = await seal_pending(self._sessions)
                if sealed:
                    log.debug("sealed %d moves", sealed)
            except Exception:
                # The next commit pokes again; an unsealed move is reported, never lost.
                log.exception("sealing failed")
            if not self._again:
                return

    async def drain(self) -> None:
        while self._task is not None and not self._task.done():
            await self._task
