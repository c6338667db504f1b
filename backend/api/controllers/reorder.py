"""Reorder rules: minimum and order-up-to levels per item and warehouse, with the state of
each now (available stock against the minimum)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

import msgspec
from litestar import Controller, delete, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody
from msgspec import UNSET, UnsetType

from backend.api.controllers.convert import changes
from backend.api.deps import CurrentActor, Db, Limit, Offset
from backend.api.guards import requires_supervisor
from backend.api.schemas import Input, Output, Page
from backend.domain.errors import InvalidRequest
from backend.service import alerts_rules
from backend.service.reorder import RuleState

# A row id the database can hold (a larger one would fail as an overflow, not a 404).
RowId = Annotated[int, msgspec.Meta(ge=1, le=2**63 - 1)]

Units = Annotated[int, msgspec.Meta(ge=0, le=1_000_000_000)]
Days = Annotated[int, msgspec.Meta(ge=0, le=3650)]
Window = Annotated[int, msgspec.Meta(ge=1, le=3650)]
Rate = Annotated[
    Decimal, msgspec.Meta(description="units per day, non-negative, at most 4 decimal places")
]


def _check_rate(value: Decimal | UnsetType | None) -> None:
    if isinstance(value, Decimal) and not (
        value.is_finite() and 0 <= value < 10**10 and value == value.quantize(Decimal("0.0001"))
    ):
        raise InvalidRequest("daily_consumption must be between 0 and 9999999999.9999")


class RuleCreate(Input):
    item_id: RowId
    warehouse_id: RowId
    safety_stock: Units = 0
    lead_time_days: Days = 0
    daily_consumption: Rate | None = None
    consumption_days: Window = 30
    max_quantity: Units | None = None
    include_on_order: bool = False


class RuleUpdate(Input):
    safety_stock: Units | UnsetType = UNSET
    lead_time_days: Days | UnsetType = UNSET
    daily_consumption: Rate | UnsetType | None = UNSET
    consumption_days: Window | UnsetType = UNSET
    max_quantity: Units | UnsetType | None = UNSET
    include_on_order: bool | UnsetType = UNSET


class RuleOut(Output):
    id: int
    item_id: int
    sku: str
    item_name: str
    warehouse_id: int
    warehouse_code: str
    safety_stock: int
    lead_time_days: int
    daily_consumption: Decimal
    consumption_source: Literal["set", "computed"]
    consumption_days: int
    minimum: int
    max_quantity: int | None
    include_on_order: bool
    on_hand: int
    reserved: int
    on_order: int
    available: int
    status: Literal["below", "ok"]
    suggested_order: int


def rule_out(state: RuleState) -> RuleOut:
    rule = state.rule
    return RuleOut(
        id=rule.id,
        item_id=rule.item_id,
        sku=state.sku,
        item_name=state.item_name,
        warehouse_id=rule.warehouse_id,
        warehouse_code=state.warehouse_code,
        safety_stock=rule.safety_stock,
        lead_time_days=rule.lead_time_days,
        daily_consumption=state.daily_consumption,
        consumption_source=state.consumption_source,
        consumption_days=rule.consumption_days,
        minimum=state.minimum,
        max_quantity=rule.max_quantity,
        include_on_order=rule.include_on_order,
        on_hand=state.on_hand,
        reserved=state.reserved,
        on_order=state.on_order,
        available=state.available,
        status=state.status,
        suggested_order=state.suggested_order,
    )


class ReorderRuleController(Controller):
    path = "/api/reorder-rules"
    tags = ["alerts"]
    guards = [requires_supervisor]

    @get(
        "/",
        summary="Reorder rules of my warehouses with available stock, minimum and status",
        description="available = on hand − reserved (+ open purchase-order quantity when the "
        "rule includes it); minimum = safety stock + daily consumption × lead time; status "
        "`below` when available is under the minimum. `suggested_order` brings stock up to "
        "max_quantity (or the minimum).",
    )
    async def list_rules(
        self,
        db: Db,
        actor: CurrentActor,
        limit: Limit = 100,
        offset: Offset = 0,
        warehouse_id: FromQuery[int | None] = None,
        item_id: FromQuery[int | None] = None,
        status: FromQuery[Literal["below", "ok"] | None] = None,
    ) -> Page[RuleOut]:
        found = await alerts_rules.list_states(
            db, actor, warehouse_id=warehouse_id, item_id=item_id, status=status
        )
        return Page(
            items=[rule_out(s) for s in found[offset : offset + limit]],
            total=len(found),
            limit=limit,
            offset=offset,
        )

    @get("/{rule_id:int}", summary="One reorder rule with its state now")
    async def get_rule(self, db: Db, actor: CurrentActor, rule_id: FromPath[int]) -> RuleOut:
        return rule_out(await alerts_rules.rule_state(db, actor, rule_id))

    @post(
        "/",
        summary="Create the reorder rule of an item in a warehouse",
        description="Judged at once: stock already under the new minimum raises the "
        "low-stock alert. Without daily_consumption it is computed from the shipments of "
        "the last consumption_days days. 409 when the item has a rule in the warehouse.",
    )
    async def create_rule(self, db: Db, actor: CurrentActor, data: JSONBody[RuleCreate]) -> RuleOut:
        _check_rate(data.daily_consumption)
        async with db.begin():
            state = await alerts_rules.create_rule(db, actor, msgspec.structs.asdict(data))
        return rule_out(state)

    @patch("/{rule_id:int}", summary="Change a reorder rule; it is judged again at once")
    async def update_rule(
        self, db: Db, actor: CurrentActor, rule_id: FromPath[int], data: JSONBody[RuleUpdate]
    ) -> RuleOut:
        _check_rate(data.daily_consumption)
        async with db.begin():
            state = await alerts_rules.update_rule(db, actor, rule_id, changes(data))
        return rule_out(state)

    @delete(
        "/{rule_id:int}",
        summary="Remove a reorder rule; its open low-stock alert is resolved",
    )
    async def delete_rule(self, db: Db, actor: CurrentActor, rule_id: FromPath[int]) -> None:
        async with db.begin():
            await alerts_rules.delete_rule(db, actor, rule_id)
