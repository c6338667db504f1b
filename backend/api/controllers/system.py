"""Liveness for load balancers and operators."""

from __future__ import annotations

from typing import Any

from litestar import get
from litestar.datastructures import State
from sqlalchemy import text


@get("/health", exclude_from_auth=True, tags=["system"], summary="Service and database health")
async def health(state: State) -> dict[str, Any]:
    async with state.sessions() as session:
        await session.execute(text("SELECT 1"))
    return {"status": "ok", "database": state.settings.dialect}
