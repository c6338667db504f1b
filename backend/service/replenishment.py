"""Replenishment suggestions: what to order for the items below their reorder point, how
much, from whom, and the numbers that say why.

For each reorder rule of the warehouse whose stock is below its minimum (as the rule judges
it, see `reorder`):

    forecast over lead time = forecast daily demand summed over the lead time
    need                    = forecast over lead time + safety stock − available − on order
    suggested quantity      = need rounded up to whole packs (nothing when need ≤ 0)

available = on hand − reserved; on order = what approved purchase orders still bring. The
lead time is the rule's, or the supplier's when the rule has none. The schema has no pack
size per supplier, so the pack is the item's case (its barcode with packaging "case" counts
the units in one), else 1. The supplier suggested is the one of the item's latest purchase
order.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from typing import Literal

import anyio.to_thread
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import (
    Item,
    ItemBarcode,
    PurchaseOrder,
    PurchaseOrderLine,
    ReorderRule,
    Supplier,
    Warehouse,
    utcnow,
)
from backend.domain.actor import Actor
from backend.domain.errors import InvalidRequest, NotFound
from backend.service import purchasing, reorder
from backend.service.forecast import Forecast, forecast
from backend.service.forecast_history import DEFAULT_DAYS, DemandHistory, demand_history
from backend.service.reorder import RuleState

UNITS = Decimal("0.01")


@dataclass(frozen=True)
class SupplierRef:
    id: int
    code: str
    name: str
    lead_time_days: int | None


@dataclass(frozen=True)
class OrderNeed:
    """The arithmetic of one suggestion, kept apart so it can be checked by hand."""

    forecast_over_lead_time: Decimal
    safety_stock: int
    available: int
    on_order: int
    pack_size: int

    @property
    def need(self) -> Decimal:
        return self.forecast_over_lead_time + self.safety_stock - self.available - self.on_order

    @property
    def packs(self) -> int:
        if self.need <= 0:
            return 0
        return int((self.need / self.pack_size).to_integral_value(ROUND_CEILING))

    @property
    def quantity(self) -> int:
        return self.packs * self.pack_size


def over_lead_time(made: Forecast, lead_time_days: int) -> Decimal:
    """Units forecast over the lead time, to two places."""
    return Decimal(str(made.over(lead_time_days))).quantize(UNITS)


@dataclass(frozen=True)
class Suggestion:
    item_id: int
    sku: str
    name: str
    unit: str
    warehouse_id: int
    warehouse_code: str
    rule_id: int
    demand_class: str
    model: str
    adi: float | None
    cv2: float | None
    series_days: int
    demand_days: int
    stockout_days: int
    forecast_daily: Decimal
    lead_time_days: int
    lead_time_source: Literal["rule", "supplier", "none"]
    forecast_over_lead_time: Decimal
    safety_stock: int
    minimum: int
    on_hand: int
    reserved: int
    available: int
    on_order: int
    need: Decimal
    pack_size: int
    pack_source: Literal["case", "unit"]
    packs: int
    suggested_quantity: int
    unit_cost: Decimal
    value: Decimal
    supplier: SupplierRef | None
    supplier_source: Literal["last purchase order", "none"]
    order_by: dt.date
    expected_arrival: dt.date
    explanation: str


@dataclass(frozen=True)
class Suggestions:
    warehouse_id: int
    warehouse_code: str
    generated_at: dt.datetime
    history_days: int
    rules: int
    below_minimum: int
    suggestions: list[Suggestion]
    # Below the minimum, yet forecast demand is covered by stock and open orders.
    covered: list[Suggestion]


async def suggestions(
    session: AsyncSession,
    actor: Actor,
    warehouse_id: int,
    *,
    item_ids: Collection[int] | None = None,
    history_days: int = DEFAULT_DAYS,
    today: dt.date | None = None,
) -> Suggestions:
    actor.require_role("supervisor")
    actor.require_warehouse(warehouse_id)
    warehouse = await session.get(Warehouse, warehouse_id)
    if warehouse is None:
        raise NotFound("no such warehouse", warehouse_id=warehouse_id)
    query = select(ReorderRule).where(ReorderRule.warehouse_id == warehouse_id)
    if item_ids is not None:
        query = query.where(ReorderRule.item_id.in_(sorted(set(item_ids))))
    rules = list((await session.execute(query.order_by(ReorderRule.id))).scalars())
    below = [s for s in await reorder.states(session, rules) if s.below]
    today = today or utcnow().date()
    found: list[Suggestion] = []
    if below:
        ids = [s.rule.item_id for s in below]
        history = await demand_history(session, warehouse_id, ids, days=history_days, until=today)
        suppliers = await preferred_suppliers(session, ids, warehouse_id)
        packs = await pack_sizes(session, ids)
        costs = dict(
            (await session.execute(select(Item.id, Item.unit_cost).where(Item.id.in_(ids))))
            .tuples()
            .all()
        )
        leads = {s.rule.item_id: _lead_time(s.rule, suppliers.get(s.rule.item_id)) for s in below}
        forecasts = await anyio.to_thread.run_sync(_forecast_all, history, leads)
        for state in below:
            item_id = state.rule.item_id
            found.append(
                _suggestion(
                    state,
                    forecasts[item_id],
                    history,
                    leads[item_id],
                    packs.get(item_id, 1),
                    Decimal(costs[item_id]),
                    suppliers.get(item_id),
                    today,
                )
            )
    return Suggestions(
        warehouse_id=warehouse_id,
        warehouse_code=warehouse.code,
        generated_at=utcnow(),
        history_days=history_days,
        rules=len(rules),
        below_minimum=len(below),
        suggestions=[s for s in found if s.suggested_quantity > 0],
        covered=[s for s in found if s.suggested_quantity == 0],
    )


def _forecast_all(history: DemandHistory, leads: dict[int, tuple[int, str]]) -> dict[int, Forecast]:
    """CPU work, run off the event loop: one forecast per item over its lead time."""
    return {
        item_id: forecast(history.demand(item_id), max(1, lead))
        for item_id, (lead, _) in leads.items()
    }


def _lead_time(rule: ReorderRule, supplier: SupplierRef | None) -> tuple[int, str]:
    if rule.lead_time_days > 0:
        return rule.lead_time_days, "rule"
    if supplier is not None and supplier.lead_time_days:
        return supplier.lead_time_days, "supplier"
    return 0, "none"


def _suggestion(
    state: RuleState,
    made: Forecast,
    history: DemandHistory,
    lead: tuple[int, str],
    pack: int,
    unit_cost: Decimal,
    supplier: SupplierRef | None,
    today: dt.date,
) -> Suggestion:
    lead_time, lead_source = lead
    available = state.on_hand - state.reserved
    need = OrderNeed(
        over_lead_time(made, lead_time), state.rule.safety_stock, available, state.on_order, pack
    )
    daily = Decimal(str(made.mean_daily)).quantize(Decimal("0.001"))
    pack_source: Literal["case", "unit"] = "case" if pack > 1 else "unit"
    stockouts = history.stockout_days(state.rule.item_id)
    short = f" (with the units short on {stockouts} days)" if stockouts else ""
    explanation = (
        f"{made.model} forecast for {made.demand_class} demand{short}: {daily} "
        f"{state.unit}/day, {need.forecast_over_lead_time} over the {lead_time}-day lead "
        f"time; + safety stock {need.safety_stock} − available {available} (on hand "
        f"{state.on_hand} − reserved {state.reserved}) − on order {state.on_order} = need "
        f"{need.need}"
    )
    if need.quantity:
        packing = "case" if pack > 1 else "no case packaging: single units"
        explanation += f"; rounded up to {need.packs} × {pack} ({packing}) = order {need.quantity}"
    else:
        explanation += ": stock and open orders cover the lead time, nothing to order"
    return Suggestion(
        item_id=state.rule.item_id,
        sku=state.sku,
        name=state.item_name,
        unit=state.unit,
        warehouse_id=state.rule.warehouse_id,
        warehouse_code=state.warehouse_code,
        rule_id=state.rule.id,
        demand_class=made.demand_class,
        model=made.model,
        adi=made.adi,
        cv2=made.cv2,
        series_days=made.history_days,
        demand_days=made.demand_days,
        stockout_days=stockouts,
        forecast_daily=daily,
        lead_time_days=lead_time,
        lead_time_source=lead_source,  # type: ignore[arg-type]
        forecast_over_lead_time=need.forecast_over_lead_time,
        safety_stock=need.safety_stock,
        minimum=state.minimum,
        on_hand=state.on_hand,
        reserved=state.reserved,
        available=available,
        on_order=state.on_order,
        need=need.need,
        pack_size=pack,
        pack_source=pack_source,
        packs=need.packs,
        suggested_quantity=need.quantity,
        unit_cost=unit_cost,
        value=(unit_cost * need.quantity).quantize(UNITS),
        supplier=supplier,
        supplier_source="last purchase order" if supplier else "none",
        order_by=today,
        expected_arrival=today + dt.timedelta(days=lead_time),
        explanation=explanation,
    )


async def preferred_suppliers(
    session: AsyncSession, item_ids: Collection[int], warehouse_id: int
) -> dict[int, SupplierRef]:
    """The supplier of each item's latest purchase order (this warehouse's first, then any
    other's), cancelled and rejected orders aside."""
    rows = await session.execute(
        select(
            PurchaseOrderLine.item_id,
            PurchaseOrder.warehouse_id,
            Supplier.id,
            Supplier.code,
            Supplier.name,
            Supplier.lead_time_days,
        )
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.order_id)
        .join(Supplier, Supplier.id == PurchaseOrder.supplier_id)
        .where(
            PurchaseOrderLine.item_id.in_(sorted(set(item_ids))),
            PurchaseOrder.status.not_in(("cancelled", "rejected")),
            Supplier.active.is_(True),
        )
        .order_by(PurchaseOrder.created_at.desc(), PurchaseOrder.id.desc())
    )
    here: dict[int, SupplierRef] = {}
    elsewhere: dict[int, SupplierRef] = {}
    for item_id, wid, sid, code, name, lead in rows.tuples():
        target = here if wid == warehouse_id else elsewhere
        target.setdefault(item_id, SupplierRef(sid, code, name, lead))
    return {**elsewhere, **here}


