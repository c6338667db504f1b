"""Exactly once across a crash: the server process is killed in the middle of a batch,
restarted, and the device sends the same batch again."""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import anyio
import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from backend.db.models import Command, Quant
from backend.domain.commands import AdjustStock
from backend.service.commands import apply_command
from tests.world import World, envelope

pytestmark = pytest.mark.anyio

STOCKHAND = str(Path(sys.executable).with_name("stockhand"))
BATCH = 500
# The device sends several batches in a row, so that the kill lands mid-stream even when
# the machine is fast; what counts is that it cuts one batch off part-way.
BATCHES = 4
TOTAL = BATCH * BATCHES


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(db_url: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DATABASE_URL": db_url}
    with log.open("ab") as out:
        process = subprocess.Popen(
            [STOCKHAND, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            pass
        if process.poll() is not None:
            raise AssertionError(f"server exited: {log.read_text()[-2000:]}")
        time.sleep(0.1)
    process.kill()
    raise AssertionError(f"server did not start: {log.read_text()[-2000:]}")


def _events(world: World) -> list[dict[str, object]]:
    start = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    return [
        {"type": "move_stock", "event_id": str(uuid.uuid4()), "device_id": "crash-handheld",
         "occurred_at": (start + dt.timedelta(milliseconds=n)).isoformat(),
         "item_id": world.items["PLAIN"], "from_location_id": world.loc("A-01"),
         "to_location_id": world.loc("A-04"), "quantity": 1}
        for n in range(TOTAL)
    ]


def _recorded(db_url: str, event_ids: list[str]) -> int:
    """Commands on record, read with a plain blocking engine from the test's thread."""
    engine = sa.create_engine(db_url.replace("+aiosqlite", ""))
    try:
        with engine.connect() as conn:
            return int(conn.scalar(select(func.count()).select_from(Command).where(
                Command.event_id.in_([uuid.UUID(e) for e in event_ids]))) or 0)
    finally:
        engine.dispose()


def _login(base: str) -> dict[str, str]:
    token = httpx.post(f"{base}/api/auth/login", json={
        "username": "worker", "password": World.PASSWORD}).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def _kill_mid_stream(db_url: str, base: str, port: int, log: Path,
                     events: list[dict[str, object]]) -> tuple[bool, int]:
    """Send the stream, kill the server once something has committed; whether a request
    was cut off, and how many events were on record at the kill."""
    ids = [str(e["event_id"]) for e in events]
    server = _start(db_url, port, log)
    failure: list[BaseException] = []
    try:
        headers = _login(base)

        def send() -> None:
            try:
                for start in range(0, TOTAL, BATCH):
                    httpx.post(f"{base}/api/sync", json={"events": events[start:start + BATCH]},
                               headers=headers, timeout=120)
            except httpx.TransportError as error:  # the kill cuts the answer off
                failure.append(error)

        sender = threading.Thread(target=send)
        sender.start()
        deadline = time.monotonic() + 60
        while _recorded(db_url, ids) == 0 and time.monotonic() < deadline:
            time.sleep(0.005)
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)
        sender.join(timeout=30)
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
    return bool(failure), _recorded(db_url, ids)


def _deliver_twice(db_url: str, base: str, port: int, log: Path,
                   events: list[dict[str, object]]) -> tuple[list[dict], list[dict]]:
    server = _start(db_url, port, log)
    try:
        headers = _login(base)
        rounds: list[list[dict]] = [[], []]
        for outcomes in rounds:
            for start in range(0, TOTAL, BATCH):
                part = {"events": events[start:start + BATCH]}
                response = httpx.post(f"{base}/api/sync", json=part, headers=headers,
                                      timeout=120)
                assert response.status_code == 200, response.text
                outcomes += response.json()["outcomes"]
    finally:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)
    return rounds[0], rounds[1]


async def test_killed_mid_batch_then_retried_applies_each_event_once(
    db_url, sessions, world: World, tmp_path: Path
):
    grow = AdjustStock(**envelope(), item_id=world.items["PLAIN"],  # type: ignore[arg-type]
                       location_id=world.loc("A-01"), quantity=TOTAL, reason="found")
    assert (await apply_command(sessions, grow, world.actors["admin"])).status == "applied"
    port, log = _free_port(), tmp_path / "server.log"
    base = f"http://127.0.0.1:{port}"
    events = _events(world)
    ids = [str(e["event_id"]) for e in events]

    cut_off, before_retry = await anyio.to_thread.run_sync(
        _kill_mid_stream, db_url, base, port, log, events)
    assert cut_off, "the stream finished before the kill; nothing was interrupted"
    assert 0 < before_retry < TOTAL, before_retry
    outcomes, again = await anyio.to_thread.run_sync(
        _deliver_twice, db_url, base, port, log, events)

    statuses = [o["status"] for o in outcomes]
    # What committed before the kill answers duplicate; the rest is applied now; none twice.
    assert statuses.count("duplicate") == before_retry
    assert statuses.count("applied") == TOTAL - before_retry
    assert statuses[:before_retry] == ["duplicate"] * before_retry
    assert {o["status"] for o in again} == {"duplicate"}
    assert _recorded(db_url, ids) == TOTAL
    async with sessions() as session:
        on_hand = dict((await session.execute(
            select(Quant.location_id, Quant.on_hand).where(
                Quant.item_id == world.items["PLAIN"],
                Quant.location_id.in_([world.loc("A-01"), world.loc("A-04")])))).tuples().all())
    assert on_hand == {world.loc("A-01"): 10, world.loc("A-04"): TOTAL}
