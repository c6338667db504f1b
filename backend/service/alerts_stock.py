"""Low stock: one alert per item and warehouse while available stock is under the minimum of
its reorder rule, resolved once it is back at or above it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import ReorderRule
from backend.service import reorder
from backend.service.alerts_store import Draft, open_alert, resolve_alert
from backend.service.reorder import Pair, RuleState

if TYPE_CHECKING:
    from backend.service.alerts import Touched

KIND = "low_stock"


def subject(item_id: int) -> str:
    return f"item:{item_id}"


def draft(state: RuleState) -> Draft:
    q = state.quantities()
    body = (
        f"{state.item_name}: {q['available']} {state.unit} available (on hand {q['on_hand']}, "
        f"reserved {q['reserved']}"
        + (f", on order {q['on_order']}" if state.rule.include_on_order else "")
        + f"), minimum {q['minimum']}."
        + (f" Order {q['suggested_order']}." if q["suggested_order"] else "")
    )
    return Draft(
        kind=KIND,
        warehouse_id=state.rule.warehouse_id,
        subject=subject(state.rule.item_id),
        title=f"Low stock: {state.sku} in {state.warehouse_code}",
        body=body,
        url=f"/#/items/{state.rule.item_id}",
        details={
            "item": {"id": state.rule.item_id, "sku": state.sku, "name": state.item_name},
            "quantities": q,
            "rule_id": state.rule.id,
        },
        item_id=state.rule.item_id,
    )


async def judge(
    session: AsyncSession, rules: Sequence[ReorderRule], *, command_id: int | None = None
) -> list[RuleState]:
    """Open or resolve the low-stock alert of each rule by its state now."""
    found = await reorder.states(session, rules)
    for state in found:
        if state.below:
            await open_alert(session, draft(state), command_id=command_id)
        else:
            await resolve_alert(
                session,
                KIND,
                state.rule.warehouse_id,
                subject(state.rule.item_id),
                {"reason": "back at or above the minimum", "quantities": state.quantities()},
                command_id=command_id,
            )
    return found


async def stock_changed(
    session: AsyncSession, touched: Touched, *, command_id: int | None = None
) -> None:
    """After moves: judge the rules of the (item, warehouse) pairs they touched. A first look
    by item alone keeps a command on items without rules at one indexed query."""
    ruled = set(
        (
            await session.execute(
                select(ReorderRule.item_id, ReorderRule.warehouse_id).where(
                    ReorderRule.item_id.in_(touched.item_ids)
                )
            )
        )
        .tuples()
        .all()
    )
    if not ruled:
        return
    wanted = ruled & await touched.item_pairs()
    if wanted:
        rules = await reorder.rules_for_pairs(session, wanted, lock=True)
        await judge(session, rules, command_id=command_id)


async def availability_changed(
    session: AsyncSession, pairs: Iterable[Pair], *, command_id: int | None = None
) -> None:
    """For what changes availability without a move (reserving or releasing stock for an
    order, approving or closing a purchase order): judge these (item, warehouse) pairs."""
    rules = await reorder.rules_for_pairs(session, pairs, lock=True)
    if rules:
        await judge(session, rules, command_id=command_id)


async def rule_removed(
    session: AsyncSession, rule: ReorderRule, *, command_id: int | None = None
) -> None:
    await resolve_alert(
        session,
        KIND,
        rule.warehouse_id,
        subject(rule.item_id),
        {"reason": "the reorder rule was removed"},
        command_id=command_id,
    )
