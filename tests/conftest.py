"""Shared fixtures: every database test runs against SQLite and PostgreSQL.

SQLite: the schema is migrated once into a template file, which each test copies.
PostgreSQL: one database per test session, migrated once; tables are emptied after each test.
Locally a missing PostgreSQL skips its half; under CI=true it fails the run.
"""

from __future__ import annotations

import os

os.environ.setdefault("STOCKHAND_SECRET_KEY", "test-secret-key-not-for-production-use-0123456789")

import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import argon2
import psycopg
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.app import create_app
from backend.config import Settings
from backend.db.engine import create_engine
from backend.db.migrate import upgrade
from backend.db.models import Base
from backend.service import users
from tests.world import World, build_world

PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def _cheap_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Worlds create five users; full-strength argon2 would dominate the suite's runtime."""
    monkeypatch.setattr(
        users, "_hasher", argon2.PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    )


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


def _pg_conninfo(database: str) -> str:
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    return f"{base}/{database}"


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    name = f"stockhand_test_{os.getpid()}"
    try:
        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as error:
        if IN_CI:
            pytest.fail(f"PostgreSQL is required in CI and is not reachable: {error}")
        pytest.skip(f"PostgreSQL not reachable: {error}")
    with admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    url = "postgresql+psycopg://" + _pg_conninfo(name).split("://", 1)[1]
    upgrade(url)
    yield url
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# Tables the migrations fill and tests must keep.
KEEP = {"roles", "alembic_version"}


def _truncate(url: str) -> None:
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables if t.name not in KEEP)
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"),
                         autocommit=True) as conn:
        conn.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")


@pytest.fixture(params=[
    pytest.param("sqlite", marks=pytest.mark.sqlite),
    pytest.param("postgres", marks=pytest.mark.postgres),
])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        path = tmp_path / "stockhand.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    url = request.getfixturevalue("postgres_database")
    _truncate(url)
    yield url


@pytest.fixture
def dialect(db_url: str) -> str:
    return "postgresql" if db_url.startswith("postgresql") else "sqlite"


@pytest.fixture
def settings(db_url: str) -> Settings:
    # Background webhook passes are off: tests run them one at a time, deterministically.
    return Settings(database_url=db_url, secret_key=os.environ["STOCKHAND_SECRET_KEY"],
                    seal_in_background=False, db_pool_size=25, webhook_poll_seconds=0)


@pytest.fixture
async def sessions(db_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(db_url, pool_size=25)
    yield async_sessionmaker(engine, expire_on_commit=False)
    await engine.dispose()


@pytest.fixture
async def world(sessions: async_sessionmaker[AsyncSession]) -> World:
    return await build_world(sessions)


@pytest.fixture
def app(settings: Settings) -> Litestar:
    return create_app(settings)


@pytest.fixture
async def client(app: Litestar, world: World) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app=app) as test_client:
        yield test_client


@dataclass
class Api:
    """A signed-in user's view of the API."""

    client: AsyncTestClient[Litestar]
    token: str
    device_id: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def get(self, path: str, **kwargs: object):  # type: ignore[no-untyped-def]
        return await self.client.get(path, headers=self.headers, **kwargs)  # type: ignore[arg-type]

    async def post(self, path: str, json: object = None, **kwargs: object):  # type: ignore[no-untyped-def]
        return await self.client.post(path, json=json, headers=self.headers, **kwargs)  # type: ignore[arg-type]

    async def patch(self, path: str, json: object = None):  # type: ignore[no-untyped-def]
        return await self.client.patch(path, json=json, headers=self.headers)

    async def put(self, path: str, json: object = None):  # type: ignore[no-untyped-def]
        return await self.client.put(path, json=json, headers=self.headers)

    def envelope(self, event_id: uuid.UUID | None = None) -> dict[str, str]:
        from datetime import UTC, datetime

        return {"event_id": str(event_id or uuid.uuid4()), "device_id": self.device_id,
                "occurred_at": datetime.now(UTC).isoformat()}


async def login(client: AsyncTestClient[Litestar], username: str) -> Api:
    response = await client.post("/api/auth/login",
                                 json={"username": username, "password": World.PASSWORD})
    assert response.status_code == 200, response.text
    return Api(client, response.json()["access_token"], f"device-{username}")


@pytest.fixture
async def worker(client: AsyncTestClient[Litestar]) -> Api:
    return await login(client, "worker")


@pytest.fixture
async def supervisor(client: AsyncTestClient[Litestar]) -> Api:
    return await login(client, "supervisor")


@pytest.fixture
async def admin(client: AsyncTestClient[Litestar]) -> Api:
    return await login(client, "admin")


@pytest.fixture
async def shipping(supervisor: Api, world: World) -> int:
    """A shipping dock in W1 (pick tasks lead there), known to the world as SHIP."""
    response = await supervisor.post("/api/locations", json={
        "warehouse_id": world.warehouses["W1"], "code": "SHIP", "kind": "dock",
        "purpose": "shipping"})
    assert response.status_code == 201, response.text
    world.locations["SHIP"] = response.json()["id"]
    return int(response.json()["id"])
