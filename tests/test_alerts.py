"""Alerts: reorder rules and low stock (under concurrency too), expiry, count variances and
zone sensors, each raised once and resolved; the notification centre with read marks."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from backend.config import Settings
from backend.db.models import Alert
from backend.domain.commands import AdjustStock
from backend.service import alerts_expiry, alerts_stock, alerts_store
from backend.service.alerts_store import Draft
from backend.service.commands import apply_command
from tests.conftest import Api, login
from tests.pushservice import PushService, push_settings, vapid_public_key
from tests.test_counts import create_count, item, line_at, record
from tests.test_counts_decisions import decide
from tests.test_outbound import _allocated_order, _pick, _pick_line
from tests.test_push import add_rule, adjust, inbox, settled, subscribe
from tests.world import World

pytestmark = pytest.mark.anyio


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return push_settings(settings)


@pytest.fixture
def push() -> Iterator[PushService]:
    with PushService(vapid_public_key()).running() as service:
        yield service


async def open_alerts(sessions, kind: str | None = None) -> list[Alert]:  # type: ignore[no-untyped-def]
    async with sessions() as session:
        query = select(Alert).where(Alert.status == "open").order_by(Alert.id)
        if kind is not None:
            query = query.where(Alert.kind == kind)
        return list((await session.execute(query)).scalars())


def ago(minutes: float) -> str:
    return (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=minutes)).isoformat()


# --- reorder rules ----------------------------------------------------------------------------


async def test_reorder_rules_compute_minimum_availability_and_status(
        client, world: World, supervisor: Api, worker: Api, shipping: int) -> None:
    assert (await worker.post("/api/reorder-rules", {
        "item_id": world.items["PLAIN"], "warehouse_id": world.warehouses["W1"]})
            ).status_code == 403
    order = await _allocated_order(supervisor, world, "PLAIN", 6)
    line = await _pick_line(worker, order["id"])
    assert (await worker.post("/api/picks", _pick(worker, line, world.loc("A-01"), 6))
            ).status_code == 201
    shipped = await worker.post("/api/shipments", {**worker.envelope(), "order_id": order["id"]})
    assert shipped.status_code == 201, shipped.text

    # 6 shipped in the last 30 days: 0.2 a day; over 10 days' lead time 2, plus 2 safety.
    rule = await add_rule(supervisor, world, "PLAIN", "W1", safety_stock=2, lead_time_days=10)
    assert (rule["daily_consumption"], rule["consumption_source"], rule["minimum"]) == (
        "0.2000", "computed", 4)
    assert (rule["on_hand"], rule["available"], rule["status"], rule["suggested_order"]) == (
        4, 4, "ok", 0)
    twice = await supervisor.post("/api/reorder-rules", {
        "item_id": world.items["PLAIN"], "warehouse_id": world.warehouses["W1"]})
    assert twice.status_code == 409 and twice.json()["details"]["rule_id"] == rule["id"]

    path = f"/api/reorder-rules/{rule['id']}"
    below = (await supervisor.patch(path, {"safety_stock": 3, "max_quantity": 20})).json()
    assert (below["minimum"], below["status"], below["suggested_order"]) == (5, "below", 16)
    (alert,) = (await inbox(supervisor, kind="low_stock", status="open"))["items"]
    assert alert["details"]["rule_id"] == rule["id"]

    supplier = (await supervisor.post("/api/suppliers", {"code": "S1", "name": "Acme"})).json()
    po = (await supervisor.post("/api/purchase-orders", {
        "supplier_id": supplier["id"], "warehouse_id": world.warehouses["W1"],
        "lines": [{"item_id": world.items["PLAIN"], "quantity": 10, "unit_price": "1"}]})).json()
    assert (await supervisor.post(f"/api/purchase-orders/{po['id']}/submit")).json()[
        "status"] == "approved"
    counted = (await supervisor.patch(path, {"include_on_order": True})).json()
    assert (counted["on_order"], counted["available"], counted["status"]) == (10, 14, "ok")
    assert (await inbox(supervisor, kind="low_stock", status="open"))["items"] == []
    fixed = (await supervisor.patch(path, {"daily_consumption": "1.5"})).json()
    assert (fixed["consumption_source"], fixed["minimum"], fixed["status"]) == ("set", 18, "below")
    assert (await supervisor.patch(path, {"daily_consumption": "0.00001"})).status_code == 422

    listed = (await supervisor.get("/api/reorder-rules", params={"status": "below"})).json()
    assert [r["id"] for r in listed["items"]] == [rule["id"]] and listed["total"] == 1
    supervisor2 = await login(client, "supervisor2")
    assert (await supervisor2.get("/api/reorder-rules")).json()["total"] == 0
    assert (await supervisor2.get(path)).status_code == 404
    assert (await supervisor.post("/api/reorder-rules", {
        "item_id": world.items["PLAIN"], "warehouse_id": world.warehouses["W2"]})
            ).status_code == 403

    removed = await supervisor.client.delete(path, headers=supervisor.headers)
    assert removed.status_code == 204, removed.text
    assert (await supervisor.get("/api/reorder-rules")).json()["total"] == 0
    assert (await inbox(supervisor, kind="low_stock", status="open"))["items"] == []


async def test_reservations_count_against_availability(
        world: World, sessions, supervisor: Api, shipping: int) -> None:
    """Allocating an order moves no stock, so allocation itself judges the rules; the
    periodic scan finds the same alert open and adds none."""
    await add_rule(supervisor, world, "PLAIN", "W1", safety_stock=5)
    await _allocated_order(supervisor, world, "PLAIN", 8)
    (alert,) = await open_alerts(sessions, "low_stock")
    assert (await supervisor.post("/api/alerts/scan")).status_code == 200
    assert [a.id for a in await open_alerts(sessions, "low_stock")] == [alert.id]
    assert (alert.details["quantities"]["reserved"], alert.details["quantities"]["available"]) == (
        8, 2)
    async with sessions() as session, session.begin():
        await alerts_stock.availability_changed(
            session, {(world.items["PLAIN"], world.warehouses["W1"])})
    assert [a.id for a in await open_alerts(sessions, "low_stock")] == [alert.id]


async def test_offline_batch_raises_one_alert_at_the_crossing(
        world: World, sessions, supervisor: Api, worker: Api) -> None:
    await add_rule(supervisor, world, "PLAIN", "W1", safety_stock=8)

    def event(quantity: int) -> dict[str, Any]:
        return {**worker.envelope(), "type": "adjust_stock", "item_id": world.items["PLAIN"],
                "location_id": world.loc("A-01"), "quantity": quantity, "reason": "loss"}

    batch = [event(-1), event(-2), event(-100), event(-1)]
    outcomes = (await worker.post("/api/sync", {"events": batch})).json()["outcomes"]
    assert [o["status"] for o in outcomes] == ["applied", "applied", "rejected", "applied"]
    (alert,) = await open_alerts(sessions, "low_stock")
    assert alert.details["quantities"]["available"] == 6  # refreshed by the last event
    async with sessions() as session:
        from backend.db.models import Command

        crossing = await session.scalar(
            select(Command.id).where(Command.event_id == uuid.UUID(batch[1]["event_id"])))
    assert alert.raised_by_command_id == crossing


async def test_concurrent_takes_are_judged_together_and_alerted_once(
        world: World, sessions, supervisor: Api, worker: Api) -> None:
    """Two commands take from different bins to different places at once (nothing in the
    ledger makes them wait for each other); each alone leaves enough, together they do not.
    The rule's row lock makes the second judge after the first commits."""
    moved = await worker.post("/api/bin-moves", {
        **worker.envelope(), "item_id": world.items["PLAIN"], "quantity": 5,
        "from_location_id": world.loc("A-01"), "to_location_id": world.loc("A-04")})
    assert moved.status_code == 201, moved.text
    await add_rule(supervisor, world, "PLAIN", "W1", safety_stock=7)

    def take(at: str, reason: str) -> AdjustStock:
        # Separate devices: one device's commands queue behind each other on its row.
        return AdjustStock(event_id=uuid.uuid4(), device_id=f"dev-{at}",
                           occurred_at=dt.datetime.now(dt.UTC),
                           item_id=world.items["PLAIN"], location_id=world.loc(at), quantity=-2,
                           reason=reason)

    outcomes = await asyncio.gather(
        apply_command(sessions, take("A-01", "loss"), world.actors["worker"]),
        apply_command(sessions, take("A-04", "damage"), world.actors["worker"]))
    assert [o.status for o in outcomes] == ["applied", "applied"]
    (alert,) = await open_alerts(sessions, "low_stock")
    assert alert.details["quantities"]["available"] == 6

    # The same condition detected by two transactions at once opens one alert.
    draft = Draft(kind="sensor", warehouse_id=world.warehouses["W1"], subject="zone:0:x",
                  title="t", body="b", url="/#/")

    async def detect() -> int | None:
        async with sessions() as session, session.begin():
            opened = await alerts_store.open_alert(session, draft)
            await asyncio.sleep(0.05)
            return opened

    first, second = await asyncio.gather(detect(), detect())
    assert sorted([first is None, second is None]) == [False, True]
    assert len(await open_alerts(sessions, "sensor")) == 1


