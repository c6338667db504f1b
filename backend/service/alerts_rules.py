"""Keeping reorder rules: supervisors create, change and remove them for their warehouses.
Every change judges the rule at once, in the same transaction, so a new minimum above the
stock raises its alert (and one below resolves it) without waiting for a move."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import Item, ReorderRule
from backend.domain.actor import Actor
from backend.domain.errors import Conflict, NotFound
from backend.service import alerts_stock, reorder
from backend.service.catalog import warehouse_in_scope
from backend.service.reorder import RuleState

FIELDS = (
    "safety_stock",
    "daily_consumption",
    "consumption_days",
    "lead_time_days",
    "max_quantity",
    "include_on_order",
)


async def rule_in_scope(
    session: AsyncSession, actor: Actor, rule_id: int, *, lock: bool = False
) -> ReorderRule:
    query = select(ReorderRule).where(ReorderRule.id == rule_id)
    if lock:
        query = query.with_for_update()
    rule = (await session.execute(query)).scalar_one_or_none()
    if rule is None or not actor.may_access(rule.warehouse_id):
        raise NotFound("no such reorder rule", rule_id=rule_id)
    return rule


async def create_rule(session: AsyncSession, actor: Actor, data: Mapping[str, Any]) -> RuleState:
    await warehouse_in_scope(session, data["warehouse_id"], actor)
    if await session.get(Item, data["item_id"]) is None:
        raise NotFound("no such item", item_id=data["item_id"])
    taken = await session.scalar(
        select(ReorderRule.id).where(
            ReorderRule.item_id == data["item_id"],
            ReorderRule.warehouse_id == data["warehouse_id"],
        )
    )
    if taken is not None:
        raise Conflict(
            "this item already has a reorder rule in this warehouse: change that one",
            rule_id=taken,
        )
    rule = ReorderRule(
        item_id=data["item_id"],
        warehouse_id=data["warehouse_id"],
        created_by=actor.id,
        **{k: data[k] for k in FIELDS if k in data},
    )
    session.add(rule)
    await session.flush()
    return (await alerts_stock.judge(session, [rule]))[0]


async def update_rule(
    session: AsyncSession, actor: Actor, rule_id: int, changes: Mapping[str, Any]
) -> RuleState:
    rule = await rule_in_scope(session, actor, rule_id, lock=True)
    for key, value in changes.items():
        if key in FIELDS:
            setattr(rule, key, value)
    await session.flush()
    return (await alerts_stock.judge(session, [rule]))[0]


async def delete_rule(session: AsyncSession, actor: Actor, rule_id: int) -> None:
    rule = await rule_in_scope(session, actor, rule_id, lock=True)
    await alerts_stock.rule_removed(session, rule)
    await session.delete(rule)
    await session.flush()


def rules_query(
    actor: Actor, *, warehouse_id: int | None = None, item_id: int | None = None
) -> Select[Any]:
    query = select(ReorderRule).order_by(ReorderRule.warehouse_id, ReorderRule.item_id)
    if not actor.all_warehouses:
        query = query.where(ReorderRule.warehouse_id.in_(actor.warehouse_ids))
    if warehouse_id is not None:
        query = query.where(ReorderRule.warehouse_id == warehouse_id)
    if item_id is not None:
        query = query.where(ReorderRule.item_id == item_id)
    return query


async def list_states(
    session: AsyncSession,
    actor: Actor,
    *,
    warehouse_id: int | None = None,
    item_id: int | None = None,
    status: str | None = None,
) -> list[RuleState]:
    """Rules of the user's warehouses with their state now. Filtering by status needs the
    state of every rule, so paging happens after it."""
    rules = list(
        (
            await session.execute(rules_query(actor, warehouse_id=warehouse_id, item_id=item_id))
        ).scalars()
    )
    found = await reorder.states(session, rules)
    return [s for s in found if status is None or s.status == status]


async def rule_state(session: AsyncSession, actor: Actor, rule_id: int) -> RuleState:
    return (await reorder.states(session, [await rule_in_scope(session, actor, rule_id)]))[0]
