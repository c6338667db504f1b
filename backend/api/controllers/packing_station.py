"""The packing station: orders waiting to be packed, and what each has picked and not yet
packed, by item and lot. Packing and shipping themselves are commands (POST /api/packages,
/api/shipments); these are the reads a handheld needs to do them."""

from __future__ import annotations

from typing import Any

from litestar import Controller, get
from litestar.params import FromPath, FromQuery

from backend.api.controllers.outbound import package_views
from backend.api.deps import CurrentActor, Db, Limit, Offset
from backend.api.schemas import (
    PackageOut,
    PackingOrderDetail,
    PackingOrderOut,
    PackingRowOut,
    Page,
    ShipmentOut,
)
from backend.service import packing_views
from backend.service.packing_views import OrderProgress


def _order_fields(p: OrderProgress) -> dict[str, Any]:
    return {
        "id": p.order.id,
        "number": p.order.number,
        "status": p.order.status,
        "warehouse_id": p.order.warehouse_id,
        "customer_code": p.customer.code,
        "customer_name": p.customer.name,
        "requested_date": p.order.requested_date,
        "units_ordered": p.ordered,
        "units_picked": p.picked,
        "units_shipped": p.shipped,
        "units_waiting": p.waiting,
        "units_packed": p.packed,
        "units_to_pack": p.to_pack,
        "open_packages": p.open_packages,
        "closed_packages": p.closed_packages,
    }


def _shipments(view: packing_views.OrderPacking, packages: list[PackageOut]) -> list[ShipmentOut]:
    return [
        ShipmentOut(
            id=s.id,
            number=s.number,
            order_id=s.order_id,
            order_number=view.progress.order.number,
            warehouse_id=s.warehouse_id,
            units=s.units,
            created_by=s.created_by,
            created_at=s.created_at,
            packages=[p.sscc for p in packages if p.shipment_id == s.id],
        )
        for s in view.shipments
    ]


class PackingStationController(Controller):
    path = "/api/packing/orders"
    tags = ["shipping"]

    @get(
        "/",
        summary="Sales orders with picked units waiting to be packed or shipped, oldest first",
        description="Orders of the user's warehouses that are picked or partly picked and "
        "not shipped whole, with their unit counts and packages not yet shipped.",
    )
    async def waiting(
        self,
        db: Db,
        actor: CurrentActor,
        limit: Limit = 50,
        offset: Offset = 0,
        warehouse_id: FromQuery[int | None] = None,
    ) -> Page[PackingOrderOut]:
        found, total = await packing_views.waiting_orders(db, actor, warehouse_id, limit, offset)
        return Page(
            items=[PackingOrderOut(**_order_fields(p)) for p in found],
            total=total,
            limit=limit,
            offset=offset,
        )

    @get(
        "/{order_id:int}",
        summary="What an order has picked and not yet packed, by item and lot, with its "
        "packages and shipments",
    )
    async def order(
        self, db: Db, actor: CurrentActor, order_id: FromPath[int]
    ) -> PackingOrderDetail:
        view = await packing_views.order_packing(db, actor, order_id)
        packages = await package_views(db, view.packages)
        return PackingOrderDetail(
            **_order_fields(view.progress),
            rows=[
                PackingRowOut(
                    item_id=r.item.id,
                    sku=r.item.sku,
                    item_name=r.item.name,
                    tracking=r.item.tracking,
                    lot_id=r.lot.id if r.lot else None,
                    lot_number=r.lot.lot_number if r.lot else None,
                    expiry_date=r.lot.expiry_date if r.lot else None,
                    picked=r.picked,
                    packed=r.packed,
                    to_pack=r.to_pack,
                    serials=r.serials,
                )
                for r in view.rows
            ],
            packages=packages,
            shipments=_shipments(view, packages),
            applied_event_ids=view.applied_event_ids,
        )
