"""Password guessing is slowed: repeated failed sign-ins for a username, or from one client
address, are refused for a while, whatever the password."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import AsyncIterator

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.app import create_app
from backend.config import Settings
from backend.db.models import LoginFailure
from tests.world import World

pytestmark = pytest.mark.anyio


@pytest.fixture
async def strict(settings: Settings, world: World) -> AsyncIterator[AsyncTestClient[Litestar]]:
    app = create_app(dataclasses.replace(settings, login_max_failures_per_client=8))
    async with AsyncTestClient(app=app) as client:
        yield client


async def _login(client: AsyncTestClient[Litestar], username: str, password: str) -> httpx.Response:
    return await client.post("/api/auth/login", json={"username": username, "password": password})


async def test_a_username_is_throttled_after_five_failures_even_with_the_right_password(
    client: AsyncTestClient[Litestar], sessions: async_sessionmaker[AsyncSession]
) -> None:
    for attempt in range(5):
        wrong = await _login(client, "Worker" if attempt % 2 else "worker", f"guess-{attempt}")
        assert wrong.status_code == 401, wrong.text
    refused = await _login(client, "worker", World.PASSWORD)
    assert refused.status_code == 429, refused.text
    body = refused.json()
    assert body["code"] == "too_many_attempts"
    wait = int(refused.headers["Retry-After"])
    assert 1 <= wait <= 15 * 60 and body["details"]["retry_after"] == wait
    # Someone else signs in as usual.
    assert (await _login(client, "supervisor", World.PASSWORD)).status_code == 200

    # Once the failures are older than the window, the right password works and clears them.
    async with sessions() as session, session.begin():
        await session.execute(
            update(LoginFailure).values(at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=16))
        )
    assert (await _login(client, "worker", World.PASSWORD)).status_code == 200
    async with sessions() as session:
        left = await session.scalar(select(func.count()).select_from(LoginFailure))
    assert left == 0


async def test_a_success_clears_the_usernames_failures(client: AsyncTestClient[Litestar]) -> None:
    for _ in range(4):
        assert (await _login(client, "worker", "nope")).status_code == 401
    assert (await _login(client, "worker", World.PASSWORD)).status_code == 200
    for _ in range(4):
        assert (await _login(client, "worker", "nope")).status_code == 401
    assert (await _login(client, "worker", World.PASSWORD)).status_code == 200


async def test_one_client_guessing_many_usernames_is_throttled(
    strict: AsyncTestClient[Litestar],
) -> None:
    for n in range(8):
        assert (await _login(strict, f"user-{n}", "guess")).status_code == 401
    refused = await _login(strict, "worker", World.PASSWORD)
    assert refused.status_code == 429
    assert refused.json()["code"] == "too_many_attempts"
