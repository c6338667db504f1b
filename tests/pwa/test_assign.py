"""Supervisors assign work from the handheld: each person of the warehouse is listed with the
tasks they hold, the one with fewest is recommended, the task goes to them and shows in
their queue; without the network the screen says it needs one."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.pwa.conftest import PASSWORD, ROOT, World, untracked_item_with_case
from tests.pwa.helpers import go_offline, go_online, sales_order, sign_in

SCREENSHOTS = ROOT / "docs" / "screenshots"


def _new_worker(world: World) -> dict[str, Any]:
    with world.api("admin") as admin:
        created = admin.post("/api/users", json={
            "username": f"packer-{uuid.uuid4().hex[:6]}", "password": PASSWORD, "role": "worker",
            "warehouse_ids": world.users["worker"]["warehouse_ids"], "display_name": "Nina Packer",
        })  # fmt: skip
        assert created.status_code == 201, created.text
        return created.json()


def _load(world: World) -> dict[int, int]:
    with world.api() as api:
        people = api.get(
            "/api/workers", params={"warehouse_id": world.users["worker"]["warehouse_ids"][0]}
        ).json()
    return {p["id"]: p["open_tasks"] for p in people}


def test_supervisor_assigns_a_task_to_the_least_busy_worker(
    world: World,
    browser: Browser,
    browser_context_args: dict[str, Any],
    context: BrowserContext,
    page: Page,
    artifacts: Path,
) -> None:
    newcomer = _new_worker(world)
    warehouse = world.users["worker"]["warehouse_ids"][0]
    with world.api() as api:
        # The demo worker holds a count, so the newcomer (none) has fewest.
        location = api.get("/api/locations", params={"code": "E01-01"}).json()["items"][0]
        held = api.post("/api/counts", json={
            "warehouse_id": warehouse, "location_ids": [location["id"]],
            "assignee_id": world.users["worker"]["id"],
        })  # fmt: skip
        assert held.status_code == 201, held.text
    item = untracked_item_with_case(world, skip=12)
    order = sales_order(world, [(item["id"], 1)])
    with world.api() as api:
        tasks = api.get("/api/tasks", params={"type": "pick", "status": "open", "limit": 100})
        task = next(t for t in tasks.json()["items"] if t["document_id"] == order["id"])
    before = _load(world)
    assert before[newcomer["id"]] == 0 < before[world.users["worker"]["id"]]

    sign_in(page, "supervisor")
    page.click('a.tile[href="#/sup/tasks"]')
    card = page.locator(f'[data-testid="assign-task"][data-task-id="{task["id"]}"]')
    card.get_by_test_id("assign-open").click()
    people = card.get_by_test_id("assign-to")
    expect(people.first).to_have_attribute("data-open-tasks", "0")
    counts = [int(p.get_attribute("data-open-tasks") or -1) for p in people.all()]
    assert counts == sorted(counts)
    recommended = card.locator('[data-testid="assign-to"]:has([data-testid="fewest"])')
    expect(recommended).to_have_attribute("data-user-id", str(newcomer["id"]))
    expect(recommended).to_contain_text("Nina Packer")
    card.evaluate("(el) => el.scrollIntoView({ block: 'start' })")
    page.screenshot(path=str(artifacts / "assign-picker-en.png"))
    shutil.copy(artifacts / "assign-picker-en.png", SCREENSHOTS / "handheld-assign-en.png")
    recommended.click()
    expect(page.get_by_test_id("message")).to_contain_text(task["number"])
    # Assigned, it leaves the list of tasks nobody has.
    expect(card).to_have_count(0)
    with world.api() as api:
        assert api.get(f"/api/tasks/{task['id']}").json()["assignee_id"] == newcomer["id"]
    assert _load(world)[newcomer["id"]] == 1
    # Among all unfinished tasks it can be reassigned, to anyone but who has it.
    page.locator('[data-filter="all"]').click()
    expect(card.get_by_test_id("assign-open")).to_have_text("Reassign")
    card.get_by_test_id("assign-open").click()
    holder = card.locator(f'[data-testid="assign-to"][data-user-id="{newcomer["id"]}"]')
    expect(holder).to_be_disabled()
    expect(holder).to_contain_text("1 open task")

    # Offline the screen says it needs the network, and loads again when it is back.
    go_offline(context)
    expect(page.get_by_test_id("assign-offline")).to_be_visible()
    go_online(context)
    expect(page.get_by_test_id("assign-offline")).to_have_count(0, timeout=15_000)
    page.wait_for_function("() => !document.querySelector('[aria-busy=\"true\"]')")

    # The newcomer finds the task in their queue.
    other = browser.new_context(**browser_context_args)
    try:
        theirs = other.new_page()
        sign_in(theirs, newcomer["username"])
        mine = theirs.locator(f'[data-task-id="{task["id"]}"]')
        expect(mine).to_be_visible()
        expect(mine.locator(".status")).to_have_text("Assigned")
    finally:
        other.close()


def test_supervisor_cancels_a_pick_task_and_its_stock_is_free_again(
    world: World, page: Page
) -> None:
    item = untracked_item_with_case(world, skip=14)
    order = sales_order(world, [(item["id"], 2)])
    with world.api() as api:
        tasks = api.get("/api/tasks", params={"type": "pick", "status": "open", "limit": 100})
        task = next(t for t in tasks.json()["items"] if t["document_id"] == order["id"])
        held = api.get(f"/api/sales-orders/{order['id']}").json()["lines"][0]
        assert held["reserved_quantity"] == 2

    sign_in(page, "supervisor")
    page.click('a.tile[href="#/sup/tasks"]')
    card = page.locator(f'[data-testid="assign-task"][data-task-id="{task["id"]}"]')
    card.get_by_test_id("assign-open").click()
    card.get_by_test_id("cancel-open").click()
    # A reason is asked for before anything is cancelled.
    card.get_by_test_id("cancel-confirm").click()
    expect(page.get_by_test_id("message")).to_contain_text("Why is it cancelled?")
    card.get_by_test_id("cancel-reason").fill("customer collects tomorrow")
    card.get_by_test_id("cancel-confirm").click()
    expect(page.get_by_test_id("message")).to_contain_text(f"{task['number']} is cancelled")
    expect(card).to_have_count(0)
    with world.api() as api:
        assert api.get(f"/api/tasks/{task['id']}").json()["status"] == "cancelled"
        now = api.get(f"/api/sales-orders/{order['id']}").json()
    assert (now["status"], now["lines"][0]["reserved_quantity"]) == ("draft", 0)
    assert now["history"][-1]["action"] == "pick_cancelled"
