"""Web push: the server's public key, the device's subscription, and which alerts to push."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec
from litestar import Controller, delete, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody

from backend.api.controllers.reorder import RowId
from backend.api.deps import CurrentActor, Db
from backend.api.schemas import Input, Output
from backend.config import Settings
from backend.db.models import PushSubscription
from backend.domain.errors import SetupRequired
from backend.domain.vocabulary import AlertKind
from backend.service import push_keys, push_subscriptions
from backend.service.push_subscriptions import NewSubscription, Preference

AppSettings = NamedDependency[Settings]
B64 = Annotated[str, msgspec.Meta(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_-]+=*$")]


class PushKey(Output):
    """Pass `public_key` as `applicationServerKey` to `pushManager.subscribe`."""

    public_key: str


class SubscriptionKeys(Input):
    p256dh: B64
    auth: B64


class SubscriptionIn(Input):
    """What `PushSubscription.toJSON()` gives in the browser, plus the device's id."""

    endpoint: Annotated[str, msgspec.Meta(min_length=8, max_length=2048)]
    keys: SubscriptionKeys
    expirationTime: int | None = None  # the browser's own name
    device_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None = None
    user_agent: Annotated[str, msgspec.Meta(max_length=300)] | None = None


class SubscriptionOut(Output):
    id: int
    endpoint: str
    device_id: str | None
    created_at: dt.datetime
    last_sent_at: dt.datetime | None


class PreferenceIn(Input):
    warehouse_id: RowId
    kinds: Annotated[list[AlertKind], msgspec.Meta(max_length=10)]


class PreferenceOut(Output):
    warehouse_id: int
    warehouse_code: str
    kinds: list[str]
    default: bool


def _subscription_out(row: PushSubscription) -> SubscriptionOut:
    return SubscriptionOut(
        id=row.id,
        endpoint=row.endpoint,
        device_id=row.device_id,
        created_at=row.created_at,
        last_sent_at=row.last_sent_at,
    )


def _preference_out(p: Preference) -> PreferenceOut:
    return PreferenceOut(
        warehouse_id=p.warehouse_id,
        warehouse_code=p.warehouse_code,
        kinds=p.kinds,
        default=p.default,
    )


class PushController(Controller):
    path = "/api/push"
    tags = ["push"]

    @get(
        "/key",
        summary="The VAPID public key to subscribe with (applicationServerKey, base64url)",
        description="409 setup_required when push is off (no VAPID key configured).",
    )
    async def key(self, settings: AppSettings) -> PushKey:
        if not settings.vapid_private_key:
            raise SetupRequired("web push is off: no VAPID key is configured on the server")
        return PushKey(public_key=push_keys.public_key(push_keys.load(settings.vapid_private_key)))

    @post(
        "/subscriptions",
        summary="Subscribe this device to push notifications for the signed-in user",
        description="The same endpoint again updates its keys and owner; a new endpoint for "
        "the same device_id replaces the device's old subscription. 422 when the endpoint "
        "is not https or the keys are not a P-256 key and a 16-byte auth secret.",
    )
    async def subscribe(
        self, db: Db, actor: CurrentActor, settings: AppSettings, data: JSONBody[SubscriptionIn]
    ) -> SubscriptionOut:
        async with db.begin():
            row = await push_subscriptions.subscribe(
                db,
                actor,
                NewSubscription(
                    endpoint=data.endpoint,
                    p256dh=data.keys.p256dh,
                    auth=data.keys.auth,
                    device_id=data.device_id,
                    user_agent=data.user_agent,
                ),
                allow_insecure=settings.push_allow_insecure_endpoints,
            )
        return _subscription_out(row)

    @get("/subscriptions", summary="My devices' push subscriptions")
    async def mine(self, db: Db, actor: CurrentActor) -> list[SubscriptionOut]:
        return [_subscription_out(r) for r in await push_subscriptions.mine(db, actor)]

    @delete("/subscriptions/{subscription_id:int}", summary="Unsubscribe one of my devices")
    async def unsubscribe(
        self, db: Db, actor: CurrentActor, subscription_id: FromPath[int]
    ) -> None:
        async with db.begin():
            await push_subscriptions.unsubscribe(
                db, actor, subscription_id=subscription_id, endpoint=None
            )

    @delete(
        "/subscriptions",
        summary="Unsubscribe the device that holds this endpoint (as the browser knows it)",
    )
    async def unsubscribe_endpoint(
        self, db: Db, actor: CurrentActor, endpoint: FromQuery[str]
    ) -> None:
        async with db.begin():
            await push_subscriptions.unsubscribe(db, actor, subscription_id=None, endpoint=endpoint)

    @get(
        "/preferences",
        summary="Which alert kinds are pushed to me, per warehouse (default: by role)",
    )
    async def preferences(self, db: Db, actor: CurrentActor) -> list[PreferenceOut]:
        return [_preference_out(p) for p in await push_subscriptions.preferences(db, actor)]

    @put(
        "/preferences",
        summary="Choose the alert kinds pushed to me for one of my warehouses",
        description="kinds from low_stock, near_expiry, expired, count_variance, sensor; an "
        "empty list turns pushes for the warehouse off. Workers' choices also decide what "
        "their notification centre lists.",
    )
    async def set_preference(
        self, db: Db, actor: CurrentActor, data: JSONBody[PreferenceIn]
    ) -> PreferenceOut:
        async with db.begin():
            saved = await push_subscriptions.set_preference(
                db, actor, data.warehouse_id, list(data.kinds)
            )
        return _preference_out(saved)