# --- expiry -----------------------------------------------------------------------------------


async def test_near_expiry_and_expired_lots_raise_and_resolve(
        client, world: World, sessions, push: PushService, supervisor: Api, worker: Api,
        admin: Api) -> None:
    await subscribe(supervisor, push.subscriber("sup"))
    # The world's L1 (20 days left) was booked in with the opening balance.
    (near,) = (await inbox(supervisor, kind="near_expiry"))["items"]
    assert (near["status"], near["details"]["lot"]["number"]) == ("open", "L1")
    assert near["details"]["quantities"]["days_left"] == 20

    expired_on = str(dt.date.today() - dt.timedelta(days=3))
    for quantity in (2, 1):
        await adjust(worker, world, "LOTTED", "A-05", quantity, "found", lot_number="GONE",
                     expiry_date=expired_on)
    (expired,) = (await inbox(supervisor, kind="expired", status="open"))["items"]
    assert expired["details"]["quantities"]["on_hand"] == 2  # as raised: no rewrite per move
    assert expired["title"] == "Expired: LOTTED lot GONE in W1"
    got = await push.wait_for(1)
    assert got[0].payload["kind"] == "expired" and got[0].payload["lot"]["number"] == "GONE"

    # The days pass: L1 turns expired, its near-expiry alert is resolved.
    async with sessions() as session, session.begin():
        await alerts_expiry.sweep(session, today=dt.date.today() + dt.timedelta(days=21))
    lots = {a.details["lot"]["number"]: a.kind for a in await open_alerts(sessions)}
    assert lots == {"L1": "expired", "GONE": "expired"}
    assert (await push.wait_for(2))[1].payload["lot"]["number"] == "L1"
    async with sessions() as session, session.begin():
        await alerts_expiry.sweep(session)  # back to today: L1 is near expiry again
    assert {a.details["lot"]["number"]: a.kind for a in await open_alerts(sessions)} == {
        "L1": "near_expiry", "GONE": "expired"}

    policy = await admin.put("/api/settings/alerts", {"near_expiry_days": 10})
    assert policy.status_code == 200, policy.text
    assert [a.kind for a in await open_alerts(sessions)] == ["expired"]  # L1 is 20 days away
    assert (await supervisor.get("/api/settings/alerts")).json() == {"near_expiry_days": 10}
    assert (await supervisor.post("/api/alerts/scan")).status_code == 200
    assert [a.kind for a in await open_alerts(sessions)] == ["expired"]

    await adjust(worker, world, "LOTTED", "A-05", -3, "expired", lot_number="GONE")
    assert await open_alerts(sessions) == []
    resolved = (await inbox(supervisor, kind="expired"))["items"]
    assert {a["resolution"]["reason"] for a in resolved} == {"no stock of the lot left"}
    await settled(sessions)
    # Supervisors are pushed expired lots by default, not near-expiry ones.
    assert [r.payload["kind"] for r in push.got()] == ["expired", "expired"]


