"""The integration feed: every document action and every stock move, in order, by cursor.

Two append-only tables feed it: `document_events` (who did what to which document) and
`stock_moves` (the ledger). A cursor holds the last id taken from each, so a consumer
that stores it never misses an event and never gets one twice.

Ids are handed out when a row is inserted, not when its transaction commits: a row with a
lower id can become visible after a higher one. The feed therefore only serves rows older
than a short horizon, by which time every transaction that could still hold a lower id has
long finished (commands commit within seconds).
"""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from backend.db.models import (
    DocumentEvent,
    Item,
    Location,
    Lot,
    Serial,
    StockMove,
    User,
    Warehouse,
    utcnow,
)
from backend.domain.errors import InvalidRequest

HORIZON = dt.timedelta(seconds=10)


@dataclass(frozen=True)
class Cursor:
    document: int = 0
    move: int = 0

    def encode(self) -> str:
        raw = f"{self.document}:{self.move}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str | None) -> Cursor:
        if not text:
            return cls()
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
            document, move = (int(part) for part in raw.split(":"))
        except (ValueError, UnicodeDecodeError) as error:
            raise InvalidRequest("the feed cursor is not one this server gave out") from error
        if document < 0 or move < 0:
            raise InvalidRequest("the feed cursor is not one this server gave out")
        return cls(document, move)


@dataclass(frozen=True)
class FeedEvent:
    id: str
    type: str
    at: dt.datetime
    data: dict[str, Any]


async def _documents(
    session: AsyncSession, after: int, before: dt.datetime, limit: int
) -> list[FeedEvent]:
    rows = await session.execute(
        select(DocumentEvent, User.username)
        .join(User, User.id == DocumentEvent.user_id)
        .where(DocumentEvent.id > after, DocumentEvent.at < before)
        .order_by(DocumentEvent.id)
        .limit(limit)
    )
    return [
        FeedEvent(
            id=f"document-{event.id}",
            type=f"document.{event.document_type}.{event.action}",
            at=event.at,
            data={
                "document_type": event.document_type,
                "document_id": event.document_id,
                "action": event.action,
                "user": username,
                "details": event.details,
            },
        )
        for event, username in rows.tuples()
    ]


async def _moves(
    session: AsyncSession, after: int, before: dt.datetime, limit: int
) -> list[FeedEvent]:
    source, dest = aliased(Location), aliased(Location)
    source_wh, dest_wh = aliased(Warehouse), aliased(Warehouse)
    rows = await session.execute(
        select(
            StockMove,
            Item.sku,
            Item.unit_cost,
            Lot.lot_number,
            Serial.serial,
            source.code,
            source_wh.code,
            dest.code,
            dest_wh.code,
            User.username,
        )
        .join(Item, Item.id == StockMove.item_id)
        .join(source, source.id == StockMove.from_location_id)
        .join(source_wh, source_wh.id == source.warehouse_id)
        .join(dest, dest.id == StockMove.to_location_id)
        .join(dest_wh, dest_wh.id == dest.warehouse_id)
        .join(User, User.id == StockMove.user_id)
        .outerjoin(Lot, Lot.id == StockMove.lot_id)
        .outerjoin(Serial, Serial.id == StockMove.serial_id)
        .where(StockMove.id > after, StockMove.created_at < before)
        .order_by(StockMove.id)
        .limit(limit)
    )
    events = []
    for move, sku, cost, lot, serial, src, src_wh, dst, dst_wh, user in rows.tuples():
        events.append(
            FeedEvent(
                id=f"move-{move.id}",
                type="stock.moved",
                at=move.created_at,
                data={
                    "move_id": move.id,
                    "sku": sku,
                    "lot": lot,
                    "serial": serial,
                    "quantity": move.quantity,
                    "value": str(cost * move.quantity),
                    "from": {"warehouse": src_wh, "location": src},
                    "to": {"warehouse": dst_wh, "location": dst},
                    "document_type": move.document_type,
                    "document_ref": move.document_ref,
                    "reason": move.reason,
                    "occurred_at": move.occurred_at.isoformat(),
                    "user": user,
                },
            )
        )
    return events


async def latest(session: AsyncSession) -> Cursor:
    """The cursor at the head of both tables: what follows it happens from now on."""
    document = await session.scalar(select(func.max(DocumentEvent.id)))
    move = await session.scalar(select(func.max(StockMove.id)))
    return Cursor(document or 0, move or 0)


async def page(
    session: AsyncSession, cursor: Cursor, limit: int, *, now: dt.datetime | None = None
) -> tuple[list[FeedEvent], Cursor]:
    """Up to `limit` events after the cursor, oldest first, and the cursor that follows them."""
    before = (now or utcnow()) - HORIZON
    documents = await _documents(session, cursor.document, before, limit)
    moves = await _moves(session, cursor.move, before, limit)
    chosen = {e.id for e in sorted(documents + moves, key=lambda e: (e.at, e.id))[:limit]}
    # Per table, only an unbroken run of ids from the cursor: a cursor never skips a row.
    documents, last_document = _prefix(documents, chosen, cursor.document)
    moves, last_move = _prefix(moves, chosen, cursor.move)
    merged = sorted(documents + moves, key=lambda e: (e.at, e.id))
    return merged, Cursor(last_document, last_move)


def _prefix(events: list[FeedEvent], chosen: set[str], last: int) -> tuple[list[FeedEvent], int]:
    taken = []
    for event in events:
        if event.id not in chosen:
            break
        taken.append(event)
        last = int(event.id.rsplit("-", 1)[1])
    return taken, last
