"""Web push subscriptions (one per user and device) and who wants which alerts pushed.

A user's preference for a warehouse lists the alert kinds pushed to them; without one, their
role's default applies (supervisors: low stock, expired, count variances, sensors; others:
none). Subscriptions go when their user removes them, when the same device subscribes anew,
or when the push service answers 404/410 for them.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import delete, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import (
    PushDelivery,
    PushPreference,
    PushSubscription,
    User,
    UserWarehouse,
    Warehouse,
    utcnow,
)
from backend.db.upsert import dialect_insert
from backend.domain.actor import Actor
from backend.domain.errors import InvalidRequest, NotFound
from backend.domain.vocabulary import ALERT_KINDS, DEFAULT_PUSH_KINDS
from backend.service.catalog import warehouse_in_scope


@dataclass(frozen=True)
class NewSubscription:
    endpoint: str
    p256dh: str
    auth: str
    device_id: str | None = None
    user_agent: str | None = None


def _b64url(value: str, field: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError) as error:
        raise InvalidRequest(f"keys.{field} is not base64url", field=field) from error


def check_subscription(data: NewSubscription, *, allow_insecure: bool) -> None:
    """Refuse what could never be delivered: a key that is not a P-256 point, an auth secret
    that is not 16 bytes, an endpoint that is not an absolute https URL."""
    try:
        parts = urlsplit(data.endpoint)
        host = parts.hostname
    except ValueError:  # e.g. an unclosed IPv6 bracket
        host = None
    local_http = host and allow_insecure and parts.scheme == "http" and is_loopback(host)
    if not host or not (parts.scheme == "https" or local_http):
        raise InvalidRequest(
            "the endpoint must be an absolute https URL of a push service",
            endpoint=data.endpoint[:200],
        )
    point = _b64url(data.p256dh, "p256dh")
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except ValueError as error:
        raise InvalidRequest("keys.p256dh is not a P-256 public key", field="p256dh") from error
    if len(_b64url(data.auth, "auth")) != 16:
        raise InvalidRequest("keys.auth must be 16 bytes", field="auth")


def is_loopback(host: str) -> bool:
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def subscribe(
    session: AsyncSession, actor: Actor, data: NewSubscription, *, allow_insecure: bool
) -> PushSubscription:
    """Store the device's subscription for the signed-in user. The same endpoint again updates
    it (a shared device passes to whoever subscribed last); a new endpoint of the same device
    replaces the device's old one."""
    check_subscription(data, allow_insecure=allow_insecure)
    now = utcnow()
    values = {
        "user_id": actor.id,
        "device_id": data.device_id,
        "p256dh": data.p256dh,
        "auth": data.auth,
        "user_agent": data.user_agent,
        "updated_at": now,
    }
    statement = dialect_insert(session)(PushSubscription).values(
        endpoint=data.endpoint, created_at=now, **values
    )
    await session.execute(
        statement.on_conflict_do_update(index_elements=[PushSubscription.endpoint], set_=values)
    )
    row = (
        await session.execute(
            select(PushSubscription)
            .where(PushSubscription.endpoint == data.endpoint)
            .execution_options(populate_existing=True)
        )
    ).scalar_one()
    if data.device_id is not None:
        replaced = await session.execute(
            select(PushSubscription.id).where(
                PushSubscription.user_id == actor.id,
                PushSubscription.device_id == data.device_id,
                PushSubscription.id != row.id,
            )
        )
        await drop(session, list(replaced.scalars()), reason="replaced by the device")
    return row


async def mine(session: AsyncSession, actor: Actor) -> list[PushSubscription]:
    rows = await session.execute(
        select(PushSubscription)
        .where(PushSubscription.user_id == actor.id)
        .order_by(PushSubscription.id)
    )
    return list(rows.scalars())


async def unsubscribe(
    session: AsyncSession, actor: Actor, *, subscription_id: int | None, endpoint: str | None
) -> None:
    query = select(PushSubscription.id).where(PushSubscription.user_id == actor.id)
    if subscription_id is not None:
        query = query.where(PushSubscription.id == subscription_id)
    elif endpoint is not None:
        query = query.where(PushSubscription.endpoint == endpoint)
    else:
        raise InvalidRequest("name the subscription by id or endpoint")
    found = list((await session.execute(query)).scalars())
    if not found:
        raise NotFound("no such subscription of yours", subscription_id=subscription_id)
    await drop(session, found, reason="unsubscribed")


