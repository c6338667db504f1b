"""Scanning: the camera path (frames to the server decoder, since Chromium on Linux has no
BarcodeDetector) with a fake camera playing a label, and a keyboard-wedge burst."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import BrowserContext, Page, expect

from tests.pwa.conftest import World, untracked_item_with_case
from tests.pwa.helpers import scan_log, scans_done, sign_in, wedge


def test_camera_frames_are_decoded_by_the_server_once_per_label(world: World, page: Page) -> None:
    uploads: list[dict[str, Any]] = []
    page.on(
        "request",
        lambda r: uploads.append(dict(r.headers)) if r.url.endswith("/api/scan/decode") else None,
    )
    sign_in(page, "worker")
    assert page.evaluate("'BarcodeDetector' in window") is False
    page.goto("/#/lookup")
    page.get_by_test_id("camera-toggle").click()
    expect(page.get_by_test_id("lookup-sku")).to_have_text(world.camera_item["sku"], timeout=15_000)
    assert page.get_attribute("body", "data-camera") == "scanning:upload"
    # The label stays in view: frames keep going up (about three a second) and are read,
    # but it is one scan, not one per frame.
    page.wait_for_timeout(2000)
    camera_scans = [s for s in scan_log(page) if s["source"] == "camera"]
    assert [s["code"] for s in camera_scans] == [world.camera_item["unit"]]
    assert len(uploads) >= 4
    assert all(u["content-type"] == "image/jpeg" for u in uploads)
    page.get_by_test_id("camera-toggle").click()
    assert page.get_attribute("body", "data-camera") is None


def test_wedge_burst_on_a_count_loses_no_scan(
    world: World, context: BrowserContext, page: Page
) -> None:
    first = untracked_item_with_case(world, skip=2)
    second = untracked_item_with_case(world, skip=3)
    with world.api() as api:
        location = api.get("/api/locations", params={"code": "B01-02"}).json()["items"][0]
        created = api.post("/api/counts", json={
            "warehouse_id": location["warehouse_id"], "location_ids": [location["id"]],
            "assignee_id": world.users["worker"]["id"],
        }).json()  # fmt: skip
    sign_in(page, "worker")
    page.goto(f"/#/task/{created['lines'][0]['task_id']}")
    expect(page.get_by_test_id("count-line")).to_be_visible()
    case = first["case"]
    # A GS1 string for two cases of the first item: (02) names the content, (37) the count.
    gs1 = f"(02){case['code'].zfill(14)}(37)2"
    codes = [location["barcode"], first["unit"], first["unit"], case["code"], first["unit"],
             second["unit"], gs1, first["unit"]]  # fmt: skip
    # The typed field has focus: the burst must not end up in it.
    page.get_by_test_id("scan-input").focus()
    wedge(page, *codes)
    scans_done(page, len(codes))
    assert [s["code"] for s in scan_log(page)] == codes
    assert all(s["source"] == "wedge" and s["outcome"] == "ok" for s in scan_log(page))
    assert page.get_by_test_id("scan-input").input_value() == ""
    entries = page.get_by_test_id("count-entry")
    expect(entries).to_have_count(2)
    # 4 units + 1 case of 12 + 2 cases of 12 on one line; the other item on its own line.
    expect(
        page.locator(
            f'[data-testid="count-entry"][data-sku="{first["sku"]}"] [data-testid="count-qty"]'
        )
    ).to_have_value(str(4 + case["quantity"] * 3))
    expect(
        page.locator(
            f'[data-testid="count-entry"][data-sku="{second["sku"]}"] [data-testid="count-qty"]'
        )
    ).to_have_value("1")
    assert page.get_attribute("body", "data-last-signal") == "ok"
    # Typing by hand in the field is left alone, and Enter submits it as a scan.
    page.get_by_test_id("scan-input").press_sequentially(second["unit"], delay=80)
    assert page.get_by_test_id("scan-input").input_value() == second["unit"]
    page.get_by_test_id("scan-input").press("Enter")
    expect(
        page.locator(
            f'[data-testid="count-entry"][data-sku="{second["sku"]}"] [data-testid="count-qty"]'
        )
    ).to_have_value("2")
