"""The demo warehouse and the command line that loads and checks it."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from backend.db.models import Item, ItemBarcode, Location, Lot, Quant, User
from backend.service.demo import DEMO_PASSWORD, load_demo
from backend.service.sealing import verify_ledger
from backend.service.users import authenticate
from scanner.gs1 import is_valid_key

pytestmark = pytest.mark.anyio
STOCKHAND = str(Path(sys.executable).with_name("stockhand"))


async def test_demo_is_a_realistic_warehouse(sessions) -> None:
    summary = await load_demo(sessions, seed=7)
    assert summary is not None
    async with sessions() as session:
        count = lambda q: session.scalar(select(func.count()).select_from(q))  # noqa: E731
        assert summary["warehouses"] == ["MAIN", "EAST"]
        bins = (await session.execute(select(Location).where(Location.kind == "bin"))).scalars()
        bins = [b for b in bins if not b.code.startswith("QUAR")]
        assert len(bins) == 200
        assert all(b.barcode and b.pick_sequence > 0 for b in bins)
        assert len({b.barcode for b in bins}) == 200
        assert await count(Item) == 500
        codes = (await session.execute(select(ItemBarcode))).scalars().all()
        assert all(is_valid_key(c.code) for c in codes)
        cases = [c for c in codes if c.packaging == "case"]
        assert cases and all(c.quantity == 12 and len(c.code) == 14 for c in cases)
        lots = (await session.execute(select(Lot))).scalars().all()
        assert lots and all(lot.expiry_date is not None for lot in lots)
        soon = [lot for lot in lots if lot.expiry_date <= date.today() + timedelta(days=14)]
        assert soon, "some lots should be near expiry"
        # Opening stock went through the ledger: every item sums to zero over all locations.
        sums = (await session.execute(
            select(Quant.item_id, func.sum(Quant.on_hand)).group_by(Quant.item_id))).all()
        assert len(sums) == 500 and all(total == 0 for _, total in sums)
        on_shelves = await session.scalar(select(func.sum(Quant.on_hand)).where(
            Quant.is_virtual.is_(False)))
        assert on_shelves > 10_000
        report = await verify_ledger(session)
        assert report.ok and report.unsealed_moves == 0 and report.moves_checked > 1000
        assert await count(User) == 3
    async with sessions() as session:
        for name in ("worker", "supervisor", "admin"):
            user = await authenticate(session, name, DEMO_PASSWORD)
            assert user is not None and user.role == name
        assert await authenticate(session, "worker", "wrong-password") is None


def _cli(db_url: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": db_url}
    return subprocess.run([STOCKHAND, *args], env=env, input=stdin, capture_output=True,
                          text=True, timeout=300)


@pytest.mark.sqlite
def test_cli_demo_loads_once_and_verifies(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/cli.db"
    refused = _cli(url, "demo")
    assert refused.returncode != 0 and "stockhand migrate" in refused.stderr
    assert _cli(url, "migrate").returncode == 0
    first = _cli(url, "demo", "--if-empty", "--no-history")
    assert first.returncode == 0, first.stderr
    assert "stockhand-demo" in first.stdout and '"items": 500' in first.stdout
    again = _cli(url, "demo", "--if-empty", "--no-history")
    assert again.returncode == 0 and "already has data" in again.stdout
    assert _cli(url, "demo").returncode != 0
    verified = _cli(url, "verify-ledger")
    assert verified.returncode == 0 and '"ok": true' in verified.stdout
    created = _cli(url, "create-user", "lee", "--role", "worker", "--warehouse", "EAST",
                   "--password-stdin", stdin="a-long-password\n")
    assert created.returncode == 0, created.stderr
    short = _cli(url, "create-user", "kim", "--role", "worker", "--password-stdin",
                 stdin="short\n")
    assert short.returncode != 0 and "at least 8" in short.stderr
    unknown = _cli(url, "create-user", "kim", "--role", "worker", "--warehouse", "NOPE",
                   "--password-stdin", stdin="a-long-password\n")
    assert unknown.returncode != 0 and "NOPE" in unknown.stderr


@pytest.mark.sqlite
def test_commands_that_need_only_the_database_make_no_keys(tmp_path: Path) -> None:
    """`migrate` and `verify-ledger` run where an operator happens to stand: they must not
    leave a token key or a push signing key in its `var/`; `serve` makes those."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STOCKHAND_")}
    env["DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path}/data/keys.db"
    work = tmp_path / "here"
    work.mkdir()
    for args in (["migrate"], ["verify-ledger"]):
        done = subprocess.run([STOCKHAND, *args], env=env, cwd=work, capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0, done.stderr
    assert not (work / "var").exists()
