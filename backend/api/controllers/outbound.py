"""Packing, shipping and batch picking, and packages and shipments as documents to list."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, get, post
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy import select

from backend.api.controllers.convert import task_out
from backend.api.controllers.labels import LABEL_ROUTE, LabelFormatQuery, sscc_label_response
from backend.api.controllers.operations import apply_and_answer
from backend.api.deps import CurrentActor, Db, Limit, Offset, Sessions
from backend.api.guards import requires_supervisor
from backend.api.schemas import (
    PackageLineOut,
    PackageOut,
    Page,
    PickBatchCreate,
    ShipmentOut,
    TaskOut,
)
from backend.db.models import (
    Customer,
    Item,
    Lot,
    Package,
    PackageLine,
    SalesOrder,
    Serial,
    Shipment,
    Warehouse,
)
from backend.domain.actor import Actor
from backend.domain.commands import PackItems, ShipOrder
from backend.domain.errors import NotFound
from backend.labels.content import MAX_ADDRESS_LINES, sscc_label
from backend.service import batching, queries


async def _order_numbers(db: Db, order_ids: set[int]) -> dict[int, str]:
    rows = await db.execute(
        select(SalesOrder.id, SalesOrder.number).where(SalesOrder.id.in_(order_ids))
    )
    return dict(rows.tuples().all())


async def package_views(db: Db, packages: list[Package]) -> list[PackageOut]:
    ids = [p.id for p in packages]
    lines: dict[int, list[PackageLineOut]] = {i: [] for i in ids}
    orders = await _order_numbers(db, {p.order_id for p in packages})
    rows = await db.execute(
        select(PackageLine, Item.sku, Lot.lot_number, Serial.serial)
        .join(Item, Item.id == PackageLine.item_id)
        .outerjoin(Lot, Lot.id == PackageLine.lot_id)
        .outerjoin(Serial, Serial.id == PackageLine.serial_id)
        .where(PackageLine.package_id.in_(ids))
        .order_by(PackageLine.id)
    )
    for line, sku, lot_number, serial in rows.all():
        lines[line.package_id].append(
            PackageLineOut(
                item_id=line.item_id,
                sku=sku,
                lot_number=lot_number,
                serial=serial,
                quantity=line.quantity,
            )
        )
    return [
        PackageOut(
            id=p.id,
            sscc=p.sscc,
            order_id=p.order_id,
            order_number=orders[p.order_id],
            warehouse_id=p.warehouse_id,
            status=p.status,
            shipment_id=p.shipment_id,
            created_at=p.created_at,
            closed_at=p.closed_at,
            lines=lines[p.id],
        )
        for p in packages
    ]


async def package_in_scope(db: Db, actor: Actor, package_id: int) -> Package:
    package = await db.get(Package, package_id)
    if package is None:
        raise NotFound("no such package", package_id=package_id)
    actor.require_warehouse(package.warehouse_id)
    return package


class PackageController(Controller):
    path = "/api/packages"
    tags = ["shipping"]

    @post(
        "/",
        summary="Pack picked units of a sales order into a new package (with a fresh SSCC) "
        "or into the open package scanned (a command, idempotent by event_id)",
        description="Packing more than was picked and is not yet packed is rejected with "
        "code not_picked; without a GS1 company prefix set, with setup_required.",
    )
    async def pack(
        self, state: State, sessions: Sessions, actor: CurrentActor, data: JSONBody[PackItems]
    ) -> Response[Any]:
        return await apply_and_answer(state, sessions, data, actor)

    @get("/", summary="Packages of the user's warehouses, newest first")
    async def list_packages(
        self,
        db: Db,
        actor: CurrentActor,
        limit: Limit = 50,
        offset: Offset = 0,
        order_id: FromQuery[int | None] = None,
        status: FromQuery[str | None] = None,
        sscc: FromQuery[str | None] = None,
    ) -> Page[PackageOut]:
        query = queries.scoped(
            select(Package).order_by(Package.id.desc()), Package.warehouse_id, actor
        )
        query = queries.matching(
            query, (Package.order_id, order_id), (Package.status, status), (Package.sscc, sscc)
        )
        rows, total = await queries.record_page(db, query, limit, offset)
        return Page(items=await package_views(db, rows), total=total, limit=limit, offset=offset)

    @get(
        "/{package_id:int}/label",
        summary="The package's shipping label: ship-from, ship-to, order, package n of m "
        "and its SSCC as GS1-128",
        **LABEL_ROUTE,
    )
    async def label(
        self,
        db: Db,
        actor: CurrentActor,
        package_id: FromPath[int],
        format: LabelFormatQuery = "pdf",
    ) -> Response[bytes]:
        package = await package_in_scope(db, actor, package_id)
        order = await db.get(SalesOrder, package.order_id)
        warehouse = await db.get(Warehouse, package.warehouse_id)
        assert order is not None and warehouse is not None
        customer = await db.get(Customer, order.customer_id)
        assert customer is not None
        siblings = list(
            (
                await db.execute(
                    select(Package.id).where(Package.order_id == order.id).order_by(Package.id)
                )
            )
            .scalars()
            .all()
        )
        ship_to = [customer.name, *(customer.address or "").splitlines()]
        label = sscc_label(
            package.sscc,
            ship_from=[warehouse.name],
            ship_to=[line for line in ship_to if line.strip()][:MAX_ADDRESS_LINES],
            order_number=order.number,
            package_no=siblings.index(package.id) + 1,
            package_count=len(siblings),
        )
        return await sscc_label_response(label, format, f"sscc-{package.sscc}")

    @get("/{package_id:int}", summary="A package with its contents")
    async def get_package(
        self, db: Db, actor: CurrentActor, package_id: FromPath[int]
    ) -> PackageOut:
        return (await package_views(db, [await package_in_scope(db, actor, package_id)]))[0]


async def _shipment_views(db: Db, shipments: list[Shipment]) -> list[ShipmentOut]:
    ids = [s.id for s in shipments]
    packages: dict[int, list[str]] = {i: [] for i in ids}
    for shipment_id, sscc in (
        await db.execute(
            select(Package.shipment_id, Package.sscc)
            .where(Package.shipment_id.in_(ids))
            .order_by(Package.id)
        )
    ).all():
        packages[shipment_id].append(sscc)
    orders = await _order_numbers(db, {s.order_id for s in shipments})
    return [
        ShipmentOut(
            id=s.id,
            number=s.number,
            order_id=s.order_id,
            order_number=orders[s.order_id],
            warehouse_id=s.warehouse_id,
            units=s.units,
            created_by=s.created_by,
            created_at=s.created_at,
            packages=packages[s.id],
        )
        for s in shipments
    ]


class ShipmentController(Controller):
    path = "/api/shipments"
    tags = ["shipping"]

    @post(
        "/",
        summary="Ship a sales order's closed packages, or all it has picked (a command, "
        "idempotent by event_id); each shipment gets a number",
    )
    async def ship(
        self, state: State, sessions: Sessions, actor: CurrentActor, data: JSONBody[ShipOrder]
    ) -> Response[Any]:
        return await apply_and_answer(state, sessions, data, actor)

    @get("/", summary="Shipments of the user's warehouses, newest first")
    async def list_shipments(
        self,
        db: Db,
        actor: CurrentActor,
        limit: Limit = 50,
        offset: Offset = 0,
        order_id: FromQuery[int | None] = None,
        warehouse_id: FromQuery[int | None] = None,
    ) -> Page[ShipmentOut]:
        query = queries.scoped(
            select(Shipment).order_by(Shipment.id.desc()), Shipment.warehouse_id, actor
        )
        query = queries.matching(
            query, (Shipment.order_id, order_id), (Shipment.warehouse_id, warehouse_id)
        )
        rows, total = await queries.record_page(db, query, limit, offset)
        return Page(items=await _shipment_views(db, rows), total=total, limit=limit, offset=offset)

    @get("/{shipment_id:int}", summary="A shipment with the SSCCs of its packages")
    async def get_shipment(
        self, db: Db, actor: CurrentActor, shipment_id: FromPath[int]
    ) -> ShipmentOut:
        shipment = await db.get(Shipment, shipment_id)
        if shipment is None:
            raise NotFound("no such shipment", shipment_id=shipment_id)
        actor.require_warehouse(shipment.warehouse_id)
        return (await _shipment_views(db, [shipment]))[0]


@post(
    "/api/pick-batches",
    tags=["tasks"],
    guards=[requires_supervisor],
    summary="Group sales orders into one batch (cluster) pick task in walking order",
    description="The untouched open lines of the orders' pick tasks move into the batch; "
    "each line names its order (document_ref), and a pick confirmed on it lands on that "
    "order.",
)
async def create_pick_batch(
    db: Db, actor: CurrentActor, data: JSONBody[PickBatchCreate]
) -> TaskOut:
    async with db.begin():
        task = await batching.batch_pick(
            db, actor, data.order_ids, assignee_id=data.assignee_id, priority=data.priority
        )
    lines = await queries.task_lines(db, [task.id])
    return task_out(task, lines[task.id])
