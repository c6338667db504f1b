"""Web push end to end: a stock command takes an item below its minimum, the delivery worker
sends one VAPID-signed, aes128gcm-encrypted push to each subscribed supervisor of that
warehouse (decrypted by a fake push service on loopback), retries 5xx with backoff, drops
subscriptions the push service says are gone, and never holds up the request."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import itertools
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from backend.config import Settings
from backend.db.engine import create_engine
from backend.db.models import PushDelivery, PushSubscription
from backend.service import alerts_store, push_queue, push_subscriptions
from backend.service.alerts_store import Draft
from backend.service.push_queue import Claimed, Result
from backend.service.push_subscriptions import NewSubscription
from backend.service.push_worker import PushWorker
from tests.conftest import Api, login
from tests.pushservice import PushService, Subscriber, b64url, push_settings, vapid_public_key
from tests.world import World

pytestmark = pytest.mark.anyio


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return push_settings(settings)


@pytest.fixture
def push() -> Iterator[PushService]:
    with PushService(vapid_public_key()).running() as service:
        yield service


# --- helpers shared with tests/test_alerts.py --------------------------------------------------


async def subscribe(api: Api, sub: Subscriber, device: str | None = None) -> dict:
    response = await api.post("/api/push/subscriptions", sub.body(device))
    assert response.status_code == 201, response.text
    return response.json()


async def add_rule(api: Api, world: World, sku: str, warehouse: str, **fields: Any) -> dict:
    response = await api.post("/api/reorder-rules", {
        "item_id": world.items[sku], "warehouse_id": world.warehouses[warehouse], **fields})
    assert response.status_code == 201, response.text
    return response.json()


async def adjust(api: Api, world: World, sku: str, at: str, quantity: int,
                 reason: str = "loss", **extra: Any) -> dict:
    response = await api.post("/api/adjustments", {
        **api.envelope(), "item_id": world.items[sku], "location_id": world.loc(at),
        "quantity": quantity, "reason": reason, **extra})
    assert response.status_code == 201, response.text
    assert response.json()["result"]["status"] == "posted", response.text
    return response.json()


async def inbox(api: Api, **params: Any) -> dict:
    response = await api.get("/api/notifications", params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def deliveries(sessions) -> list[tuple[str, int, int | None]]:  # type: ignore[no-untyped-def]
    async with sessions() as session:
        rows = await session.execute(select(
            PushDelivery.status, PushDelivery.attempts, PushDelivery.subscription_id,
        ).order_by(PushDelivery.id))
        return [tuple(r) for r in rows.all()]  # type: ignore[misc]


async def settled(sessions) -> list[tuple[str, int, int | None]]:  # type: ignore[no-untyped-def]
    """The deliveries once none is waiting or being sent (10 s at most)."""
    deadline = time.monotonic() + 10
    while True:
        found = await deliveries(sessions)
        if all(status not in ("pending", "sending") for status, _, _ in found):
            return found
        assert time.monotonic() < deadline, found
        await asyncio.sleep(0.05)


# --- subscriptions and preferences ------------------------------------------------------------


async def test_key_subscriptions_and_preferences(client, world, push: PushService,
                                                 supervisor: Api, worker: Api) -> None:
    key = await supervisor.get("/api/push/key")
    assert key.status_code == 200 and key.json() == {"public_key": vapid_public_key()}

    phone = push.subscriber("phone")
    bad_key = phone.body() | {"keys": {"p256dh": b64url(b"\x04" + bytes(64)),
                                       "auth": b64url(phone.auth)}}
    short_auth = phone.body() | {"keys": {"p256dh": phone.p256dh, "auth": b64url(b"x" * 8)}}
    remote = phone.body() | {"endpoint": "http://push.example.com/x"}
    broken = phone.body() | {"endpoint": "https://[::1/x"}
    for body in (bad_key, short_auth, remote, broken):
        refused = await supervisor.post("/api/push/subscriptions", body)
        assert refused.status_code == 422 and refused.json()["code"] == "invalid_request", body

    first = await subscribe(supervisor, phone, "phone-1")
    again = await subscribe(supervisor, phone, "phone-1")  # the same endpoint: one row
    assert again["id"] == first["id"]
    renewed = await subscribe(supervisor, push.subscriber("phone-renewed"), "phone-1")
    mine = (await supervisor.get("/api/push/subscriptions")).json()
    assert [s["id"] for s in mine] == [renewed["id"]]  # the device's old endpoint is gone

    assert (await worker.client.delete(f"/api/push/subscriptions/{renewed['id']}",
                                       headers=worker.headers)).status_code == 404
    gone = await supervisor.client.delete("/api/push/subscriptions", headers=supervisor.headers,
                                          params={"endpoint": renewed["endpoint"]})
    assert gone.status_code == 204, gone.text
    assert (await supervisor.get("/api/push/subscriptions")).json() == []

    defaults = (await supervisor.get("/api/push/preferences")).json()
    assert defaults == [{"warehouse_id": world.warehouses["W1"], "warehouse_code": "W1",
                         "kinds": ["low_stock", "expired", "count_variance", "sensor"],
                         "default": True}]
    assert (await worker.get("/api/push/preferences")).json()[0]["kinds"] == []
    chosen = await supervisor.put("/api/push/preferences", {
        "warehouse_id": world.warehouses["W1"], "kinds": ["sensor", "near_expiry"]})
    assert chosen.status_code == 200, chosen.text
    assert chosen.json()["kinds"] == ["near_expiry", "sensor"] and not chosen.json()["default"]
    outside = await worker.put("/api/push/preferences", {
        "warehouse_id": world.warehouses["W2"], "kinds": ["low_stock"]})
    assert outside.status_code == 403
    unknown = await worker.put("/api/push/preferences", {
        "warehouse_id": world.warehouses["W1"], "kinds": ["gossip"]})
    assert unknown.status_code == 400


# --- the scenario -----------------------------------------------------------------------------


async def test_low_stock_is_pushed_once_per_crossing_to_the_warehouse_supervisors(
        client, world, sessions, push: PushService, supervisor: Api, worker: Api,
        admin: Api) -> None:
    supervisor2 = await login(client, "supervisor2")
    await subscribe(supervisor, push.subscriber("sup-phone"), "phone")
    await subscribe(supervisor, push.subscriber("sup-tablet"), "tablet")
    await subscribe(worker, push.subscriber("worker"))
    await subscribe(supervisor2, push.subscriber("sup2"))
    await subscribe(admin, push.subscriber("admin"))
    rule = await add_rule(supervisor, world, "PLAIN", "W1", safety_stock=4,
                          daily_consumption="0.5", lead_time_days=4, max_quantity=20)
    assert (rule["minimum"], rule["available"], rule["status"]) == (6, 10, "ok")
    await add_rule(supervisor2, world, "PLAIN", "W2", safety_stock=3)

    await adjust(worker, world, "PLAIN", "A-01", -5)  # 10 → 5, under the minimum of 6
    got = await push.wait_for(2)
    assert sorted(r.subscriber for r in got) == ["sup-phone", "sup-tablet"]
    payload = got[0].payload
    assert payload == got[1].payload
    assert (payload["kind"], payload["warehouse"], payload["item"]["sku"]) == (
        "low_stock", "W1", "PLAIN")
    assert payload["quantities"] | {"unit": None} == {
        "available": 5, "on_hand": 5, "reserved": 0, "on_order": 0, "minimum": 6,
        "maximum": 20, "suggested_order": 15, "unit": None}
    assert payload["url"] == f"/#/items/{world.items['PLAIN']}"
    assert payload["title"] == "Low stock: PLAIN in W1" and "minimum 6" in payload["body"]

    await adjust(worker, world, "PLAIN", "A-01", -1)  # still under: no second push
    assert await settled(sessions) == [("sent", 1, s) for _, _, s in await deliveries(sessions)]
    assert len(await deliveries(sessions)) == 2
    alerts = (await inbox(supervisor, kind="low_stock"))["items"]
    assert len(alerts) == 1 and alerts[0]["details"]["quantities"]["available"] == 4

    await adjust(worker, world, "PLAIN", "A-01", 10, "found")  # back to 14: resolved
    resolved = (await inbox(supervisor, kind="low_stock"))["items"][0]
    assert resolved["status"] == "resolved" and resolved["resolved_at"] is not None
    assert resolved["resolution"]["quantities"]["available"] == 14
    assert resolved["resolution"]["reason"] == "back at or above the minimum"

    await adjust(worker, world, "PLAIN", "A-01", -10)  # a new crossing: a new alert, pushed
    await push.wait_for(4)
    await settled(sessions)
    assert Counter(r.subscriber for r in push.got()) == {"sup-phone": 2, "sup-tablet": 2}
    assert [a["status"] for a in (await inbox(supervisor, kind="low_stock"))["items"]] == [
        "open", "resolved"]
    assert push.problems == []


async def test_preferences_decide_who_is_pushed(client, world, sessions, push: PushService,
                                                supervisor: Api, worker: Api) -> None:
    await subscribe(supervisor, push.subscriber("sup"))
    await subscribe(worker, push.subscriber("worker"))
    for api, kinds in ((supervisor, ["sensor"]), (worker, ["low_stock"])):
        response = await api.put("/api/push/preferences", {
            "warehouse_id": world.warehouses["W1"], "kinds": kinds})
        assert response.status_code == 200, response.text
    await add_rule(supervisor, world, "PLAIN", "W1", safety_stock=11)  # 10 on hand: below
    got = await push.wait_for(1)
    await settled(sessions)
    assert [r.subscriber for r in push.got()] == ["worker"] == [r.subscriber for r in got]


# --- what the push service answers ------------------------------------------------------------


async def test_a_gone_subscription_is_dropped(client, world, sessions, push: PushService,
                                              supervisor: Api, worker: Api) -> None:
    phone = push.subscriber("phone")
    await subscribe(supervisor, phone)
    push.answer(phone, 410)
    await add_rule(supervisor, world, "PLAIN", "W1", safety_stock=8)
    await adjust(worker, world, "PLAIN", "A-01", -3)
    await push.wait_for(1, status=410)
    assert [(s, a, sub) for s, a, sub in await settled(sessions)] == [("dropped", 1, None)]
    assert (await supervisor.get("/api/push/subscriptions")).json() == []
    async with sessions() as session:
        assert (await session.execute(select(PushSubscription))).scalars().all() == []
    await adjust(worker, world, "PLAIN", "A-01", 5, "found")
    await adjust(worker, world, "PLAIN", "A-01", -5)  # a new alert: nobody left to push to
    assert len(await deliveries(sessions)) == 1


async def test_a_failing_push_service_is_retried_with_backoff(
        client, world, sessions, push: PushService, supervisor: Api, worker: Api) -> None:
    phone = push.subscriber("phone")
    await subscribe(supervisor, phone)
    push.answer(phone, 500, 503)
    await add_rule(supervisor, world, "PLAIN", "W1", safety_stock=8)
    await adjust(worker, world, "PLAIN", "A-01", -3)
    await push.wait_for(1, status=201)
    assert await settled(sessions) == [("sent", 3, (await deliveries(sessions))[0][2])]
    tries = push.got(status=None)
    assert [r.status for r in tries] == [500, 503, 201]
    gaps = [b.arrived - a.arrived for a, b in itertools.pairwise(tries)]
    # Backoff of 0.2 s, then 0.4 s (the worker's clock and ours may differ by a little).
    assert gaps[0] >= 0.18 and gaps[1] >= 0.36, gaps
    assert tries[0].payload == tries[2].payload


async def test_the_request_does_not_wait_for_the_push(client, world, sessions,
                                                      push: PushService, supervisor: Api,
                                                      worker: Api) -> None:
    phone = push.subscriber("phone")
    await subscribe(supervisor, phone)
    push.delay(phone, 1.5)
    await add_rule(supervisor, world, "PLAIN", "W1", safety_stock=8)
    started = time.monotonic()
    await adjust(worker, world, "PLAIN", "A-01", -3)
    answered = time.monotonic()
    assert answered - started < 1.0
    (received,) = await push.wait_for(1)
    await settled(sessions)
    assert received.answered > answered  # the push service was still busy with it


# --- several workers --------------------------------------------------------------------------


class CountingSender:
    """Wraps a worker's real sender and counts what it sent."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.sent: list[int] = []

    async def open(self) -> None:
        await self.inner.open()

    async def close(self) -> None:
        await self.inner.close()

    async def send(self, target: Claimed) -> Result:
        self.sent.append(target.delivery_id)
        result: Result = await self.inner.send(target)
        return result


