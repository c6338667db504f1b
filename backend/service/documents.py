"""Document numbers and the history of actions on every document."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import DocumentCounter, DocumentEvent, utcnow
from backend.db.upsert import dialect_insert

PREFIXES = {
    "purchase_order": "PO",
    "sales_order": "SO",
    "task": "T",
    "receipt": "GR",
    "shipment": "SH",
    "adjustment": "AJ",
    "transfer": "TR",
    "count": "CC",
}


async def next_number(session: AsyncSession, kind: str) -> str:
    """The next number of a kind, e.g. PO000042."""
    return f"{PREFIXES[kind]}{await next_value(session, kind):06d}"


async def next_value(session: AsyncSession, kind: str) -> int:
    """The next value of a counter: one row per kind, incremented atomically."""
    statement = dialect_insert(session)(DocumentCounter).values(kind=kind, last_value=1)
    statement = statement.on_conflict_do_update(
        index_elements=[DocumentCounter.kind],
        set_={"last_value": DocumentCounter.last_value + 1},
    ).returning(DocumentCounter.last_value)
    return int((await session.execute(statement)).scalar_one())


async def record(
    session: AsyncSession,
    document_type: str,
    document_id: int,
    action: str,
    user_id: int,
    *,
    command_id: int | None = None,
    **details: Any,
) -> None:
    session.add(
        DocumentEvent(
            document_type=document_type,
            document_id=document_id,
            action=action,
            user_id=user_id,
            command_id=command_id,
            at=utcnow(),
            details=details,
        )
    )