# --- count variances --------------------------------------------------------------------------


async def test_count_variances_awaiting_approval_raise_one_alert(
        world: World, sessions, supervisor: Api, worker: Api) -> None:
    count = await create_count(supervisor, world, from_code="A-01", to_code="A-02")
    await record(worker, line_at(count, "A-01")["id"], [item(world, "PLAIN", 9)])
    (alert,) = (await inbox(supervisor, kind="count_variance"))["items"]
    assert (alert["url"], alert["count_id"]) == (f"/#/counts/{count['id']}", count["id"])
    assert alert["details"]["quantities"]["pending_entries"] == 1
    await record(worker, line_at(count, "A-02")["id"], [item(world, "LOTTED", 18, "L1")])
    (alert,) = (await inbox(supervisor, kind="count_variance"))["items"]
    assert alert["details"]["quantities"] == {"pending_entries": 2, "units": 3, "value": "4.10"}
    assert alert["status"] == "open"

    await decide(supervisor, count["id"], "approve")
    (alert,) = (await inbox(supervisor, kind="count_variance"))["items"]
    assert alert["status"] == "resolved"
    assert alert["resolution"] == {"reason": "no variance awaits a decision"}
    assert (await inbox(worker))["items"] == []


# --- sensors ----------------------------------------------------------------------------------


