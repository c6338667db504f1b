"""Writing a run's accepted events back: a statement per table, whatever the run's length."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import msgspec
from sqlalchemy import Table, insert, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import (
    Command,
    Count,
    CountEntry,
    CountLine,
    DocumentEvent,
    Quant,
    Reservation,
    SalesOrder,
    SalesOrderLine,
    StockMove,
    Task,
    TaskLine,
    utcnow,
)
from backend.domain.actor import Actor
from backend.domain.commands import CommandBase
from backend.service.lane.state import CommandRef, RunState
from backend.service.ledger import add_quants
from backend.service.sealing import moves_digest

MODELS: dict[str, Any] = {
    "task_lines": TaskLine,
    "tasks": Task,
    "reservations": Reservation,
    "sales_orders": SalesOrder,
    "sales_order_lines": SalesOrderLine,
    "counts": Count,
    "count_lines": CountLine,
}
# Inserts go to the tables, not the entities: the ORM would cut the rows into batches wherever
# the set of non-null values changes (a pick has a reason, a move none).
COMMANDS = cast(Table, Command.__table__)
MOVES = cast(Table, StockMove.__table__)
DOCUMENTS = cast(Table, DocumentEvent.__table__)
ENTRIES = cast(Table, CountEntry.__table__)
# Tables whose rows carry `updated_at`, kept as the ORM keeps it on every change.
STAMPED = {"tasks", "sales_orders"}


async def write(
    session: AsyncSession,
    state: RunState,
    commands: Sequence[CommandBase],
    actor: Actor,
    kinds: Sequence[str],
) -> tuple[list[int], list[list[StockMove]]]:
    """Returns each event's command id and its moves, in order."""
    now = utcnow()
    command_ids = list(
        (
            await session.execute(
                insert(COMMANDS).returning(COMMANDS.c.id, sort_by_parameter_order=True),
                [
                    {"event_id": c.event_id, "type": kind, "device_id": c.device_id,
                     "user_id": actor.id, "occurred_at": c.occurred_at, "received_at": now,
                     "payload": msgspec.to_builtins(c), "status": "applied", "outcome": {}}
                    for c, kind in zip(commands, kinds, strict=True)
                ],
            )
        ).scalars()
    )  # fmt: skip
    moves = [
        StockMove(
            command_id=command_ids[m.event], seq=m.seq, item_id=m.line.item_id,
            lot_id=m.line.lot_id, serial_id=None, quantity=m.line.quantity,
            from_location_id=m.line.from_location_id, to_location_id=m.line.to_location_id,
            user_id=actor.id, occurred_at=m.occurred_at, created_at=now,
            document_type=m.document_type, document_ref=m.document_ref, reason=m.line.reason,
            note=m.line.note,
        )
        for m in state.moves
    ]  # fmt: skip
    if moves:
        columns = [c.key for c in MOVES.columns if c.key != "id"]
        move_ids = (
            await session.execute(
                insert(MOVES).returning(MOVES.c.id, sort_by_parameter_order=True),
                [{k: getattr(m, k) for k in columns} for m in moves],
            )
        ).scalars()
        for move, move_id in zip(moves, move_ids, strict=True):
            move.id = move_id
    await _quants(session, state, now)
    await _rows(session, state, command_ids, now)
    if state.documents:
        await session.execute(
            insert(DOCUMENTS),
            [
                {"document_type": d.document_type, "document_id": d.document_id,
                 "action": d.action, "user_id": actor.id, "command_id": command_ids[d.event],
                 "at": now, "details": d.details}
                for d in state.documents
            ],
        )  # fmt: skip
    if state.entries:
        await session.execute(insert(ENTRIES), [entry for _, entry in state.entries])
    by_event: list[list[StockMove]] = [[] for _ in commands]
    for pending, move in zip(state.moves, moves, strict=True):
        by_event[pending.event].append(move)
    await session.execute(
        update(Command),
        [
            {"id": command_id,
             "outcome": {"result": {**result, "move_ids": [m.id for m in own]}},
             "moves_digest": moves_digest(own) if own else None}
            for command_id, result, own in zip(command_ids, state.results, by_event, strict=True)
        ],
    )  # fmt: skip
    return command_ids, by_event


async def _quants(session: AsyncSession, state: RunState, now: Any) -> None:
    """Every quant the run changed. One the run read is locked: it is set to what was read plus
    the run's net change. Any other (a virtual location's, or one new to a bin) is added to
    by the ledger's own upsert."""
    places, read = state.world.places, state.world.quants
    changed = [(key, d) for key, d in sorted(state.deltas.items()) if d[0] or d[1]]
    held = [
        {"id": read[key][0], "on_hand": read[key][1] + on_hand,
         "reserved": read[key][2] + reserved, "updated_at": now}
        for key, (on_hand, reserved) in changed
        if key in read
    ]  # fmt: skip
    if held:
        await session.execute(update(Quant), held)
    # Never a take: a quant the run did not read held nothing for it to take or unreserve.
    await add_quants(
        session,
        [
            (key, on_hand, places[key[1]], key[2] or None)
            for key, (on_hand, _) in changed
            if key not in read
        ],
    )


async def _rows(session: AsyncSession, state: RunState, command_ids: list[int], now: Any) -> None:
    for table, ids in state.dirty.items():
        rows = []
        for row_id in sorted(ids):
            row = {
                k: command_ids[v.event] if isinstance(v, CommandRef) else v
                for k, v in state.world.rows[table][row_id].items()
            }
            if table in STAMPED:
                row["updated_at"] = now
            rows.append(row)
        await session.execute(update(MODELS[table]), rows)
