"""Bulk reads and writes that cost the same for ten rows or a hundred thousand.

Look-ups pass all their keys as ONE parameter (a PostgreSQL array, a JSON list that SQLite
unpacks with json_each) instead of an IN list with a bound parameter per key. Writes go as
INSERT … ON CONFLICT: on PostgreSQL one statement per chunk that unnests a column of arrays
per field, on SQLite an executemany, which the embedded engine runs fastest.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Table, any_, bindparam, func, literal_column, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

# Rows per statement: enough to amortise a round trip, few enough to show progress.
WRITE_CHUNK = 25_000


def is_postgres(session: AsyncSession) -> bool:
    return session.bind.dialect.name == "postgresql"


def among(session: AsyncSession, column: Any, keys: Iterable[Any]) -> ColumnElement[bool]:
    """`column IN keys`, with the keys as a single bound value."""
    values = list(set(keys))
    if is_postgres(session):
        return column == any_(bindparam(None, values, type_=postgresql.ARRAY(column.type)))
    listed: Any = select(literal_column("value")).select_from(
        func.json_each(bindparam(None, json.dumps(values)))
    )
    return column.in_(listed.scalar_subquery())


def _postgres_insert(table: Table, columns: Sequence[str]) -> Any:
    arrays = [
        func.unnest(bindparam(f"many_{c}", type_=postgresql.ARRAY(table.c[c].type))).label(c)
        for c in columns
    ]
    return postgresql.insert(table).from_select(list(columns), select(*arrays))


async def write_rows(
    session: AsyncSession,
    table: Table,
    rows: Sequence[dict[str, Any]],
    *,
    key: Sequence[str] = (),
    update: Sequence[str] = (),
    advance: Any = None,
) -> None:
    """Insert `rows` (all with the same keys); with `key`, update `update` where it exists."""
    if not rows:
        return
    columns = list(rows[0])
    postgres = is_postgres(session)
    statement = _postgres_insert(table, columns) if postgres else sqlite.insert(table)
    if key:
        statement = statement.on_conflict_do_update(
            index_elements=[table.c[k] for k in key],
            set_={name: statement.excluded[name] for name in update},
        )
    for start in range(0, len(rows), WRITE_CHUNK):
        chunk = rows[start : start + WRITE_CHUNK]
        if postgres:
            await session.execute(statement, {f"many_{c}": [r[c] for r in chunk] for c in columns})
        else:
            await session.execute(statement, chunk)
        if advance is not None:
            advance(len(chunk))
