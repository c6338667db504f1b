"""Tamper evidence: sealed moves are hash-chained and each command keeps a digest of its moves.

Tampering is done the way an attacker with database access would: raw SQL past the application.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import sys
import uuid
from pathlib import Path

import anyio
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from backend.db.models import Command, LedgerSeal, LedgerSealEntry, StockMove
from backend.domain.commands import AdjustStock, MoveStock
from backend.service import commands
from backend.service.commands import apply_command
from backend.service.sealing import chain_hash, move_hash, seal_pending, verify_ledger

pytestmark = pytest.mark.anyio

STOCKHAND = str(Path(sys.executable).with_name("stockhand"))
MOVE_FIELDS = ("command_id, seq, item_id, lot_id, serial_id, quantity, from_location_id, "
               "to_location_id, user_id, occurred_at, created_at, document_type, document_ref, "
               "reason, note")
# A forger who knows (command_id, seq) is unique gives the copy a new line number.
FORGED_FIELDS = MOVE_FIELDS.replace("seq,", "seq + 1000,")


def envelope(device: str = "tamper-tests") -> dict:
    return {"event_id": uuid.uuid4(), "device_id": device, "occurred_at": dt.datetime.now(dt.UTC)}


def plain_move(world, src: str, dst: str, quantity: int, device: str = "tamper-tests"):
    return MoveStock(**envelope(device), item_id=world.items["PLAIN"],
                     from_location_id=world.loc(src), to_location_id=world.loc(dst),
                     quantity=quantity)


async def apply(sessions, world, command) -> list[int]:
    outcome = await apply_command(sessions, command, world.actors["supervisor"])
    assert outcome.status == "applied", outcome
    return outcome.result["move_ids"]  # type: ignore[index]


async def some_commands(sessions, world) -> dict[str, list[int]]:
    """A single-move command, a found adjustment, a two-serial move and a rejection; with the
    world's six-line opening balance. Returns the move ids by name."""
    async with sessions() as session:
        opening = list((await session.execute(
            select(StockMove.id).order_by(StockMove.id))).scalars())
    assert len(opening) == 6  # PLAIN A-01, LOTTED L1, SN-1, SN-2, SN-3, PLAIN B-01
    moved = await apply(sessions, world, plain_move(world, "A-01", "A-04", 3))
    found = await apply(sessions, world, AdjustStock(
        **envelope(), item_id=world.items["LOTTED"], location_id=world.loc("A-05"), quantity=4,
        reason="found", lot_number="L1"))
    serials = await apply(sessions, world, MoveStock(
        **envelope(), item_id=world.items["SERIAL"], from_location_id=world.loc("A-03"),
        to_location_id=world.loc("A-05"), quantity=2, serials=["SN-1", "SN-2"]))
    rejected = await apply_command(sessions, plain_move(world, "A-01", "A-04", 99),
                                   world.actors["supervisor"])
    assert rejected.status == "rejected"
    assert len(moved) == len(found) == 1 and len(serials) == 2
    return {"opening": opening, "moved": moved, "found": found, "serials": serials}


async def execute(sessions, statement: str, **params) -> list:
    async with sessions() as session, session.begin():
        result = await session.execute(text(statement), params)
        return list(result) if result.returns_rows else []


async def verify(sessions):
    async with sessions() as session:
        return await verify_ledger(session)


async def event_of(sessions, move_id: int) -> str:
    async with sessions() as session:
        return str((await session.execute(
            select(Command.event_id).join(StockMove, StockMove.command_id == Command.id)
            .where(StockMove.id == move_id))).scalar_one())


async def sealed_world(sessions, world) -> dict[str, list[int]]:
    ids = await some_commands(sessions, world)
    assert await seal_pending(sessions) == 10
    report = await verify(sessions)
    assert report.ok, report.as_dict()
    return ids


# --- the intact ledger -------------------------------------------------------------------------


