"""Customers and sales orders: create, allocate (reserve stock and make a pick task), cancel."""

from __future__ import annotations

from litestar import Controller, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy import select

from backend.api.controllers.convert import changes, event_out
from backend.api.deps import CurrentActor, Db, Limit, Offset
from backend.api.guards import requires_supervisor
from backend.api.schemas import (
    CustomerCreate,
    CustomerOut,
    CustomerUpdate,
    Page,
    Reason,
    SaleLineOut,
    SalesOrderCreate,
    SalesOrderOut,
)
from backend.db.models import Customer, Item, SalesOrder, SalesOrderLine
from backend.domain.errors import Conflict
from backend.service import queries, sales
from backend.service.catalog import apply_changes, get_or_404


def _customer_out(c: Customer) -> CustomerOut:
    return CustomerOut(id=c.id, code=c.code, name=c.name, active=c.active, address=c.address)


class CustomerController(Controller):
    path = "/api/customers"
    tags = ["sales"]

    @get("/", summary="Customers")
    async def list_customers(self, db: Db) -> list[CustomerOut]:
        rows = await db.execute(select(Customer).order_by(Customer.code))
        return [_customer_out(c) for c in rows.scalars()]

    @post("/", guards=[requires_supervisor], summary="Create a customer")
    async def create(self, db: Db, data: JSONBody[CustomerCreate]) -> CustomerOut:
        async with db.begin():
            if (await db.execute(select(Customer.id).where(Customer.code == data.code))).first():
                raise Conflict(f"customer {data.code} already exists", code=data.code)
            customer = Customer(code=data.code, name=data.name, address=data.address)
            db.add(customer)
        return _customer_out(customer)

    @patch(
        "/{customer_id:int}",
        guards=[requires_supervisor],
        summary="Change, or deactivate, a customer",
    )
    async def update(
        self, db: Db, customer_id: FromPath[int], data: JSONBody[CustomerUpdate]
    ) -> CustomerOut:
        async with db.begin():
            customer = await get_or_404(db, Customer, customer_id, "customer")
            apply_changes(customer, changes(data))
        return _customer_out(customer)


async def _view(db: Db, order: SalesOrder) -> SalesOrderOut:
    customer = await db.get(Customer, order.customer_id)
    assert customer is not None
    rows = (
        await db.execute(
            select(SalesOrderLine, Item.sku)
            .join(Item, Item.id == SalesOrderLine.item_id)
            .where(SalesOrderLine.order_id == order.id)
            .order_by(SalesOrderLine.line_no)
        )
    ).all()
    return SalesOrderOut(
        id=order.id,
        number=order.number,
        customer_id=order.customer_id,
        customer_code=customer.code,
        warehouse_id=order.warehouse_id,
        status=order.status,
        requested_date=order.requested_date,
        note=order.note,
        created_at=order.created_at,
        lines=[
            SaleLineOut(
                id=line.id,
                line_no=line.line_no,
                item_id=line.item_id,
                sku=sku,
                quantity=line.quantity,
                unit_price=line.unit_price,
                reserved_quantity=line.reserved_quantity,
                picked_quantity=line.picked_quantity,
                shipped_quantity=line.shipped_quantity,
                short_quantity=line.short_quantity,
            )
            for line, sku in rows
        ],
        history=[event_out(h) for h in await queries.history(db, "sales_order", order.id)],
    )


class SalesOrderController(Controller):
    path = "/api/sales-orders"
    tags = ["sales"]

    @get("/", summary="Sales orders of the user's warehouses, newest first")
    async def list_orders(
        self,
        db: Db,
        actor: CurrentActor,
        limit: Limit = 50,
        offset: Offset = 0,
        status: FromQuery[str | None] = None,
        warehouse_id: FromQuery[int | None] = None,
    ) -> Page[SalesOrderOut]:
        query = select(SalesOrder).order_by(SalesOrder.id.desc())
        query = queries.scoped(query, SalesOrder.warehouse_id, actor)
        query = queries.matching(
            query, (SalesOrder.status, status), (SalesOrder.warehouse_id, warehouse_id)
        )
        orders, total = await queries.record_page(db, query, limit, offset)
        return Page(
            items=[await _view(db, o) for o in orders],
            total=total,
            limit=limit,
            offset=offset,
        )

    @get("/{order_id:int}", summary="A sales order with its lines and history")
    async def get_order(
        self, db: Db, actor: CurrentActor, order_id: FromPath[int]
    ) -> SalesOrderOut:
        return await _view(db, await sales.order_in_scope(db, actor, order_id))

    @post("/", guards=[requires_supervisor], summary="Create a sales order")
    async def create(
        self, db: Db, actor: CurrentActor, data: JSONBody[SalesOrderCreate]
    ) -> SalesOrderOut:
        async with db.begin():
            order = await sales.create_order(
                db,
                actor,
                customer_id=data.customer_id,
                warehouse_id=data.warehouse_id,
                requested_date=data.requested_date,
                note=data.note,
                lines=[
                    sales.SaleLine(line.item_id, line.quantity, line.unit_price)
                    for line in data.lines
                ],
            )
        return await _view(db, order)

    @post(
        "/{order_id:int}/allocate",
        guards=[requires_supervisor],
        status_code=200,
        summary="Reserve stock (FEFO for lots, never expired; FIFO otherwise) and create "
        "a pick task in walking order; what cannot be reserved stays open",
    )
    async def allocate(self, db: Db, actor: CurrentActor, order_id: FromPath[int]) -> SalesOrderOut:
        async with db.begin():
            order = await sales.allocate(db, actor, order_id)
        return await _view(db, order)

    @post(
        "/{order_id:int}/cancel",
        guards=[requires_supervisor],
        status_code=200,
        summary="Cancel an order: its reservations are released and its tasks cancelled",
    )
    async def cancel(
        self, db: Db, actor: CurrentActor, order_id: FromPath[int], data: JSONBody[Reason]
    ) -> SalesOrderOut:
        async with db.begin():
            order = await sales.cancel(db, actor, order_id, data.reason)
        return await _view(db, order)
