"""Item barcodes by code: a case barcode counts its packaging quantity (a case = 12 units)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, update

from backend.db.models import ItemBarcode, utcnow
from backend.service.csv_import.formats import Row
from backend.service.csv_import.items import touch_items
from backend.service.csv_import.job import Job, duplicates, insert, table_of
from backend.service.csv_import.lookups import barcode_owners, item_ids

FIELDS = ("quantity", "packaging", "active")
DEFAULTS: dict[str, Any] = {"quantity": 1, "packaging": "unit", "active": True}


@dataclass
class Plan:
    new: list[dict[str, Any]] = field(default_factory=list)
    changed: list[dict[str, Any]] = field(default_factory=list)
    unchanged: int = 0
    skus: set[str] = field(default_factory=set)
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def rows(self) -> list[dict[str, Any]]:
        return self.new + self.changed

    @property
    def pending(self) -> int:
        return len(self.new) + len(self.changed)

    @property
    def created(self) -> int:
        return len(self.new)

    @property
    def updated(self) -> int:
        return len(self.changed)


async def check(job: Job, rows: list[Row]) -> Plan:
    duplicates(job, rows, lambda r: r.values.get("code"), "code", "barcode")
    ids = await item_ids(job.session, (r.values["sku"] for r in rows if "sku" in r.values))
    owners = await barcode_owners(
        job.session, (r.values["code"] for r in rows if "code" in r.values)
    )
    plan = Plan()
    for row in rows:
        values = row.values
        sku, code = values.get("sku"), values.get("code")
        item_id = ids.get(sku) if sku is not None else None
        if sku is not None and item_id is None:
            job.error(row, "sku", f"no item {sku}")
        owner = owners.get(code) if code is not None else None
        if owner is not None and (
            owner.item_id is None or (item_id is not None and owner.item_id != item_id)
        ):
            job.error(row, "code", f"barcode {code} already belongs to {owner.describe()}")
        if not row.ok or item_id is None or code is None:
            continue
        if owner is None:
            merged = {**DEFAULTS, **{f: values[f] for f in FIELDS if f in values}}
            plan.new.append({"item_id": item_id, "code": code, **merged})
            plan.skus.add(sku)  # type: ignore[arg-type]
            continue
        stored = {"quantity": owner.quantity, "packaging": owner.packaging, "active": owner.active}
        merged = {**stored, **{f: values[f] for f in FIELDS if f in values}}
        if merged == stored:
            plan.unchanged += 1
        else:
            plan.changed.append(
                {"barcode_id": owner.barcode_id, **{f"new_{f}": merged[f] for f in FIELDS}}
            )
            plan.skus.add(sku)  # type: ignore[arg-type]
    job.progress.advance(len(rows))
    return plan


async def write(job: Job, plan: Plan) -> None:
    now = utcnow()
    await insert(job, ItemBarcode, [{**r, "created_at": now} for r in plan.new])
    if plan.changed:
        barcodes = table_of(ItemBarcode)
        statement = (
            update(barcodes)
            .where(barcodes.c.id == bindparam("barcode_id"))
            .values({f: bindparam(f"new_{f}") for f in FIELDS})
        )
        await job.session.execute(statement, plan.changed)
        job.progress.advance(len(plan.changed))
    await touch_items(job, plan.skus, now)
