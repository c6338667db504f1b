"""Suppliers, purchase orders with tiered approval, and receiving against them."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, get, patch, post, put
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy import select

from backend.api.controllers.convert import changes, order_out, supplier_out
from backend.api.controllers.operations import apply_and_answer
from backend.api.deps import CurrentActor, Db, Limit, Offset, Sessions
from backend.api.guards import requires_admin, requires_supervisor
from backend.api.schemas import (
    ApprovalLimits,
    Decision,
    Page,
    PurchaseOrderCreate,
    PurchaseOrderOut,
    Reason,
    ReceiptOut,
    SupplierCreate,
    SupplierOut,
    SupplierUpdate,
)
from backend.db.models import Item, Location, Lot, PurchaseOrder, Receipt, Supplier
from backend.domain.commands import ReceiveGoods
from backend.domain.errors import Conflict
from backend.service import policies, purchasing, queries, receiving
from backend.service.catalog import apply_changes, get_or_404


class SupplierController(Controller):
    path = "/api/suppliers"
    tags = ["purchasing"]

    @get("/", summary="Suppliers")
    async def list_suppliers(
        self, db: Db, active: FromQuery[bool | None] = None
    ) -> list[SupplierOut]:
        query = select(Supplier).order_by(Supplier.code)
        if active is not None:
            query = query.where(Supplier.active.is_(active))
        return [supplier_out(s) for s in (await db.execute(query)).scalars()]

    @get("/{supplier_id:int}", summary="One supplier")
    async def get_supplier(self, db: Db, supplier_id: FromPath[int]) -> SupplierOut:
        return supplier_out(await get_or_404(db, Supplier, supplier_id, "supplier"))

    @post("/", guards=[requires_supervisor], summary="Create a supplier")
    async def create(self, db: Db, data: JSONBody[SupplierCreate]) -> SupplierOut:
        async with db.begin():
            if (await db.execute(select(Supplier.id).where(Supplier.code == data.code))).first():
                raise Conflict(f"supplier {data.code} already exists", code=data.code)
            supplier = Supplier(**changes(data))
            db.add(supplier)
        return supplier_out(supplier)

    @patch(
        "/{supplier_id:int}",
        guards=[requires_supervisor],
        summary="Change, or deactivate, a supplier",
    )
    async def update(
        self, db: Db, supplier_id: FromPath[int], data: JSONBody[SupplierUpdate]
    ) -> SupplierOut:
        async with db.begin():
            supplier = await get_or_404(db, Supplier, supplier_id, "supplier")
            apply_changes(supplier, changes(data))
        return supplier_out(supplier)


async def _view(db: Db, order: PurchaseOrder) -> PurchaseOrderOut:
    supplier = await db.get(Supplier, order.supplier_id)
    assert supplier is not None
    return order_out(
        order,
        supplier.code,
        await queries.order_lines(db, order.id),
        await queries.history(db, "purchase_order", order.id),
    )


class PurchaseOrderController(Controller):
    path = "/api/purchase-orders"
    tags = ["purchasing"]

    @get("/", summary="Purchase orders of the user's warehouses, newest first")
    async def list_orders(
        self,
        db: Db,
        actor: CurrentActor,
        limit: Limit = 50,
        offset: Offset = 0,
        status: FromQuery[str | None] = None,
        warehouse_id: FromQuery[int | None] = None,
        supplier_id: FromQuery[int | None] = None,
    ) -> Page[PurchaseOrderOut]:
        query = select(PurchaseOrder).order_by(PurchaseOrder.id.desc())
        query = queries.scoped(query, PurchaseOrder.warehouse_id, actor)
        query = queries.matching(
            query,
            (PurchaseOrder.status, status),
            (PurchaseOrder.warehouse_id, warehouse_id),
            (PurchaseOrder.supplier_id, supplier_id),
        )
        orders, total = await queries.record_page(db, query, limit, offset)
        return Page(
            items=[await _view(db, o) for o in orders],
            total=total,
            limit=limit,
            offset=offset,
        )

    @get("/{order_id:int}", summary="A purchase order with its lines and history")
    async def get_order(
        self, db: Db, actor: CurrentActor, order_id: FromPath[int]
    ) -> PurchaseOrderOut:
        return await _view(db, await purchasing.order_in_scope(db, actor, order_id))

    @post("/", guards=[requires_supervisor], summary="Draft a purchase order")
    async def create(
        self, db: Db, actor: CurrentActor, data: JSONBody[PurchaseOrderCreate]
    ) -> PurchaseOrderOut:
        async with db.begin():
            order = await purchasing.create_order(
                db,
                actor,
                supplier_id=data.supplier_id,
                warehouse_id=data.warehouse_id,
                expected_date=data.expected_date,
                note=data.note,
                lines=[
                    purchasing.OrderLine(
                        line.item_id, line.quantity, line.unit_price, line.expected_date
                    )
                    for line in data.lines
                ],
            )
        return await _view(db, order)

    @post(
        "/{order_id:int}/submit",
        guards=[requires_supervisor],
        status_code=200,
        summary="Submit for approval; within the lowest limit it is approved at once",
    )
    async def submit(
        self, db: Db, actor: CurrentActor, order_id: FromPath[int]
    ) -> PurchaseOrderOut:
        async with db.begin():
            order = await purchasing.submit(db, actor, order_id)
        return await _view(db, order)

    @post(
        "/{order_id:int}/decision",
        guards=[requires_supervisor],
        status_code=200,
        summary="Approve or reject; above the admin limit only an admin may decide",
    )
    async def decide(
        self, db: Db, actor: CurrentActor, order_id: FromPath[int], data: JSONBody[Decision]
    ) -> PurchaseOrderOut:
        async with db.begin():
            order = await purchasing.decide(
                db, actor, order_id, approve=data.approve, comment=data.comment
            )
        return await _view(db, order)

    @post(
        "/{order_id:int}/cancel",
        guards=[requires_supervisor],
        status_code=200,
        summary="Cancel an order nothing has been received against",
    )
    async def cancel(
        self, db: Db, actor: CurrentActor, order_id: FromPath[int], data: JSONBody[Reason]
    ) -> PurchaseOrderOut:
        async with db.begin():
            order = await purchasing.cancel(db, actor, order_id, data.reason)
        return await _view(db, order)

    @post(
        "/{order_id:int}/lines/{line_id:int}/close-short",
        guards=[requires_supervisor],
        status_code=200,
        summary="Accept less than ordered on a line, on purpose",
    )
    async def close_short(
        self,
        db: Db,
        actor: CurrentActor,
        order_id: FromPath[int],
        line_id: FromPath[int],
        data: JSONBody[Reason],
    ) -> PurchaseOrderOut:
        async with db.begin():
            await receiving.close_line_short(db, actor, order_id, line_id, data.reason)
            order = await purchasing.order_in_scope(db, actor, order_id)
        return await _view(db, order)


class ReceiptController(Controller):
    path = "/api/receipts"
    tags = ["purchasing"]

    @post(
        "/",
        summary="Receive goods of a purchase-order line (a command, idempotent by event_id)",
        description="Good units go to the receiving dock, damaged ones to quarantine, a "
        "numbered goods receipt is recorded, and a putaway task with a suggested bin is "
        "created. Over-receipt beyond the supplier's tolerance is rejected with code "
        "over_receipt; an order not yet approved with po_not_receivable.",
    )
    async def receive(
        self, state: State, sessions: Sessions, actor: CurrentActor, data: JSONBody[ReceiveGoods]
    ) -> Response[Any]:
        return await apply_and_answer(state, sessions, data, actor)

    @get(
        "/",
        guards=[requires_supervisor],
        summary="Goods receipts of the supervisor's warehouses, newest first",
    )
    async def list_receipts(
        self,
        db: Db,
        actor: CurrentActor,
        limit: Limit = 50,
        offset: Offset = 0,
        order_id: FromQuery[int | None] = None,
        item_id: FromQuery[int | None] = None,
        warehouse_id: FromQuery[int | None] = None,
    ) -> Page[ReceiptOut]:
        query = (
            select(Receipt, PurchaseOrder.number, Item.sku, Lot.lot_number, Location.code)
            .join(PurchaseOrder, PurchaseOrder.id == Receipt.order_id)
            .join(Item, Item.id == Receipt.item_id)
            .join(Location, Location.id == Receipt.dock_location_id)
            .outerjoin(Lot, Lot.id == Receipt.lot_id)
            .order_by(Receipt.id.desc())
        )
        query = queries.scoped(query, Receipt.warehouse_id, actor)
        query = queries.matching(
            query,
            (Receipt.order_id, order_id),
            (Receipt.item_id, item_id),
            (Receipt.warehouse_id, warehouse_id),
        )
        rows = (await db.execute(query.limit(limit).offset(offset))).all()
        return Page(
            items=[
                ReceiptOut(
                    id=r.id,
                    number=r.number,
                    order_id=r.order_id,
                    order_number=order_number,
                    warehouse_id=r.warehouse_id,
                    item_id=r.item_id,
                    sku=sku,
                    lot_number=lot_number,
                    quantity=r.quantity,
                    damaged_quantity=r.damaged_quantity,
                    dock_location=dock,
                    created_by=r.created_by,
                    created_at=r.created_at,
                )
                for r, order_number, sku, lot_number, dock in rows
            ],
            total=await queries.count_rows(db, query),
            limit=limit,
            offset=offset,
        )


@get(
    "/api/settings/po-approval",
    tags=["purchasing"],
    guards=[requires_supervisor],
    summary="The order values above which a supervisor, then an admin, must approve",
)
async def get_limits(db: Db) -> dict[str, str]:
    supervisor_over, admin_over = await policies.po_approval_limits(db)
    return {"supervisor_over": str(supervisor_over), "admin_over": str(admin_over)}


@put(
    "/api/settings/po-approval",
    tags=["purchasing"],
    guards=[requires_admin],
    summary="Set the approval limits of purchase orders",
)
async def set_limits(db: Db, data: JSONBody[ApprovalLimits]) -> dict[str, str]:
    async with db.begin():
        await policies.set_po_approval_limits(db, data.supervisor_over, data.admin_over)
    return {"supervisor_over": str(data.supervisor_over), "admin_over": str(data.admin_over)}
