"""The ledger's invariants, as tests check them after a flow."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.db.models import Quant


async def assert_balanced(sessions: async_sessionmaker[AsyncSession]) -> None:
    """Every item sums to zero over all locations; no real location holds or reserves less
    than nothing."""
    async with sessions() as session:
        sums = (
            await session.execute(
                select(Quant.item_id, func.sum(Quant.on_hand)).group_by(Quant.item_id)
            )
        ).all()
        assert all(total == 0 for _, total in sums), sums
        negative = await session.scalar(
            select(func.count()).where(
                Quant.is_virtual.is_(False), (Quant.on_hand < 0) | (Quant.reserved < 0)
            )
        )
        assert negative == 0
