"""Stock on hand and the movement history, scoped to the user's warehouses."""

from __future__ import annotations

import datetime as dt
import uuid

from litestar import Controller, get
from litestar.params import FromPath, FromQuery
from sqlalchemy import select

from backend.api.controllers.convert import move_out, stock_row
from backend.api.deps import CurrentActor, Db, Limit, Offset
from backend.api.schemas import CommandTrace, MoveOut, Page, StockRow
from backend.db.models import Command
from backend.domain.errors import InvalidRequest, NotFound
from backend.service import queries


class StockController(Controller):
    path = "/api"
    tags = ["stock"]

    @get("/stock", summary="Stock by item, SKU, barcode, lot, location or warehouse")
    async def stock(
        self,
        db: Db,
        actor: CurrentActor,
        limit: Limit = 50,
        offset: Offset = 0,
        item_id: FromQuery[int | None] = None,
        sku: FromQuery[str | None] = None,
        barcode: FromQuery[str | None] = None,
        lot_number: FromQuery[str | None] = None,
        location_id: FromQuery[int | None] = None,
        location_barcode: FromQuery[str | None] = None,
        warehouse_id: FromQuery[int | None] = None,
        include_empty: FromQuery[bool] = False,
    ) -> Page[StockRow]:
        if warehouse_id is not None:
            actor.require_warehouse(warehouse_id)
        rows, total = await queries.stock(
            db,
            actor,
            queries.StockFilter(
                item_id=item_id,
                sku=sku,
                barcode=barcode,
                lot_number=lot_number,
                location_id=location_id,
                location_barcode=location_barcode,
                warehouse_id=warehouse_id,
                include_empty=include_empty,
            ),
            limit=limit,
            offset=offset,
        )
        return Page(items=[stock_row(r) for r in rows], total=total, limit=limit, offset=offset)

    @get(
        "/moves",
        summary="Movement history, newest first, by time, user, item, location or document",
    )
    async def moves(
        self,
        db: Db,
        actor: CurrentActor,
        limit: Limit = 50,
        offset: Offset = 0,
        since: FromQuery[dt.datetime | None] = None,
        until: FromQuery[dt.datetime | None] = None,
        user_id: FromQuery[int | None] = None,
        item_id: FromQuery[int | None] = None,
        location_id: FromQuery[int | None] = None,
        warehouse_id: FromQuery[int | None] = None,
        document_type: FromQuery[str | None] = None,
        document_ref: FromQuery[str | None] = None,
    ) -> Page[MoveOut]:
        if warehouse_id is not None:
            actor.require_warehouse(warehouse_id)
        for name, value in (("since", since), ("until", until)):
            if value is not None and value.tzinfo is None:
                raise InvalidRequest(f"{name} needs a time zone offset", **{name: str(value)})
        rows, total = await queries.moves(
            db,
            actor,
            queries.MoveFilter(
                since=since,
                until=until,
                user_id=user_id,
                item_id=item_id,
                location_id=location_id,
                warehouse_id=warehouse_id,
                document_type=document_type,
                document_ref=document_ref,
            ),
            limit=limit,
            offset=offset,
        )
        return Page(items=[move_out(r) for r in rows], total=total, limit=limit, offset=offset)

    @get(
        "/commands/{event_id:uuid}",
        summary="A command by its event id, with its outcome and the ledger rows it wrote",
    )
    async def command(
        self, db: Db, actor: CurrentActor, event_id: FromPath[uuid.UUID]
    ) -> CommandTrace:
        row = (await db.execute(select(Command).where(Command.event_id == event_id))).scalar()
        if row is None or not await queries.may_see_command(db, actor, row):
            raise NotFound("no such command", event_id=str(event_id))
        moves = await queries.command_moves(db, actor, row.id)
        return CommandTrace(
            event_id=str(row.event_id),
            type=row.type,
            status=row.status,
            device_id=row.device_id,
            user_id=row.user_id,
            occurred_at=row.occurred_at,
            received_at=row.received_at,
            payload=row.payload,
            outcome=row.outcome,
            moves=[move_out(m) for m in moves],
        )
