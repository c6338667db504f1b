"""Warehouses, locations, items, barcodes and lots."""

from __future__ import annotations

from litestar import Controller, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy import select

from backend.api.controllers.convert import (
    barcode_out,
    changes,
    item_out,
    location_out,
    lot_out,
    warehouse_out,
)
from backend.api.deps import CurrentActor, Db, Limit, Offset
from backend.api.guards import requires_admin, requires_supervisor
from backend.api.schemas import (
    BarcodeCreate,
    BarcodeOut,
    BarcodeUpdate,
    ItemCreate,
    ItemOut,
    ItemUpdate,
    LocationCreate,
    LocationOut,
    LocationUpdate,
    LotCreate,
    LotOut,
    LotUpdate,
    Page,
    WarehouseCreate,
    WarehouseOut,
    WarehouseUpdate,
)
from backend.db.models import Item, ItemBarcode, Location, Lot, Warehouse
from backend.domain.errors import NotFound
from backend.domain.vocabulary import LocationKind
from backend.service import catalog, queries
from backend.service.warehouses import create_warehouse


class WarehouseController(Controller):
    path = "/api/warehouses"
    tags = ["master data"]

    @get("/", summary="Warehouses the signed-in user may see")
    async def list_warehouses(self, db: Db, actor: CurrentActor) -> list[WarehouseOut]:
        query = select(Warehouse).order_by(Warehouse.code)
        query = queries.scoped(query, Warehouse.id, actor)
        return [warehouse_out(w) for w in (await db.execute(query)).scalars()]

    @get("/{warehouse_id:int}", summary="One warehouse")
    async def get_warehouse(
        self, db: Db, actor: CurrentActor, warehouse_id: FromPath[int]
    ) -> WarehouseOut:
        return warehouse_out(await catalog.warehouse_in_scope(db, warehouse_id, actor))

    @post("/", guards=[requires_admin], summary="Create a warehouse with its virtual locations")
    async def create(self, db: Db, data: JSONBody[WarehouseCreate]) -> WarehouseOut:
        async with db.begin():
            warehouse = await create_warehouse(db, code=data.code, name=data.name)
        return warehouse_out(warehouse)

    @patch(
        "/{warehouse_id:int}",
        guards=[requires_admin],
        summary="Rename, deactivate or reactivate a warehouse",
    )
    async def update(
        self,
        db: Db,
        actor: CurrentActor,
        warehouse_id: FromPath[int],
        data: JSONBody[WarehouseUpdate],
    ) -> WarehouseOut:
        async with db.begin():
            warehouse = await catalog.warehouse_in_scope(db, warehouse_id, actor)
            catalog.apply_changes(warehouse, changes(data))
        return warehouse_out(warehouse)


class LocationController(Controller):
    path = "/api/locations"
    tags = ["master data"]

    @get("/", summary="Locations, filtered; only warehouses in the user's scope")
    async def list_locations(
        self,
        db: Db,
        actor: CurrentActor,
        limit: Limit = 50,
        offset: Offset = 0,
        warehouse_id: FromQuery[int | None] = None,
        kind: FromQuery[LocationKind | None] = None,
        barcode: FromQuery[str | None] = None,
        code: FromQuery[str | None] = None,
        parent_id: FromQuery[int | None] = None,
        active: FromQuery[bool | None] = None,
    ) -> Page[LocationOut]:
        query = select(Location).order_by(
            Location.warehouse_id, Location.pick_sequence, Location.code
        )
        query = queries.scoped(query, Location.warehouse_id, actor)
        query = queries.matching(
            query,
            (Location.warehouse_id, warehouse_id),
            (Location.kind, kind),
            (Location.barcode, barcode),
            (Location.code, code),
            (Location.parent_id, parent_id),
            (Location.active, active),
        )
        rows, total = await queries.record_page(db, query, limit, offset)
        return Page(
            items=[location_out(r) for r in rows],
            total=total,
            limit=limit,
            offset=offset,
        )

    @get("/{location_id:int}", summary="One location")
    async def get_location(
        self, db: Db, actor: CurrentActor, location_id: FromPath[int]
    ) -> LocationOut:
        return location_out(await catalog.location_in_scope(db, location_id, actor))

    @post("/", guards=[requires_supervisor], summary="Create a zone, bin, dock or transit location")
    async def create(
        self, db: Db, actor: CurrentActor, data: JSONBody[LocationCreate]
    ) -> LocationOut:
        async with db.begin():
            location = await catalog.create_location(db, actor, changes(data))
        return location_out(location)

    @patch(
        "/{location_id:int}",
        guards=[requires_supervisor],
        summary="Change or deactivate a location (only when it holds no stock)",
    )
    async def update(
        self,
        db: Db,
        actor: CurrentActor,
        location_id: FromPath[int],
        data: JSONBody[LocationUpdate],
    ) -> LocationOut:
        async with db.begin():
            location = await catalog.update_location(db, actor, location_id, changes(data))
        return location_out(location)


