"""What a handheld needs to work offline, as a full snapshot or a delta since a cursor.

Tables go out as column names plus rows of values, not as one object per record: for 50,000
items that halves the JSON before compression. A cursor is the server time the snapshot was
taken, less a margin, so that a row written by a transaction that committed after a snapshot
but was stamped before it still reaches the next delta; devices upsert by id, so a row sent
twice costs nothing.
"""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import Item, ItemBarcode, Location, Lot, Quant, Warehouse, utcnow
from backend.domain.actor import Actor
from backend.domain.errors import InvalidRequest
from backend.domain.vocabulary import STOCK_KINDS
from backend.service import queries, tasks

MARGIN = dt.timedelta(seconds=60)

ITEM_COLUMNS = ("id", "sku", "name", "unit", "tracking", "shelf_life_days", "active")
BARCODE_COLUMNS = ("code", "item_id", "quantity", "packaging", "active")
LOCATION_COLUMNS = (
    "id", "warehouse_id", "code", "name", "kind", "barcode", "pick_sequence", "purpose", "active",
)  # fmt: skip
LOT_COLUMNS = ("id", "item_id", "lot_number", "expiry_date")
WAREHOUSE_COLUMNS = ("id", "code", "name", "active")


@dataclass(frozen=True)
class Table:
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]

    def as_dict(self) -> dict[str, Any]:
        return {"columns": list(self.columns), "rows": self.rows}


def encode_cursor(at: dt.datetime) -> str:
    return base64.urlsafe_b64encode(at.isoformat().encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> dt.datetime:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        at = dt.datetime.fromisoformat(base64.urlsafe_b64decode(padded).decode())
    except (ValueError, UnicodeDecodeError) as error:
        raise InvalidRequest("the sync cursor is not one this server gave out") from error
    if at.tzinfo is None:
        raise InvalidRequest("the sync cursor is not one this server gave out")
    return at


async def _table(session: AsyncSession, columns: tuple[str, ...], query: Select[Any]) -> Table:
    return Table(columns, [tuple(row) for row in (await session.execute(query)).all()])


def _since(query: Select[Any], column: Any, since: dt.datetime | None) -> Select[Any]:
    return query if since is None else query.where(column >= since)


async def build(session: AsyncSession, actor: Actor, since: str | None) -> dict[str, Any]:
    taken_at = utcnow()
    after = decode_cursor(since) if since else None
    items = await _table(
        session,
        ITEM_COLUMNS,
        _since(
            select(*(getattr(Item, c) for c in ITEM_COLUMNS)).order_by(Item.id),
            Item.updated_at,
            after,
        ),
    )
    # An item that changed brings all its barcodes: a device replaces that item's list.
    barcode_query = select(*(getattr(ItemBarcode, c) for c in BARCODE_COLUMNS)).order_by(
        ItemBarcode.id
    )
    if after is not None:
        changed = select(Item.id).where(Item.updated_at >= after)
        barcode_query = barcode_query.where(ItemBarcode.item_id.in_(changed))
    barcodes = await _table(session, BARCODE_COLUMNS, barcode_query)
    locations = await _table(
        session,
        LOCATION_COLUMNS,
        _since(
            queries.scoped(
                select(*(getattr(Location, c) for c in LOCATION_COLUMNS)).order_by(Location.id),
                Location.warehouse_id,
                actor,
            ),
            Location.updated_at,
            after,
        ),
    )
    warehouses = await _table(
        session,
        WAREHOUSE_COLUMNS,
        _since(
            queries.scoped(
                select(*(getattr(Warehouse, c) for c in WAREHOUSE_COLUMNS)).order_by(Warehouse.id),
                Warehouse.id,
                actor,
            ),
            Warehouse.updated_at,
            after,
        ),
    )
    lots = await _table(session, LOT_COLUMNS, _lots(actor, after))
    queue = (await session.execute(tasks.queue_for(actor).limit(200))).scalars().all()
    task_lines = await queries.task_lines(session, [t.id for t in queue])
    return {
        "cursor": encode_cursor(taken_at - MARGIN),
        "full": after is None,
        "taken_at": taken_at.isoformat(),
        "warehouses": warehouses.as_dict(),
        "items": items.as_dict(),
        "barcodes": {**barcodes.as_dict(), "replaces_items": after is not None},
        "locations": locations.as_dict(),
        "lots": lots.as_dict(),
        "tasks": [(task, task_lines[task.id]) for task in queue],
    }


def _lots(actor: Actor, after: dt.datetime | None) -> Select[Any]:
    """Lots on hand in the user's warehouses (a full snapshot), or lots created since the
    cursor (a delta): the ones a worker can scan or receive."""
    query = select(*(getattr(Lot, c) for c in LOT_COLUMNS)).order_by(Lot.id)
    if after is not None:
        return query.where(Lot.created_at >= after)
    on_hand = (
        select(Quant.lot_id)
        .join(Location, Location.id == Quant.location_id)
        .where(Quant.on_hand > 0, Quant.lot_id.is_not(None), Location.kind.in_(STOCK_KINDS))
    )
    return query.where(Lot.id.in_(queries.scoped(on_hand, Location.warehouse_id, actor)))
