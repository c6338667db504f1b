"""Dependencies shared by the controllers."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Annotated, Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.config import Settings
from backend.domain.actor import Actor


def provide_sessions(state: State) -> async_sessionmaker[AsyncSession]:
    return state.sessions


async def provide_db(state: State) -> AsyncGenerator[AsyncSession, None]:
    async with state.sessions() as session:
        yield session


def provide_actor(request: Request[Actor, Any, Any]) -> Actor:
    return request.user


def provide_settings(state: State) -> Settings:
    return state.settings


# Parameters that name the dependency they take (Litestar 3 drops inference by name).
Db = NamedDependency[AsyncSession]
Sessions = NamedDependency[async_sessionmaker[AsyncSession]]
CurrentActor = NamedDependency[Actor]

# Pagination parameters shared by every list endpoint.
Limit = Annotated[int, QueryParameter(ge=1, le=500)]
Offset = Annotated[int, QueryParameter(ge=0)]
