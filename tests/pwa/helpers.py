"""Steps the browser tests share: signing in, going offline for real, scanning with a
keyboard-wedge burst, reading the outbox, sales orders made and picked through the API, and
the check for English left on a Chinese screen."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from playwright.sync_api import BrowserContext, Page, Route, expect

from tests.pwa.conftest import PASSWORD, World


def sign_in(page: Page, username: str, *, locale: str | None = None) -> None:
    page.goto("/")
    page.wait_for_selector("#username")
    if locale:
        # Choosing a language draws the form anew, a moment later: type into the new one.
        page.evaluate("() => { document.querySelector('#username').dataset.stale = 'yes'; }")
        page.click(f'button[lang="{locale}"]')
        page.wait_for_selector("#username:not([data-stale])")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click('form button[type="submit"]')
    page.wait_for_selector('[data-testid="task-list"]')
    # The first sync stored master data, tasks and the documents they need offline.
    page.wait_for_selector("body[data-synced]", timeout=20_000)
    wait_for_service_worker(page)


def wait_for_service_worker(page: Page) -> None:
    """Resolve once a service worker controls the page: at once if one does, else at the
    controllerchange the first install's clients.claim() fires."""
    page.evaluate(
        """() => navigator.serviceWorker.controller ? true : new Promise((resolve) =>
            navigator.serviceWorker.addEventListener('controllerchange', () => resolve(true)))"""
    )


def _abort_service_worker_requests(route: Route) -> None:
    # setOffline has not always covered requests a service worker makes itself
    # (microsoft/playwright#2311): cut those off explicitly.
    if route.request.service_worker is not None:
        route.abort("internetdisconnected")
    else:
        route.fallback()


def go_offline(context: BrowserContext) -> None:
    context.set_offline(True)
    context.route("**/*", _abort_service_worker_requests)


def go_online(context: BrowserContext) -> None:
    context.unroute("**/*", _abort_service_worker_requests)
    context.set_offline(False)


def wedge(page: Page, *codes: str) -> None:
    """A keyboard-wedge scanner: each code typed ~5 ms per key and ended with Enter, the
    codes back to back with nothing in between."""
    page.keyboard.type("".join(f"{code}\n" for code in codes), delay=5)


def scans_done(page: Page, count: int, timeout_ms: int = 10_000) -> None:
    """Wait until the scan queue has handled `count` scans (wait_for_function would take the
    module import's promise for a truthy answer, so poll here)."""
    for _ in range(timeout_ms // 50):
        if len(scan_log(page)) >= count:
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"{len(scan_log(page))} of {count} scans handled")


def scan_log(page: Page) -> list[dict[str, Any]]:
    return page.evaluate("() => import('/js/scanqueue.js').then((m) => m.scanLog)")


def outbox(page: Page) -> list[dict[str, Any]]:
    return page.evaluate(
        "() => import('/js/outbox.js')"
        ".then((m) => m.pending()).then((rows) => rows.map((r) => r.event))"
    )


def expect_waiting(page: Page, n: int, *, timeout: float = 15_000) -> None:
    expect(page.get_by_test_id("waiting")).to_have_attribute("data-count", str(n), timeout=timeout)


def envelope(device: str = "pwa-test-setup") -> dict[str, str]:
    return {
        "event_id": str(uuid.uuid4()),
        "device_id": device,
        "occurred_at": datetime.now(UTC).isoformat(),
    }


def sales_order(world: World, lines: list[tuple[int, int]]) -> dict[str, Any]:
    """A sales order of the worker's warehouse, allocated (which makes its pick task)."""
    with world.api() as api:
        customer = api.get("/api/customers").json()[0]["id"]
        created = api.post("/api/sales-orders", json={
            "customer_id": customer, "warehouse_id": world.users["worker"]["warehouse_ids"][0],
            "lines": [{"item_id": i, "quantity": q} for i, q in lines],
        })  # fmt: skip
        assert created.status_code == 201, created.text
        allocated = api.post(f"/api/sales-orders/{created.json()['id']}/allocate")
        assert allocated.status_code == 200, allocated.text
        return allocated.json()


def picked_order(world: World, lines: list[tuple[int, int]]) -> dict[str, Any]:
    """A sales order allocated and picked whole by the worker, through the API."""
    order = sales_order(world, lines)
    with world.api() as sup, world.api("worker") as worker:
        tasks = sup.get("/api/tasks", params={"type": "pick", "limit": 100}).json()["items"]
        task = next(t for t in tasks if t["document_id"] == order["id"])
        for line in task["lines"]:
            picked = worker.post("/api/picks", json={
                **envelope(), "task_line_id": line["id"], "location_id": line["from_location_id"],
                "quantity": line["quantity"],
                **({"lot_number": line["lot_number"]} if line["lot_number"] else {}),
            })  # fmt: skip
            assert picked.status_code == 201, picked.text
        return sup.get(f"/api/sales-orders/{order['id']}").json()


# Visible text that is not a code, a number or data from the server (marked translate="no",
# in a .code span, an <option>, or in another language's lang="…").
ENGLISH_LEFT = """() => {
  const allowed = new Set(['Stockhand', 'ABC', 'GS1', 'AI', 'SKU', 'SSCC', 'OK']);
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const el = node.parentElement;
    if (!el || !node.textContent.trim()) continue;
    const data = '[translate="no"], .code, option, select, script, style, noscript, [hidden]';
    if (el.closest(data)) continue;
    // Text marked as another language (the language switch's own names) is meant to be.
    if (el.closest('[lang]')?.getAttribute('lang') !== document.documentElement.lang) continue;
    if (!el.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true })) continue;
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    for (const token of node.textContent.split(/[\\s·,;:()（）。，、/→+×]+/)) {
      if (!/[A-Za-z]{2,}/.test(token) || /\\d/.test(token)) continue;
      if (allowed.has(token.replace(/[^A-Za-z0-9]/g, ''))) continue;
      found.push(`${token}  ‹${node.textContent.trim().slice(0, 60)}›`);
    }
  }
  return found;
}"""


def english_left(page: Page) -> list[str]:
    return page.evaluate(ENGLISH_LEFT)