async def test_intact_ledger_verifies(sessions, world):
    await some_commands(sessions, world)
    report = await verify(sessions)
    assert report.ok and report.unsealed_moves == 10 and report.seals_checked == 0
    assert report.commands_checked == 4  # the rejection wrote no moves, so has no digest
    assert await seal_pending(sessions) == 10
    assert await seal_pending(sessions) == 0
    report = await verify(sessions)
    assert report.ok, report.as_dict()
    assert (report.seals_checked, report.moves_checked, report.unsealed_moves) == (1, 10, 0)
    assert report.first_bad_move is None
    async with sessions() as session:
        head = (await session.execute(select(LedgerSeal.block_hash))).scalar_one()
    assert report.head_hash == head


async def test_moves_committed_after_a_seal_go_into_the_next_seal(sessions, world):
    await apply(sessions, world, plain_move(world, "A-01", "A-04", 1))
    assert await seal_pending(sessions) == 7
    later = await apply(sessions, world, plain_move(world, "A-04", "A-05", 1))
    assert await seal_pending(sessions) == 1
    report = await verify(sessions)
    assert report.ok, report.as_dict()
    assert (report.seals_checked, report.moves_checked) == (2, 8)
    async with sessions() as session:
        seals = list((await session.execute(select(LedgerSeal).order_by(LedgerSeal.id))).scalars())
        entry = (await session.execute(select(LedgerSealEntry).where(
            LedgerSealEntry.move_id == later[0]))).scalar_one()
    assert [s.move_count for s in seals] == [7, 1]
    assert (seals[0].prev_seal_id, seals[1].prev_seal_id) == (0, seals[0].id)
    assert seals[1].prev_hash == seals[0].block_hash
    assert entry.seal_id == seals[1].id


@pytest.mark.parametrize("db_url", [pytest.param("postgres", marks=pytest.mark.postgres)],
                         indirect=True)
async def test_a_lower_id_committing_late_is_sealed_in_the_next_block(
        sessions, world, monkeypatch):
    """Hold one command open after it wrote its moves; a later command commits and is sealed
    first. The held move (lower id) must be sealed in the next block and the chain verify."""
    assert await seal_pending(sessions) == 6
    held, release = asyncio.Event(), asyncio.Event()
    run = commands.run_handler

    async def run_and_hold(session, command, actor, row):  # type: ignore[no-untyped-def]
        result = await run(session, command, actor, row)
        if command.device_id == "slow-device":
            held.set()
            await release.wait()
        return result

    monkeypatch.setattr(commands, "run_handler", run_and_hold)
    slow = asyncio.create_task(apply_command(
        sessions, plain_move(world, "A-01", "A-04", 2, device="slow-device"),
        world.actors["supervisor"]))
    await asyncio.wait_for(held.wait(), 5)
    # Another device, other quants: nothing the held command has locked.
    fast = await apply(sessions, world, AdjustStock(
        **envelope("fast-device"), item_id=world.items["PLAIN"], location_id=world.loc("A-05"),
        quantity=1, reason="found"))
    assert await seal_pending(sessions) == 1
    release.set()
    outcome = await slow
    assert outcome.status == "applied"
    late = outcome.result["move_ids"]  # type: ignore[index]
    assert late[0] < fast[0]
    assert await seal_pending(sessions) == 1
    report = await verify(sessions)
    assert report.ok, report.as_dict()
    assert (report.seals_checked, report.moves_checked, report.unsealed_moves) == (3, 8, 0)
    async with sessions() as session:
        seal_of = dict((await session.execute(
            select(LedgerSealEntry.move_id, LedgerSealEntry.seal_id))).tuples().all())
    assert seal_of[late[0]] > seal_of[fast[0]]


