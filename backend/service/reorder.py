"""Reorder rules and what they say about stock now: the figures and the state of each rule.

minimum = safety stock + ceil(daily consumption × lead time in days)
available = on hand − reserved (+ open purchase-order quantity, when the rule says so)

A rule is `below` when available stock is under its minimum; an order then brings stock up to
`max_quantity` (order-up-to), or to the minimum when no maximum is set.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from typing import Any, Literal

from sqlalchemy import func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import (
    Item,
    Location,
    PurchaseOrder,
    PurchaseOrderLine,
    Quant,
    ReorderRule,
    StockMove,
    Warehouse,
    utcnow,
)
from backend.domain.vocabulary import RECEIVABLE_PO_STATUSES

Pair = tuple[int, int]  # item, warehouse
CONSUMPTION_PLACES = Decimal("0.0001")


def minimum_stock(safety_stock: int, daily_consumption: Decimal, lead_time_days: int) -> int:
    """The seed's formula; consumption over the lead time is rounded up to whole units."""
    over_lead_time = (daily_consumption * lead_time_days).to_integral_value(ROUND_CEILING)
    return safety_stock + int(over_lead_time)


def daily_rate(shipped: int, days: int) -> Decimal:
    return (Decimal(shipped) / days).quantize(CONSUMPTION_PLACES)


@dataclass(frozen=True)
class RuleState:
    rule: ReorderRule
    sku: str
    item_name: str
    unit: str
    warehouse_code: str
    daily_consumption: Decimal
    consumption_source: Literal["set", "computed"]
    on_hand: int
    reserved: int
    on_order: int

    @property
    def minimum(self) -> int:
        return minimum_stock(
            self.rule.safety_stock, self.daily_consumption, self.rule.lead_time_days
        )

    @property
    def available(self) -> int:
        extra = self.on_order if self.rule.include_on_order else 0
        return self.on_hand - self.reserved + extra

    @property
    def below(self) -> bool:
        return self.available < self.minimum

    @property
    def status(self) -> Literal["below", "ok"]:
        return "below" if self.below else "ok"

    @property
    def suggested_order(self) -> int:
        if not self.below:
            return 0
        target = self.rule.max_quantity
        if target is None or target < self.minimum:
            target = self.minimum
        return max(0, target - self.available)

    def quantities(self) -> dict[str, Any]:
        return {
            "available": self.available,
            "on_hand": self.on_hand,
            "reserved": self.reserved,
            "on_order": self.on_order,
            "minimum": self.minimum,
            "maximum": self.rule.max_quantity,
            "suggested_order": self.suggested_order,
            "unit": self.unit,
        }


async def rules_for_pairs(
    session: AsyncSession, pairs: Iterable[Pair], *, lock: bool = False
) -> list[ReorderRule]:
    """The rules of exactly these (item, warehouse) pairs, in id order. `lock` takes their
    rows FOR UPDATE: two commands on the same item and warehouse then judge it one after the
    other, each seeing the other's committed stock, so no crossing goes unnoticed."""
    wanted = sorted(set(pairs))
    if not wanted:
        return []
    query = (
        select(ReorderRule)
        .where(tuple_(ReorderRule.item_id, ReorderRule.warehouse_id).in_(wanted))
        .order_by(ReorderRule.id)
    )
    if lock:
        query = query.with_for_update()
    return list((await session.execute(query)).scalars())


