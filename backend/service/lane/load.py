"""Reading what a run touches, in a few statements: the rows it changes locked in the order
the handlers lock them (task lines, tasks, reservations, orders, order lines, counts, quants),
so a run and a handler queue up rather than cross."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import (
    Count,
    CountLine,
    Item,
    ItemBarcode,
    Location,
    Lot,
    Quant,
    Reservation,
    SalesOrder,
    SalesOrderLine,
    Task,
    TaskLine,
)
from backend.domain.commands import CommandBase, MoveStock, PickItem, RecordCount
from backend.domain.moves import ItemRules, PlaceRules
from backend.service import counting_book, policies
from backend.service.counting_book import Moved
from backend.service.lane.state import ItemFacts, LotFacts, World
from backend.service.scans import gtin_forms

# Working a count's book back over more moves than this is left to the handler.
BIN_MOVES_CAP = 50_000

_COLUMNS: dict[str, tuple[Any, ...]] = {
    "task_lines": (
        TaskLine.id, TaskLine.task_id, TaskLine.seq, TaskLine.item_id, TaskLine.lot_id,
        TaskLine.quantity, TaskLine.done_quantity, TaskLine.from_location_id,
        TaskLine.to_location_id, TaskLine.status, TaskLine.source_line_id,
    ),
    "tasks": (
        Task.id, Task.type, Task.status, Task.assignee_id, Task.warehouse_id, Task.completed_at,
    ),
    "reservations": (
        Reservation.id, Reservation.order_line_id, Reservation.status, Reservation.quantity,
    ),
    "sales_orders": (SalesOrder.id, SalesOrder.number, SalesOrder.status),
    "sales_order_lines": (
        SalesOrderLine.id, SalesOrderLine.order_id, SalesOrderLine.line_no,
        SalesOrderLine.quantity, SalesOrderLine.reserved_quantity,
        SalesOrderLine.picked_quantity,
    ),
    "counts": (Count.id, Count.number, Count.warehouse_id, Count.status),
    "count_lines": (
        CountLine.id, CountLine.count_id, CountLine.task_id, CountLine.seq,
        CountLine.location_id, CountLine.item_id, CountLine.round, CountLine.excluded_user_id,
        CountLine.status, CountLine.counted_by, CountLine.counted_at, CountLine.command_id,
    ),
}  # fmt: skip


async def load(session: AsyncSession, commands: Sequence[CommandBase]) -> World:
    world = World()
    moves = [c for c in commands if isinstance(c, MoveStock)]
    picks = [c for c in commands if isinstance(c, PickItem)]
    counts = [c for c in commands if isinstance(c, RecordCount)]
    item_ids = {c.item_id for c in moves} | {e.item_id for c in counts for e in c.entries}
    location_ids = {p for c in moves for p in (c.from_location_id, c.to_location_id)}

    task_lines = await _rows(session, "task_lines", {c.task_line_id for c in picks}, lock=True)
    first_look = await _rows(session, "count_lines", {c.count_line_id for c in counts})
    pick_tasks = {r["task_id"] for r in task_lines}
    tasks = await _rows(
        session, "tasks", pick_tasks | {r["task_id"] for r in first_look}, lock=True
    )
    reservations = await _rows(
        session, "reservations", {r["source_line_id"] for r in task_lines}, lock=True
    )
    order_ids = set(
        (
            await session.execute(
                select(SalesOrderLine.order_id).where(
                    SalesOrderLine.id.in_({r["order_line_id"] for r in reservations})
                )
            )
        ).scalars()
    )
    orders = await _rows(session, "sales_orders", order_ids, lock=True)
    order_lines = await _rows(
        session, "sales_order_lines", order_ids, lock=True, by=SalesOrderLine.order_id
    )
    for line in order_lines:
        world.order_lines.setdefault(line["order_id"], []).append(line["id"])
    count_rows = await _rows(session, "counts", {r["count_id"] for r in first_look}, lock=True)
    count_lines = await _rows(session, "count_lines", {c.count_line_id for c in counts})
    for table, rows in (
        ("task_lines", task_lines), ("tasks", tasks), ("reservations", reservations),
        ("sales_orders", orders), ("sales_order_lines", order_lines), ("counts", count_rows),
        ("count_lines", count_lines),
    ):  # fmt: skip
        world.rows[table].update((r["id"], r) for r in rows)
    world.open_lines["task"] = await _open(session, TaskLine.task_id, TaskLine, pick_tasks)
    count_tasks = {r["task_id"] for r in count_lines}
    world.open_lines["count_task"] = await _open(session, CountLine.task_id, CountLine, count_tasks)
    world.open_lines["count"] = await _open(
        session, CountLine.count_id, CountLine, {r["count_id"] for r in count_lines}
    )

    warehouses = {r["warehouse_id"] for r in tasks}
    world.shipping = await _shipping(session, warehouses)
    location_ids |= {
        p for r in task_lines for p in (r["from_location_id"], r["to_location_id"]) if p
    }
    location_ids |= set(world.shipping.values())
    bins = {r["location_id"] for r in count_lines}
    item_ids |= {r["item_id"] for r in task_lines}
    item_ids |= {r["item_id"] for r in count_lines if r["item_id"] is not None}

    await _quants(session, world, item_ids, location_ids, bins)
    # A time without a zone never reaches a planner (the envelope check stops it first).
    stamps = [c.occurred_at for c in counts if c.occurred_at.tzinfo is not None]
    if stamps:
        world.bin_moves = await _bin_moves(session, bins, min(stamps))
    if counts:
        world.count_policy = await policies.count_policy(session)
        item_ids |= {key[0] for key in world.quants}
        item_ids |= {m[2] for m in world.bin_moves or ()}
    if picks:
        world.scan_rules = await policies.scan_rules(session)
        world.barcodes = await _barcodes(session, picks)
    world.places = await _places(session, location_ids | bins)
    world.items = await _items(session, item_ids)
    numbers = {(c.item_id, c.lot_number) for c in moves if c.lot_number is not None}
    numbers |= {
        (e.item_id, e.lot_number) for c in counts for e in c.entries if e.lot_number is not None
    }
    await _lots(session, world, {r["lot_id"] for r in task_lines if r["lot_id"]}, numbers)
    return world


async def _rows(
    session: AsyncSession, table: str, ids: set[int], *, lock: bool = False, by: Any = None
) -> list[dict[str, Any]]:
    if not ids:
        return []
    columns = _COLUMNS[table]
    key = by if by is not None else columns[0]
    query = select(*columns).where(key.in_(ids)).order_by(columns[0])
    if lock:
        query = query.with_for_update()
    return [row._asdict() for row in await session.execute(query)]


async def _open(session: AsyncSession, parent: Any, model: Any, ids: set[int]) -> dict[int, int]:
    if not ids:
        return {}
    rows = await session.execute(
        select(parent, func.count()).where(parent.in_(ids), model.status == "open").group_by(parent)
    )
    return {key: int(n) for key, n in rows.tuples()}


async def _shipping(session: AsyncSession, warehouses: set[int]) -> dict[int, int]:
    """`receiving.location_for(..., "shipping")` for each warehouse."""
    if not warehouses:
        return {}
    rows = await session.execute(
        select(Location.warehouse_id, Location.id)
        .where(
            Location.warehouse_id.in_(warehouses),
            Location.purpose == "shipping",
            Location.active.is_(True),
        )
        .order_by(Location.pick_sequence, Location.id)
    )
    found: dict[int, int] = {}
    for warehouse, location in rows.tuples():
        found.setdefault(warehouse, location)
    return found


async def _quants(
    session: AsyncSession, world: World, items: set[int], places: set[int], bins: set[int]
) -> None:
    """Real-location quants the run may change, and every quant of the bins it counts."""
    if not (items and places) and not bins:
        return
    rows = await session.execute(
        select(Quant.id, Quant.item_id, Quant.location_id, Quant.lot_key, Quant.on_hand,
               Quant.reserved)
        .where(
            Quant.is_virtual.is_(False),
            or_(
                Quant.item_id.in_(items) & Quant.location_id.in_(places),
                Quant.location_id.in_(bins),
            ),
        )
        .order_by(Quant.item_id, Quant.location_id, Quant.lot_key)
        .with_for_update()
    )  # fmt: skip
    for quant_id, item, place, lot_key, on_hand, reserved in rows.tuples():
        world.quants[(item, place, lot_key)] = [quant_id, on_hand, reserved]


async def _bin_moves(session: AsyncSession, bins: set[int], since: Any) -> list[Moved] | None:
    moves = await counting_book.moves_since(session, bins, since, limit=BIN_MOVES_CAP + 1)
    return None if len(moves) > BIN_MOVES_CAP else moves


async def _barcodes(session: AsyncSession, picks: Iterable[PickItem]) -> dict[str, set[int]]:
    forms = {f for c in picks if c.item_code is not None for f in gtin_forms(c.item_code)}
    found: dict[str, set[int]] = {}
    if forms:
        rows = await session.execute(
            select(ItemBarcode.code, ItemBarcode.item_id).where(
                ItemBarcode.code.in_(forms), ItemBarcode.active.is_(True)
            )
        )
        for code, item in rows.tuples():
            found.setdefault(code, set()).add(item)
    return found


async def _places(session: AsyncSession, ids: set[int]) -> dict[int, PlaceRules]:
    if not ids:
        return {}
    rows = await session.execute(
        select(Location.id, Location.code, Location.warehouse_id, Location.kind, Location.active)
        .where(Location.id.in_(ids))
    )  # fmt: skip
    return {row[0]: PlaceRules(*row) for row in rows.tuples()}


async def _items(session: AsyncSession, ids: set[int]) -> dict[int, ItemFacts]:
    if not ids:
        return {}
    rows = await session.execute(
        select(Item.id, Item.sku, Item.tracking, Item.active, Item.unit_cost)
        .where(Item.id.in_(ids))
    )  # fmt: skip
    return {
        i: ItemFacts(ItemRules(i, sku, tracking, active), cost)
        for i, sku, tracking, active, cost in rows.tuples()
    }


async def _lots(
    session: AsyncSession, world: World, ids: set[int], numbers: set[tuple[int, str]]
) -> None:
    if not ids and not numbers:
        return
    query = select(Lot.id, Lot.item_id, Lot.lot_number, Lot.expiry_date).where(
        or_(
            Lot.id.in_(ids),
            Lot.item_id.in_({i for i, _ in numbers}) & Lot.lot_number.in_({n for _, n in numbers}),
        )
    )
    for lot_id, item, number, expiry in (await session.execute(query)).tuples():
        world.lots[lot_id] = LotFacts(lot_id, item, number, expiry)
        world.lot_numbers[(item, number)] = lot_id
