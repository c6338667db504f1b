"""Alert detection: what every applied command may have changed, and a periodic full check.

`after_command` runs inside the command's own transaction (or savepoint, in a sync batch),
so an alert is raised exactly when the moves that caused it commit, and never for a command
that rolled back. It stays cheap by judging only what the command touched: the (item,
warehouse) pairs of its moves that have a reorder rule, the lots it moved, the count it
recorded or decided.

`sweep` checks everything in full: expiry (days pass without any move), reservations and
purchase orders (they change availability without moves), counts cancelled outside a command.
`AlertSweeper` runs it in the background every `alert_scan_seconds`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.db.models import Command, Location, ReorderRule, StockMove
from backend.domain.vocabulary import STOCK_KINDS
from backend.service import alerts_counts, alerts_expiry, alerts_stock

log = logging.getLogger("stockhand.alerts")
RULES_PER_TRANSACTION = 200


async def after_command(session: AsyncSession, row: Command, moves: Sequence[StockMove]) -> None:
    if moves:
        touched = Touched(session, moves)
        await alerts_stock.stock_changed(session, touched, command_id=row.id)
        await alerts_expiry.lots_changed(session, touched, command_id=row.id)
    if row.type in alerts_counts.COMMANDS:
        await alerts_counts.command_applied(session, row)


class Touched:
    """What a command's moves touched. The warehouses of their real locations are looked up
    only when a detector has something to judge (an item with a rule, a lot near expiry)."""

    def __init__(self, session: AsyncSession, moves: Sequence[StockMove]) -> None:
        self._session = session
        self._moves = moves
        self._places: dict[int, int] | None = None
        self.item_ids = {m.item_id for m in moves}
        self.lot_ids = {m.lot_id for m in moves if m.lot_id is not None}

    async def _real_places(self) -> dict[int, int]:
        if self._places is None:
            ids = {loc for m in self._moves for loc in (m.from_location_id, m.to_location_id)}
            rows = await self._session.execute(
                select(Location.id, Location.warehouse_id).where(
                    Location.id.in_(ids), Location.kind.in_(STOCK_KINDS)
                )
            )
            self._places = dict(rows.tuples().all())
        return self._places

    async def item_pairs(self) -> set[tuple[int, int]]:
        """(item, warehouse) for each real location a move left or entered."""
        places = await self._real_places()
        return {
            (m.item_id, places[loc])
            for m in self._moves
            for loc in (m.from_location_id, m.to_location_id)
            if loc in places
        }

    async def lot_pairs(self) -> set[tuple[int, int]]:
        places = await self._real_places()
        return {
            (m.lot_id, places[loc])
            for m in self._moves
            if m.lot_id is not None
            for loc in (m.from_location_id, m.to_location_id)
            if loc in places
        }


async def sweep(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        await alerts_expiry.sweep(session)
    async with sessions() as session, session.begin():
        await alerts_counts.sweep(session)
    async with sessions() as session:
        rule_ids = list(
            (await session.execute(select(ReorderRule.id).order_by(ReorderRule.id))).scalars()
        )
    for start in range(0, len(rule_ids), RULES_PER_TRANSACTION):
        part = rule_ids[start : start + RULES_PER_TRANSACTION]
        async with sessions() as session, session.begin():
            rules = await session.execute(
                select(ReorderRule)
                .where(ReorderRule.id.in_(part))
                .order_by(ReorderRule.id)
                .with_for_update()
            )
            await alerts_stock.judge(session, list(rules.scalars()))


class AlertSweeper:
    """Runs `sweep` every `interval` seconds in the background (first after one interval)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], interval: float) -> None:
        self._sessions = sessions
        self._interval = interval
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._interval > 0:
            self._task = asyncio.get_running_loop().create_task(self._loop(), name="alerts")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                await sweep(self._sessions)
            except Exception:
                log.exception("alert sweep failed")
