"""Chinese and English on the main screens: no English left on a Chinese screen, and
screenshots of each at phone size in both languages (tests/pwa/artifacts/)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from tests.pwa.conftest import World, untracked_item_with_case
from tests.pwa.helpers import english_left, picked_order, scans_done, sign_in, wedge

SCREENS = [
    ("tasks", "/tasks", '[data-testid="task-list"]'),
    ("pick", None, '[data-testid="pick-line"]'),
    ("count", None, '[data-testid="count-entry"]'),
    ("lookup", "/lookup", '[data-testid="stock-table"]'),
    ("move", "/move", ".scanbar"),
    ("transfers", "/transfers", "h2"),
    ("outbox", "/outbox", '[data-testid="outbox-count"]'),
    ("pack-list", "/pack", '[data-testid="pack-orders"]'),
    ("pack", None, '[data-testid="pack-line"]'),
    ("settings", "/settings", '[data-testid="push-subscribe"]'),
    ("dashboard", "/sup/dashboard", '[data-testid="chart-stock-value"] canvas'),
    ("counts", "/sup/counts", "form"),
    ("assign", "/sup/tasks", '[data-testid="assign-people"]'),
    ("approvals", "/sup/approvals", "section"),
    ("expiry", "/sup/expiry", '[data-testid="expiry-table"]'),
    ("lowstock", "/sup/lowstock", '[data-testid="lowstock-table"]'),
]


def _visit(
    page: Page,
    name: str,
    path: str | None,
    ready: str,
    task_ids: dict[str, Any],
    item: dict[str, Any],
) -> None:
    if name == "pick":
        page.goto(f"/#/task/{task_ids['pick']}")
    elif name == "pack":
        # A unit scanned into the package being packed (kept as a draft across languages).
        page.goto(f"/#/pack/{task_ids['pack']}")
        page.wait_for_selector('[data-testid="pack-rows"]')
        if not page.locator('[data-testid="pack-line"]').count():
            before = len(page.evaluate("() => import('/js/scanqueue.js').then((m) => m.scanLog)"))
            wedge(page, task_ids["pack_unit"])
            scans_done(page, before + 1)
    elif name == "count":
        page.goto(f"/#/task/{task_ids['count']}")
        page.wait_for_selector('[data-testid="count-line"]')
        if not page.locator('[data-testid="count-entry"]').count():
            before = len(page.evaluate("() => import('/js/scanqueue.js').then((m) => m.scanLog)"))
            wedge(page, task_ids["count_bin"], item["unit"], item["case"]["code"])
            scans_done(page, before + 3)
    else:
        page.goto(f"/#{path}")
    if name == "assign":
        page.wait_for_selector('[data-testid="assign-open"]')
        page.locator('[data-testid="assign-open"]').first.click()
    if name == "lookup":
        page.get_by_test_id("scan-input").fill(item["unit"])
        page.get_by_test_id("scan-input").press("Enter")
    page.wait_for_selector(ready, timeout=15_000)
    page.wait_for_function("() => !document.querySelector('[aria-busy=\"true\"]')")


def test_screens_in_both_languages(world: World, page: Page, artifacts: Path) -> None:
    item = untracked_item_with_case(world, skip=6)
    with world.api() as api:
        location = api.get("/api/locations", params={"code": "D02-02"}).json()["items"][0]
        count = api.post("/api/counts", json={
            "warehouse_id": location["warehouse_id"], "location_ids": [location["id"]],
            "assignee_id": world.users["supervisor"]["id"],
        }).json()  # fmt: skip
        picks = [
            t
            for t in api.get("/api/tasks", params={"type": "pick", "status": "open"}).json()[
                "items"
            ]
        ]
    packed = untracked_item_with_case(world, skip=11)
    order = picked_order(world, [(packed["id"], 2)])
    task_ids = {
        "count": count["lines"][0]["task_id"],
        "count_bin": location["barcode"],
        "pick": picks[0]["id"],
        "pack": order["id"],
        "pack_unit": packed["unit"],
    }

    sign_in(page, "supervisor", locale="en")
    found: dict[str, list[str]] = {}
    for locale in ("en", "zh-CN"):
        page.goto("/#/settings")
        page.click(f'[data-locale="{locale}"]')
        expect(page.locator("html")).to_have_attribute("lang", locale)
        for name, path, ready in SCREENS:
            _visit(page, name, path, ready, task_ids, item)
            page.screenshot(path=str(artifacts / f"{name}-{locale}.png"))
            words = english_left(page)
            if locale == "en" and name == "tasks":
                assert words, "the check finds English on an English screen"
            if locale == "zh-CN" and words:
                found[name] = words
    assert found == {}
    # The choice is remembered across a reload.
    page.reload()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.get_by_test_id("connectivity")).to_have_text("在线")
