"""One import, start to end: read and check the whole file, then write it in one transaction,
or write nothing and report every bad cell."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import anyio
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.domain.actor import Actor
from backend.domain.errors import Conflict, NotFound
from backend.service.csv_import import barcodes, items, locations, opening, parties
from backend.service.csv_import.formats import FORMATS, Row, check_header, parse_rows
from backend.service.csv_import.job import Job, NoProgress, Progress, Summary
from backend.service.csv_import.reading import Table, read_table
from backend.service.csv_import.report import Report

# Items, barcodes, suppliers and customers are shared by every warehouse: only an admin
# loads them in bulk. Supervisors load the locations of their own warehouses. Opening
# balances post stock through the ledger, which takes them from admins only.
REQUIRED_ROLE = {
    "items": "admin",
    "barcodes": "admin",
    "suppliers": "admin",
    "customers": "admin",
    "locations": "supervisor",
    "opening_balances": "admin",
}


@dataclass(frozen=True)
class Handler:
    check: Callable[[Job, list[Row]], Awaitable[Any]]
    write: Callable[[Job, Any], Awaitable[None]]


HANDLERS = {
    "items": Handler(items.check, items.write),
    "barcodes": Handler(barcodes.check, barcodes.write),
    "locations": Handler(locations.check, locations.write),
    "suppliers": Handler(partial(parties.check, party=parties.SUPPLIERS), parties.write),
    "customers": Handler(partial(parties.check, party=parties.CUSTOMERS), parties.write),
}


def _read(
    kind: str, data: bytes, encoding: str, report: Report, progress: Progress
) -> tuple[Table, list[Row]]:
    fmt = FORMATS[kind]
    table = read_table(data, kind, encoding)
    check_header(fmt, table, report)
    report.errors.extend(table.errors)
    if any(e.line == table.header_line for e in report.errors):
        # Without the right columns the rows cannot be read: report the layout alone.
        report.raise_if_any(kind)
    progress.start("reading", len(table.rows))
    rows = parse_rows(fmt, table, report, progress.advance)
    progress.finish()
    return table, rows


def check_kind(kind: str, actor: Actor) -> None:
    if kind not in FORMATS:
        raise NotFound(f"no such kind of file: {kind}", kinds=list(FORMATS))
    actor.require_role(REQUIRED_ROLE[kind])


async def import_csv(
    sessions: async_sessionmaker[AsyncSession],
    actor: Actor,
    kind: str,
    data: bytes,
    *,
    encoding: str = "utf-8",
    dry_run: bool = False,
    progress: Progress | None = None,
    reference: str = "opening",
) -> Summary:
    """Import `data` as a `kind` file; raises InvalidCsv with every error, writing nothing."""
    check_kind(kind, actor)
    progress = progress or NoProgress()
    report = Report()
    # Decoding and reading cells is CPU work: off the event loop, so a server keeps serving.
    table, rows = await anyio.to_thread.run_sync(
        partial(_read, kind, data, encoding, report, progress)
    )
    summary = Summary(kind, len(rows), dry_run, details={"encoding": table.encoding})
    if kind == "opening_balances":
        return await _opening(sessions, actor, table, rows, report, summary, progress, reference)
    handler = HANDLERS[kind]
    async with sessions() as session:
        try:
            async with session.begin():
                job = Job(session, actor, FORMATS[kind], frozenset(table.columns), report, progress)
                progress.start("checking", len(rows))
                plan = await handler.check(job, rows)
                progress.finish()
                report.raise_if_any(kind)
                _count(summary, plan)
                if not dry_run:
                    progress.start("writing", plan.pending)
                    await handler.write(job, plan)
                    progress.finish()
        except IntegrityError as error:
            raise Conflict(
                "the data changed while the file was being imported; nothing was imported, "
                "try again"
            ) from error
    return summary


def _count(summary: Summary, plan: Any) -> None:
    summary.created, summary.updated, summary.unchanged = plan.created, plan.updated, plan.unchanged
    summary.details.update(plan.details)


async def _opening(
    sessions: async_sessionmaker[AsyncSession],
    actor: Actor,
    table: Table,
    rows: list[Row],
    report: Report,
    summary: Summary,
    progress: Progress,
    reference: str,
) -> Summary:
    async with sessions() as session, session.begin():
        job = Job(
            session, actor, FORMATS["opening_balances"], frozenset(table.columns), report, progress
        )
        progress.start("checking", len(rows))
        plan = await opening.check(job, rows)
        progress.finish()
    report.raise_if_any("opening_balances")
    summary.created = len(plan.lines)
    summary.details["units"] = sum(line.quantity for line in plan.lines)
    if not summary.dry_run:
        progress.start("posting", len(plan.lines))
        await opening.post(sessions, actor, plan, summary, reference)
        progress.advance(len(plan.lines))
        progress.finish()
    return summary
