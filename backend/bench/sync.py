"""Offline sync throughput against PostgreSQL: `python -m backend.bench.sync`.

Four simulated handhelds each send their share of 10,000 mixed events (bin moves, picks and,
where counts are open, count records) in batches of 500 to a real server process, all four
at once. Printed next to it, measured in the same run on the same database: the same number
of rows inserted one per committed transaction, and all of them in one psycopg
`executemany`. Then the whole delivery is replayed, as a device does after a lost answer.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
from psycopg.types.json import Jsonb
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from backend.db.engine import create_engine
from backend.db.migrate import upgrade
from backend.db.models import CountLine, Customer, Task, TaskLine
from backend.domain.actor import Actor
from backend.domain.commands import OpeningLine, PostOpeningBalance
from backend.service import catalog, counting, sales
from backend.service.commands import apply_command
from backend.service.users import create_user
from backend.service.warehouses import create_warehouse

PASSWORD = "bench-password-not-secret"
BENCH_DB = "stockhand_bench_sync"
ITEMS_PER_DEVICE = 20
LINES_PER_ORDER = 25
STOCK_PER_ITEM = 1_000_000


@dataclass
class Device:
    name: str
    user_id: int
    items: list[int] = field(default_factory=list)
    bins: tuple[int, int] = (0, 0)
    pick_lines: list[tuple[int, int, int]] = field(default_factory=list)  # line, bin, qty
    item_bins: list[int] = field(default_factory=list)
    # count line, item, bin
    count_lines: list[tuple[int, int, int]] = field(default_factory=list)


def _progress(label: str, done: int, total: int, started: float) -> None:
    width = 30
    filled = int(width * done / max(total, 1))
    rate = done / max(time.perf_counter() - started, 1e-9)
    sys.stdout.write(
        f"\r  {label:<16} [{'#' * filled}{'.' * (width - filled)}] {done:>6}/{total}  {rate:8.0f}/s"
    )
    sys.stdout.flush()
    if done >= total:
        sys.stdout.write("\n")


def _fresh_database(admin_url: str) -> str:
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{BENCH_DB}"')
    base = admin_url.rsplit("/", 1)[0].split("://", 1)[1]
    url = f"postgresql+psycopg://{base}/{BENCH_DB}"
    upgrade(url)
    return url


async def _world(url: str, devices: int, per_kind: int) -> list[Device]:
    engine = create_engine(url)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    admin = Actor(0, "bench", "admin", frozenset())
    result: list[Device] = []
    async with sessions() as session, session.begin():
        warehouse = await create_warehouse(session, code="BENCH", name="Bench warehouse")
        wid = warehouse.id
        await catalog.create_location(
            session,
            admin,
            {"warehouse_id": wid, "code": "SHIP", "kind": "dock", "purpose": "shipping"},
        )
        bins = []
        for n in range(devices * (ITEMS_PER_DEVICE + 2)):
            location = await catalog.create_location(
                session,
                admin,
                {"warehouse_id": wid, "code": f"B-{n:04d}", "kind": "bin", "pick_sequence": n},
            )
            bins.append(location.id)
        owner = await create_user(
            session, username="bench-admin", password=PASSWORD, role="admin", warehouses=[]
        )
        admin = Actor(owner.id, "bench-admin", "admin", frozenset())
        supervisor = await create_user(
            session, username="bench-supervisor", password=PASSWORD, role="supervisor",
            warehouses=[wid],
        )  # fmt: skip
        for d in range(devices):
            user = await create_user(
                session, username=f"bench-worker-{d}", password=PASSWORD, role="worker",
                warehouses=[wid],
            )  # fmt: skip
            device = Device(f"handheld-{d}", user.id)
            for i in range(ITEMS_PER_DEVICE):
                item = await catalog.create_item(
                    session, {"sku": f"D{d}-I{i:03d}", "name": f"Bench item {d}/{i}"}, []
                )
                device.items.append(item.id)
            base = d * (ITEMS_PER_DEVICE + 2)
            device.bins = (bins[base + ITEMS_PER_DEVICE], bins[base + ITEMS_PER_DEVICE + 1])
            device.item_bins = bins[base : base + ITEMS_PER_DEVICE]
            result.append(device)
        customer = Customer(code="BENCH", name="Bench customer")
        session.add(customer)
    lines = []
    for d, device in enumerate(result):
        base = d * (ITEMS_PER_DEVICE + 2)
        lines += [
            OpeningLine(item_id=item, location_id=bins[base + i], quantity=STOCK_PER_ITEM)
            for i, item in enumerate(device.items)
        ]
        lines += [
            OpeningLine(
                item_id=device.items[0], location_id=device.bins[0], quantity=STOCK_PER_ITEM
            )
        ]
    opening = PostOpeningBalance(
        event_id=uuid.uuid4(),
        device_id="bench",
        # Before the devices' events, so that counts are judged against the stock loaded here.
        occurred_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=2),
        lines=lines,
    )
    assert (await apply_command(sessions, opening, admin)).status == "applied"
    boss = Actor(supervisor.id, "bench-supervisor", "supervisor", frozenset({wid}))
    for device in result:
        orders = -(-per_kind // LINES_PER_ORDER)
        for _ in range(orders):
            async with sessions() as session, session.begin():
                order = await sales.create_order(
                    session,
                    boss,
                    customer_id=customer.id,
                    warehouse_id=wid,
                    lines=[
                        sales.SaleLine(device.items[n % ITEMS_PER_DEVICE], 1)
                        for n in range(LINES_PER_ORDER)
                    ],
                    requested_date=None,
                    note=None,
                )
                await sales.allocate(session, boss, order.id)
        async with sessions() as session:
            rows = await session.execute(
                select(TaskLine.id, TaskLine.from_location_id, TaskLine.quantity)
                .join(Task, Task.id == TaskLine.task_id)
                .where(Task.type == "pick", TaskLine.item_id.in_(device.items))
                .order_by(TaskLine.id)
            )
            device.pick_lines = [tuple(r) for r in rows.all()][:per_kind]
        for _ in range(-(-per_kind // ITEMS_PER_DEVICE)):
            async with sessions() as session, session.begin():
                count = await counting.create_count(
                    session,
                    boss,
                    counting.CountPlan(
                        warehouse_id=wid,
                        scope=counting.CountScope(location_ids=device.item_bins),
                        assignee_id=device.user_id,
                    ),
                )
                found = await session.execute(
                    select(CountLine.id, CountLine.location_id)
                    .where(CountLine.count_id == count.id)
                    .order_by(CountLine.id)
                )
                holds = dict(zip(device.item_bins, device.items, strict=True))
                device.count_lines += [
                    (line, holds[place], place) for line, place in found.tuples()
                ]
    await engine.dispose()
    return result


# One count in this many finds a unit more than the book: a variance for a supervisor.
VARIANCE_EVERY = 50


def _events(device: Device, count: int) -> list[dict[str, Any]]:
    at = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    events: list[dict[str, Any]] = []
    picked: dict[int, int] = {}  # bin -> units picked from it so far
    picks = iter(device.pick_lines)
    counts = iter(device.count_lines)
    src, dst = device.bins
    for n in range(count):
        envelope = {
            "event_id": str(uuid.uuid4()),
            "device_id": device.name,
            "occurred_at": (at + dt.timedelta(milliseconds=n)).isoformat(),
        }
        line = next(picks, None) if n % 3 == 1 else None
        counted = next(counts, None) if n % 3 == 2 else None
        if counted is not None:
            count_line, item_id, bin_id = counted
            found = STOCK_PER_ITEM - picked.get(bin_id, 0) + (n % (3 * VARIANCE_EVERY) == 2)
            events.append(
                {"type": "record_count", **envelope, "count_line_id": count_line,
                 "entries": [{"item_id": item_id, "quantity": found}]}
            )  # fmt: skip
        elif line is not None:
            line_id, bin_id, quantity = line
            picked[bin_id] = picked.get(bin_id, 0) + quantity
            events.append(
                {"type": "pick_item", **envelope, "task_line_id": line_id,
                 "quantity": quantity, "location_id": bin_id}
            )  # fmt: skip
        else:
            forward = (n // 3) % 2 == 0
            events.append(
                {"type": "move_stock", **envelope, "item_id": device.items[0],
                 "from_location_id": src if forward else dst,
                 "to_location_id": dst if forward else src, "quantity": 1}
            )  # fmt: skip
    return events


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(url: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    stockhand = str(Path(sys.executable).with_name("stockhand"))
    process = subprocess.Popen(
        [stockhand, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)],
        env={**os.environ, "DATABASE_URL": url},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.1)
    os.killpg(process.pid, signal.SIGKILL)
    raise SystemExit("the server did not start")


def _deliver(
    base: str, tokens: list[str], streams: list[list[dict[str, Any]]], batch: int, label: str
) -> tuple[float, dict[str, int]]:
    """Each device sends its stream in batches, all devices at once; returns the seconds the
    whole delivery took and the count of outcomes by status."""
    total = sum(len(s) for s in streams)
    done = [0]
    statuses: dict[str, int] = {}
    lock = threading.Lock()
    started = time.perf_counter()

    def device(token: str, events: list[dict[str, Any]]) -> None:
        with httpx.Client(base_url=base, timeout=600) as client:
            for start in range(0, len(events), batch):
                part = events[start : start + batch]
                response = client.post(
                    "/api/sync",
                    json={"events": part},
                    headers={"Authorization": f"Bearer {token}"},
                )
                response.raise_for_status()
                with lock:
                    for outcome in response.json()["outcomes"]:
                        statuses[outcome["status"]] = statuses.get(outcome["status"], 0) + 1
                    done[0] += len(part)
                    _progress(label, done[0], total, started)

    threads = [
        threading.Thread(target=device, args=(token, events))
        for token, events in zip(tokens, streams, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, statuses


def _floors(admin_url: str, rows: int) -> tuple[float, float]:
    """Seconds to insert `rows` command-like rows one per commit, then all in one executemany."""
    base = admin_url.rsplit("/", 1)[0]
    with psycopg.connect(f"{base}/{BENCH_DB}", autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE bench_rows (id bigserial PRIMARY KEY, event_id uuid UNIQUE NOT NULL, "
            "device_id text NOT NULL, payload jsonb NOT NULL, at timestamptz NOT NULL)"
        )
        data = [
            (uuid.uuid4(), f"handheld-{n % 4}", Jsonb({"n": n, "type": "move_stock"}),
             dt.datetime.now(dt.UTC))
            for n in range(rows)
        ]  # fmt: skip
        insert = "INSERT INTO bench_rows (event_id, device_id, payload, at) VALUES (%s, %s, %s, %s)"
        started = time.perf_counter()
        for n, row in enumerate(data, start=1):
            with conn.transaction():
                conn.execute(insert, row)
            if n % 500 == 0 or n == rows:
                _progress("row per commit", n, rows, started)
        one_per_commit = time.perf_counter() - started
        conn.execute("TRUNCATE bench_rows")
        fresh = [(uuid.uuid4(), *row[1:]) for row in data]
        started = time.perf_counter()
        with conn.transaction(), conn.cursor() as cursor:
            cursor.executemany(insert, fresh)
        executemany = time.perf_counter() - started
        _progress("executemany", rows, rows, started)
        conn.execute("DROP TABLE bench_rows")
    return one_per_commit, executemany


def _bar(label: str, rate: float, top: float, note: str = "") -> str:
    width = 40
    return f"  {label:<28} {'█' * max(1, int(width * rate / top)):<{width}} {rate:9.0f}/s {note}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--admin-url",
        default=os.environ.get(
            "BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
    )
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--devices", type=int, default=4)
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="server processes (uvicorn)"
    )
    args = parser.parse_args(argv)
    per_device = args.events // args.devices
    print(f"setting up {BENCH_DB}: {args.devices} devices, {per_device} events each")
    url = _fresh_database(args.admin_url)
    devices = asyncio.run(_world(url, args.devices, per_device // 3 + 1))
    streams = [_events(device, per_device) for device in devices]
    total = sum(len(s) for s in streams)
    kinds: dict[str, int] = {}
    for stream in streams:
        for event in stream:
            kinds[event["type"]] = kinds.get(event["type"], 0) + 1
    print("events:", ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())))
    port = _free_port()
    server = _serve(url, port, args.workers)
    base = f"http://127.0.0.1:{port}"
    try:
        tokens = [
            httpx.post(
                f"{base}/api/auth/login",
                json={"username": f"bench-worker-{d}", "password": PASSWORD},
            ).json()["access_token"]
            for d in range(args.devices)
        ]
        first, first_statuses = _deliver(base, tokens, streams, args.batch, "first delivery")
        replay, replay_statuses = _deliver(base, tokens, streams, args.batch, "replay")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    one_per_commit, executemany = _floors(args.admin_url, total)
    rates = {
        "first delivery": total / first,
        "replay": total / replay,
        "floor: row per commit": total / one_per_commit,
        "floor: one executemany": total / executemany,
    }
    top = max(rates.values())
    print(
        f"\n{total} events, {args.devices} devices, batches of {args.batch}, "
        f"{args.workers} server processes:"
    )
    print("  first delivery outcomes:", first_statuses)
    print("  replay outcomes:        ", replay_statuses)
    for label, rate in rates.items():
        print(_bar(label, rate, top))
    first_rate = rates["first delivery"]
    checks: list[tuple[str, float, float | None]] = [
        ("first delivery events/s", first_rate, 1000),
        ("first delivery / row-per-commit floor", first_rate / rates["floor: row per commit"], 0.4),
        ("replay / first delivery", rates["replay"] / first_rate, 5),
        ("first delivery / executemany floor", first_rate / rates["floor: one executemany"], None),
    ]
    print()
    for name, value, target in checks:
        verdict = ""
        if target is not None:
            verdict = f"{'meets' if value >= target else 'MISSES'} target {target:g}"
        print(f"  {name:<40} {value:10.2f}   {verdict}")


if __name__ == "__main__":
    main()
