"""Suppliers and customers by code: the same upsert with different columns."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from backend.db.models import Base, Customer, Supplier, utcnow
from backend.service.csv_import.formats import Row
from backend.service.csv_import.job import Job, duplicates, fetch_in, upsert


@dataclass(frozen=True)
class Party:
    model: type[Base]
    fields: tuple[str, ...]
    defaults: dict[str, Any]


SUPPLIERS = Party(
    Supplier,
    ("name", "over_receipt_tolerance_pct", "lead_time_days", "active"),
    {"over_receipt_tolerance_pct": Decimal(0), "lead_time_days": None, "active": True},
)
CUSTOMERS = Party(Customer, ("name", "address", "active"), {"address": None, "active": True})


@dataclass
class Plan:
    party: Party
    rows: list[dict[str, Any]] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def pending(self) -> int:
        return len(self.rows)


async def check(job: Job, rows: list[Row], party: Party) -> Plan:
    duplicates(job, rows, lambda r: r.values.get("code"), "code", "code")
    model: Any = party.model
    columns = [model.code, *(getattr(model, f) for f in party.fields)]
    stored = {
        row.code: row._asdict()
        for row in await fetch_in(
            job.session,
            select(*columns),
            model.code,
            (r.values["code"] for r in rows if "code" in r.values),
        )
    }
    plan = Plan(party)
    for row in rows:
        if not row.ok:
            continue
        code = row.values["code"]
        current = stored.get(code)
        base = dict(party.defaults) if current is None else {f: current[f] for f in party.fields}
        merged = {**base, **{f: row.values[f] for f in party.fields if f in row.values}}
        if current is None:
            plan.created += 1
        elif merged == base:
            plan.unchanged += 1
            continue
        else:
            plan.updated += 1
        plan.rows.append({"code": code, **merged})
    job.progress.advance(len(rows))
    return plan


async def write(job: Job, plan: Plan) -> None:
    now = utcnow()
    rows = [{**r, "created_at": now, "updated_at": now} for r in plan.rows]
    await upsert(job, plan.party.model, rows, ["code"], [*plan.party.fields, "updated_at"])
