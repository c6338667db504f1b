"""The integration feed: every document action and stock move once, in order, by cursor."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from backend.db.models import DocumentEvent, StockMove
from backend.service import feed
from tests.conftest import Api
from tests.test_packing import expect, order, pick_everything, ship

pytestmark = pytest.mark.anyio


async def _all(api: Api, limit: int) -> tuple[list[dict], str]:
    events, cursor = [], None
    while True:
        params = {"limit": limit, **({"after": cursor} if cursor else {})}
        page = expect(await api.get("/api/events", params=params), 200)
        if not page["events"]:
            return events, page["cursor"]
        events += page["events"]
        cursor = page["cursor"]


async def test_paging_through_the_feed_gives_every_event_once_in_order(
    world, shipping, supervisor: Api, worker: Api, admin: Api, sessions, monkeypatch
):
    monkeypatch.setattr(feed, "HORIZON", feed.dt.timedelta(0))
    sale = await order(supervisor, world, [("PLAIN", 3)])
    await pick_everything(worker, sale["id"])
    await ship(worker, sale["id"])
    events, cursor = await _all(admin, limit=3)
    async with sessions() as session:
        moves = await session.scalar(select(func.count()).select_from(StockMove))
        documents = await session.scalar(select(func.count()).select_from(DocumentEvent))
    assert len(events) == moves + documents
    assert len({e["id"] for e in events}) == len(events)
    assert [e["at"] for e in events] == sorted(e["at"] for e in events)
    shipped = [e for e in events if e["type"] == "stock.moved"
               and e["data"]["document_type"] == "shipment"]
    assert [(e["data"]["sku"], e["data"]["quantity"], e["data"]["to"]["location"],
             e["data"]["value"]) for e in shipped] == [("PLAIN", 3, "@CUSTOMER", "7.5000")]
    assert "document.sales_order.shipped" in {e["type"] for e in events}

    # Nothing new: the same cursor comes back; something new arrives after it, alone.
    again = expect(await admin.get("/api/events", params={"after": cursor}), 200)
    assert (again["events"], again["cursor"]) == ([], cursor)
    expect(await supervisor.post("/api/bin-moves", {
        **supervisor.envelope(), "item_id": world.items["PLAIN"],
        "from_location_id": world.loc("A-01"), "to_location_id": world.loc("A-04"),
        "quantity": 1}), 201)
    later = expect(await admin.get("/api/events", params={"after": cursor}), 200)
    assert [(e["type"], e["data"]["quantity"]) for e in later["events"]] == [("stock.moved", 1)]


async def test_recent_events_wait_for_the_horizon_and_only_admins_read(
    world, supervisor: Api, admin: Api
):
    page = expect(await admin.get("/api/events"), 200)
    assert page["events"] == []  # the world was made moments ago
    expect(await supervisor.get("/api/events"), 403)
    expect(await admin.get("/api/events", params={"after": "bm90LWEtY3Vyc29y"}), 422)
    expect(await admin.get("/api/events", params={"limit": 0}), 400)
