"""Locations by warehouse and code: zones, bins, docks and transit, with parents and barcodes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, select, update

from backend.db.models import Location, Quant, utcnow
from backend.domain.vocabulary import WAREHOUSE_VIRTUAL_KINDS
from backend.service.csv_import.formats import KEEP, Row
from backend.service.csv_import.job import Job, duplicates, fetch_in, table_of, upsert
from backend.service.csv_import.lookups import barcode_owners, warehouse_problem, warehouses_by_code

Key = tuple[int, str]  # warehouse id, location code
FIELDS = ("name", "kind", "barcode", "pick_sequence", "purpose", "active")
NEW_LOCATION: dict[str, Any] = {
    "name": "",
    "barcode": None,
    "pick_sequence": 0,
    "purpose": None,
    "active": True,
}


@dataclass
class Plan:
    rows: list[dict[str, Any]] = field(default_factory=list)
    # Locations whose parent is created by this file: set once every row is written.
    late_parents: list[tuple[Key, Key]] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def pending(self) -> int:
        return len(self.rows)


@dataclass
class State:
    stored: dict[Key, dict[str, Any]]
    keys: dict[int, Key]
    # The kind and parent of every location of the warehouses concerned, after the import.
    kinds: dict[Key, str]
    parents: dict[Key, Key | None]


async def _stored(job: Job, warehouse_ids: set[int]) -> State:
    columns = [Location.id, Location.warehouse_id, Location.code, Location.parent_id]
    rows = await fetch_in(
        job.session,
        select(*columns, *(getattr(Location, f) for f in FIELDS)),
        Location.warehouse_id,
        warehouse_ids,
    )
    stored = {(r.warehouse_id, r.code): r._asdict() for r in rows}
    keys = {r.id: (r.warehouse_id, r.code) for r in rows}
    kinds = {key: r["kind"] for key, r in stored.items()}
    parents = {key: keys.get(r["parent_id"]) for key, r in stored.items()}
    return State(stored, keys, kinds, parents)


def _keys(job: Job, rows: list[Row], warehouses: dict[str, int]) -> dict[int, Key]:
    keys: dict[int, Key] = {}
    for row in rows:
        code = row.values.get("warehouse")
        if code is None:
            continue
        warehouse_id, problem = warehouse_problem(code, warehouses, job.actor)
        if problem:
            job.error(row, "warehouse", problem)
        elif "code" in row.values:
            keys[row.line] = (warehouse_id, row.values["code"])  # type: ignore[assignment]
    return keys


async def check(job: Job, rows: list[Row]) -> Plan:
    warehouses = await warehouses_by_code(job.session)
    keys = _keys(job, rows, warehouses)
    names = {v: k for k, v in warehouses.items()}
    duplicates(
        job,
        rows,
        lambda r: (names[keys[r.line][0]], keys[r.line][1]) if r.line in keys else None,
        "code",
        "location",
    )
    state = await _stored(job, {wid for wid, _ in keys.values()})
    for row in rows:
        if row.line in keys:
            _kind(job, row, keys[row.line], state)
    for row in rows:
        if row.line in keys:
            _parent(job, row, keys[row.line], state)
    _loops(job, rows, keys, state)
    await _barcodes(job, rows, keys, state)
    await _stock_held(job, rows, keys, state)
    job.progress.advance(len(rows))
    plan = Plan()
    if not job.report:
        for row in rows:
            _plan_row(row, keys[row.line], state, plan)
    return plan


def _kind(job: Job, row: Row, key: Key, state: State) -> None:
    current = state.stored.get(key)
    kind = row.values.get("kind", KEEP)
    if current is not None and current["kind"] in WAREHOUSE_VIRTUAL_KINDS:
        job.error(row, "code", f"{key[1]} comes with its warehouse and cannot be imported")
    elif kind is KEEP:
        if current is None and (not job.has("kind") or "kind" in row.values):
            job.error(row, "kind", "required for a new location")
    elif current is not None and kind != current["kind"]:
        job.error(row, "kind", f"{key[1]} is a {current['kind']}; a location's kind cannot change")
    else:
        state.kinds[key] = kind


def _parent(job: Job, row: Row, key: Key, state: State) -> None:
    if "parent" not in row.values:
        return
    code = row.values["parent"]
    if code is None:
        state.parents[key] = None
        return
    parent = (key[0], code)
    kind = state.kinds.get(parent)
    if code == key[1]:
        job.error(row, "parent", "a location cannot contain itself")
    elif kind is None:
        job.error(row, "parent", f"no location {code} in this warehouse (in the file or stored)")
    elif kind != "zone":
        job.error(row, "parent", f"{code} is a {kind}; a location's parent is a zone")
    else:
        state.parents[key] = parent


def _loops(job: Job, rows: list[Row], keys: dict[int, Key], state: State) -> None:
    for row in rows:
        key = keys.get(row.line)
        if key is None or not row.ok:
            continue
        seen = {key}
        step = state.parents.get(key)
        while step is not None:
            if step in seen:
                job.error(row, "parent", f"the parents of {key[1]} go round in a circle")
                break
            seen.add(step)
            step = state.parents.get(step)


async def _barcodes(job: Job, rows: list[Row], keys: dict[int, Key], state: State) -> None:
    duplicates(job, rows, lambda r: r.values.get("barcode"), "barcode", "barcode")
    owners = await barcode_owners(
        job.session, (r.values["barcode"] for r in rows if r.values.get("barcode"))
    )
    for row in rows:
        code, key = row.values.get("barcode"), keys.get(row.line)
        owner = owners.get(code) if code else None
        if owner is None or key is None:
            continue
        current = state.stored.get(key)
        if owner.location_id is None or current is None or owner.location_id != current["id"]:
            job.error(row, "barcode", f"barcode {code} already belongs to {owner.describe()}")


async def _stock_held(job: Job, rows: list[Row], keys: dict[int, Key], state: State) -> None:
    """A bin or dock is deactivated only when empty, as through the API."""
    closing: dict[int, Row] = {}
    for row in rows:
        key = keys.get(row.line)
        current = state.stored.get(key) if key is not None else None
        if (
            current is not None
            and row.values.get("active") is False
            and current["active"]
            and current["kind"] != "zone"
        ):
            closing[current["id"]] = row
    held = await fetch_in(
        job.session,
        select(Quant.location_id).where(Quant.on_hand != 0).distinct(),
        Quant.location_id,
        closing,
    )
    for (location_id,) in held:
        row = closing[location_id]
        job.error(row, "active", f"{row.values['code']} still holds stock; move it out first")


def _plan_row(row: Row, key: Key, state: State, plan: Plan) -> None:
    current = state.stored.get(key)
    base = dict(NEW_LOCATION) if current is None else {f: current[f] for f in FIELDS}
    merged = {**base, **{f: row.values[f] for f in FIELDS if f in row.values}}
    merged["kind"] = state.kinds[key]
    parent = state.parents.get(key)
    before = None if current is None else state.keys.get(current["parent_id"])
    if current is None:
        plan.created += 1
    elif merged == base and parent == before:
        plan.unchanged += 1
        return
    else:
        plan.updated += 1
    parent_id = None
    if parent is not None:
        stored_parent = state.stored.get(parent)
        if stored_parent is None:
            plan.late_parents.append((key, parent))
        else:
            parent_id = stored_parent["id"]
    plan.rows.append({"warehouse_id": key[0], "code": key[1], "parent_id": parent_id, **merged})


async def write(job: Job, plan: Plan) -> None:
    now = utcnow()
    rows = [{**r, "created_at": now, "updated_at": now} for r in plan.rows]
    await upsert(
        job, Location, rows, ["warehouse_id", "code"], [*FIELDS, "parent_id", "updated_at"]
    )
    if plan.late_parents:
        wanted = {k for pair in plan.late_parents for k in pair}
        found = await fetch_in(
            job.session,
            select(Location.warehouse_id, Location.code, Location.id),
            Location.warehouse_id,
            {wid for wid, _ in wanted},
        )
        ids = {(r.warehouse_id, r.code): r.id for r in found}
        locations = table_of(Location)
        await job.session.execute(
            update(locations)
            .where(locations.c.id == bindparam("location_id"))
            .values(parent_id=bindparam("new_parent_id")),
            [{"location_id": ids[c], "new_parent_id": ids[p]} for c, p in plan.late_parents],
        )