# --- tampering ---------------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["single_move_command", "middle_of_opening_balance"])
async def test_altered_sealed_move_is_reported(sessions, world, target):
    ids = await sealed_world(sessions, world)
    # The opening balance's second line (LOTTED L1) is not a serial, so its quantity may change.
    move_id = ids["moved"][0] if target == "single_move_command" else ids["opening"][1]
    await execute(sessions, "UPDATE stock_moves SET quantity = quantity + 1 WHERE id = :id",
                  id=move_id)
    report = await verify(sessions)
    assert not report.ok
    altered = [p for p in report.problems if p.kind == "move_altered"]
    assert [p.move_id for p in altered] == [move_id]
    event_id = await event_of(sessions, move_id)
    assert any(p.kind == "command_moves_altered" and p.event_id == event_id
               for p in report.problems)
    first = report.first_bad_move
    assert first is not None
    assert (first.kind, first.move_id) == ("move_altered", move_id), report.as_dict()


@pytest.mark.parametrize("target", ["single_move_command", "middle_of_opening_balance"])
async def test_deleted_sealed_move_is_reported(sessions, world, target):
    ids = await sealed_world(sessions, world)
    move_id = ids["moved"][0] if target == "single_move_command" else ids["opening"][1]
    await execute(sessions, "DELETE FROM stock_moves WHERE id = :id", id=move_id)
    report = await verify(sessions)
    assert not report.ok
    deleted = [p for p in report.problems if p.kind == "move_deleted"]
    assert [p.move_id for p in deleted] == [move_id]
    first = report.first_bad_move
    assert first is not None
    assert (first.kind, first.move_id) == ("move_deleted", move_id), report.as_dict()


async def test_forged_move_before_sealing_is_reported(sessions, world):
    ids = await sealed_world(sessions, world)
    original = ids["moved"][0]
    rows = await execute(sessions, f"INSERT INTO stock_moves ({MOVE_FIELDS}) "
                                   f"SELECT {FORGED_FIELDS} FROM stock_moves WHERE id = :id "
                                   f"RETURNING id", id=original)
    forged = rows[0][0]
    assert forged > max(ids["serials"])
    report = await verify(sessions)
    assert not report.ok
    assert report.unsealed_moves == 1
    assert [p.kind for p in report.problems] == ["command_moves_altered"]
    first = report.first_bad_move
    assert first is not None
    assert first.kind == "command_moves_altered"
    assert first.move_id == forged
    assert first.event_id == await event_of(sessions, original)


async def test_a_copied_move_line_is_refused_by_the_database(sessions, world):
    ids = await sealed_world(sessions, world)
    with pytest.raises(IntegrityError):
        await execute(sessions, f"INSERT INTO stock_moves ({MOVE_FIELDS}) "
                                f"SELECT {MOVE_FIELDS} FROM stock_moves WHERE id = :id",
                      id=ids["moved"][0])


async def test_forged_move_sealed_afterwards_is_still_reported(sessions, world):
    ids = await sealed_world(sessions, world)
    original = ids["found"][0]
    forged = max(ids["serials"]) + 100
    await execute(sessions, f"INSERT INTO stock_moves (id, {MOVE_FIELDS}) "
                            f"SELECT :forged, {FORGED_FIELDS} FROM stock_moves WHERE id = :id",
                  forged=forged, id=original)
    assert await seal_pending(sessions) == 1  # the sealer cannot tell and seals it
    report = await verify(sessions)
    assert not report.ok
    assert report.unsealed_moves == 0
    assert [p.kind for p in report.problems] == ["command_moves_altered"]
    problem = report.problems[0]
    assert problem.event_id == await event_of(sessions, original)
    assert problem.move_id in (original, forged)


async def test_forged_move_under_a_rejected_command_is_reported(sessions, world):
    ids = await sealed_world(sessions, world)
    async with sessions() as session:
        rejected = (await session.execute(
            select(Command.id).where(Command.status == "rejected"))).scalar_one()
    rows = await execute(sessions, f"INSERT INTO stock_moves ({MOVE_FIELDS}) "
                                   f"SELECT {MOVE_FIELDS.replace('command_id', ':command')} "
                                   f"FROM stock_moves WHERE id = :id RETURNING id",
                         command=rejected, id=ids["moved"][0])
    report = await verify(sessions)
    assert [(p.kind, p.move_id) for p in report.problems] == [
        ("move_without_command", rows[0][0])]


