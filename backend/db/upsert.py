"""INSERT … ON CONFLICT for the two supported dialects."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def dialect_insert(session: AsyncSession) -> Any:
    """The dialect's `insert`, whose statements offer `on_conflict_do_update`."""
    bind = session.bind
    return postgresql.insert if bind.dialect.name == "postgresql" else sqlite.insert
