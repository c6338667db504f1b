"""Installable: a linked web app manifest with icons that load, and a service worker that
controls the page."""

from __future__ import annotations

import cv2
import numpy as np
from playwright.sync_api import Page

from tests.pwa.helpers import wait_for_service_worker


def test_manifest_icons_and_service_worker(page: Page) -> None:
    page.goto("/")
    href = page.get_attribute('link[rel="manifest"]', "href")
    assert href == "manifest.webmanifest"
    response = page.request.get(f"/{href}")
    assert response.ok
    manifest = response.json()
    assert manifest["display"] == "standalone"
    assert manifest["start_url"].startswith("/")
    assert manifest["theme_color"] == page.get_attribute('meta[name="theme-color"]', "content")
    purposes = {icon["purpose"] for icon in manifest["icons"]}
    assert {"any", "maskable"} <= purposes
    for icon in manifest["icons"]:
        fetched = page.request.get(f"/{icon['src']}")
        assert fetched.ok and fetched.headers["content-type"] == "image/png"
        image = cv2.imdecode(np.frombuffer(fetched.body(), np.uint8), cv2.IMREAD_UNCHANGED)
        width, height = (int(n) for n in icon["sizes"].split("x"))
        assert image.shape[:2] == (height, width)
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes

    wait_for_service_worker(page)
    state = page.evaluate(
        """async () => {
            const registration = await navigator.serviceWorker.ready;
            const keys = await caches.keys();
            return { scope: registration.scope, active: registration.active.state,
                     controlled: !!navigator.serviceWorker.controller, caches: keys };
        }"""
    )
    assert state["controlled"] and state["active"] == "activated"
    assert any(name.startswith("stockhand-shell-") for name in state["caches"])
