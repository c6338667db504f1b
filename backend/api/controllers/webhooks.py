"""Webhook subscriptions to the integration feed and their delivery log (admins)."""

from __future__ import annotations

from litestar import Controller, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy import select

from backend.api.controllers.convert import changes
from backend.api.deps import CurrentActor, Db, Limit, Offset
from backend.api.guards import requires_admin
from backend.api.schemas import (
    Page,
    WebhookCreate,
    WebhookDeliveryOut,
    WebhookOut,
    WebhookUpdate,
)
from backend.db.models import WebhookDelivery, WebhookEndpoint, utcnow
from backend.domain.errors import Conflict, NotFound
from backend.service import feed, queries, webhooks
from backend.service.catalog import apply_changes, get_or_404


def _webhook_out(endpoint: WebhookEndpoint, *, secret: str | None = None) -> WebhookOut:
    return WebhookOut(
        id=endpoint.id,
        url=endpoint.url,
        event_types=list(endpoint.event_types or []),
        active=endpoint.active,
        created_at=endpoint.created_at,
        secret=secret,
    )


class WebhookController(Controller):
    path = "/api/webhooks"
    tags = ["integration"]
    guards = [requires_admin]

    @post(
        "/",
        summary="Subscribe a URL to the feed's events (all, or those whose type starts with "
        "one of `event_types`); the signing secret is shown once, in this answer",
        description="Each event is POSTed as JSON with `X-Stockhand-Event`, "
        "`X-Stockhand-Delivery` and `X-Stockhand-Signature: t=<unix time>,v1=<hex "
        "HMAC-SHA256 of '<t>.<body>' with the secret>`. Anything but a 2xx answer is retried "
        "with exponential backoff (15 s, 30 s, 1 min … at most an hour), 8 attempts in all. "
        "Delivery starts with the events after the subscription.",
    )
    async def create(
        self, db: Db, actor: CurrentActor, data: JSONBody[WebhookCreate]
    ) -> WebhookOut:
        async with db.begin():
            endpoint = WebhookEndpoint(
                url=data.url,
                secret=webhooks.new_secret(),
                event_types=list(data.event_types),
                cursor=(await feed.latest(db)).encode(),
                created_by=actor.id,
            )
            db.add(endpoint)
        return _webhook_out(endpoint, secret=endpoint.secret)

    @get("/", summary="Webhook subscriptions (without their secrets)")
    async def list_webhooks(self, db: Db) -> list[WebhookOut]:
        rows = await db.execute(select(WebhookEndpoint).order_by(WebhookEndpoint.id))
        return [_webhook_out(e) for e in rows.scalars()]

    @patch("/{webhook_id:int}", summary="Pause, resume or change a subscription")
    async def update(
        self, db: Db, webhook_id: FromPath[int], data: JSONBody[WebhookUpdate]
    ) -> WebhookOut:
        async with db.begin():
            endpoint = await get_or_404(db, WebhookEndpoint, webhook_id, "webhook")
            apply_changes(endpoint, changes(data))
        return _webhook_out(endpoint)

    @get(
        "/{webhook_id:int}/deliveries",
        summary="The delivery log of a subscription, newest first: attempts, last answer",
    )
    async def deliveries(
        self,
        db: Db,
        webhook_id: FromPath[int],
        status: FromQuery[str | None] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> Page[WebhookDeliveryOut]:
        await get_or_404(db, WebhookEndpoint, webhook_id, "webhook")
        query = queries.matching(
            select(WebhookDelivery)
            .where(WebhookDelivery.endpoint_id == webhook_id)
            .order_by(WebhookDelivery.id.desc()),
            (WebhookDelivery.status, status),
        )
        rows, total = await queries.record_page(db, query, limit, offset)
        return Page(
            items=[
                WebhookDeliveryOut(
                    id=d.id,
                    event_id=d.event_id,
                    event_type=d.event_type,
                    status=d.status,
                    attempts=d.attempts,
                    last_status_code=d.last_status_code,
                    last_error=d.last_error,
                    next_attempt_at=d.next_attempt_at,
                    created_at=d.created_at,
                    delivered_at=d.delivered_at,
                )
                for d in rows
            ],
            total=total,
            limit=limit,
            offset=offset,
        )

    @post(
        "/{webhook_id:int}/deliveries/{delivery_id:int}/retry",
        status_code=200,
        summary="Send a failed delivery again from the start",
    )
    async def retry(
        self, db: Db, webhook_id: FromPath[int], delivery_id: FromPath[int]
    ) -> dict[str, str]:
        async with db.begin():
            delivery = await db.get(WebhookDelivery, delivery_id)
            if delivery is None or delivery.endpoint_id != webhook_id:
                raise NotFound("no such delivery", delivery_id=delivery_id)
            if delivery.status != "failed":
                raise Conflict(f"delivery {delivery_id} is {delivery.status}")
            delivery.status, delivery.attempts = "pending", 0
            delivery.next_attempt_at = utcnow()
        return {"status": "pending"}
