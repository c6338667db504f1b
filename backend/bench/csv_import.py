"""CSV import throughput: `python -m backend.bench.csv_import`.

Makes a 100,000-row items file (Chinese names, a unit barcode on every item and a case
barcode on a third of them, UTF-8 with BOM as Excel saves it) and imports it into a fresh
SQLite database and a fresh PostgreSQL database. Measured in the same run, on the same
database, as baselines: reading and checking the file alone (a dry run), and one plain
executemany INSERT of the same item rows with nothing checked. The import itself runs through
the real command line (`stockhand import items FILE`, the whole process timed), then again
in-process with nothing changed and with every name changed.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import delete, insert
from sqlalchemy.ext.asyncio import async_sessionmaker

from backend.db.engine import create_engine
from backend.db.migrate import upgrade
from backend.db.models import Item
from backend.domain.actor import Actor
from backend.service.csv_import.formats import ITEMS
from backend.service.csv_import.run import import_csv

BENCH_DB = "stockhand_bench_csv"
ADMIN = Actor(0, "bench", "admin", frozenset())
STOCKHAND = str(Path(sys.executable).with_name("stockhand"))
WORDS = (
    "绿茶", "乌龙茶", "矿泉水", "酱油", "陈醋", "大米", "挂面", "花生油", "饼干", "牛奶",
    "酸奶", "咖啡", "方便面", "薯片", "巧克力", "洗衣液", "牙膏", "纸巾", "电池", "插座",
)  # fmt: skip
SIZES = ("500毫升", "1升", "5千克", "250克", "12支装", "小号", "大号", "家庭装")
HEADER = ",".join(ITEMS.names)


def _ean13(n: int) -> str:
    body = f"69{n:010d}"
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def make_file(rows: int, seed: int = 7, rename: str = "") -> bytes:
    rng = random.Random(seed)
    lines = [HEADER]
    for n in range(1, rows + 1):
        tracking = "lot" if n % 10 == 0 else "none"
        shelf = str(rng.choice((90, 180, 365))) if tracking == "lot" else ""
        case = _ean13(5_000_000 + n) if n % 3 == 0 else ""
        name = f"{rng.choice(WORDS)} {rng.choice(SIZES)} {n}号{rename}"
        lines.append(
            f"BENCH-{n:06d},{name},ea,{tracking},{shelf},{rng.randint(100, 99999) / 100},"
            f"{rng.choice('ABC')},true,{_ean13(n)},{case},{'12' if case else ''}"
        )
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode()


def item_rows(rows: int) -> list[dict[str, Any]]:
    now = dt.datetime.now(dt.UTC)
    return [
        {
            "sku": f"BENCH-{n:06d}",
            "name": f"{WORDS[n % len(WORDS)]} {n}号",
            "unit": "ea",
            "tracking": "none",
            "shelf_life_days": None,
            "unit_cost": Decimal("1.25"),
            "abc_class": "B",
            "active": True,
            "created_at": now,
            "updated_at": now,
        }
        for n in range(1, rows + 1)
    ]


@dataclass
class Figure:
    engine: str
    label: str
    rows: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


async def _in_process(url: str, data: bytes, rows: int, figures: list[Figure], name: str) -> None:
    engine = create_engine(url, pool_size=2)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    try:
        started = time.perf_counter()
        summary = await import_csv(sessions, ADMIN, "items", data, dry_run=True)
        figures.append(Figure(name, "baseline: read + check (dry run)", summary.rows,
                              time.perf_counter() - started))  # fmt: skip
        plain = item_rows(rows)
        started = time.perf_counter()
        async with sessions() as session, session.begin():
            await session.execute(insert(Item), plain)
        figures.append(Figure(name, "baseline: plain executemany INSERT", rows,
                              time.perf_counter() - started))  # fmt: skip
        async with sessions() as session, session.begin():
            await session.execute(delete(Item))
    finally:
        await engine.dispose()


def _cli_import(url: str, path: Path, figures: list[Figure], name: str) -> dict[str, Any]:
    env = {**os.environ, "DATABASE_URL": url}
    started = time.perf_counter()
    done = subprocess.run(
        [STOCKHAND, "import", "items", str(path), "--quiet"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"stockhand import failed:\n{done.stderr[-3000:]}")
    summary = json.loads(done.stdout)
    figures.append(Figure(name, "stockhand import (new, whole CLI process)", summary["rows"],
                          seconds))  # fmt: skip
    return summary


async def _again(url: str, data: bytes, label: str, figures: list[Figure], name: str) -> Any:
    engine = create_engine(url, pool_size=2)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    try:
        started = time.perf_counter()
        summary = await import_csv(sessions, ADMIN, "items", data)
        figures.append(Figure(name, label, summary.rows, time.perf_counter() - started))
        return summary
    finally:
        await engine.dispose()


def run_engine(name: str, url: str, path: Path, renamed: bytes, rows: int) -> list[Figure]:
    figures: list[Figure] = []
    print(f"\n{name}: {url}")
    asyncio.run(_in_process(url, path.read_bytes(), rows, figures, name))
    print(f"  {figures[-2].label}: {figures[-2].seconds:.1f} s")
    print(f"  {figures[-1].label}: {figures[-1].seconds:.1f} s")
    summary = _cli_import(url, path, figures, name)
    print(
        f"  {figures[-1].label}: {figures[-1].seconds:.1f} s "
        f"(import itself {summary['seconds']} s; {summary['created']} items, "
        f"{summary['barcodes_added']} barcodes)"
    )
    same = asyncio.run(_again(url, path.read_bytes(), "re-import, nothing changed", figures, name))
    print(f"  {figures[-1].label}: {figures[-1].seconds:.1f} s ({same.unchanged} unchanged)")
    changed = asyncio.run(_again(url, renamed, "re-import, every name changed", figures, name))
    print(f"  {figures[-1].label}: {figures[-1].seconds:.1f} s ({changed.updated} updated)")
    return figures


def _fresh_postgres(admin_url: str) -> str:
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{BENCH_DB}"')
    base = admin_url.rsplit("/", 1)[0].split("://", 1)[1]
    url = f"postgresql+psycopg://{base}/{BENCH_DB}"
    upgrade(url)
    return url


def _drop_postgres(admin_url: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')


def report(figures: list[Figure]) -> None:
    labels = list(dict.fromkeys(f.label for f in figures))
    engines = list(dict.fromkeys(f.engine for f in figures))
    table = {(f.engine, f.label): f for f in figures}
    print("\nrows/s (seconds)".ljust(46) + "".join(e.rjust(22) for e in engines))
    for label in labels:
        cells = []
        for engine in engines:
            f = table.get((engine, label))
            cells.append(f"{f.rate:>10,.0f} ({f.seconds:5.1f} s)" if f else "-")
        print(f"  {label:<44}" + "".join(c.rjust(22) for c in cells))
    top = max(f.rate for f in figures)
    print("\nrows/s, longer is faster")
    for label in labels:
        print(f"  {label}")
        for engine in engines:
            f = table.get((engine, label))
            if f:
                bar = "#" * max(1, round(50 * f.rate / top))
                print(f"    {engine:<10} {bar} {f.rate:,.0f}")
    for engine in engines:
        f = table.get((engine, "stockhand import (new, whole CLI process)"))
        if f:
            verdict = "under" if f.seconds < 60 else "NOT under"
            print(f"\n{engine}: {f.rows:,} item rows imported in {f.seconds:.1f} s, {verdict} 60 s")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
        help="A maintenance database URL; the bench creates and drops its own database",
    )
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="stockhand-csv-bench-") as tmp:
        path = Path(tmp) / "items.csv"
        started = time.perf_counter()
        path.write_bytes(make_file(args.rows))
        renamed = make_file(args.rows, rename=" 新")
        print(
            f"items file: {args.rows:,} rows, {path.stat().st_size / 1e6:.1f} MB "
            f"(made in {time.perf_counter() - started:.1f} s); {os.cpu_count()} CPUs"
        )
        sqlite_url = f"sqlite+aiosqlite:///{tmp}/bench.db"
        upgrade(sqlite_url)
        figures = run_engine("SQLite", sqlite_url, path, renamed, args.rows)
        if not args.skip_postgres:
            try:
                pg_url = _fresh_postgres(args.postgres)
            except psycopg.OperationalError as error:
                print(f"\nPostgreSQL skipped: {error}")
            else:
                try:
                    figures += run_engine("PostgreSQL", pg_url, path, renamed, args.rows)
                finally:
                    _drop_postgres(args.postgres)
        report(figures)


if __name__ == "__main__":
    main()
