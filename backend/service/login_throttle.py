"""Slowing down password guessing: after too many failed sign-ins for one username, or from
one client address, within a window, further attempts are refused until the oldest failure
leaves the window. Failures live in the database so that every API process counts the same.

A correct password does not get through while the username is throttled: otherwise the
throttle would tell a guesser which guess was right.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import LoginFailure, utcnow
from backend.domain.errors import TooManyAttempts


@dataclass(frozen=True)
class Limits:
    per_username: int = 5
    per_client: int = 30
    window: dt.timedelta = dt.timedelta(minutes=15)


def _key(username: str) -> str:
    return username.strip().lower()[:64]


async def check(session: AsyncSession, username: str, client: str, limits: Limits) -> None:
    now = utcnow()
    since = now - limits.window
    for column, value, limit in (
        (LoginFailure.username, _key(username), limits.per_username),
        (LoginFailure.client, client[:64], limits.per_client),
    ):
        count, oldest = (
            await session.execute(
                select(func.count(), func.min(LoginFailure.at)).where(
                    column == value, LoginFailure.at > since
                )
            )
        ).one()
        if count >= limit:
            wait = max(1, math.ceil((oldest + limits.window - now).total_seconds()))
            raise TooManyAttempts(
                f"too many failed sign-ins: try again in {math.ceil(wait / 60)} min",
                retry_after=wait,
            )


async def failed(session: AsyncSession, username: str, client: str, limits: Limits) -> None:
    now = utcnow()
    session.add(LoginFailure(username=_key(username), client=client[:64], at=now))
    # Failures older than the window count for nothing: the table stays small.
    await session.execute(delete(LoginFailure).where(LoginFailure.at <= now - limits.window))


async def succeeded(session: AsyncSession, username: str) -> None:
    await session.execute(delete(LoginFailure).where(LoginFailure.username == _key(username)))
