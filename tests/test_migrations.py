"""Migrations match the models, the app refuses a schema it does not expect, the CLI migrates,
and the OpenAPI document describes the API."""

from __future__ import annotations

import os
import shutil
import sqlite3
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from litestar.testing import AsyncTestClient

from backend.app import create_app
from backend.config import Settings
from backend.db.engine import create_engine
from backend.db.migrate import SchemaOutdatedError, head_revision
from backend.db.models import Base

pytestmark = pytest.mark.anyio

SECRET = "migration-tests-secret-key-0123456789abcdef"
STOCKHAND = Path(sys.executable).with_name("stockhand")
# GUID reflects as NUMERIC(16) on SQLite while the model says GUID; not a real difference.
KNOWN_ARTEFACTS = {("modify_type", "commands", "event_id")}


def _flatten(diff: list[Any]) -> list[tuple[Any, ...]]:
    flat: list[tuple[Any, ...]] = []
    for entry in diff:
        flat.extend(entry if isinstance(entry, list) else [entry])
    return flat


def _is_artefact(change: tuple[Any, ...]) -> bool:
    return change[0].startswith("modify_") and (change[0], change[2], change[3]) in KNOWN_ARTEFACTS


async def test_migrated_schema_matches_the_models(db_url: str):
    engine = create_engine(db_url, pool_size=1)
    try:
        async with engine.connect() as connection:
            diff = await connection.run_sync(lambda sync: compare_metadata(
                MigrationContext.configure(sync, opts={"compare_type": True}), Base.metadata))
            revision = await connection.run_sync(
                lambda sync: MigrationContext.configure(sync).get_current_revision())
    finally:
        await engine.dispose()
    drift = [change for change in _flatten(diff) if not _is_artefact(change)]
    assert drift == []
    assert revision == head_revision() is not None


def _unwrap(error: BaseException) -> list[BaseException]:
    """The error itself, or the leaves of the exception group it came wrapped in."""
    if isinstance(error, BaseExceptionGroup):
        return [leaf for inner in error.exceptions for leaf in _unwrap(inner)]
    found = [error]
    if error.__cause__ is not None:
        found += _unwrap(error.__cause__)
    return found


async def _start_error(database_url: str) -> SchemaOutdatedError:
    app = create_app(Settings(database_url=database_url, secret_key="x",
                              seal_in_background=False))
    with pytest.raises(BaseException) as caught:
        async with AsyncTestClient(app=app) as client:
            await client.get("/health")
    refusals = [e for e in _unwrap(caught.value) if isinstance(e, SchemaOutdatedError)]
    assert refusals, f"expected SchemaOutdatedError, got {caught.value!r}"
    assert "stockhand migrate" in str(refusals[0])
    return refusals[0]


async def test_app_refuses_to_start_on_an_empty_database(tmp_path: Path):
    path = tmp_path / "empty.db"
    error = await _start_error(f"sqlite+aiosqlite:///{path}")
    assert "none (empty database)" in str(error)
    assert str(head_revision()) in str(error)


async def test_app_refuses_to_start_on_an_unknown_revision(tmp_path: Path, sqlite_template: Path):
    path = tmp_path / "stamped.db"
    shutil.copy(sqlite_template, path)
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE alembic_version SET version_num = 'deadbeef0000'")
    error = await _start_error(f"sqlite+aiosqlite:///{path}")
    assert "deadbeef0000" in str(error)


async def test_cli_migrate_then_the_app_is_healthy(tmp_path: Path):
    path = tmp_path / "x.db"
    url = f"sqlite+aiosqlite:///{path}"
    env = {**os.environ, "DATABASE_URL": url, "STOCKHAND_SECRET_KEY": SECRET}
    for _ in range(2):  # the second run finds the schema current and changes nothing
        with anyio.fail_after(60):
            done = await anyio.run_process([str(STOCKHAND), "migrate"], env=env, cwd=tmp_path,
                                           check=False)
        output = done.stdout.decode() + done.stderr.decode()
        assert done.returncode == 0, output
        assert "database schema is current" in done.stdout.decode()
    with sqlite3.connect(path) as connection:
        (version,) = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        roles = {r for (r,) in connection.execute("SELECT name FROM roles")}
    assert version == head_revision()
    assert roles == {"worker", "supervisor", "admin"}
    app = create_app(Settings(database_url=url, secret_key=SECRET, seal_in_background=False))
    async with AsyncTestClient(app=app) as client:
        response = await client.get("/health")
        assert response.status_code == 200, response.text
        assert response.json() == {"status": "ok", "database": "sqlite"}


async def test_health_names_the_database(client, dialect: str):
    response = await client.get("/health")
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ok", "database": dialect}


async def test_openapi_document_describes_the_api(tmp_path: Path, sqlite_template: Path):
    path = tmp_path / "api.db"
    shutil.copy(sqlite_template, path)
    app = create_app(Settings(database_url=f"sqlite+aiosqlite:///{path}", secret_key=SECRET,
                              seal_in_background=False))
    async with AsyncTestClient(app=app) as client:
        response = await client.get("/schema/openapi.json")
    assert response.status_code == 200, response.text
    document = response.json()
    assert document["info"]["title"] == "Stockhand"
    paths = document["paths"]
    for path_name in ("/api/sync", "/api/auth/login", "/api/bin-moves", "/api/adjustments",
                      "/api/stock", "/api/moves", "/health"):
        assert path_name in paths, sorted(paths)
    schemas = document["components"]["schemas"]
    for name in ("MoveStock", "AdjustStock", "PostOpeningBalance", "SyncRequest", "LoginRequest",
                 "LoginResponse", "ItemCreate", "LocationCreate", "StockRow", "MoveOut"):
        assert name in schemas, sorted(schemas)

    def body_ref(path_name: str) -> str:
        content = paths[path_name]["post"]["requestBody"]["content"]["application/json"]
        return content["schema"]["$ref"]

    assert body_ref("/api/bin-moves") == "#/components/schemas/MoveStock"
    assert body_ref("/api/sync") == "#/components/schemas/SyncRequest"
    assert body_ref("/api/auth/login") == "#/components/schemas/LoginRequest"
    move = schemas["MoveStock"]
    assert {"event_id", "device_id", "occurred_at", "item_id", "from_location_id",
            "to_location_id", "quantity"} <= set(move["required"])
    assert move["properties"]["quantity"]["exclusiveMinimum"] == 0