async def drop(session: AsyncSession, subscription_ids: Sequence[int], *, reason: str) -> None:
    """Delete subscriptions; their deliveries not yet made are dropped, the rest keep their
    history without the link."""
    if not subscription_ids:
        return
    ids = list(subscription_ids)
    await session.execute(
        update(PushDelivery)
        .where(
            PushDelivery.subscription_id.in_(ids),
            PushDelivery.status.in_(("pending", "sending")),
        )
        .values(status="dropped", last_error=reason[:500], lease_until=None)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(PushDelivery)
        .where(PushDelivery.subscription_id.in_(ids))
        .values(subscription_id=None)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        delete(PushSubscription)
        .where(PushSubscription.id.in_(ids))
        .execution_options(synchronize_session=False)
    )


# --- preferences --------------------------------------------------------------------------


@dataclass(frozen=True)
class Preference:
    warehouse_id: int
    warehouse_code: str
    kinds: list[str]
    default: bool


def default_kinds(role: str) -> list[str]:
    return list(DEFAULT_PUSH_KINDS.get(role, ()))


async def preferences(session: AsyncSession, actor: Actor) -> list[Preference]:
    """The user's choice for each warehouse in scope, or the role's default."""
    query = select(Warehouse.id, Warehouse.code).order_by(Warehouse.code)
    if not actor.all_warehouses:
        query = query.where(Warehouse.id.in_(actor.warehouse_ids))
    chosen = dict(
        (
            await session.execute(
                select(PushPreference.warehouse_id, PushPreference.kinds).where(
                    PushPreference.user_id == actor.id
                )
            )
        )
        .tuples()
        .all()
    )
    return [
        Preference(
            warehouse_id=wid,
            warehouse_code=code,
            kinds=list(chosen[wid]) if wid in chosen else default_kinds(actor.role),
            default=wid not in chosen,
        )
        for wid, code in (await session.execute(query)).tuples()
    ]


async def set_preference(
    session: AsyncSession, actor: Actor, warehouse_id: int, kinds: Sequence[str]
) -> Preference:
    warehouse = await warehouse_in_scope(session, warehouse_id, actor)
    if unknown := sorted(set(kinds) - set(ALERT_KINDS)):
        raise InvalidRequest("unknown alert kinds", kinds=unknown, known=list(ALERT_KINDS))
    ordered = [k for k in ALERT_KINDS if k in set(kinds)]
    statement = dialect_insert(session)(PushPreference).values(
        user_id=actor.id, warehouse_id=warehouse.id, kinds=ordered, updated_at=utcnow()
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[PushPreference.user_id, PushPreference.warehouse_id],
            set_={"kinds": ordered, "updated_at": utcnow()},
        )
    )
    return Preference(warehouse.id, warehouse.code, ordered, default=False)


async def wanted_kinds(session: AsyncSession, actor: Actor) -> dict[int, list[str]]:
    """Per warehouse in scope, the kinds the user chose (or their role's default)."""
    return {p.warehouse_id: p.kinds for p in await preferences(session, actor)}


async def recipients(session: AsyncSession, warehouse_id: int, kind: str) -> list[tuple[int, int]]:
    """(subscription, user) for every device of every active user who may see the warehouse
    and wants this kind of alert pushed."""
    member = exists().where(
        UserWarehouse.user_id == User.id, UserWarehouse.warehouse_id == warehouse_id
    )
    rows = await session.execute(
        select(PushSubscription.id, User.id, User.role, PushPreference.kinds)
        .join(User, User.id == PushSubscription.user_id)
        .outerjoin(
            PushPreference,
            (PushPreference.user_id == User.id) & (PushPreference.warehouse_id == warehouse_id),
        )
        .where(User.active.is_(True), or_(User.role == "admin", member))
        .order_by(PushSubscription.id)
    )
    found = []
    for subscription_id, user_id, role, kinds in rows.tuples():
        chosen = kinds if kinds is not None else default_kinds(role)
        if kind in chosen:
            found.append((subscription_id, user_id))
    return found
