"""The packing station's read side: which sales orders have picked stock waiting to be packed
or shipped, and for one order what is picked and not yet packed, by item and lot.

"Waiting" is what the ledger says the picks put down for the order and no shipment has taken
away yet, the same reckoning packing and shipping use, so the station never offers to pack a
unit the packing command would refuse."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import Select, and_, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import (
    Command,
    Customer,
    DocumentEvent,
    Item,
    Lot,
    Package,
    PackageLine,
    SalesOrder,
    SalesOrderLine,
    Serial,
    Shipment,
)
from backend.domain.actor import Actor
from backend.service import queries, sales
from backend.service.shipping import Unit, by_unit, package_contents, picked_waiting

# Orders that have begun picking and are not shipped whole: partly picked ones can pack what
# they have.
PACKABLE_STATUSES = ("picking", "picked")


@dataclass
class OrderProgress:
    """Units of one order: ordered, picked and shipped over its lines; `packed` is in its
    packages not yet shipped."""

    order: SalesOrder
    customer: Customer
    ordered: int = 0
    picked: int = 0
    shipped: int = 0
    packed: int = 0
    open_packages: int = 0
    closed_packages: int = 0

    @property
    def waiting(self) -> int:
        return self.picked - self.shipped

    @property
    def to_pack(self) -> int:
        return max(0, self.waiting - self.packed)


@dataclass
class PackingRow:
    """One item and lot picked for the order and not shipped: how many, how many of them are
    in a package, and the serial numbers still to pack."""

    item: Item
    lot: Lot | None
    picked: int = 0
    packed: int = 0
    serials: list[str] = field(default_factory=list)

    @property
    def to_pack(self) -> int:
        return self.picked - self.packed


@dataclass
class OrderPacking:
    progress: OrderProgress
    rows: list[PackingRow]
    packages: list[Package]
    shipments: list[Shipment]
    # Packing and shipping commands already applied to the order, so a device can tell which
    # of its own queued or just-sent ones this view already shows.
    applied_event_ids: list[uuid.UUID]


def _waiting_orders(actor: Actor, warehouse_id: int | None) -> Select[tuple[SalesOrder]]:
    unshipped = exists().where(
        and_(
            SalesOrderLine.order_id == SalesOrder.id,
            SalesOrderLine.picked_quantity > SalesOrderLine.shipped_quantity,
        )
    )
    query = (
        select(SalesOrder)
        .where(SalesOrder.status.in_(PACKABLE_STATUSES), unshipped)
        # First picked, first packed: the oldest order waits longest at the station.
        .order_by(SalesOrder.id)
    )
    query = queries.scoped(query, SalesOrder.warehouse_id, actor)
    return queries.matching(query, (SalesOrder.warehouse_id, warehouse_id))


async def _progress(session: AsyncSession, orders: list[SalesOrder]) -> list[OrderProgress]:
    if not orders:
        return []
    ids = [o.id for o in orders]
    customers = {
        c.id: c
        for c in (
            await session.execute(
                select(Customer).where(Customer.id.in_({o.customer_id for o in orders}))
            )
        ).scalars()
    }
    found = {o.id: OrderProgress(o, customers[o.customer_id]) for o in orders}
    lines = await session.execute(
        select(
            SalesOrderLine.order_id,
            func.sum(SalesOrderLine.quantity),
            func.sum(SalesOrderLine.picked_quantity),
            func.sum(SalesOrderLine.shipped_quantity),
        )
        .where(SalesOrderLine.order_id.in_(ids))
        .group_by(SalesOrderLine.order_id)
    )
    for order_id, ordered, picked, shipped in lines.all():
        # PostgreSQL sums BIGINT into NUMERIC.
        p = found[order_id]
        p.ordered, p.picked, p.shipped = int(ordered), int(picked), int(shipped)
    packages = await session.execute(
        select(Package.order_id, Package.status, func.count())
        .where(Package.order_id.in_(ids), Package.status != "shipped")
        .group_by(Package.order_id, Package.status)
    )
    for order_id, status, n in packages.all():
        if status == "open":
            found[order_id].open_packages = int(n)
        else:
            found[order_id].closed_packages = int(n)
    packed = await session.execute(
        select(Package.order_id, func.sum(PackageLine.quantity))
        .join(PackageLine, PackageLine.package_id == Package.id)
        .where(Package.order_id.in_(ids), Package.status != "shipped")
        .group_by(Package.order_id)
    )
    for order_id, quantity in packed.all():
        found[order_id].packed = int(quantity)
    return [found[i] for i in ids]


async def waiting_orders(
    session: AsyncSession, actor: Actor, warehouse_id: int | None, limit: int, offset: int
) -> tuple[list[OrderProgress], int]:
    """Orders of the actor's warehouses with units picked and not yet shipped, oldest first."""
    if warehouse_id is not None:
        actor.require_warehouse(warehouse_id)
    query = _waiting_orders(actor, warehouse_id)
    orders, total = await queries.record_page(session, query, limit, offset)
    return await _progress(session, orders), total