async def states(
    session: AsyncSession, rules: Sequence[ReorderRule], now: dt.datetime | None = None
) -> list[RuleState]:
    """Each rule with its stock figures, in the order given."""
    if not rules:
        return []
    items = {r.item_id for r in rules}
    warehouses = {r.warehouse_id for r in rules}
    stock = await _stock(session, items, warehouses)
    on_order = await _on_order(session, items, warehouses)
    consumption = await _consumption(
        session, [r for r in rules if r.daily_consumption is None], now
    )
    names = {
        row.id: row
        for row in await session.execute(
            select(Item.id, Item.sku, Item.name, Item.unit).where(Item.id.in_(items))
        )
    }
    codes = dict(
        (
            await session.execute(
                select(Warehouse.id, Warehouse.code).where(Warehouse.id.in_(warehouses))
            )
        )
        .tuples()
        .all()
    )
    found = []
    for rule in rules:
        pair = (rule.item_id, rule.warehouse_id)
        on_hand, reserved = stock.get(pair, (0, 0))
        if rule.daily_consumption is not None:
            daily, source = rule.daily_consumption, "set"
        else:
            daily, source = consumption[rule.id], "computed"
        item = names[rule.item_id]
        found.append(
            RuleState(
                rule=rule,
                sku=item.sku,
                item_name=item.name,
                unit=item.unit,
                warehouse_code=codes[rule.warehouse_id],
                daily_consumption=daily,
                consumption_source=source,  # type: ignore[arg-type]
                on_hand=on_hand,
                reserved=reserved,
                on_order=on_order.get(pair, 0),
            )
        )
    return found


async def _stock(
    session: AsyncSession, items: set[int], warehouses: set[int]
) -> dict[Pair, tuple[int, int]]:
    rows = await session.execute(
        select(
            Quant.item_id,
            Quant.warehouse_id,
            func.coalesce(func.sum(Quant.on_hand), 0),
            func.coalesce(func.sum(Quant.reserved), 0),
        )
        .where(
            Quant.item_id.in_(items),
            Quant.warehouse_id.in_(warehouses),
            Quant.is_virtual.is_(False),
        )
        .group_by(Quant.item_id, Quant.warehouse_id)
    )
    return {(i, w): (int(h), int(r)) for i, w, h, r in rows.tuples()}


async def _on_order(
    session: AsyncSession, items: set[int], warehouses: set[int]
) -> dict[Pair, int]:
    """What approved purchase orders still bring: ordered less received, lines not closed."""
    remaining = PurchaseOrderLine.quantity - PurchaseOrderLine.received_quantity
    rows = await session.execute(
        select(PurchaseOrderLine.item_id, PurchaseOrder.warehouse_id, func.sum(remaining))
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.order_id)
        .where(
            PurchaseOrderLine.item_id.in_(items),
            PurchaseOrder.warehouse_id.in_(warehouses),
            PurchaseOrder.status.in_(RECEIVABLE_PO_STATUSES),
            PurchaseOrderLine.closed_short.is_(False),
            remaining > 0,
        )
        .group_by(PurchaseOrderLine.item_id, PurchaseOrder.warehouse_id)
    )
    return {(i, w): int(q) for i, w, q in rows.tuples()}


async def _consumption(
    session: AsyncSession, rules: Sequence[ReorderRule], now: dt.datetime | None
) -> dict[int, Decimal]:
    """Average daily shipments (moves to the warehouse's customer location) over each rule's
    last `consumption_days` days; one query per distinct window."""
    now = now or utcnow()
    by_days: dict[int, list[ReorderRule]] = defaultdict(list)
    for rule in rules:
        by_days[rule.consumption_days].append(rule)
    found: dict[int, Decimal] = {}
    for days, group in by_days.items():
        rows = await session.execute(
            select(StockMove.item_id, Location.warehouse_id, func.sum(StockMove.quantity))
            .join(Location, Location.id == StockMove.to_location_id)
            .where(
                StockMove.item_id.in_({r.item_id for r in group}),
                StockMove.occurred_at >= now - dt.timedelta(days=days),
                StockMove.occurred_at < now,
                Location.kind == "customer",
                Location.warehouse_id.in_({r.warehouse_id for r in group}),
            )
            .group_by(StockMove.item_id, Location.warehouse_id)
        )
        shipped = {(i, w): int(q) for i, w, q in rows.tuples()}
        for rule in group:
            found[rule.id] = daily_rate(shipped.get((rule.item_id, rule.warehouse_id), 0), days)
    return found
