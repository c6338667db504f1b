"""Writing the demo history: what every writer of it shares.

A command row per batch of moves (its digest stored like any applied command's), the ledger
posting, bulk inserts that return ids, document events and tasks dated in the past.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import Command, Task, TaskLine
from backend.domain.moves import MoveLine
from backend.service.ledger import post_moves
from backend.service.sealing import moves_digest

DEVICE = "demo-history"


def at(date: dt.date, minute: int) -> dt.datetime:
    return dt.datetime.combine(date, dt.time(), dt.UTC) + dt.timedelta(minutes=minute)


@dataclass
class Context:
    warehouse_id: int
    receiving: int
    supplier_place: int
    customer_place: int
    office_user: int
    floor_user: int
    customers: list[int]
    costs: dict[int, Decimal]
    rnd: random.Random


@dataclass
class Written:
    """Ids and numbers handed out while writing, and what was written."""

    numbers: dict[str, Iterator[str]]
    purchase_ids: dict[int, int] = field(default_factory=dict)
    purchase_numbers: dict[int, str] = field(default_factory=dict)
    purchase_lines: dict[tuple[int, int], tuple[int, int]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))


async def command(
    session: AsyncSession, ctx: Context, kind: str, when: dt.datetime, payload: dict[str, Any]
) -> Command:
    row = Command(
        event_id=uuid.UUID(int=ctx.rnd.getrandbits(128), version=4),
        type=kind,
        device_id=DEVICE,
        user_id=ctx.floor_user,
        occurred_at=when,
        payload={"history": True, **payload},
        status="applied",
        outcome={},
    )
    session.add(row)
    await session.flush()
    return row


async def post(
    session: AsyncSession,
    ctx: Context,
    kind: str,
    when: dt.datetime,
    lines: list[MoveLine],
    document_type: str,
    document_ref: str,
    written: Written,
) -> int:
    """One command posting all `lines` through the ledger; returns the command's id."""
    row = await command(session, ctx, kind, when, {"document_ref": document_ref})
    moves = await post_moves(
        session,
        lines,
        command_id=row.id,
        user_id=ctx.floor_user,
        occurred_at=when,
        document_type=document_type,
        document_ref=document_ref,
    )
    row.moves_digest = moves_digest(moves)
    row.outcome = {"result": {"document_ref": document_ref, "lines": len(lines)}}
    written.counts["moves"] += len(moves)
    return row.id


async def bulk(session: AsyncSession, model: Any, rows: list[dict[str, Any]]) -> list[int]:
    """Insert rows in one statement; returns their ids in the order given."""
    if not rows:
        return []
    result = await session.execute(
        insert(model).returning(model.id, sort_by_parameter_order=True), rows
    )
    return [int(i) for i in result.scalars()]


def event(
    kind: str, document_id: int, action: str, user: int, when: dt.datetime, **details: Any
) -> dict[str, Any]:
    return {
        "document_type": kind,
        "document_id": document_id,
        "action": action,
        "user_id": user,
        "command_id": details.pop("command_id", None),
        "at": when,
        "details": details,
    }


async def task(
    session: AsyncSession,
    ctx: Context,
    written: Written,
    *,
    kind: str,
    created: dt.datetime,
    completed: dt.datetime | None,
    lines: list[dict[str, Any]],
    note: str,
    document_id: int | None = None,
) -> tuple[int, str]:
    number = next(written.numbers["task"])
    (task_id,) = await bulk(
        session,
        Task,
        [
            {
                "number": number,
                "warehouse_id": ctx.warehouse_id,
                "type": kind,
                "status": "done" if completed else "open",
                "assignee_id": ctx.floor_user if completed else None,
                "document_type": "purchase_order" if document_id else None,
                "document_id": document_id,
                "note": note,
                "created_by": ctx.office_user,
                "created_at": created,
                "updated_at": completed or created,
                "completed_at": completed,
            }
        ],
    )
    await session.execute(
        insert(TaskLine),
        [{"task_id": task_id, "seq": n, **line} for n, line in enumerate(lines, start=1)],
    )
    return task_id, number


def task_line(item_id: int, quantity: int, done: bool, **places: Any) -> dict[str, Any]:
    return {
        "item_id": item_id,
        "quantity": quantity,
        "done_quantity": quantity if done else 0,
        "status": "done" if done else "open",
        "from_location_id": places.get("source"),
        "to_location_id": places.get("dest"),
        "source_line_id": places.get("source_line_id"),
        "document_ref": places.get("document_ref"),
    }
