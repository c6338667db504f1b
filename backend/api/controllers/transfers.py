"""Warehouse-to-warehouse transfers: plan, ship, receive, close, and their views."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from typing import Any

from litestar import Controller, Response, get, post
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy import or_, select

from backend.api.controllers.convert import event_out
from backend.api.controllers.operations import apply_and_answer
from backend.api.deps import CurrentActor, Db, Limit, Offset, Sessions
from backend.api.guards import requires_supervisor
from backend.api.schemas import (
    Page,
    TransferClose,
    TransferCreate,
    TransferLineOut,
    TransferOut,
)
from backend.db.models import DocumentEvent, Item, Location, Lot, Transfer, TransferLine, Warehouse
from backend.domain.actor import Actor
from backend.domain.commands import CloseTransfer, ReceiveTransfer, ShipTransfer
from backend.domain.errors import NotFound, OutOfScope
from backend.service import queries, transfers
from backend.service.transfers import DOCUMENT, PlannedLine, in_transit


async def _damaged(db: Db, transfer_ids: list[int]) -> dict[int, int]:
    """Units each line received into quarantine, from the receipts in the history."""
    damaged: dict[int, int] = defaultdict(int)
    events = await db.execute(
        select(DocumentEvent.details).where(
            DocumentEvent.document_type == DOCUMENT,
            DocumentEvent.document_id.in_(transfer_ids),
            DocumentEvent.action == "received",
        )
    )
    for details in events.scalars():
        for entry in details.get("lines", []):
            damaged[entry["line_id"]] += entry.get("damaged_quantity", 0)
    return damaged


def _line_out(row: Any, damaged: dict[int, int]) -> TransferLineOut:
    line, sku, lot_number, location_code = row
    pending = in_transit(line)
    return TransferLineOut(
        id=line.id,
        line_no=line.line_no,
        item_id=line.item_id,
        sku=sku,
        lot_number=lot_number,
        from_location_id=line.from_location_id,
        from_location=location_code,
        quantity=line.quantity,
        shipped_quantity=line.shipped_quantity,
        received_quantity=line.received_quantity,
        damaged_quantity=damaged[line.id],
        written_off_quantity=line.written_off_quantity,
        in_transit=pending,
        # What was shipped and is neither received nor written off: still unexplained.
        discrepancy=pending,
        remaining_to_ship=max(0, line.quantity - line.shipped_quantity),
    )


async def transfer_views(
    db: Db, rows: list[Transfer], *, with_history: bool = False
) -> list[TransferOut]:
    ids = [t.id for t in rows]
    wanted = {t.from_warehouse_id for t in rows} | {t.to_warehouse_id for t in rows}
    warehouses = {
        w.id: w
        for w in (await db.execute(select(Warehouse).where(Warehouse.id.in_(wanted)))).scalars()
    }
    damaged = await _damaged(db, ids)
    lines: dict[int, list[TransferLineOut]] = {i: [] for i in ids}
    found = await db.execute(
        select(TransferLine, Item.sku, Lot.lot_number, Location.code)
        .join(Item, Item.id == TransferLine.item_id)
        .outerjoin(Lot, Lot.id == TransferLine.lot_id)
        .outerjoin(Location, Location.id == TransferLine.from_location_id)
        .where(TransferLine.transfer_id.in_(ids))
        .order_by(TransferLine.transfer_id, TransferLine.line_no)
    )
    for row in found.all():
        lines[row[0].transfer_id].append(_line_out(row, damaged))
    views = []
    for t in rows:
        source, dest = warehouses[t.from_warehouse_id], warehouses[t.to_warehouse_id]
        history = await queries.history(db, DOCUMENT, t.id) if with_history else []
        views.append(
            TransferOut(
                id=t.id,
                number=t.number,
                from_warehouse_id=source.id,
                from_warehouse=source.code,
                to_warehouse_id=dest.id,
                to_warehouse=dest.code,
                status=t.status,
                transit_location=transfers.transit_code(source, dest),
                note=t.note,
                created_by=t.created_by,
                created_at=t.created_at,
                completed_at=t.completed_at,
                lines=lines[t.id],
                history=[event_out(h) for h in history],
            )
        )
    return views


async def _transfer_in_scope(db: Db, actor: Actor, transfer_id: int) -> Transfer:
    transfer = await db.get(Transfer, transfer_id)
    if transfer is None:
        raise NotFound("no such transfer", transfer_id=transfer_id)
    if not (
        actor.may_access(transfer.from_warehouse_id) or actor.may_access(transfer.to_warehouse_id)
    ):
        raise OutOfScope("this transfer is outside your warehouses", transfer_id=transfer_id)
    return transfer


class TransferController(Controller):
    path = "/api/transfers"
    tags = ["transfers"]

    @post(
        "/",
        guards=[requires_supervisor],
        summary="Plan a transfer to another warehouse (the creator works in the source)",
    )
    async def create(
        self, db: Db, actor: CurrentActor, data: JSONBody[TransferCreate]
    ) -> TransferOut:
        async with db.begin():
            transfer = await transfers.create_transfer(
                db,
                actor,
                from_warehouse_id=data.from_warehouse_id,
                to_warehouse_id=data.to_warehouse_id,
                lines=[
                    PlannedLine(line.item_id, line.quantity, line.lot_number, line.from_location_id)
                    for line in data.lines
                ],
                note=data.note,
            )
        return (await transfer_views(db, [transfer], with_history=True))[0]

    @get("/", summary="Transfers from or to the user's warehouses, newest first")
    async def list_transfers(
        self,
        db: Db,
        actor: CurrentActor,
        limit: Limit = 50,
        offset: Offset = 0,
        status: FromQuery[str | None] = None,
        warehouse_id: FromQuery[int | None] = None,
    ) -> Page[TransferOut]:
        query = select(Transfer).order_by(Transfer.id.desc())
        if not actor.all_warehouses:
            scope = actor.warehouse_ids
            query = query.where(
                or_(Transfer.from_warehouse_id.in_(scope), Transfer.to_warehouse_id.in_(scope))
            )
        if warehouse_id is not None:
            query = query.where(
                or_(
                    Transfer.from_warehouse_id == warehouse_id,
                    Transfer.to_warehouse_id == warehouse_id,
                )
            )
        query = queries.matching(query, (Transfer.status, status))
        rows, total = await queries.record_page(db, query, limit, offset)
        return Page(items=await transfer_views(db, rows), total=total, limit=limit, offset=offset)

    @get(
        "/{transfer_id:int}",
        summary="A transfer: per line shipped, received, written off, in transit; its history",
    )
    async def get_transfer(
        self, db: Db, actor: CurrentActor, transfer_id: FromPath[int]
    ) -> TransferOut:
        transfer = await _transfer_in_scope(db, actor, transfer_id)
        return (await transfer_views(db, [transfer], with_history=True))[0]

    @post(
        "/ship",
        summary="Ship transfer lines from the bins scanned into transit (a command, "
        "idempotent by event_id; by a user of the source warehouse)",
        description="Shipping more than a line asks for is refused (over_shipment); an "
        "expired lot never leaves (lot_expired).",
    )
    async def ship(
        self, state: State, sessions: Sessions, actor: CurrentActor, data: JSONBody[ShipTransfer]
    ) -> Response[Any]:
        return await apply_and_answer(state, sessions, data, actor)

    @post(
        "/receive",
        summary="Receive transfer lines out of transit at the destination (a command, "
        "idempotent by event_id; by a user of the destination warehouse)",
        description="Good units go to the location given or the receiving dock, damaged ones "
        "to quarantine; more than is in transit is refused (over_receipt).",
    )
    async def receive(
        self,
        state: State,
        sessions: Sessions,
        actor: CurrentActor,
        data: JSONBody[ReceiveTransfer],
    ) -> Response[Any]:
        return await apply_and_answer(state, sessions, data, actor)

    @post(
        "/{transfer_id:int}/close",
        guards=[requires_supervisor],
        summary="Close a transfer at the destination: what is still in transit is written off "
        "with the reason given",
        description="Send event_id (with device_id and occurred_at) to make a retry "
        "idempotent; without them the server makes an envelope.",
    )
    async def close(
        self,
        state: State,
        sessions: Sessions,
        actor: CurrentActor,
        transfer_id: FromPath[int],
        data: JSONBody[TransferClose],
    ) -> Response[Any]:
        command = CloseTransfer(
            event_id=data.event_id or uuid.uuid4(),
            device_id=data.device_id or "web",
            occurred_at=data.occurred_at or dt.datetime.now(dt.UTC),
            transfer_id=transfer_id,
            reason=data.reason,
        )
        return await apply_and_answer(state, sessions, command, actor)
