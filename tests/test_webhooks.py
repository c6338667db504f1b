"""Signed webhooks: a receiver on loopback checks each signature; failures are retried."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import update

from backend.db.models import WebhookDelivery
from backend.service import feed, webhooks
from tests.conftest import Api
from tests.test_packing import expect

pytestmark = pytest.mark.anyio


class Receiver:
    """An HTTP endpoint that answers with the next planned status and records requests."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.plan: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((dict(self.headers.items()), body))
                self.send_response(receiver.plan.pop(0) if receiver.plan else 204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver()
    yield running
    running.server.shutdown()


async def _due_now(sessions) -> None:  # type: ignore[no-untyped-def]
    async with sessions() as session, session.begin():
        await session.execute(update(WebhookDelivery).values(
            next_attempt_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)))


async def _move(api: Api, world, quantity: int) -> None:  # type: ignore[no-untyped-def]
    expect(await api.post("/api/bin-moves", {
        **api.envelope(), "item_id": world.items["PLAIN"], "from_location_id": world.loc("A-01"),
        "to_location_id": world.loc("A-04"), "quantity": quantity}), 201)


async def test_events_after_the_subscription_arrive_signed_and_failures_retry(
    world, supervisor: Api, admin: Api, sessions, receiver: Receiver, monkeypatch
):
    monkeypatch.setattr(feed, "HORIZON", dt.timedelta(0))
    hook = expect(await admin.post("/api/webhooks", {
        "url": receiver.url, "event_types": ["stock.moved"]}), 201)
    secret = hook["secret"]
    assert secret and hook["event_types"] == ["stock.moved"]
    listed = expect(await admin.get("/api/webhooks"), 200)
    assert [(h["id"], h["secret"]) for h in listed] == [(hook["id"], None)]

    await _move(supervisor, world, 2)
    receiver.plan = [500]  # the first attempt fails
    first = await webhooks.run_once(sessions)
    assert (first["queued"], first["delivered"], first["failed_attempts"]) == (1, 0, 1)
    log = expect(await admin.get(f"/api/webhooks/{hook['id']}/deliveries"), 200)["items"]
    assert [(d["status"], d["attempts"], d["last_status_code"]) for d in log] == [
        ("pending", 1, 500)]
    # Not due yet: nothing is sent; once due, it is delivered.
    assert (await webhooks.run_once(sessions))["delivered"] == 0
    await _due_now(sessions)
    assert (await webhooks.run_once(sessions))["delivered"] == 1
    assert len(receiver.requests) == 2
    headers, body = receiver.requests[-1]
    assert webhooks.verify(secret, headers["X-Stockhand-Signature"], body)
    assert not webhooks.verify("another-secret", headers["X-Stockhand-Signature"], body)
    assert not webhooks.verify(secret, headers["X-Stockhand-Signature"], body + b" ")
    event = json.loads(body)
    assert (event["type"], event["data"]["quantity"], event["data"]["sku"]) == (
        "stock.moved", 2, "PLAIN")
    assert headers["X-Stockhand-Event"] == "stock.moved"
    log = expect(await admin.get(f"/api/webhooks/{hook['id']}/deliveries"), 200)["items"]
    assert [(d["status"], d["attempts"]) for d in log] == [("delivered", 2)]
    # A second pass queues nothing twice.
    assert (await webhooks.run_once(sessions))["queued"] == 0
    assert len(receiver.requests) == 2


async def test_a_delivery_that_keeps_failing_stops_and_can_be_retried(
    world, supervisor: Api, admin: Api, sessions, receiver: Receiver, monkeypatch
):
    monkeypatch.setattr(feed, "HORIZON", dt.timedelta(0))
    hook = expect(await admin.post("/api/webhooks", {"url": receiver.url}), 201)
    await _move(supervisor, world, 1)
    receiver.plan = [503] * webhooks.MAX_ATTEMPTS
    for _ in range(webhooks.MAX_ATTEMPTS):
        await webhooks.run_once(sessions)
        await _due_now(sessions)
    log = expect(await admin.get(f"/api/webhooks/{hook['id']}/deliveries",
                                 params={"status": "failed"}), 200)["items"]
    moved = [d for d in log if d["event_type"] == "stock.moved"]
    assert [(d["attempts"], d["last_error"]) for d in moved] == [
        (webhooks.MAX_ATTEMPTS, "HTTP 503")]
    retry = await admin.post(f"/api/webhooks/{hook['id']}/deliveries/{moved[0]['id']}/retry")
    assert retry.status_code == 200
    await webhooks.run_once(sessions)
    log = expect(await admin.get(f"/api/webhooks/{hook['id']}/deliveries"), 200)["items"]
    assert {d["status"] for d in log} == {"delivered"}
    again = await admin.post(f"/api/webhooks/{hook['id']}/deliveries/{moved[0]['id']}/retry")
    assert again.status_code == 409


def test_backoff_doubles_up_to_an_hour():
    assert [webhooks.backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [15, 30, 60, 120]
    assert webhooks.backoff(30) == dt.timedelta(hours=1)


async def test_only_admins_manage_webhooks(world, supervisor: Api):
    expect(await supervisor.post("/api/webhooks", {"url": "http://127.0.0.1:9/x"}), 403)
    expect(await supervisor.get("/api/webhooks"), 403)
