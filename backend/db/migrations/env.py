"""Alembic environment: runs migrations over the application's own async engine."""

from __future__ import annotations

import asyncio
from typing import Any

from advanced_alchemy.types import GUID
from alembic import context
from sqlalchemy.engine import Connection

from backend.db.engine import create_engine
from backend.db.models import Base

config = context.config
target_metadata = Base.metadata


def _compare_type(
    context: object, inspected: object, metadata: object, inspected_type: Any, metadata_type: Any
) -> bool | None:
    # SQLite reflects a GUID (16 bytes) as NUMERIC(16): not a change worth a migration.
    if isinstance(metadata_type, GUID):
        return False
    return None


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=_compare_type,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async(url: str) -> None:
    engine = create_engine(url, pool_size=1, foreign_keys=False)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
            await connection.commit()
            if connection.dialect.name == "sqlite":
                # Foreign keys were off while tables were rebuilt: prove none was broken.
                broken = (await connection.exec_driver_sql("PRAGMA foreign_key_check")).all()
                await connection.commit()
                if broken:
                    raise RuntimeError(f"migration left broken foreign keys: {broken[:5]}")
    finally:
        await engine.dispose()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    asyncio.run(_run_async(config.get_main_option("sqlalchemy.url") or ""))


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
