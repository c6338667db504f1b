"""Browser tests of the PWA: the real app (`stockhand serve`) on the demo warehouse, driven by
Playwright on the system Chromium. Run in their own process (`make pwa-test`): the sync
Playwright fixtures keep an event loop running that breaks later anyio tests.

Chromium is Debian's (/usr/bin/chromium), never a Playwright download. Locally a missing
Chromium skips the browser tests; under CI=true it fails them.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import httpx
import numpy as np
import pytest
import zxingcpp

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
ARTIFACTS = HERE / "artifacts"
CHROMIUM = Path(os.environ.get("STOCKHAND_CHROMIUM", "/usr/bin/chromium"))
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
PASSWORD = "stockhand-demo"
# Flags that make Debian's Chromium run as root in a sandbox-less container with no
# outbound network (STYLE §10), plus a fake camera that plays a file (see camera_video).
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
]


def pytest_configure(config: pytest.Config) -> None:
    # Playwright's traces and videos of failed tests land beside the screenshots, which are
    # git-ignored, instead of in a test-results/ folder at the top of the repository.
    if hasattr(config.option, "output"):
        config.option.output = str(ARTIFACTS / "results")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Browser tests run only in a pytest process of their own (`pytest tests/pwa`): in a run
    that also holds other tests they are deselected, so `pytest` alone never mixes
    Playwright's event loop with the anyio tests."""
    mine = [item for item in items if HERE in Path(str(item.path)).parents]
    if mine and len(mine) < len(items):
        config.hook.pytest_deselected(items=mine)
        items[:] = [item for item in items if item not in mine]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class World:
    """The demo warehouse as served, with what the tests look up once."""

    url: str
    database: Path | None = None  # the served SQLite file, for what no endpoint undoes
    tokens: dict[str, str] = field(default_factory=dict)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    camera_item: dict[str, Any] = field(default_factory=dict)

    def api(self, user: str = "supervisor") -> httpx.Client:
        return httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {self.tokens[user]}"}, timeout=30
        )


def _wait_healthy(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"stockhand serve exited with {process.returncode}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("stockhand serve did not become healthy within 30 s")


@contextmanager
def serve_demo(folder: Path, *demo_args: str) -> Iterator[World]:
    """A fresh SQLite database in `folder`, migrated, with the demo loaded (`stockhand demo
    *demo_args`), served by `stockhand serve` on a free port until the block ends."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite+aiosqlite:///{folder / 'stockhand.db'}",
        "STOCKHAND_STATIC_DIR": str(ROOT / "pwa" / "static"),
    }
    cli = str(Path(sys.executable).parent / "stockhand")
    subprocess.run([cli, "migrate"], env=env, check=True, capture_output=True, cwd=ROOT)
    subprocess.run([cli, "demo", *demo_args], env=env, check=True, capture_output=True, cwd=ROOT)
    port = _free_port()
    log = (folder / "serve.log").open("wb")
    process = subprocess.Popen(
        [cli, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, process)
        w = World(url=url, database=folder / "stockhand.db")
        for name in ("worker", "supervisor", "admin"):
            answer = httpx.post(
                f"{url}/api/auth/login", json={"username": name, "password": PASSWORD}
            ).json()
            w.tokens[name] = answer["access_token"]
            w.users[name] = answer["user"]
        yield w
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The demo without its year of history: the screens need the warehouse, not its past
    (~10 s, not minutes)."""
    with serve_demo(tmp_path_factory.mktemp("pwa"), "--no-history") as w:
        yield w


def untracked_item_with_case(world: World, skip: int = 0) -> dict[str, Any]:
    """An item of the demo counted by quantity that has a unit and a case barcode."""
    with world.api() as api:
        found = 0
        for offset in range(0, 500, 100):
            items = api.get("/api/items", params={"limit": 100, "offset": offset}).json()["items"]
            for item in items:
                codes = {b["packaging"]: b for b in item["barcodes"]}
                if item["tracking"] == "none" and "unit" in codes and "case" in codes:
                    if found == skip:
                        return {**item, "unit": codes["unit"]["code"], "case": codes["case"]}
                    found += 1
    raise AssertionError("the demo has no untracked item with a case barcode")


def y4m(path: Path, image: np.ndarray, frames: int = 4) -> None:
    """A still picture as a YUV4MPEG2 video Chromium's fake camera can play (it loops)."""
    height, width = image.shape[:2]
    i420 = cv2.cvtColor(image, cv2.COLOR_BGR2YUV_I420).tobytes()
    with path.open("wb") as f:
        f.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            f.write(b"FRAME\n" + i420)


@pytest.fixture(scope="session")
def camera_video(world: World, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 640x480 video of an item's EAN-13 label on white, for the fake camera."""
    item = untracked_item_with_case(world, skip=5)
    world.camera_item = item
    symbol = zxingcpp.create_barcode(item["unit"], zxingcpp.BarcodeFormat.EAN13)
    label = np.asarray(symbol.to_image(scale=3, add_quiet_zones=True))
    if label.ndim == 2:
        label = cv2.cvtColor(label, cv2.COLOR_GRAY2BGR)
    frame = np.full((480, 640, 3), 255, np.uint8)
    h, w = label.shape[:2]
    y, x = (480 - h) // 2, (640 - w) // 2
    frame[y : y + h, x : x + w] = label[:, :, :3]
    path = tmp_path_factory.mktemp("camera") / "label.y4m"
    y4m(path, frame)
    return path


@pytest.fixture(scope="session")
def browser_type_launch_args(
    browser_type_launch_args: dict[str, Any], camera_video: Path
) -> dict[str, Any]:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: apt-get install chromium"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": [*CHROMIUM_FLAGS, f"--use-file-for-fake-video-capture={camera_video}"],
    }


@pytest.fixture(scope="session")
def base_url(world: World) -> str:
    return world.url


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any], world: World) -> dict[str, Any]:
    return {
        **browser_context_args,
        "base_url": world.url,
        "service_workers": "allow",
        "viewport": {"width": 412, "height": 915},
        "device_scale_factor": 1,
        "permissions": ["camera"],
        "locale": "en-US",
    }


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
