"""Exports: the same columns as the imports, so an exported file imports back unchanged.

Rows are read a page at a time in the file's order (keyset pagination on the natural key) and
encoded as they go, so a large catalogue streams without being held in memory. Text a
spreadsheet would calculate (=, +, -, @ first) gets a leading apostrophe, which imports drop.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from backend.db.models import (
    Customer,
    Item,
    ItemBarcode,
    Location,
    Lot,
    Quant,
    Serial,
    Supplier,
    Warehouse,
)
from backend.domain.actor import Actor
from backend.domain.errors import InvalidRequest, NotFound
from backend.domain.vocabulary import STOCK_KINDS, WAREHOUSE_VIRTUAL_KINDS
from backend.service import queries
from backend.service.csv_import.cells import escape_formula
from backend.service.csv_import.formats import FORMATS, Format

PAGE = 2000
BOM = "\ufeff".encode()
SCOPED_KINDS = ("locations", "opening_balances")


@dataclass(frozen=True)
class Export:
    kind: str
    actor: Actor
    warehouse_id: int | None = None

    @property
    def filename(self) -> str:
        return f"{self.kind}.csv"


async def prepare_export(
    session: AsyncSession, actor: Actor, kind: str, warehouse: str | None = None
) -> Export:
    """Check what can be checked before the first byte goes out."""
    if kind not in FORMATS:
        raise NotFound(f"no such kind of file: {kind}", kinds=list(FORMATS))
    actor.require_role("supervisor")
    if warehouse is None:
        return Export(kind, actor)
    if kind not in SCOPED_KINDS:
        raise InvalidRequest("a warehouse narrows only locations and opening balances", kind=kind)
    warehouse_id = (
        await session.execute(select(Warehouse.id).where(Warehouse.code == warehouse))
    ).scalar()
    if warehouse_id is None:
        raise NotFound(f"no warehouse {warehouse}", warehouse=warehouse)
    actor.require_warehouse(warehouse_id)
    return Export(kind, actor, warehouse_id)


def _cell(value: Any, text: bool) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        plain = format(value, "f")
        return plain.rstrip("0").rstrip(".") if "." in plain else plain
    if isinstance(value, dt.date):
        return value.isoformat()
    return escape_formula(value) if text and isinstance(value, str) else str(value)


async def _pages(
    session: AsyncSession, query: Select[Any], order: Sequence[Any]
) -> AsyncIterator[Sequence[Any]]:
    """Pages of `query` in `order`; each page starts after the last key of the one before."""
    keyed = query.add_columns(*(o.label(f"_key{i}") for i, o in enumerate(order)))
    last: tuple[Any, ...] | None = None
    while True:
        page = keyed.order_by(*order).limit(PAGE)
        if last is not None:
            page = page.where(tuple_(*order) > tuple_(*last))
        rows = (await session.execute(page)).all()
        if not rows:
            return
        yield rows
        last = tuple(rows[-1][-len(order) :])
        if len(rows) < PAGE:
            return


Rows = AsyncIterator[list[list[Any]]]


async def _items(session: AsyncSession, export: Export) -> Rows:
    fields = ("sku", "name", "unit", "tracking", "shelf_life_days", "unit_cost", "abc_class")
    query = select(Item.id, *(getattr(Item, f) for f in fields), Item.active)
    async for page in _pages(session, query, [Item.sku]):
        codes = await session.execute(
            select(ItemBarcode.item_id, ItemBarcode.code, ItemBarcode.quantity)
            .where(ItemBarcode.item_id.in_([r.id for r in page]), ItemBarcode.active.is_(True))
            .order_by(ItemBarcode.id)
        )
        unit: dict[int, str] = {}
        case: dict[int, tuple[str, int]] = {}
        for item_id, code, quantity in codes:
            if quantity == 1:
                unit.setdefault(item_id, code)
            else:
                case.setdefault(item_id, (code, quantity))
        yield [
            [
                *(getattr(r, f) for f in fields),
                r.active,
                unit.get(r.id),
                *case.get(r.id, (None, None)),
            ]
            for r in page
        ]


async def _barcodes(session: AsyncSession, export: Export) -> Rows:
    query = select(
        Item.sku,
        ItemBarcode.code,
        ItemBarcode.quantity,
        ItemBarcode.packaging,
        ItemBarcode.active,
    ).join(Item, Item.id == ItemBarcode.item_id)
    async for page in _pages(session, query, [Item.sku, ItemBarcode.id]):
        yield [list(r[:5]) for r in page]


def _scoped(query: Select[Any], column: Any, export: Export) -> Select[Any]:
    query = queries.scoped(query, column, export.actor)
    return query if export.warehouse_id is None else query.where(column == export.warehouse_id)


async def _locations(session: AsyncSession, export: Export) -> Rows:
    parent = aliased(Location)
    query = (
        select(
            Warehouse.code,
            Location.code,
            Location.name,
            Location.kind,
            parent.code,
            Location.barcode,
            Location.pick_sequence,
            Location.purpose,
            Location.active,
        )
        .join(Warehouse, Warehouse.id == Location.warehouse_id)
        .outerjoin(parent, parent.id == Location.parent_id)
        .where(Location.kind.not_in(WAREHOUSE_VIRTUAL_KINDS))
    )
    query = _scoped(query, Location.warehouse_id, export)
    async for page in _pages(session, query, [Warehouse.code, Location.code]):
        yield [list(r[:9]) for r in page]


def _parties(model: Any, fields: tuple[str, ...]) -> Callable[[AsyncSession, Export], Rows]:
    async def rows(session: AsyncSession, export: Export) -> Rows:
        query = select(*(getattr(model, f) for f in fields))
        async for page in _pages(session, query, [model.code]):
            yield [list(r[: len(fields)]) for r in page]

    return rows


async def _opening(session: AsyncSession, export: Export) -> Rows:
    """Stock on hand per bin, item and lot, as an opening balance for another installation."""
    lot_order = func.coalesce(Lot.lot_number, "")
    query = (
        select(
            Warehouse.code,
            Location.code,
            Item.sku,
            Quant.on_hand,
            Lot.lot_number,
            Lot.expiry_date,
            Quant.item_id,
            Quant.location_id,
            Quant.lot_key,
            Item.tracking,
        )
        .join(Location, Location.id == Quant.location_id)
        .join(Warehouse, Warehouse.id == Quant.warehouse_id)
        .join(Item, Item.id == Quant.item_id)
        .outerjoin(Lot, Lot.id == Quant.lot_id)
        .where(Quant.is_virtual.is_(False), Quant.on_hand > 0, Location.kind.in_(STOCK_KINDS))
    )
    query = _scoped(query, Quant.warehouse_id, export)
    order = [Warehouse.code, Location.code, Item.sku, lot_order]
    async for page in _pages(session, query, order):
        serials: dict[tuple[int, int, int], list[str]] = defaultdict(list)
        tracked = [r for r in page if r.tracking == "serial"]
        if tracked:
            found = await session.execute(
                select(Serial.item_id, Serial.location_id, Serial.lot_id, Serial.serial)
                .where(
                    Serial.location_id.in_({r.location_id for r in tracked}),
                    Serial.item_id.in_({r.item_id for r in tracked}),
                )
                .order_by(Serial.serial)
            )
            for item_id, location_id, lot_id, serial in found:
                serials[(item_id, location_id, lot_id or 0)].append(serial)
        yield [
            [
                *r[:6],
                "|".join(serials.get((r.item_id, r.location_id, r.lot_key), []))
                if r.tracking == "serial"
                else None,
            ]
            for r in page
        ]


READERS: dict[str, Callable[[AsyncSession, Export], Rows]] = {
    "items": _items,
    "barcodes": _barcodes,
    "locations": _locations,
    "suppliers": _parties(
        Supplier, ("code", "name", "over_receipt_tolerance_pct", "lead_time_days", "active")
    ),
    "customers": _parties(Customer, ("code", "name", "address", "active")),
    "opening_balances": _opening,
}


def _encode(fmt: Format, rows: list[list[Any]], buffer: io.StringIO, writer: Any) -> bytes:
    texts = [c.text for c in fmt.columns]
    for row in rows:
        writer.writerow([_cell(v, t) for v, t in zip(row, texts, strict=True)])
    data = buffer.getvalue().encode()
    buffer.seek(0)
    buffer.truncate()
    return data


async def export_csv(
    sessions: async_sessionmaker[AsyncSession], export: Export, *, bom: bool = True
) -> AsyncIterator[bytes]:
    """The file in pieces: the header (after a BOM, so Excel reads UTF-8), then page by page."""
    fmt = FORMATS[export.kind]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(fmt.names)
    yield (BOM if bom else b"") + _encode(fmt, [], buffer, writer)
    async with sessions() as session:
        async for rows in READERS[export.kind](session, export):
            data = _encode(fmt, rows, buffer, writer)
            # No transaction stays open while a page travels to a slow client: on SQLite
            # that would hold the write lock for the whole download.
            await session.rollback()
            yield data
