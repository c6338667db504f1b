"""Replenishment: what to order for items below their reorder point, from a demand forecast,
and draft purchase orders made from the chosen suggestions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

import msgspec
from litestar import Controller, get, post
from litestar.params import FromQuery, JSONBody, Parameter

from backend.api.deps import CurrentActor, Db
from backend.api.guards import requires_supervisor
from backend.api.schemas import Id, Input, Output
from backend.service import replenishment

HistoryDays = Annotated[int, Parameter(ge=28, le=1095)]
Quantity = Annotated[int, msgspec.Meta(ge=1, le=1_000_000_000)]

SUGGESTIONS_DESCRIPTION = (
    "For each reorder rule of the warehouse whose available stock is below its minimum: "
    "the item's daily demand (units shipped per day plus units short on order lines, over "
    "`history_days`) is classified by ADI and CV² (Syntetos–Boylan: smooth, erratic, "
    "intermittent, lumpy) and forecast with the model for its class (AutoETS for smooth and "
    "erratic, TSB for intermittent, ADIDA for lumpy; statsforecast). Then\n\n"
    "- forecast over lead time = forecast daily demand summed over the lead time (the "
    "rule's, else the suggested supplier's)\n"
    "- need = forecast over lead time + safety stock − available (on hand − reserved) − "
    "on order\n"
    "- suggested quantity = need rounded up to whole packs; the pack is the item's case "
    "(the quantity of its barcode with packaging `case`), else 1, as the schema has no "
    "supplier pack size\n\n"
    "The supplier is the one of the item's latest purchase order. Items below the minimum "
    "whose need is not positive are listed under `covered`."
)


class SupplierOut(Output):
    id: int
    code: str
    name: str
    lead_time_days: int | None


class SuggestionOut(Output):
    item_id: int
    sku: str
    name: str
    unit: str
    warehouse_id: int
    warehouse_code: str
    rule_id: int
    demand_class: Literal["smooth", "erratic", "intermittent", "lumpy", "none"]
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
    supplier: SupplierOut | None
    supplier_source: Literal["last purchase order", "none"]
    order_by: dt.date
    expected_arrival: dt.date
    explanation: str


class SuggestionsOut(Output):
    warehouse_id: int
    warehouse_code: str
    generated_at: dt.datetime
    history_days: int
    rules: int
    below_minimum: int
    suggestions: list[SuggestionOut]
    covered: list[SuggestionOut]


class PickIn(Input):
    """Without `quantity` the suggested one; without `supplier_id` the supplier of the
    item's latest purchase order."""

    item_id: Id
    quantity: Quantity | None = None
    supplier_id: Id | None = None


class PurchaseOrdersIn(Input):
    warehouse_id: Id
    items: Annotated[list[PickIn], msgspec.Meta(min_length=1, max_length=500)]


class DraftOrderOut(Output):
    id: int
    number: str
    supplier_id: int
    status: str
    total_value: Decimal
    expected_date: dt.date | None
    lines: int


class ReplenishmentController(Controller):
    path = "/api/replenishment"
    tags = ["insight"]
    guards = [requires_supervisor]

    @get(
        "/suggestions",
        summary="Replenishment suggestions for the items below their reorder point, with the "
        "forecast, lead time, safety stock and stock figures behind each quantity",
        description=SUGGESTIONS_DESCRIPTION,
    )
    async def list_suggestions(
        self,
        db: Db,
        actor: CurrentActor,
        warehouse_id: FromQuery[int],
        history_days: FromQuery[HistoryDays] = 365,
    ) -> SuggestionsOut:
        found = await replenishment.suggestions(db, actor, warehouse_id, history_days=history_days)
        return msgspec.convert(found, SuggestionsOut, from_attributes=True)

    @post(
        "/purchase-orders",
        summary="Draft purchase orders, one per supplier, from chosen suggestions",
        description="Each item takes its suggested quantity and supplier unless the request "
        "gives them; the orders are drafts at the items' unit cost, to submit for approval "
        "as usual.",
    )
    async def create_orders(
        self, db: Db, actor: CurrentActor, data: JSONBody[PurchaseOrdersIn]
    ) -> list[DraftOrderOut]:
        picks = [replenishment.Pick(p.item_id, p.quantity, p.supplier_id) for p in data.items]
        async with db.begin():
            orders = await replenishment.create_purchase_orders(db, actor, data.warehouse_id, picks)
            counts = await replenishment.line_counts(db, [o.id for o in orders])
        return [
            DraftOrderOut(
                id=o.id,
                number=o.number,
                supplier_id=o.supplier_id,
                status=o.status,
                total_value=o.total_value,
                expected_date=o.expected_date,
                lines=counts.get(o.id, 0),
            )
            for o in orders
        ]
