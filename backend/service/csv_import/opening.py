"""Opening balances: stock already on the shelves, posted through the ledger as ONE
opening-balance command, so the file is loaded whole or not at all and every unit has its
counter-entry on the warehouse's adjustment location."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.db.models import Item, Location, Lot, Serial
from backend.domain.actor import Actor
from backend.domain.commands import OpeningLine, PostOpeningBalance
from backend.domain.vocabulary import STOCK_KINDS, is_virtual
from backend.service.csv_import.formats import Row
from backend.service.csv_import.job import Job, Summary, duplicates, fetch_in
from backend.service.csv_import.lookups import warehouse_problem, warehouses_by_code
from backend.service.csv_import.report import file_error

# The most lines one opening-balance command takes (see PostOpeningBalance.lines).
MAX_LINES = 10_000
DEVICE = "csv-import"


@dataclass
class Plan:
    lines: list[OpeningLine] = field(default_factory=list)


@dataclass
class Refs:
    warehouses: dict[int, int] = field(default_factory=dict)  # line -> warehouse id
    locations: dict[tuple[int, str], Any] = field(default_factory=dict)
    items: dict[str, Any] = field(default_factory=dict)


async def _refs(job: Job, rows: list[Row]) -> Refs:
    refs = Refs()
    warehouses = await warehouses_by_code(job.session)
    for row in rows:
        code = row.values.get("warehouse")
        if code is None:
            continue
        warehouse_id, problem = warehouse_problem(code, warehouses, job.actor)
        if problem:
            job.error(row, "warehouse", problem)
        else:
            refs.warehouses[row.line] = warehouse_id  # type: ignore[assignment]
    found = await fetch_in(
        job.session,
        select(Location.id, Location.warehouse_id, Location.code, Location.kind, Location.active),
        Location.code,
        (r.values["location"] for r in rows if "location" in r.values),
    )
    wanted = set(refs.warehouses.values())
    refs.locations = {(r.warehouse_id, r.code): r for r in found if r.warehouse_id in wanted}
    items = await fetch_in(
        job.session,
        select(Item.id, Item.sku, Item.tracking, Item.active),
        Item.sku,
        (r.values["sku"] for r in rows if "sku" in r.values),
    )
    refs.items = {r.sku: r for r in items}
    return refs


def _check_place_and_item(job: Job, row: Row, refs: Refs) -> tuple[Any, Any]:
    values = row.values
    location = item = None
    warehouse_id = refs.warehouses.get(row.line)
    code = values.get("location")
    if warehouse_id is not None and code is not None:
        location = refs.locations.get((warehouse_id, code))
        if location is None:
            job.error(row, "location", f"no location {code} in warehouse {values['warehouse']}")
        elif location.kind not in STOCK_KINDS:
            job.error(
                row, "location", f"{code} is a {location.kind}; stock lives in bins and docks"
            )
        elif not location.active:
            job.error(row, "location", f"location {code} is deactivated")
    sku = values.get("sku")
    if sku is not None:
        item = refs.items.get(sku)
        if item is None:
            job.error(row, "sku", f"no item {sku}")
        elif not item.active:
            job.error(row, "sku", f"item {sku} is deactivated")
    return location, item


def _check_tracking(job: Job, row: Row, item: Any) -> None:
    values = row.values
    lot, serials = values.get("lot"), values.get("serials") or []
    if item.tracking == "lot":
        # A lot cell that could not be read is reported already.
        if lot is None and (not job.has("lot") or "lot" in values):
            job.error(row, "lot", f"{item.sku} is lot-tracked: a lot is required")
    elif lot is not None:
        job.error(row, "lot", f"{item.sku} is not lot-tracked")
    elif values.get("expiry") is not None:
        job.error(row, "expiry", f"{item.sku} is not lot-tracked; an expiry belongs to a lot")
    quantity = values.get("quantity")
    if item.tracking == "serial" and quantity is not None and len(serials) != quantity:
        job.error(
            row,
            "serials",
            f"{item.sku} is serial-tracked: one serial per unit "
            f"({quantity} units, {len(serials)} serials)",
        )
    if item.tracking != "serial" and serials:
        job.error(row, "serials", f"{item.sku} is not serial-tracked")


async def _check_lots(job: Job, rows: list[Row], refs: Refs) -> None:
    """A lot has one expiry: the file may not contradict itself or what is stored."""
    named: dict[tuple[int, str], tuple[dt.date, int]] = {}
    for row in rows:
        item = refs.items.get(row.values.get("sku"))  # type: ignore[arg-type]
        lot, expiry = row.values.get("lot"), row.values.get("expiry")
        if item is None or lot is None or expiry is None:
            continue
        earlier = named.setdefault((item.id, lot), (expiry, row.line))
        if earlier[0] != expiry:
            job.error(row, "expiry", f"lot {lot} has expiry {earlier[0]} on line {earlier[1]}")
    stored = await fetch_in(
        job.session,
        select(Lot.item_id, Lot.lot_number, Lot.expiry_date),
        Lot.lot_number,
        {lot for _, lot in named},
    )
    for item_id, lot_number, expiry in stored:
        mention = named.get((item_id, lot_number))
        if mention is not None and expiry is not None and expiry != mention[0]:
            job.report.add(
                mention[1],
                "expiry",
                f"lot {lot_number} is on record with expiry {expiry}, not {mention[0]}",
            )


async def _check_serials(job: Job, rows: list[Row], refs: Refs) -> None:
    """One unit per serial: not twice in the file, not already on a shelf."""
    first: dict[tuple[int, str], int] = {}
    for row in rows:
        item = refs.items.get(row.values.get("sku"))  # type: ignore[arg-type]
        if item is None:
            continue
        for serial in row.values.get("serials") or []:
            line = first.setdefault((item.id, serial), row.line)
            if line != row.line:
                job.error(row, "serials", f"serial {serial} is also on line {line}")
    stored = await fetch_in(
        job.session,
        select(Serial.item_id, Serial.serial, Location.code, Location.kind).outerjoin(
            Location, Location.id == Serial.location_id
        ),
        Serial.serial,
        {serial for _, serial in first},
    )
    for item_id, serial, place, kind in stored:
        at = first.get((item_id, serial))
        if at is not None and kind is not None and not is_virtual(kind):
            job.report.add(at, "serials", f"serial {serial} is already in stock at {place}")


async def check(job: Job, rows: list[Row]) -> Plan:
    if not rows:
        raise file_error("opening_balances", "the file has no stock lines")
    if len(rows) > MAX_LINES:
        raise file_error(
            "opening_balances",
            f"{len(rows)} lines; one opening balance takes at most {MAX_LINES}: split the file "
            "(by warehouse or zone)",
        )
    refs = await _refs(job, rows)
    duplicates(
        job,
        rows,
        lambda r: (
            (r.values["warehouse"], r.values["location"], r.values["sku"], r.values.get("lot"))
            if {"warehouse", "location", "sku"} <= r.values.keys()
            else None
        ),
        "sku",
        "item, lot and location",
    )
    plan = Plan()
    for row in rows:
        location, item = _check_place_and_item(job, row, refs)
        if item is not None:
            _check_tracking(job, row, item)
        if row.ok and location is not None and item is not None:
            plan.lines.append(
                OpeningLine(
                    item_id=item.id,
                    location_id=location.id,
                    quantity=row.values["quantity"],
                    lot_number=row.values.get("lot"),
                    expiry_date=row.values.get("expiry"),
                    serials=list(row.values.get("serials") or []),
                )
            )
    await _check_lots(job, rows, refs)
    await _check_serials(job, rows, refs)
    job.progress.advance(len(rows))
    return plan


async def post(
    sessions: async_sessionmaker[AsyncSession],
    actor: Actor,
    plan: Plan,
    summary: Summary,
    reference: str,
) -> None:
    # Imported here: the command machinery is heavy and only this kind of file needs it.
    from backend.service.commands import apply_command

    command = PostOpeningBalance(
        event_id=uuid.uuid4(),
        device_id=DEVICE,
        occurred_at=dt.datetime.now(dt.UTC),
        lines=plan.lines,
        reference=reference[:64] or "opening",
    )
    outcome = await apply_command(sessions, command, actor)
    if outcome.status != "applied":
        raise file_error(
            "opening_balances", f"the ledger refused the opening balance: {outcome.message}"
        )
    summary.details.update(
        event_id=str(command.event_id), moves=len((outcome.result or {}).get("move_ids", []))
    )
