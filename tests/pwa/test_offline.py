"""Offline first: after signing in, the app starts with no network, a blind count and a pick
are queued, survive reloads, and reach the server exactly once when the network is back."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import BrowserContext, Page, expect

from tests.pwa.conftest import World, untracked_item_with_case
from tests.pwa.helpers import (
    expect_waiting,
    go_offline,
    go_online,
    outbox,
    scan_log,
    scans_done,
    sign_in,
    wedge,
)


def _pick_task_for_worker(world: World) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """A demo pick task whose first line (in walking order) is an untracked item, assigned to
    the worker so that the pick needs no claim. Returns task, line, item."""
    with world.api("worker") as worker, world.api() as sup:
        for task in worker.get("/api/tasks/mine").json():
            if task["type"] != "pick" or task["assignee_id"] is not None:
                continue
            line = min(task["lines"], key=lambda ln: ln["seq"])
            item = sup.get(f"/api/items/{line['item_id']}").json()
            if item["tracking"] == "none" and line["status"] == "open" and item["barcodes"]:
                assigned = sup.post(
                    f"/api/tasks/{task['id']}/assign", json={"user_id": world.users["worker"]["id"]}
                )
                assert assigned.status_code == 200, assigned.text
                return task, line, item
    raise AssertionError("no pick task with an untracked first line in the demo")


def _on_hand(world: World, item_id: int, location_id: int) -> int:
    with world.api() as api:
        rows = api.get(
            "/api/stock",
            params={"item_id": item_id, "location_id": location_id, "include_empty": True},
        ).json()["items"]
    return sum(r["on_hand"] for r in rows)


def _count_for_worker(world: World, bin_code: str) -> dict[str, Any]:
    with world.api() as api:
        location = api.get("/api/locations", params={"code": bin_code}).json()["items"][0]
        count = api.post("/api/counts", json={
            "warehouse_id": location["warehouse_id"], "location_ids": [location["id"]],
            "assignee_id": world.users["worker"]["id"],
        })  # fmt: skip
        assert count.status_code == 201, count.text
        return {**count.json(), "location": location}


def test_count_and_pick_offline_then_sync_exactly_once(
    world: World, context: BrowserContext, page: Page
) -> None:
    task, line, item = _pick_task_for_worker(world)
    counted = untracked_item_with_case(world, skip=1)
    count = _count_for_worker(world, "A02-01")
    with world.api() as api:
        pick_bin = api.get(f"/api/locations/{line['from_location_id']}").json()
    before = _on_hand(world, item["id"], pick_bin["id"])

    sign_in(page, "worker")
    go_offline(context)
    page.reload()
    # The shell came from the service worker's cache, the session and tasks from IndexedDB.
    expect(page.get_by_test_id("task-list")).to_be_visible()
    expect(page.get_by_test_id("connectivity")).to_have_text("Offline")

    # Blind count of one bin: the bin, two units and a case of the same item = one line of 14.
    count_task = page.locator(
        f'[data-task-type="count"][data-task-id="{count["lines"][0]["task_id"]}"]'
    )
    count_task.click()
    expect(page.get_by_test_id("count-line")).to_be_visible()
    scanned = len(scan_log(page))
    wedge(page, count["location"]["barcode"])
    scans_done(page, scanned + 1)
    wedge(page, counted["unit"], counted["unit"], counted["case"]["code"])
    scans_done(page, scanned + 4)
    entry = page.get_by_test_id("count-entry")
    expect(entry).to_have_count(1)
    expect(entry.get_by_test_id("count-qty")).to_have_value("14")
    page.get_by_test_id("count-done").click()
    expect(page.get_by_test_id("task-complete")).to_be_visible()
    expect_waiting(page, 1)

    # Pick the first line: the bin, then the item until the line's quantity is reached.
    page.goto(f"/#/task/{task['id']}")
    expect(page.get_by_test_id("pick-line")).to_have_attribute("data-line-id", str(line["id"]))
    unit_code = next(b["code"] for b in item["barcodes"] if b["quantity"] == 1)
    wedge(page, pick_bin["barcode"], unit_code)
    if line["quantity"] > 1:
        # One unit scanned of more: the rest is keyed in and confirmed (a line whose
        # quantity the scans reach queues itself).
        expect(page.get_by_test_id("bin-ok")).to_be_visible()
        page.get_by_test_id("pick-qty").fill(str(line["quantity"]))
        page.get_by_test_id("pick-qty").dispatch_event("change")
        page.get_by_test_id("pick-confirm").click()
    expect_waiting(page, 2)
    expect(page.get_by_test_id("waiting")).to_have_text("2 waiting")

    # Nothing is lost on reload while offline.
    page.reload()
    expect_waiting(page, 2)
    events = outbox(page)
    assert [e["type"] for e in events] == ["record_count", "pick_item"]
    assert all(e["device_id"].startswith("pwa-") and e["occurred_at"][-6] in "+-" for e in events)
    pick_event = events[1]
    assert pick_event["quantity"] == line["quantity"]
    assert pick_event["location_id"] == pick_bin["id"]
    assert _on_hand(world, item["id"], pick_bin["id"]) == before

    go_online(context)
    expect_waiting(page, 0, timeout=20_000)
    expect(page.get_by_test_id("connectivity")).to_have_text("Online")

    after = _on_hand(world, item["id"], pick_bin["id"])
    assert after == before - line["quantity"]
    with world.api() as api:
        trace = api.get(f"/api/commands/{pick_event['event_id']}").json()
        assert trace["status"] == "applied"
        assert len(trace["moves"]) == 1 and trace["moves"][0]["quantity"] == line["quantity"]
        recorded = api.get(f"/api/counts/{count['id']}").json()["lines"][0]
        assert recorded["status"] in ("counted", "recount")
        assert [
            (e["item_id"], e["quantity"])
            for e in recorded["entries"]
            if e["item_id"] == counted["id"]
        ] == [(counted["id"], 14)]
        # The same events sent again change nothing: the server answers duplicate.
        replay = api.post("/api/sync", json={"events": events}, headers={
            "Authorization": f"Bearer {world.tokens['worker']}"}).json()["outcomes"]  # fmt: skip
        assert [o["status"] for o in replay] == ["duplicate", "duplicate"]
    assert _on_hand(world, item["id"], pick_bin["id"]) == after