async def pack_sizes(session: AsyncSession, item_ids: Collection[int]) -> dict[int, int]:
    """Units in the item's case, where it has case packaging."""
    rows = await session.execute(
        select(ItemBarcode.item_id, func.max(ItemBarcode.quantity))
        .where(
            ItemBarcode.item_id.in_(sorted(set(item_ids))),
            ItemBarcode.packaging == "case",
            ItemBarcode.active.is_(True),
        )
        .group_by(ItemBarcode.item_id)
    )
    return {item_id: int(quantity) for item_id, quantity in rows.tuples() if quantity > 1}


@dataclass(frozen=True)
class Pick:
    """A suggestion chosen to order; `quantity` and `supplier_id` override the suggestion's."""

    item_id: int
    quantity: int | None = None
    supplier_id: int | None = None


async def create_purchase_orders(
    session: AsyncSession,
    actor: Actor,
    warehouse_id: int,
    picks: Sequence[Pick],
    *,
    today: dt.date | None = None,
) -> list[PurchaseOrder]:
    """Draft purchase orders, one per supplier, for the chosen suggestions, at each item's
    unit cost; they go through approval like any other order."""
    if not picks:
        raise InvalidRequest("choose at least one suggestion")
    if len({p.item_id for p in picks}) != len(picks):
        raise InvalidRequest("an item is listed twice")
    today = today or utcnow().date()
    found = await suggestions(
        session, actor, warehouse_id, item_ids=[p.item_id for p in picks], today=today
    )
    by_item = {s.item_id: s for s in [*found.suggestions, *found.covered]}
    costs = dict(
        (
            await session.execute(
                select(Item.id, Item.unit_cost).where(Item.id.in_([p.item_id for p in picks]))
            )
        )
        .tuples()
        .all()
    )
    # supplier → (item, quantity, lead time)
    grouped: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    for pick in picks:
        if pick.item_id not in costs:
            raise NotFound("no such item", item_id=pick.item_id)
        suggestion = by_item.get(pick.item_id)
        quantity = pick.quantity
        if quantity is None:
            quantity = suggestion.suggested_quantity if suggestion else 0
        if quantity <= 0:
            raise InvalidRequest(
                "nothing is suggested for this item now: give a quantity", item_id=pick.item_id
            )
        supplier_id = pick.supplier_id
        if supplier_id is None and suggestion is not None and suggestion.supplier is not None:
            supplier_id = suggestion.supplier.id
        if supplier_id is None:
            raise InvalidRequest(
                "this item has no purchase order to take a supplier from: give a supplier_id",
                item_id=pick.item_id,
            )
        lead = suggestion.lead_time_days if suggestion else 0
        grouped[supplier_id].append((pick.item_id, quantity, lead))
    orders = []
    for supplier_id, lines in sorted(grouped.items()):
        supplier = await session.get(Supplier, supplier_id)
        lead = max([lt for _, _, lt in lines] + [(supplier.lead_time_days or 0) if supplier else 0])
        orders.append(
            await purchasing.create_order(
                session,
                actor,
                supplier_id=supplier_id,
                warehouse_id=warehouse_id,
                expected_date=today + dt.timedelta(days=lead),
                note="From replenishment suggestions",
                lines=[
                    purchasing.OrderLine(item_id, quantity, Decimal(costs[item_id]))
                    for item_id, quantity, _ in lines
                ],
            )
        )
    return orders


async def line_counts(session: AsyncSession, order_ids: Collection[int]) -> dict[int, int]:
    rows = await session.execute(
        select(PurchaseOrderLine.order_id, func.count())
        .where(PurchaseOrderLine.order_id.in_(sorted(set(order_ids))))
        .group_by(PurchaseOrderLine.order_id)
    )
    return {order_id: int(n) for order_id, n in rows.tuples()}
