"""Moves are sealed in the background after the request that wrote them has answered."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from backend.app import create_app
from backend.db.models import LedgerSealEntry, StockMove
from tests.conftest import login

pytestmark = pytest.mark.anyio


async def _unsealed(sessions) -> int:
    async with sessions() as session:
        sealed = select(LedgerSealEntry.move_id)
        return await session.scalar(
            select(func.count()).select_from(StockMove).where(StockMove.id.not_in(sealed)))


async def test_commits_are_sealed_after_the_response(settings, sessions, world) -> None:
    # The world's opening balance was applied without an app: its moves wait for a sealer.
    assert await _unsealed(sessions) > 0
    app = create_app(replace(settings, seal_in_background=True))
    async with AsyncTestClient(app=app) as client:
        worker = await login(client, "worker")
        response = await worker.post("/api/bin-moves", json={
            **worker.envelope(), "item_id": world.items["PLAIN"],
            "from_location_id": world.loc("A-01"), "to_location_id": world.loc("A-04"),
            "quantity": 2})
        assert response.status_code == 201, response.text
        for _ in range(100):
            if await _unsealed(sessions) == 0:
                break
            await asyncio.sleep(0.05)
        assert await _unsealed(sessions) == 0
        supervisor = await login(client, "supervisor")
        report = (await supervisor.get("/api/ledger/verify")).json()
        assert report["ok"] is True and report["unsealed_moves"] == 0
        assert report["seals_checked"] >= 1 and report["moves_checked"] >= 6
