"""Dependencies shared by the controllers."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.config import Settings
from backend.domain.actor import Actor


def provide_sessions(state: State) -> async_sessionmaker[AsyncSession]:
    return state.sessions  # type: ignore[no-any-return]


async def provide_db(state: State) -> AsyncGenerator[AsyncSession, None]:
    async with state.sessions() as session:
        yield session


def provide_actor(request: Request[Actor, Any, Any]) -> Actor:
    return request.user


def provide_settings(state: State) -> Settings:
    return state.settings  # type: ignore[no-any-return]


# Parameters that name the dependency they take (Litestar 3 drops inference by name).
Db = NamedDependency[AsyncSession]
Sessions = NamedDependency[async_sessionmaker[AsyncSession]]
CurrentActor = NamedDependency[Actor]
