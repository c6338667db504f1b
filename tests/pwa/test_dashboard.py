"""The supervisors' dashboard on the demo with its year of history: the charts are drawn from
/api/insight/trends, the tiles agree with the low-stock and near-expiry lists, a Chinese
screen has no English, and offline it says it needs the connection instead of failing.

Screenshots of a 360 px wide phone in both languages land in tests/pwa/artifacts/; the
English one is copied to docs/screenshots/ for the README.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.pwa.conftest import World, serve_demo
from tests.pwa.helpers import english_left, go_offline, go_online, sign_in

CHARTS = ("chart-stock-value", "chart-turnover", "chart-stockouts", "chart-accuracy")

# Pixels drawn on a chart's canvas that are not background: the lines, bars and grid.
INKED = """(box) => {
  const canvas = box.querySelector('canvas');
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let inked = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] > 0) inked += 1;
  return inked;
}"""


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The demo with its year of orders, shipments, purchases and weekly counts (~40 s)."""
    with serve_demo(tmp_path_factory.mktemp("history")) as world:
        yield world


@pytest.fixture(scope="module")
def main(history: World) -> int:
    """The id of MAIN, the warehouse with the history."""
    with history.api() as api:
        warehouse = next(w for w in api.get("/api/warehouses").json() if w["code"] == "MAIN")
    return int(warehouse["id"])


@pytest.fixture
def phone(browser: Browser, browser_context_args: dict[str, Any], history: World) -> Iterator[Page]:
    context = browser.new_context(**{
        **browser_context_args, "base_url": history.url, "viewport": {"width": 360, "height": 780},
    })  # fmt: skip
    yield context.new_page()
    context.close()


def _open_dashboard(page: Page, warehouse_id: int, days: int) -> None:
    page.goto("/#/sup/dashboard")
    page.select_option("#db-warehouse", str(warehouse_id))
    page.click(f'button[data-days="{days}"]')
    expect(page.locator(f'button[data-days="{days}"]')).to_have_attribute("aria-pressed", "true")
    for chart in CHARTS:
        page.wait_for_selector(f'[data-testid="{chart}"] canvas', timeout=15_000)


def _expected_tiles(world: World, warehouse_id: int) -> tuple[int, int]:
    with world.api() as api:
        below = api.get("/api/reorder-rules", params={
            "warehouse_id": warehouse_id, "status": "below", "limit": 1}).json()  # fmt: skip
        lots = api.get("/api/lots/near-expiry", params={
            "warehouse_id": warehouse_id, "days": 30}).json()  # fmt: skip
    return below["total"], len(lots["lots"])


def test_dashboard_charts_and_tiles(
    history: World, main: int, phone: Page, artifacts: Path
) -> None:
    low, near = _expected_tiles(history, main)
    assert low > 0 and near > 0, "the demo has items below their minimum and lots near expiry"
    sign_in(phone, "supervisor", locale="en")
    _open_dashboard(phone, main, 365)

    # 365 days in weeks: 53 or 54 buckets, nearly all with orders and a count.
    for chart in CHARTS:
        box = phone.get_by_test_id(chart)
        points = int(box.get_attribute("data-points") or 0)
        assert points >= 50, (chart, points)
        assert box.evaluate(INKED) > 500, f"{chart} has nothing drawn"
        # The canvas fills the card on a 360 px screen.
        frame = box.locator("canvas").first.bounding_box()
        assert frame is not None and 250 <= frame["width"] <= 340
    expect(phone.get_by_test_id("tile-lowstock").locator("[data-count]")).to_have_attribute(
        "data-count", str(low)
    )
    expect(phone.get_by_test_id("tile-expiry").locator("[data-count]")).to_have_attribute(
        "data-count", str(near)
    )
    expect(phone.get_by_test_id("stock-value-now")).not_to_be_empty()
    phone.wait_for_function("() => !document.querySelector('[aria-busy=\"true\"]')")
    phone.screenshot(path=str(artifacts / "dashboard-year-en.png"), full_page=True)

    # Narrower still: the charts follow the width of the screen.
    phone.set_viewport_size({"width": 320, "height": 780})
    phone.wait_for_function("""() => [...document.querySelectorAll('.chart canvas')]
        .every((c) => c.getBoundingClientRect().width <= 300)""")

    # Each tile leads to the list it counts, in the same warehouse.
    phone.get_by_test_id("tile-lowstock").click()
    expect(phone.get_by_test_id("reorder-below-table").locator("tbody tr")).to_have_count(low)
    expect(phone.locator("#ls-warehouse")).to_have_value(str(main))
    phone.go_back()
    phone.get_by_test_id("tile-expiry").click()
    expect(phone.get_by_test_id("expiry-table").locator("tbody tr")).to_have_count(near)
    expect(phone.locator("#ex-warehouse")).to_have_value(str(main))


def test_dashboard_in_chinese_has_no_english(main: int, phone: Page, artifacts: Path) -> None:
    sign_in(phone, "supervisor", locale="zh-CN")
    _open_dashboard(phone, main, 90)
    phone.wait_for_function("() => !document.querySelector('[aria-busy=\"true\"]')")
    expect(phone.get_by_test_id("tile-lowstock")).to_contain_text("低于再订货点")
    assert english_left(phone) == []
    phone.screenshot(path=str(artifacts / "dashboard-year-zh-CN.png"), full_page=True)


def test_dashboard_offline_says_it_needs_the_connection(main: int, phone: Page) -> None:
    sign_in(phone, "supervisor", locale="en")
    _open_dashboard(phone, main, 30)
    phone.goto("/#/tasks")
    go_offline(phone.context)
    phone.goto("/#/sup/dashboard")
    expect(phone.get_by_test_id("dashboard-offline")).to_be_visible()
    assert phone.locator(".chart canvas").count() == 0
    # Back online, it loads by itself.
    go_online(phone.context)
    phone.wait_for_selector('[data-testid="chart-stock-value"] canvas', timeout=15_000)
    expect(phone.get_by_test_id("dashboard-offline")).to_have_count(0)