async def test_sensor_readings_out_of_range_raise_and_resolve(
        client, world: World, sessions, supervisor: Api, worker: Api) -> None:
    zone = world.loc("Z-A")
    path = f"/api/zones/{zone}/sensor-thresholds"
    body = {"thresholds": [{"kind": "temperature", "min": "2", "max": "8"}]}
    assert (await worker.put(path, body)).status_code == 403
    assert (await supervisor.put(f"/api/zones/{world.loc('A-01')}/sensor-thresholds", body)
            ).status_code == 422
    saved = await supervisor.put(path, body)
    assert saved.status_code == 200, saved.text
    assert (await worker.get(path)).json()["thresholds"] == [
        {"kind": "temperature", "min": "2.000", "max": "8.000"}]

    async def reading(value: str, at: str, kind: str = "temperature",
                      api: Api = worker, status: int = 201) -> dict:
        response = await api.post("/api/sensor-readings", {
            "location_id": zone, "kind": kind, "value": value, "at": at})
        assert response.status_code == status, response.text
        return response.json()

    assert (await reading("5.0", ago(10)))["in_range"] is True
    hot = await reading("9.5", ago(5))
    assert hot["in_range"] is False and hot["alert_id"] is not None
    hotter = await reading("10", ago(4))
    assert hotter["in_range"] is False and hotter["alert_id"] is None  # still the same alert
    assert (await reading("3", ago(20)))["in_range"] is None  # older than the latest
    assert (await reading("99", ago(1), kind="humidity"))["in_range"] is None  # no threshold
    (alert,) = await open_alerts(sessions, "sensor")
    assert (alert.id, alert.url, alert.details["reading"]["value"]) == (
        hot["alert_id"], f"/#/locations/{zone}", "10")
    assert (await reading("6", ago(0)))["in_range"] is True
    assert await open_alerts(sessions, "sensor") == []

    await reading("6", (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).isoformat(),
                  status=422)
    await reading("6", dt.datetime.now().replace(tzinfo=None).isoformat(), status=422)
    await reading("6", ago(0), api=await login(client, "supervisor2"), status=403)
    # A tighter threshold judges the latest reading (6) at once.
    assert (await supervisor.put(path, {"thresholds": [
        {"kind": "temperature", "max": "5"}]})).status_code == 200
    (again,) = await open_alerts(sessions, "sensor")
    assert again.id != hot["alert_id"]
    sensor_alerts = (await inbox(supervisor, kind="sensor"))["items"]
    assert [a["status"] for a in sensor_alerts] == ["open", "resolved"]


# --- the notification centre ------------------------------------------------------------------


async def test_notification_centre_lists_alerts_with_read_marks(
        client, world: World, supervisor: Api, worker: Api) -> None:
    supervisor2 = await login(client, "supervisor2")
    await add_rule(supervisor, world, "PLAIN", "W1", safety_stock=11)  # 10 on hand
    await add_rule(supervisor2, world, "PLAIN", "W2", safety_stock=6)  # 5 on hand
    mine = await inbox(supervisor)
    assert [(a["kind"], a["warehouse_code"], a["read"]) for a in mine["items"]] == [
        ("low_stock", "W1", False), ("near_expiry", "W1", False)]
    assert (mine["total"], mine["unread"]) == (2, 2)
    assert (await inbox(worker))["total"] == 0  # workers follow nothing by default
    assert (await worker.put("/api/push/preferences", {
        "warehouse_id": world.warehouses["W1"], "kinds": ["low_stock"]})).status_code == 200
    assert [a["kind"] for a in (await inbox(worker))["items"]] == ["low_stock"]

    low = mine["items"][0]
    read = await supervisor.post(f"/api/notifications/{low['id']}/read")
    assert read.status_code == 200 and read.json() == {"marked": 1}
    assert (await supervisor.post(f"/api/notifications/{low['id']}/read")).status_code == 200
    after = await inbox(supervisor)
    assert after["unread"] == 1 and after["items"][0]["read"] is True
    assert after["items"][0]["read_at"] is not None
    assert (await inbox(worker))["unread"] == 1  # read marks are per user
    w2_alert = (await inbox(supervisor2))["items"][0]
    assert w2_alert["warehouse_code"] == "W2"
    assert (await supervisor.post(f"/api/notifications/{w2_alert['id']}/read")
            ).status_code == 404
    assert (await supervisor.post("/api/notifications/read-all")).json() == {"marked": 1}
    assert (await inbox(supervisor, unread=True))["total"] == 0
    assert (await inbox(supervisor, unread=False))["total"] == 2
    assert (await inbox(supervisor2))["unread"] == 1