async def _rows(
    session: AsyncSession, waiting: dict[Unit, int], packed: dict[Unit, int]
) -> list[PackingRow]:
    item_ids = {unit[0] for unit in waiting}
    if not item_ids:
        return []
    items = {
        i.id: i
        for i in (await session.execute(select(Item).where(Item.id.in_(item_ids)))).scalars()
    }
    lot_ids = {unit[1] for unit in waiting if unit[1] is not None}
    lots = {
        lot.id: lot
        for lot in (await session.execute(select(Lot).where(Lot.id.in_(lot_ids)))).scalars()
    }
    serial_ids = {unit[2] for unit in waiting if unit[2] is not None}
    serials = dict(
        (await session.execute(select(Serial.id, Serial.serial).where(Serial.id.in_(serial_ids))))
        .tuples()
        .all()
    )
    rows: dict[tuple[int, int | None], PackingRow] = {}
    for unit, quantity in waiting.items():
        item_id, lot_id, serial_id = unit
        row = rows.get((item_id, lot_id))
        if row is None:
            row = rows[(item_id, lot_id)] = PackingRow(items[item_id], lots.get(lot_id or 0))
        in_packages = min(quantity, packed.get(unit, 0))
        row.picked += quantity
        row.packed += in_packages
        if serial_id is not None and in_packages < quantity:
            row.serials.append(serials[serial_id])
    for row in rows.values():
        row.serials.sort()
    # By SKU, then lots in the order packing takes them when no lot is scanned (lot id).
    return sorted(rows.values(), key=lambda r: (r.item.sku, r.lot.id if r.lot else 0))


async def order_packing(session: AsyncSession, actor: Actor, order_id: int) -> OrderPacking:
    order = await sales.order_in_scope(session, actor, order_id)
    progress = (await _progress(session, [order]))[0]
    packages = list(
        (
            await session.execute(
                select(Package).where(Package.order_id == order.id).order_by(Package.id)
            )
        ).scalars()
    )
    unshipped = [p.id for p in packages if p.status != "shipped"]
    packed = await package_contents(session, unshipped)
    waiting = by_unit(await picked_waiting(session, order))
    shipments = list(
        (
            await session.execute(
                select(Shipment).where(Shipment.order_id == order.id).order_by(Shipment.id)
            )
        ).scalars()
    )
    applied = (
        await session.execute(
            select(Command.event_id)
            .join(DocumentEvent, DocumentEvent.command_id == Command.id)
            .where(
                DocumentEvent.document_type == "sales_order",
                DocumentEvent.document_id == order.id,
                DocumentEvent.action.in_(("packed", "shipped")),
            )
            .order_by(DocumentEvent.id)
        )
    ).scalars()
    return OrderPacking(
        progress=progress,
        rows=await _rows(session, waiting, defaultdict(int, packed)),
        packages=packages,
        shipments=shipments,
        applied_event_ids=list(dict.fromkeys(applied)),
    )
