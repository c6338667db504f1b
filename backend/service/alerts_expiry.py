"""Expiry: a lot with stock on the warehouse's shelves raises `near_expiry` within the policy's
days of its expiry date and `expired` from the day after it; both resolve when no stock of
the lot is left there (sold, scrapped, moved away), or near-expiry when it turns expired."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import Alert, Item, Lot, Quant
from backend.service import policies
from backend.service.alerts_store import Draft, open_alert, resolve_alert, warehouse_codes

if TYPE_CHECKING:
    from backend.service.alerts import Touched

NEAR, EXPIRED = "near_expiry", "expired"
LotPair = tuple[int, int]  # lot, warehouse


def subject(lot_id: int) -> str:
    return f"lot:{lot_id}"


def state(expiry: dt.date, on_hand: int, today: dt.date, days: int) -> str | None:
    """Which expiry alert the lot's stock calls for, if any."""
    if on_hand <= 0:
        return None
    if expiry < today:
        return EXPIRED
    if expiry <= today + dt.timedelta(days=days):
        return NEAR
    return None


async def lots_changed(
    session: AsyncSession, touched: Touched, *, command_id: int | None = None
) -> None:
    """After moves of lots: judge those within the near-expiry window or past it. (A lot
    beyond the window has no open alert, unless the window was just narrowed: setting the
    policy sweeps.)"""
    if not touched.lot_ids:
        return
    dated = await session.execute(
        select(Lot.id, Lot.expiry_date).where(
            Lot.id.in_(touched.lot_ids), Lot.expiry_date.is_not(None)
        )
    )
    expiries = {lot: expiry for lot, expiry in dated.tuples() if expiry is not None}
    if not expiries:
        return
    days = (await policies.alert_policy(session)).near_expiry_days
    horizon = dt.date.today() + dt.timedelta(days=days)
    soon = {lot for lot, expiry in expiries.items() if expiry <= horizon}
    if soon:
        wanted = {(lot, wh) for lot, wh in await touched.lot_pairs() if lot in soon}
        await judge(session, wanted, days=days, command_id=command_id, expiries=expiries)


async def judge(
    session: AsyncSession,
    pairs: set[LotPair],
    *,
    days: int,
    today: dt.date | None = None,
    command_id: int | None = None,
    expiries: dict[int, dt.date] | None = None,
) -> None:
    """Bring each (lot, warehouse) to the alert its stock calls for. Only a change of state
    writes: an alert already open for the right kind is left as it is."""
    if not pairs:
        return
    today = today or dt.date.today()
    lot_ids = {lot for lot, _ in pairs}
    if expiries is None:
        dated = await session.execute(select(Lot.id, Lot.expiry_date).where(Lot.id.in_(lot_ids)))
        expiries = {lot: expiry for lot, expiry in dated.tuples() if expiry is not None}
    stock = await session.execute(
        select(Quant.lot_id, Quant.warehouse_id, func.sum(Quant.on_hand))
        .where(Quant.lot_id.in_(lot_ids), Quant.is_virtual.is_(False))
        .group_by(Quant.lot_id, Quant.warehouse_id)
    )
    on_hand = {(lot, wh): int(q) for lot, wh, q in stock.tuples()}
    alerted = await session.execute(
        select(Alert.lot_id, Alert.warehouse_id, Alert.kind).where(
            Alert.kind.in_((NEAR, EXPIRED)), Alert.status == "open", Alert.lot_id.in_(lot_ids)
        )
    )
    open_now = {(lot, wh): kind for lot, wh, kind in alerted.tuples()}
    changes = []
    for lot_id, warehouse_id in sorted(pairs):
        if lot_id not in expiries:
            continue
        quantity = on_hand.get((lot_id, warehouse_id), 0)
        wanted = state(expiries[lot_id], quantity, today, days)
        current = open_now.get((lot_id, warehouse_id))
        if wanted != current:
            changes.append((lot_id, warehouse_id, quantity, wanted, current))
    if not changes:
        return
    lots = {
        row[0]: LotInfo(*row)
        for row in (
            await session.execute(
                select(
                    Lot.id, Lot.lot_number, Lot.expiry_date, Item.id, Item.sku, Item.name, Item.unit
                )
                .join(Item, Item.id == Lot.item_id)
                .where(Lot.id.in_({c[0] for c in changes}))
            )
        ).tuples()
    }
    codes = await warehouse_codes(session, {c[1] for c in changes})
    for lot_id, warehouse_id, quantity, wanted, current in changes:
        if current is not None:
            reason = "expired" if wanted == EXPIRED else "no stock of the lot left"
            if wanted is None and quantity > 0:
                reason = "outside the near-expiry window"
            await resolve_alert(
                session,
                current,
                warehouse_id,
                subject(lot_id),
                {"reason": reason, "on_hand": quantity},
                command_id=command_id,
            )
        if wanted is not None:
            lot = lots[lot_id]
            days_left = (expiries[lot_id] - today).days
            await open_alert(
                session,
                _draft(wanted, lot, warehouse_id, codes[warehouse_id], quantity, days_left),
                command_id=command_id,
            )


@dataclass(frozen=True)
class LotInfo:
    id: int
    number: str
    expiry_date: dt.date | None
    item_id: int
    sku: str
    name: str
    unit: str


def _draft(
    kind: str, lot: LotInfo, warehouse_id: int, code: str, quantity: int, days_left: int
) -> Draft:
    expiry = lot.expiry_date.isoformat() if lot.expiry_date else ""
    if kind == EXPIRED:
        title = f"Expired: {lot.sku} lot {lot.number} in {code}"
        body = f"{lot.name}, lot {lot.number}: {quantity} {lot.unit} on hand expired on {expiry}."
    else:
        title = f"Expiring soon: {lot.sku} lot {lot.number} in {code}"
        body = (
            f"{lot.name}, lot {lot.number}: {quantity} {lot.unit} on hand expire on "
            f"{expiry} ({days_left} days)."
        )
    return Draft(
        kind=kind,
        warehouse_id=warehouse_id,
        subject=subject(lot.id),
        title=title,
        body=body,
        url=f"/#/items/{lot.item_id}",
        details={
            "item": {"id": lot.item_id, "sku": lot.sku, "name": lot.name},
            "lot": {"id": lot.id, "number": lot.number, "expiry_date": expiry},
            "quantities": {"on_hand": quantity, "days_left": days_left, "unit": lot.unit},
        },
        item_id=lot.item_id,
        lot_id=lot.id,
    )


async def sweep(session: AsyncSession, today: dt.date | None = None) -> None:
    """Every lot in stock near or past expiry, and every open expiry alert, judged afresh:
    what the passing of days (or a changed policy) brings without any move."""
    today = today or dt.date.today()
    days = (await policies.alert_policy(session)).near_expiry_days
    in_stock = await session.execute(
        select(Quant.lot_id, Quant.warehouse_id)
        .join(Lot, Lot.id == Quant.lot_id)
        .where(
            Quant.is_virtual.is_(False),
            Quant.on_hand > 0,
            Lot.expiry_date <= today + dt.timedelta(days=days),
        )
        .distinct()
    )
    alerted = await session.execute(
        select(Alert.lot_id, Alert.warehouse_id).where(
            Alert.kind.in_((NEAR, EXPIRED)), Alert.status == "open", Alert.lot_id.is_not(None)
        )
    )
    pairs = {(lot, wh) for lot, wh in (*in_stock.tuples(), *alerted.tuples()) if lot is not None}
    await judge(session, pairs, days=days, today=today)
