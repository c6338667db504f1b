"""Tamper evidence: moves are sealed, after commit, into a SHA-256 hash chain.

Each seal lists the moves it covers with the hash each had (`ledger_seal_entries`) and chains
to the seal before it. Sealing happens outside the write path, so writers never wait for one
another; a move that commits late (a lower id committing after a higher one) is simply sealed in
the next block. Each command also stores a digest of its own moves when it is applied, so a
move forged under an existing command is caught before it is ever sealed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.db.models import Command, LedgerSeal, LedgerSealEntry, StockMove

GENESIS = "0" * 64
SEAL_BLOCK = 5000


def move_hash(move: StockMove) -> str:
    fields = (
        move.id,
        move.command_id,
        move.seq,
        move.item_id,
        move.lot_id,
        move.serial_id,
        move.quantity,
        move.from_location_id,
        move.to_location_id,
        move.user_id,
        _utc(move.occurred_at),
        _utc(move.created_at),
        move.document_type,
        move.document_ref,
        move.reason,
        move.note,
    )
    return hashlib.sha256(
        "\x1f".join("" if f is None else str(f) for f in fields).encode()
    ).hexdigest()


def _utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat()


def chain_hash(prev_hash: str, move_hashes: Iterable[str]) -> str:
    digest = hashlib.sha256(prev_hash.encode())
    for value in move_hashes:
        digest.update(value.encode())
    return digest.hexdigest()


def moves_digest(moves: Iterable[StockMove]) -> str:
    return chain_hash(GENESIS, (move_hash(m) for m in moves))


async def seal_pending(
    sessions: async_sessionmaker[AsyncSession], *, block: int = SEAL_BLOCK
) -> int:
    """Seal every move not yet sealed; returns how many moves were sealed."""
    total = 0
    while True:
        try:
            sealed = await _seal_block(sessions, block)
        except IntegrityError:
            # Another process sealed the same moves or extended the chain first; look again.
            continue
        total += sealed
        if sealed < block:
            return total


async def _seal_block(sessions: async_sessionmaker[AsyncSession], block: int) -> int:
    async with sessions() as session, session.begin():
        last = (
            await session.execute(select(LedgerSeal).order_by(LedgerSeal.id.desc()).limit(1))
        ).scalar_one_or_none()
        unsealed = (
            (
                await session.execute(
                    select(StockMove)
                    .outerjoin(LedgerSealEntry, LedgerSealEntry.move_id == StockMove.id)
                    .where(LedgerSealEntry.move_id.is_(None))
                    .order_by(StockMove.id)
                    .limit(block)
                )
            )
            .scalars()
            .all()
        )
        if not unsealed:
            return 0
        hashes = [move_hash(m) for m in unsealed]
        prev_hash = last.block_hash if last else GENESIS
        seal = LedgerSeal(
            prev_seal_id=last.id if last else 0,
            prev_hash=prev_hash,
            block_hash=chain_hash(prev_hash, hashes),
            move_count=len(unsealed),
        )
        session.add(seal)
        await session.flush()
        session.add_all(
            LedgerSealEntry(move_id=m.id, seal_id=seal.id, position=i, move_hash=h)
            for i, (m, h) in enumerate(zip(unsealed, hashes, strict=True))
        )
        return len(unsealed)


@dataclass
class Problem:
    kind: str
    message: str
    move_id: int | None = None
    seal_id: int | None = None
    event_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass
class VerifyReport:
    seals_checked: int = 0
    moves_checked: int = 0
    commands_checked: int = 0
    unsealed_moves: int = 0
    head_hash: str = GENESIS
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_bad_move(self) -> Problem | None:
        with_move = [p for p in self.problems if p.move_id is not None]
        if with_move:
            return min(with_move, key=lambda p: p.move_id or 0)
        return self.problems[0] if self.problems else None

    def as_dict(self) -> dict[str, Any]:
        first = self.first_bad_move
        return {
            "ok": self.ok,
            "seals_checked": self.seals_checked,
            "moves_checked": self.moves_checked,
            "commands_checked": self.commands_checked,
            "unsealed_moves": self.unsealed_moves,
            "head_hash": self.head_hash,
            "first_problem": first.as_dict() if first else None,
            "problems": [p.as_dict() for p in self.problems[:100]],
        }


async def verify_ledger(session: AsyncSession) -> VerifyReport:
    report = VerifyReport()
    await _verify_chain(session, report)
    await _verify_commands(session, report)
    return report


async def _verify_chain(session: AsyncSession, report: VerifyReport) -> None:
    prev_id, prev_hash = 0, GENESIS
    seals = (await session.execute(select(LedgerSeal).order_by(LedgerSeal.id))).scalars().all()
    for seal in seals:
        report.seals_checked += 1
        if seal.prev_seal_id != prev_id or seal.prev_hash != prev_hash:
            report.problems.append(
                Problem(
                    "chain_broken",
                    f"seal {seal.id} does not follow seal {prev_id}",
                    seal_id=seal.id,
                )
            )
        rows = (
            await session.execute(
                select(LedgerSealEntry, StockMove)
                .outerjoin(StockMove, StockMove.id == LedgerSealEntry.move_id)
                .where(LedgerSealEntry.seal_id == seal.id)
                .order_by(LedgerSealEntry.position)
            )
        ).all()
        for entry, move in rows:
            report.moves_checked += 1
            if move is None:
                report.problems.append(
                    Problem(
                        "move_deleted",
                        f"sealed move {entry.move_id} is missing",
                        move_id=entry.move_id,
                        seal_id=seal.id,
                    )
                )
            elif move_hash(move) != entry.move_hash:
                report.problems.append(
                    Problem(
                        "move_altered",
                        f"move {move.id} differs from what was sealed",
                        move_id=move.id,
                        seal_id=seal.id,
                    )
                )
        recomputed = chain_hash(seal.prev_hash, (entry.move_hash for entry, _ in rows))
        if recomputed != seal.block_hash or len(rows) != seal.move_count:
            report.problems.append(
                Problem(
                    "seal_altered",
                    f"seal {seal.id} does not match the moves it lists",
                    seal_id=seal.id,
                )
            )
        prev_id, prev_hash = seal.id, seal.block_hash
    report.head_hash = prev_hash


async def _verify_commands(session: AsyncSession, report: VerifyReport) -> None:
    """Every applied command's moves must still hash to the digest stored when it ran."""
    sealed = select(LedgerSealEntry.move_id)
    unsealed_ids = set(
        (await session.execute(select(StockMove.id).where(StockMove.id.not_in(sealed))))
        .scalars()
        .all()
    )
    report.unsealed_moves = len(unsealed_ids)
    digests = {
        row.id: (str(row.event_id), row.moves_digest)
        for row in await session.execute(
            select(Command.id, Command.event_id, Command.moves_digest).where(
                Command.moves_digest.is_not(None)
            )
        )
    }
    report.commands_checked = len(digests)
    seen: set[int] = set()
    # The chain already names altered and deleted sealed moves exactly; the digest check
    # points at a move only when the chain cannot (a forged, unsealed or unnamed one).
    altered = {p.move_id for p in report.problems if p.kind == "move_altered"}
    sealed_move_deleted = any(p.kind == "move_deleted" for p in report.problems)

    def check(command_id: int, moves: list[StockMove]) -> None:
        seen.add(command_id)
        if command_id not in digests:
            report.problems.append(
                Problem(
                    "move_without_command",
                    f"move {moves[0].id} belongs to no applied command",
                    move_id=moves[0].id,
                )
            )
            return
        event_id, digest = digests[command_id]
        if moves_digest(moves) != digest:
            suspects = [m.id for m in moves if m.id in unsealed_ids] or [
                m.id for m in moves if m.id in altered
            ]
            if not suspects and not sealed_move_deleted:
                suspects = [m.id for m in moves]
            report.problems.append(
                Problem(
                    "command_moves_altered",
                    f"the moves of command {event_id} are not the ones it wrote",
                    move_id=min(suspects) if suspects else None,
                    event_id=event_id,
                )
            )

    group: list[StockMove] = []
    result = await session.stream(select(StockMove).order_by(StockMove.command_id, StockMove.seq))
    async for move in result.scalars():
        if group and group[0].command_id != move.command_id:
            check(group[0].command_id, group)
            group = []
        group.append(move)
    if group:
        check(group[0].command_id, group)
    for command_id in digests.keys() - seen:
        event_id, _ = digests[command_id]
        report.problems.append(
            Problem(
                "command_moves_deleted",
                f"every move of command {event_id} is gone",
                event_id=event_id,
            )
        )