class ItemController(Controller):
    path = "/api/items"
    tags = ["master data"]

    @get("/", summary="Items by text, SKU or barcode")
    async def list_items(
        self,
        db: Db,
        limit: Limit = 50,
        offset: Offset = 0,
        q: FromQuery[str | None] = None,
        sku: FromQuery[str | None] = None,
        barcode: FromQuery[str | None] = None,
        active: FromQuery[bool | None] = None,
    ) -> Page[ItemOut]:
        query = catalog.item_search(select(Item).order_by(Item.sku), q, sku, barcode)
        if active is not None:
            query = query.where(Item.active.is_(active))
        items, total = await queries.record_page(db, query, limit, offset)
        codes = await catalog.barcodes_of(db, [i.id for i in items])
        return Page(
            items=[item_out(i, codes[i.id]) for i in items],
            total=total,
            limit=limit,
            offset=offset,
        )

    @get("/{item_id:int}", summary="One item with its barcodes")
    async def get_item(self, db: Db, item_id: FromPath[int]) -> ItemOut:
        item = await catalog.get_or_404(db, Item, item_id, "item")
        return item_out(item, (await catalog.barcodes_of(db, [item.id]))[item.id])

    @post("/", guards=[requires_supervisor], summary="Create an item, optionally with barcodes")
    async def create(self, db: Db, data: JSONBody[ItemCreate]) -> ItemOut:
        async with db.begin():
            fields = changes(data)
            barcodes = [changes(b) for b in fields.pop("barcodes")]
            item = await catalog.create_item(db, fields, barcodes)
            codes = await catalog.barcodes_of(db, [item.id])
        return item_out(item, codes[item.id])

    @patch("/{item_id:int}", guards=[requires_supervisor], summary="Change or deactivate an item")
    async def update(self, db: Db, item_id: FromPath[int], data: JSONBody[ItemUpdate]) -> ItemOut:
        async with db.begin():
            item = await catalog.update_item(db, item_id, changes(data))
            codes = await catalog.barcodes_of(db, [item.id])
        return item_out(item, codes[item.id])

    @post(
        "/{item_id:int}/barcodes",
        guards=[requires_supervisor],
        summary="Add a barcode; `quantity` is how many units it counts (a case: 12)",
    )
    async def add_barcode(
        self, db: Db, item_id: FromPath[int], data: JSONBody[BarcodeCreate]
    ) -> BarcodeOut:
        async with db.begin():
            barcode = await catalog.add_barcode(db, item_id, changes(data))
        return barcode_out(barcode)

    @patch(
        "/{item_id:int}/barcodes/{barcode_id:int}",
        guards=[requires_supervisor],
        summary="Change or deactivate a barcode",
    )
    async def update_barcode(
        self,
        db: Db,
        item_id: FromPath[int],
        barcode_id: FromPath[int],
        data: JSONBody[BarcodeUpdate],
    ) -> BarcodeOut:
        async with db.begin():
            barcode = await catalog.get_or_404(db, ItemBarcode, barcode_id, "barcode")
            if barcode.item_id != item_id:
                raise NotFound("no such barcode on this item", id=barcode_id)
            catalog.apply_changes(barcode, changes(data))
        return barcode_out(barcode)


class LotController(Controller):
    path = "/api/lots"
    tags = ["master data"]

    @get("/", summary="Lots of an item, or by lot number; soonest expiry first")
    async def list_lots(
        self,
        db: Db,
        limit: Limit = 50,
        offset: Offset = 0,
        item_id: FromQuery[int | None] = None,
        lot_number: FromQuery[str | None] = None,
    ) -> Page[LotOut]:
        query = select(Lot).order_by(Lot.expiry_date.asc().nulls_last(), Lot.id)
        if item_id is not None:
            query = query.where(Lot.item_id == item_id)
        if lot_number is not None:
            query = query.where(Lot.lot_number == lot_number)
        rows, total = await queries.record_page(db, query, limit, offset)
        return Page(
            items=[lot_out(r) for r in rows],
            total=total,
            limit=limit,
            offset=offset,
        )

    @get("/{lot_id:int}", summary="One lot")
    async def get_lot(self, db: Db, lot_id: FromPath[int]) -> LotOut:
        return lot_out(await catalog.get_or_404(db, Lot, lot_id, "lot"))

    @post("/", guards=[requires_supervisor], summary="Register a lot of a lot-tracked item")
    async def create(self, db: Db, data: JSONBody[LotCreate]) -> LotOut:
        async with db.begin():
            lot = await catalog.create_lot(db, changes(data))
        return lot_out(lot)

    @patch("/{lot_id:int}", guards=[requires_supervisor], summary="Correct a lot's expiry date")
    async def update(self, db: Db, lot_id: FromPath[int], data: JSONBody[LotUpdate]) -> LotOut:
        async with db.begin():
            lot = await catalog.get_or_404(db, Lot, lot_id, "lot")
            catalog.apply_changes(lot, changes(data))
        return lot_out(lot)
