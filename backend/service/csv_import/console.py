"""The command line's side of imports and exports: who acts, progress bars, the error report.

`stockhand import` and `stockhand export` act as a user: the one named by `--as`, else the
first active admin. On a database without users master data can still be loaded (as the
installation itself); opening balances need a user, as every ledger command does.
"""

from __future__ import annotations

import csv
import sys
import time
from typing import IO, Any

import click
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.db.models import User
from backend.domain.actor import Actor
from backend.domain.errors import InvalidRequest, NotFound
from backend.service.csv_import.exporting import export_csv, prepare_export
from backend.service.csv_import.report import InvalidCsv
from backend.service.csv_import.run import import_csv
from backend.service.users import load_actor

INSTALLATION = Actor(0, "stockhand-cli", "admin", frozenset())
SHOWN_ERRORS = 1000


class BarProgress:
    """One click progress bar per phase on standard error (a plain label when not a tty)."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self.bar: Any = None

    def start(self, phase: str, total: int) -> None:
        self.finish()
        if self.enabled:
            self.bar = click.progressbar(
                length=max(total, 1), label=f"{phase:<9}", file=sys.stderr, show_pos=True
            )
            self.bar.__enter__()

    def advance(self, count: int) -> None:
        if self.bar is not None:
            self.bar.update(count)

    def finish(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


async def resolve_actor(session: AsyncSession, username: str | None) -> Actor:
    if username is not None:
        user_id = (await session.execute(select(User.id).where(User.username == username))).scalar()
        actor = await load_actor(session, user_id) if user_id is not None else None
        if actor is None:
            raise NotFound(f"no active user {username}", username=username)
        return actor
    first_admin = (
        await session.execute(
            select(User.id)
            .where(User.role == "admin", User.active.is_(True))
            .order_by(User.id)
            .limit(1)
        )
    ).scalar()
    if first_admin is None:
        return INSTALLATION
    actor = await load_actor(session, first_admin)
    assert actor is not None
    return actor


async def import_file(
    sessions: async_sessionmaker[AsyncSession],
    kind: str,
    data: bytes,
    *,
    name: str,
    encoding: str,
    dry_run: bool,
    username: str | None,
    progress: bool,
) -> dict[str, Any]:
    async with sessions() as session:
        actor = await resolve_actor(session, username)
    if kind == "opening_balances" and actor.id == 0 and not dry_run:
        raise InvalidRequest(
            "opening balances are posted as a user: create an admin first "
            "(stockhand create-user NAME --role admin) or name one with --as"
        )
    started = time.perf_counter()
    bars = BarProgress(progress)
    try:
        summary = await import_csv(
            sessions,
            actor,
            kind,
            data,
            encoding=encoding,
            dry_run=dry_run,
            progress=bars,
            reference=f"csv:{name}",
        )
    finally:
        bars.finish()  # a refused file leaves its bar where the check stopped
    seconds = time.perf_counter() - started
    return {
        **summary.as_dict(),
        "as": actor.username,
        "seconds": round(seconds, 2),
        "rows_per_second": round(summary.rows / seconds) if seconds else None,
    }


def print_report(error: InvalidCsv, report_path: str | None) -> None:
    """The errors on standard error (the first thousand), all of them in `report_path`."""
    click.echo(f"error: {error.message}", err=True)
    for entry in error.errors[:SHOWN_ERRORS]:
        click.echo(f"  {entry}", err=True)
    hidden = len(error.errors) - SHOWN_ERRORS
    if hidden > 0:
        click.echo(f"  … and {hidden} more (--report FILE writes them all)", err=True)
    if report_path:
        with open(report_path, "w", newline="", encoding="utf-8-sig") as handle:
            writer = csv.writer(handle)
            writer.writerow(["line", "column", "reason"])
            writer.writerows((e.line, e.column, e.reason) for e in error.errors)
        click.echo(f"  the full report is in {report_path}", err=True)


async def export_file(
    sessions: async_sessionmaker[AsyncSession],
    kind: str,
    output: IO[bytes],
    *,
    warehouse: str | None,
    bom: bool,
    username: str | None,
) -> None:
    async with sessions() as session:
        actor = await resolve_actor(session, username)
        export = await prepare_export(session, actor, kind, warehouse)
    async for chunk in export_csv(sessions, export, bom=bom):
        output.write(chunk)
    output.flush()
