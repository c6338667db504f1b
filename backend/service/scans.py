"""What a scanned code names: an item and its packaging quantity, a lot and expiry from GS1
data, or a location. Used for typed codes and for symbols the server decoder reads."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import Item, ItemBarcode, Location, Lot
from backend.domain.actor import Actor
from scanner import GS1Error, gs1

# GS1 application identifiers the floor acts on.
AI_SSCC, AI_GTIN, AI_CONTENT, AI_LOT, AI_BEST_BEFORE, AI_EXPIRY, AI_SERIAL = (
    "00", "01", "02", "10", "15", "17", "21"
)  # fmt: skip
AI_COUNT = ("30", "37")


@dataclass
class Resolution:
    code: str
    kind: str  # item, location or unknown
    item: Item | None = None
    quantity: int | None = None
    packaging: str | None = None
    location: Location | None = None
    lot: Lot | None = None
    lot_number: str | None = None
    expiry_date: dt.date | None = None
    serial: str | None = None
    sscc: str | None = None
    gs1: tuple[gs1.Element, ...] | None = None
    gs1_error: str | None = None


def gtin_forms(code: str) -> list[str]:
    """A GTIN as it may be stored: GTIN-14 with leading zeros, EAN-13, UPC-A."""
    if not code.isdigit() or len(code) not in (8, 12, 13, 14):
        return [code]
    forms = {code, code.zfill(14)}
    stripped = code.zfill(14)
    while stripped.startswith("0") and len(stripped) > 8:
        stripped = stripped[1:]
        forms.add(stripped)
    return sorted(forms, key=lambda f: (f != code, -len(f)))


def parse_if_gs1(code: str) -> tuple[tuple[gs1.Element, ...] | None, str | None]:
    """Typed or wedge-scanned GS1 strings: bracketed, with a symbology id or GS separators."""
    if not (code.startswith("(") or code.startswith("]") or "\x1d" in code):
        return None, None
    try:
        return gs1.parse(code), None
    except GS1Error as error:
        return None, str(error)


async def resolve(
    session: AsyncSession,
    actor: Actor,
    code: str,
    elements: Sequence[gs1.Element] | None = None,
    gs1_error: str | None = None,
) -> Resolution:
    result = Resolution(code=code, kind="unknown", gs1_error=gs1_error)
    lookup = code
    if elements:
        result.gs1 = tuple(elements)
        values = {e.ai: e for e in elements}
        lookup = str(values[AI_GTIN].value) if AI_GTIN in values else ""
        if AI_GTIN not in values and AI_CONTENT in values:
            lookup = str(values[AI_CONTENT].value)
        result.lot_number = _text(values, AI_LOT)
        result.serial = _text(values, AI_SERIAL)
        result.sscc = _text(values, AI_SSCC)
        expiry = values.get(AI_EXPIRY) or values.get(AI_BEST_BEFORE)
        result.expiry_date = expiry.value if expiry and isinstance(expiry.value, dt.date) else None
        counts = [values[ai].raw for ai in AI_COUNT if ai in values]
        result.quantity = int(counts[0]) if counts else None
    if lookup:
        barcode = (
            await session.execute(
                select(ItemBarcode)
                .where(ItemBarcode.code.in_(gtin_forms(lookup)), ItemBarcode.active.is_(True))
                .limit(1)
            )
        ).scalar_one_or_none()
        if barcode is not None:
            result.kind = "item"
            result.item = await session.get(Item, barcode.item_id)
            result.packaging = barcode.packaging
            # A count (AI 30/37) says how many packages; the barcode says how much each is.
            result.quantity = (result.quantity or 1) * barcode.quantity
            if result.lot_number:
                result.lot = (
                    await session.execute(
                        select(Lot).where(
                            Lot.item_id == barcode.item_id, Lot.lot_number == result.lot_number
                        )
                    )
                ).scalar_one_or_none()
            return result
    if not elements:
        location = (
            await session.execute(select(Location).where(Location.barcode == code))
        ).scalar_one_or_none()
        if location is not None and actor.may_access(location.warehouse_id):
            result.kind = "location"
            result.location = location
            return result
        # An item without a barcode of its own gets its SKU printed on its label.
        item = (await session.execute(select(Item).where(Item.sku == code))).scalar_one_or_none()
        if item is not None:
            result.kind = "item"
            result.item = item
            result.packaging = "unit"
            result.quantity = 1
    return result


def _text(values: dict[str, gs1.Element], ai: str) -> str | None:
    return str(values[ai].value) if ai in values else None