async def test_two_workers_never_send_a_delivery_twice(db_url: str, sessions, world,
                                                       settings: Settings,
                                                       push: PushService) -> None:
    devices = [push.subscriber(f"d{n}") for n in range(24)]
    async with sessions() as session, session.begin():
        for sub in devices:
            push.delay(sub, 0.03)
            await push_subscriptions.subscribe(session, world.actors["supervisor"], NewSubscription(
                sub.endpoint, sub.p256dh, b64url(sub.auth)), allow_insecure=True)
        await alerts_store.open_alert(session, Draft(
            kind="low_stock", warehouse_id=world.warehouses["W1"], subject="item:0",
            title="Low stock", body="test", url="/#/"))
    small = dataclasses.replace(settings, push_batch_size=3)
    other_engine = create_engine(db_url, pool_size=5)
    workers = []
    try:
        for maker in (sessions, async_sessionmaker(other_engine, expire_on_commit=False)):
            probe = PushWorker(maker, small)
            workers.append(PushWorker(maker, small, sender=CountingSender(probe._sender)))
        for w in workers:
            await w.start()
        await push.wait_for(24)
        found = await settled(sessions)
    finally:
        for w in workers:
            await w.stop()
        await other_engine.dispose()
    assert Counter(r.subscriber for r in push.got(status=None)) == {f"d{n}": 1 for n in range(24)}
    assert {(status, attempts) for status, attempts, _ in found} == {("sent", 1)}
    counts = [len(w._sender.sent) for w in workers]  # type: ignore[attr-defined]
    assert sum(counts) == 24 and all(counts), counts