async def test_consistent_rewrite_of_move_and_seal_is_caught_by_the_command_digest(
        sessions, world):
    """An attacker who rewrites a sealed move and recomputes its seal entry and the seal's hash
    leaves the chain consistent; the command's own digest still gives it away."""
    ids = await sealed_world(sessions, world)
    move_id = ids["moved"][0]
    await execute(sessions, "UPDATE stock_moves SET quantity = 1 WHERE id = :id", id=move_id)
    async with sessions() as session, session.begin():
        move = await session.get(StockMove, move_id)
        entry = await session.get(LedgerSealEntry, move_id)
        assert move is not None and entry is not None
        entry.move_hash = move_hash(move)
        seal = await session.get(LedgerSeal, entry.seal_id)
        assert seal is not None
        await session.flush()
        hashes = (await session.execute(select(LedgerSealEntry.move_hash).where(
            LedgerSealEntry.seal_id == seal.id).order_by(LedgerSealEntry.position))).scalars()
        seal.block_hash = chain_hash(seal.prev_hash, hashes)
    report = await verify(sessions)
    assert [(p.kind, p.move_id) for p in report.problems] == [
        ("command_moves_altered", move_id)]


async def test_altered_seal_hash_is_reported(sessions, world):
    await sealed_world(sessions, world)
    await apply(sessions, world, plain_move(world, "A-04", "A-05", 1))
    assert await seal_pending(sessions) == 1
    await execute(sessions, "UPDATE ledger_seals SET block_hash = :h WHERE id = "
                            "(SELECT MIN(id) FROM ledger_seals)", h="f" * 64)
    report = await verify(sessions)
    kinds = sorted(p.kind for p in report.problems)
    assert kinds == ["chain_broken", "seal_altered"]


# --- the command line and the API --------------------------------------------------------------


async def run_cli(db_url: str) -> tuple[int, dict]:
    env = {**os.environ, "DATABASE_URL": db_url,
           "STOCKHAND_SECRET_KEY": os.environ["STOCKHAND_SECRET_KEY"]}
    result = await anyio.run_process([STOCKHAND, "verify-ledger"], env=env, check=False)
    return result.returncode, json.loads(result.stdout)


async def test_cli_verify_ledger_exit_status(db_url, sessions, world):
    ids = await sealed_world(sessions, world)
    code, report = await run_cli(db_url)
    assert (code, report["ok"]) == (0, True), report
    assert report["moves_checked"] == 10
    await execute(sessions, "UPDATE stock_moves SET quantity = 7 WHERE id = :id",
                  id=ids["moved"][0])
    code, report = await run_cli(db_url)
    assert (code, report["ok"]) == (1, False), report
    assert report["first_problem"]["move_id"] == ids["moved"][0]
    assert report["first_problem"]["kind"] == "move_altered"


async def test_verify_endpoint(sessions, world, supervisor, worker):
    ids = await sealed_world(sessions, world)
    response = await supervisor.get("/api/ledger/verify")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["ok"] is True and body["first_problem"] is None and body["moves_checked"] == 10
    response = await worker.get("/api/ledger/verify")
    assert response.status_code == 403, response.text

    await execute(sessions, "UPDATE stock_moves SET quantity = 7 WHERE id = :id",
                  id=ids["moved"][0])
    body = (await supervisor.get("/api/ledger/verify")).json()
    assert body["ok"] is False
    assert body["first_problem"]["move_id"] == ids["moved"][0]
    assert body["first_problem"]["kind"] == "move_altered"
    async with sessions() as session:
        assert (await session.execute(select(func.count()).select_from(StockMove))).scalar() == 10
