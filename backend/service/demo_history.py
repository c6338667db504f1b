"""A year of order and shipment history for a demo warehouse, through the real ledger.

`demo_history_sim` decides what happened; this module has it written day by day: sales
orders with their lines (short where stock ran out) and the day's shipment
(`demo_history_outbound`), purchase orders with their receipts and putaways
(`demo_history_inbound`), and the tasks and document history of each, all dated in the
past. Stock moves go through `ledger.post_moves`, one command per day and kind of work (one
per purchase order for receipts) carrying many lines, each command holding the digest of its
moves like any other, so the ledger verifies and the stock stays exact. Documents are
inserted in bulk. Weekly cycle counts follow, through the counting code
(`demo_history_counts`). Reorder rules are set for the items with history.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import numpy as np
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.db.models import (
    Customer,
    DocumentCounter,
    Item,
    ItemBarcode,
    Location,
    Quant,
    ReorderRule,
    Supplier,
    User,
    UserWarehouse,
)
from backend.db.upsert import dialect_insert
from backend.domain.errors import InvalidRequest
from backend.service.commands import touch_device
from backend.service.demo_history_counts import load_counts
from backend.service.demo_history_inbound import purchase_order, put_away, receive
from backend.service.demo_history_outbound import sales_orders, ship
from backend.service.demo_history_patterns import MIX
from backend.service.demo_history_sim import DayPlan, SimItem, Simulation, simulate
from backend.service.demo_history_write import DEVICE, Context, Written, at
from backend.service.documents import PREFIXES
from backend.service.receiving import location_for
from backend.service.warehouses import virtual_location

HISTORY_DAYS = 365
HISTORY_ITEMS = sum(count for _, count in MIX)
DAYS_PER_TRANSACTION = 30
# Which demo supplier sells each category (by SKU prefix); others take turns.
CATEGORY_SUPPLIER = {"HAR": "TOOLS", "CLE": "ACME", "STA": "ACME", "PAC": "PACK"}
DEFAULT_LEAD_TIME = 7
# Service level of the reorder rules set at the end: z for about 95 %.
RULE_Z = 1.65


async def load_history(
    sessions: async_sessionmaker[AsyncSession],
    warehouse_id: int,
    *,
    days: int = HISTORY_DAYS,
    items: int = HISTORY_ITEMS,
    seed: int = 20261127,
    today: dt.date | None = None,
    progress: Callable[[str], Any] = lambda _: None,
) -> dict[str, Any]:
    """Write `days` days of history, up to yesterday, for up to `items` untracked items in
    stock in the warehouse. Needs a receiving location, customers and suppliers; every sale
    takes stock that is there, so it can run on any warehouse."""
    started = time.perf_counter()
    today = today or dt.datetime.now(dt.UTC).date()
    dates = [today - dt.timedelta(days=days - i) for i in range(days)]
    async with sessions() as session, session.begin():
        context, sim_items = await _context(session, warehouse_id, items, seed)
        await touch_device(session, DEVICE, context.floor_user)
    sim = simulate(sim_items, dates, context.customers, seed)
    progress(
        f"history: simulated {days} days for {len(sim_items)} items "
        f"({len(sim.lines)} order lines, {len(sim.purchases)} purchase orders)"
    )
    async with sessions() as session, session.begin():
        written = Written(await _reserve_numbers(session, sim))
    for start in range(0, days, DAYS_PER_TRANSACTION):
        async with sessions() as session, session.begin():
            for plan in sim.days[start : start + DAYS_PER_TRANSACTION]:
                await _write_day(session, context, sim, plan, written)
        done = min(days, start + DAYS_PER_TRANSACTION)
        progress(
            f"history: {sim.days[done - 1].date} ({done}/{days} days, "
            f"{written.counts['sales_orders']} sales orders, {written.counts['moves']} moves)"
        )
    counts = await load_counts(sessions, warehouse_id, dates, seed=seed, progress=progress)
    async with sessions() as session, session.begin():
        rules = await _reorder_rules(session, context, sim)
    lines = sim.lines
    return {
        "days": days,
        "from": str(dates[0]),
        "to": str(dates[-1]),
        "items": len(sim_items),
        "sales_orders": written.counts["sales_orders"],
        "order_lines": len(lines),
        "short_lines": sum(1 for line in lines if line.short),
        "shipments": written.counts["shipments"],
        "purchase_orders": len(sim.purchases),
        "purchase_orders_open": sum(1 for p in sim.purchases if p.arrival_day >= days),
        "moves": written.counts["moves"],
        "reorder_rules": rules,
        "counts": counts,
        "seconds": round(time.perf_counter() - started, 1),
    }


async def _context(
    session: AsyncSession, warehouse_id: int, wanted: int, seed: int
) -> tuple[Context, list[SimItem]]:
    receiving = await location_for(session, warehouse_id, "receiving")
    supplier_place = await virtual_location(session, warehouse_id, "supplier")
    customer_place = await virtual_location(session, warehouse_id, "customer")
    office = (
        await session.execute(
            select(User.id)
            .where(User.active.is_(True), User.role.in_(("admin", "supervisor")))
            .order_by(User.role, User.id)
            .limit(1)
        )
    ).scalar()
    floor = (
        await session.execute(
            select(User.id)
            .join(UserWarehouse, UserWarehouse.user_id == User.id)
            .where(
                User.active.is_(True),
                User.role == "worker",
                UserWarehouse.warehouse_id == warehouse_id,
            )
            .order_by(User.id)
            .limit(1)
        )
    ).scalar()
    customers = list(
        (
            await session.execute(
                select(Customer.id).where(Customer.active.is_(True)).order_by(Customer.id)
            )
        ).scalars()
    )
    suppliers = (
        await session.execute(
            select(Supplier.id, Supplier.code, Supplier.lead_time_days)
            .where(Supplier.active.is_(True))
            .order_by(Supplier.id)
        )
    ).all()
    if office is None or not customers or not suppliers:
        raise InvalidRequest("a history needs an admin or supervisor, customers and suppliers")
    rnd = random.Random(seed)
    stocked = await _stocked_items(session, warehouse_id)
    chosen = sorted(rnd.sample(sorted(stocked), min(wanted, len(stocked))))
    if not chosen:
        raise InvalidRequest("a history needs untracked items in stock in storage bins")
    info = {
        row.id: row
        for row in await session.execute(
            select(Item.id, Item.sku, Item.unit_cost).where(Item.id.in_(chosen))
        )
    }
    packs = dict(
        (
            await session.execute(
                select(ItemBarcode.item_id, func.max(ItemBarcode.quantity))
                .where(
                    ItemBarcode.item_id.in_(chosen),
                    ItemBarcode.packaging == "case",
                    ItemBarcode.active.is_(True),
                )
                .group_by(ItemBarcode.item_id)
            )
        )
        .tuples()
        .all()
    )
    by_code = {s.code: s for s in suppliers}
    sim_items = []
    for n, item_id in enumerate(chosen):
        supplier = (
            by_code.get(CATEGORY_SUPPLIER.get(info[item_id].sku[:3], ""))
            or suppliers[n % len(suppliers)]
        )
        sim_items.append(
            SimItem(
                item_id,
                supplier.id,
                supplier.lead_time_days or DEFAULT_LEAD_TIME,
                int(packs.get(item_id) or 1),
                stocked[item_id],
            )
        )
    context = Context(
        warehouse_id,
        receiving.id,
        supplier_place.id,
        customer_place.id,
        office,
        floor or office,
        customers,
        {i: Decimal(info[i].unit_cost) for i in chosen},
        rnd,
    )
    return context, sim_items


async def _stocked_items(
    session: AsyncSession, warehouse_id: int
) -> dict[int, tuple[tuple[int, int], ...]]:
    """Untracked active items with available stock in storage bins, and where it is."""
    rows = await session.execute(
        select(Quant.item_id, Quant.location_id, Quant.on_hand - Quant.reserved)
        .join(Item, Item.id == Quant.item_id)
        .join(Location, Location.id == Quant.location_id)
        .where(
            Quant.warehouse_id == warehouse_id,
            Quant.on_hand > Quant.reserved,
            Item.tracking == "none",
            Item.active.is_(True),
            Location.kind == "bin",
            Location.purpose.is_(None),
            Location.active.is_(True),
        )
        .order_by(Quant.item_id, Quant.id)
    )
    found: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for item_id, location_id, available in rows.tuples():
        found[item_id].append((location_id, int(available)))
    return {item_id: tuple(bins) for item_id, bins in found.items()}


async def _reserve_numbers(session: AsyncSession, sim: Simulation) -> dict[str, Iterator[str]]:
    """Document numbers for everything the history writes, taken in one step per kind."""
    days = len(sim.days)
    needed = {
        "sales_order": sum(len(d.orders) for d in sim.days),
        "shipment": sum(1 for d in sim.days for o in d.orders if any(ln.served for ln in o.lines)),
        "purchase_order": len(sim.purchases),
        "receipt": sum(len(p.lines) for p in sim.purchases if p.arrival_day < days),
        "task": sum(bool(d.putaways) for d in sim.days) + len(sim.purchases),
    }
    numbers: dict[str, Iterator[str]] = {}
    for kind, count in needed.items():
        last = 0
        if count:
            statement = dialect_insert(session)(DocumentCounter).values(kind=kind, last_value=count)
            statement = statement.on_conflict_do_update(
                index_elements=[DocumentCounter.kind],
                set_={"last_value": DocumentCounter.last_value + count},
            ).returning(DocumentCounter.last_value)
            last = int((await session.execute(statement)).scalar_one())
        numbers[kind] = iter(
            [f"{PREFIXES[kind]}{n:06d}" for n in range(last - count + 1, last + 1)]
        )
    return numbers


async def _write_day(
    session: AsyncSession, ctx: Context, sim: Simulation, plan: DayPlan, written: Written
) -> None:
    for k, index in enumerate(plan.arrivals):
        await receive(
            session, ctx, sim.purchases[index], index, at(plan.date, 450 + 10 * k), written
        )
    if plan.putaways:
        await put_away(session, ctx, plan, written)
    order_ids = await sales_orders(session, ctx, plan, written)
    if plan.picks:
        await ship(session, ctx, plan, order_ids, written)
    for k, index in enumerate(plan.placed):
        await purchase_order(
            session, ctx, sim, index, at(plan.date, 600 + 5 * k), len(sim.days), written
        )


async def _reorder_rules(session: AsyncSession, ctx: Context, sim: Simulation) -> int:
    """A reorder rule for each item with history that has none: safety stock for about a
    95 % service level over the lead time, consumption of the last 30 days, and an
    order-up-to level two weeks of demand above the minimum."""
    item_ids = [item.item_id for item in sim.items]
    existing = set(
        (
            await session.execute(
                select(ReorderRule.item_id).where(
                    ReorderRule.warehouse_id == ctx.warehouse_id,
                    ReorderRule.item_id.in_(item_ids),
                )
            )
        ).scalars()
    )
    rows = []
    for row, item in enumerate(sim.items):
        if item.item_id in existing:
            continue
        recent = sim.demand[row, -90:].astype(float)
        daily = Decimal(str(round(float(recent[-30:].mean()), 4)))
        safety = math.ceil(RULE_Z * float(np.std(recent)) * math.sqrt(item.lead_time))
        minimum = safety + math.ceil(daily * item.lead_time)
        rows.append(
            {
                "item_id": item.item_id,
                "warehouse_id": ctx.warehouse_id,
                "safety_stock": safety,
                "daily_consumption": daily,
                "consumption_days": 30,
                "lead_time_days": item.lead_time,
                "max_quantity": minimum + math.ceil(daily * 14),
                "include_on_order": True,
                "created_by": ctx.office_user,
            }
        )
    if rows:
        await session.execute(insert(ReorderRule), rows)
    return len(rows)