async def test_concurrent_claims_never_take_the_same_delivery(db_url: str, sessions, world,
                                                              push: PushService) -> None:
    """Two workers claiming at the very same moment, again and again, until the queue is
    empty: every delivery is claimed by exactly one of them."""
    async with sessions() as session, session.begin():
        for n in range(30):
            sub = push.subscriber(f"d{n}")
            await push_subscriptions.subscribe(session, world.actors["supervisor"], NewSubscription(
                sub.endpoint, sub.p256dh, b64url(sub.auth)), allow_insecure=True)
        await alerts_store.open_alert(session, Draft(
            kind="low_stock", warehouse_id=world.warehouses["W1"], subject="item:0",
            title="Low stock", body="test", url="/#/"))
    other_engine = create_engine(db_url, pool_size=5)
    other = async_sessionmaker(other_engine, expire_on_commit=False)
    lease = dt.timedelta(minutes=5)
    taken: list[list[int]] = [[], []]
    try:
        for _ in range(40):
            a, b = await asyncio.gather(push_queue.claim(sessions, limit=4, lease=lease),
                                        push_queue.claim(other, limit=4, lease=lease))
            taken[0] += [c.delivery_id for c in a]
            taken[1] += [c.delivery_id for c in b]
            if not a and not b:
                break
    finally:
        await other_engine.dispose()
    assert not set(taken[0]) & set(taken[1])
    assert sorted(taken[0] + taken[1]) == sorted({*taken[0], *taken[1]})
    assert len(taken[0]) + len(taken[1]) == 30
