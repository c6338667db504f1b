"""Items by SKU, with the unit and case barcodes an items file may carry for convenience."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, select, update

from backend.db.models import Item, ItemBarcode, utcnow
from backend.service.csv_import.bulk import among
from backend.service.csv_import.formats import KEEP, Row
from backend.service.csv_import.job import Job, duplicates, fetch_in, insert, table_of, upsert
from backend.service.csv_import.lookups import barcode_owners, item_ids

FIELDS = ("name", "unit", "tracking", "shelf_life_days", "unit_cost", "abc_class", "active")
NEW_ITEM: dict[str, Any] = {
    "unit": "ea",
    "tracking": "none",
    "shelf_life_days": None,
    "unit_cost": Decimal(0),
    "abc_class": None,
    "active": True,
}
BARCODE_COLUMNS = (("barcode", "unit"), ("case_barcode", "case"))


@dataclass(slots=True)
class NewBarcode:
    sku: str
    code: str
    quantity: int
    packaging: str


@dataclass
class Plan:
    rows: list[dict[str, Any]] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    new_barcodes: list[NewBarcode] = field(default_factory=list)
    # (barcode id, quantity) of the items' own barcodes whose quantity the file changes
    requantified: list[tuple[int, int]] = field(default_factory=list)
    # Items whose barcodes change though their own row does not: handhelds refetch them.
    touched: set[str] = field(default_factory=set)

    @property
    def pending(self) -> int:
        """Rows to write: items, then their new barcodes."""
        return len(self.rows) + len(self.new_barcodes)

    @property
    def details(self) -> dict[str, Any]:
        return {
            "barcodes_added": len(self.new_barcodes),
            "barcodes_changed": len(self.requantified),
        }


async def stored_items(job: Job, skus: list[str]) -> dict[str, dict[str, Any]]:
    columns = [Item.id, Item.sku, *(getattr(Item, f) for f in FIELDS)]
    rows = await fetch_in(job.session, select(*columns), Item.sku, skus)
    names = ("id", "sku", *FIELDS)
    return {row[1]: dict(zip(names, row, strict=True)) for row in rows}


def _check_case_columns(job: Job, row: Row) -> None:
    values = row.values
    case, quantity = values.get("case_barcode"), values.get("case_quantity")
    # A column in the header but not in `values` could not be read, which is reported already.
    if case and quantity is None and (not job.has("case_quantity") or "case_quantity" in values):
        job.error(row, "case_quantity", "required with a case_barcode")
    if (
        quantity is not None
        and not case
        and (not job.has("case_barcode") or "case_barcode" in values)
    ):
        job.error(row, "case_quantity", "given without a case_barcode")
    if case and case == values.get("barcode"):
        job.error(row, "case_barcode", "the same code as the unit barcode")


def _file_barcodes(job: Job, rows: list[Row]) -> None:
    first: dict[str, tuple[int, str]] = {}
    for row in rows:
        for column, _ in BARCODE_COLUMNS:
            code = row.values.get(column)
            if not code:
                continue
            if code in first and first[code][0] != row.line:
                job.error(row, column, f"barcode {code} is also on line {first[code][0]}")
            else:
                first.setdefault(code, (row.line, column))


async def check(job: Job, rows: list[Row]) -> Plan:
    duplicates(job, rows, lambda r: r.values.get("sku"), "sku", "sku")
    for row in rows:
        _check_case_columns(job, row)
    _file_barcodes(job, rows)
    skus = [r.values["sku"] for r in rows if "sku" in r.values]
    stored = await stored_items(job, skus)
    codes = [r.values[c] for r in rows for c, _ in BARCODE_COLUMNS if r.values.get(c)]
    owners = await barcode_owners(job.session, codes)
    plan = Plan()
    for start in range(0, len(rows), 5000):
        for row in rows[start : start + 5000]:
            _check_row(job, row, stored, owners, plan)
        job.progress.advance(min(5000, len(rows) - start))
    return plan


def _check_row(
    job: Job, row: Row, stored: dict[str, dict[str, Any]], owners: dict[str, Any], plan: Plan
) -> None:
    values = row.values
    sku = values.get("sku")
    if sku is None:
        return
    current = stored.get(sku)
    tracking = values.get("tracking", KEEP)
    if current is not None and tracking is not KEEP and tracking != current["tracking"]:
        job.error(
            row,
            "tracking",
            f"{sku} is tracked by {current['tracking']}; tracking cannot change once an "
            f"item exists",
        )
    barcode_changed = False
    for column, packaging in BARCODE_COLUMNS:
        code = values.get(column)
        if not code:
            continue
        quantity = 1 if column == "barcode" else values.get("case_quantity")
        owner = owners.get(code)
        if owner is None:
            if quantity is not None:
                plan.new_barcodes.append(NewBarcode(sku, code, quantity, packaging))
                barcode_changed = True
        elif owner.item_id is None or current is None or owner.item_id != current["id"]:
            job.error(row, column, f"barcode {code} already belongs to {owner.describe()}")
        elif quantity is not None and owner.quantity != quantity:
            plan.requantified.append((owner.barcode_id, quantity))
            barcode_changed = True
    if not row.ok:
        return
    merged = dict(NEW_ITEM) if current is None else {f: current[f] for f in FIELDS}
    for name in FIELDS:
        if name in values and values[name] is not KEEP:
            merged[name] = values[name]
    if current is None:
        plan.created += 1
    elif any(merged[f] != current[f] for f in FIELDS):
        plan.updated += 1
    else:
        plan.unchanged += 1
        if barcode_changed:
            plan.touched.add(sku)
        return
    plan.rows.append({"sku": sku, **merged})


async def write(job: Job, plan: Plan) -> None:
    now = utcnow()
    rows = [{**r, "created_at": now, "updated_at": now} for r in plan.rows]
    await upsert(job, Item, rows, ["sku"], [*FIELDS, "updated_at"])
    if plan.new_barcodes:
        ids = await item_ids(job.session, {b.sku for b in plan.new_barcodes})
        records = [
            {
                "item_id": ids[b.sku],
                "code": b.code,
                "quantity": b.quantity,
                "packaging": b.packaging,
                "active": True,
                "created_at": now,
            }
            for b in plan.new_barcodes
        ]
        await insert(job, ItemBarcode, records)
    if plan.requantified:
        await requantify(job, plan.requantified)
    if plan.touched:
        await touch_items(job, plan.touched, now)


async def requantify(job: Job, changes: list[tuple[int, int]]) -> None:
    barcodes = table_of(ItemBarcode)
    statement = (
        update(barcodes)
        .where(barcodes.c.id == bindparam("barcode_id"))
        .values(quantity=bindparam("new_quantity"))
    )
    await job.session.execute(statement, [{"barcode_id": i, "new_quantity": q} for i, q in changes])


async def touch_items(job: Job, skus: set[str], now: Any) -> None:
    """A handheld refetches an item's barcodes when the item changed since its last sync."""
    if skus:
        items = table_of(Item)
        await job.session.execute(
            update(items).where(among(job.session, items.c.sku, skus)).values(updated_at=now)
        )
