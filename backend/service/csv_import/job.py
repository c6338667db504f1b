"""What every kind's import shares: the job, its progress, its outcome, and bulk reads/writes."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import Select, Table
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import Base
from backend.domain.actor import Actor
from backend.service.csv_import.bulk import among, write_rows
from backend.service.csv_import.formats import Format, Row
from backend.service.csv_import.report import Report


class Progress(Protocol):
    def start(self, phase: str, total: int) -> None: ...

    def advance(self, count: int) -> None: ...

    def finish(self) -> None: ...


class NoProgress:
    def start(self, phase: str, total: int) -> None:
        pass

    def advance(self, count: int) -> None:
        pass

    def finish(self) -> None:
        pass


@dataclass
class Job:
    session: AsyncSession
    actor: Actor
    fmt: Format
    columns: frozenset[str]
    report: Report
    progress: Progress

    def has(self, column: str) -> bool:
        return column in self.columns

    def error(self, row: Row, column: str, reason: str) -> None:
        self.report.add(row.line, column, reason)
        row.ok = False


@dataclass
class Summary:
    kind: str
    rows: int
    dry_run: bool
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "rows": self.rows,
            "dry_run": self.dry_run,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            **self.details,
        }


def duplicates(
    job: Job, rows: Iterable[Row], key: Callable[[Row], Any], column: str, label: str
) -> None:
    """Report every row whose key an earlier row of the file already has, naming both lines."""
    first: dict[Any, int] = {}
    for row in rows:
        value = key(row)
        if value is None:
            continue
        if value in first:
            job.error(row, column, f"{label} {_show(value)} is also on line {first[value]}")
        else:
            first[value] = row.line


def _show(value: Any) -> str:
    return "/".join(str(v) for v in value) if isinstance(value, tuple) else str(value)


async def fetch_in(
    session: AsyncSession, query: Select[Any], column: Any, keys: Iterable[Any]
) -> list[Any]:
    """The rows of `query` whose `column` is one of `keys`, in one round trip."""
    wanted = set(keys)
    if not wanted:
        return []
    return list((await session.execute(query.where(among(session, column, wanted)))).all())


def table_of(model: type[Base]) -> Table:
    return model.__table__  # type: ignore[return-value]


async def upsert(
    job: Job,
    model: type[Base],
    rows: Sequence[dict[str, Any]],
    key: Sequence[str],
    update: Sequence[str],
) -> None:
    """INSERT … ON CONFLICT (key) DO UPDATE SET update, in bulk; rows all have one shape."""
    await write_rows(
        job.session, table_of(model), rows, key=key, update=update, advance=job.progress.advance
    )


async def insert(job: Job, model: type[Base], rows: Sequence[dict[str, Any]]) -> None:
    await write_rows(job.session, table_of(model), rows, advance=job.progress.advance)
