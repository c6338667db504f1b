"""Scan-to-confirm: what a worker scanned must match the task line, and the scans the
supervisors' rules require must be there."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import Item, ItemBarcode, Lot, TaskLine
from backend.domain.errors import ScanMismatch
from backend.domain.scan_rules import require_scans
from backend.service import policies
from backend.service.scans import gtin_forms


async def item_of_code(session: AsyncSession, code: str) -> int | None:
    return (
        await session.execute(
            select(ItemBarcode.item_id)
            .where(ItemBarcode.code.in_(gtin_forms(code)), ItemBarcode.active.is_(True))
            .limit(1)
        )
    ).scalar()


async def confirm_scans(
    session: AsyncSession,
    operation: str,
    *,
    line: TaskLine,
    item: Item,
    source_bin: int | None,
    item_code: str | None,
    lot_number: str | None,
    serials: list[str],
    destination_bin: bool = False,
) -> None:
    if source_bin is not None and source_bin != line.from_location_id:
        raise ScanMismatch(
            "wrong bin: this line is taken from another bin",
            expected_location_id=line.from_location_id,
            scanned_location_id=source_bin,
        )
    if item_code is not None and await item_of_code(session, item_code) != line.item_id:
        raise ScanMismatch(
            f"wrong item: {item_code} is not {item.sku}", sku=item.sku, scanned=item_code
        )
    if lot_number is not None:
        lot = await session.get(Lot, line.lot_id) if line.lot_id else None
        if lot is None or lot.lot_number != lot_number:
            raise ScanMismatch(
                f"wrong lot: this line takes lot {lot.lot_number if lot else '(none)'}",
                expected_lot=lot.lot_number if lot else None,
                scanned_lot=lot_number,
            )
    scanned = {"source_bin": source_bin is not None, "item": item_code is not None}
    if operation == "putaway":
        scanned["destination_bin"] = destination_bin
    if line.lot_id is not None:
        scanned["lot"] = lot_number is not None
    if item.tracking == "serial":
        scanned["serial"] = bool(serials)
    require_scans(await policies.scan_rules(session), operation, scanned)
