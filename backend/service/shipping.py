"""Shipping: picked stock, whole or by package, leaves for the customer as one shipment."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import (
    Command,
    Package,
    PackageLine,
    SalesOrder,
    Shipment,
    StockMove,
    utcnow,
)
from backend.domain.actor import Actor
from backend.domain.commands import ShipOrder
from backend.domain.errors import Conflict, NotFound, NotPicked
from backend.domain.moves import MoveLine
from backend.service import documents, sales
from backend.service.applied import Applied
from backend.service.ledger import post_moves
from backend.service.warehouses import virtual_location

# (item, lot, serial) of picked stock; with a location where it waits to ship.
Unit = tuple[int, int | None, int | None]
Placed = tuple[int, int | None, int | None, int]


async def picked_waiting(session: AsyncSession, order: SalesOrder) -> dict[Placed, int]:
    """Stock picked for the order and not yet shipped, by where the picks put it: the
    ledger's pick moves into those places minus its shipment moves out of them."""
    held: dict[Placed, int] = defaultdict(int)
    for document_type, sign, column in (
        ("pick", 1, StockMove.to_location_id),
        ("shipment", -1, StockMove.from_location_id),
    ):
        rows = await session.execute(
            select(
                StockMove.item_id,
                StockMove.lot_id,
                StockMove.serial_id,
                column,
                func.sum(StockMove.quantity),
            )
            .where(StockMove.document_type == document_type, StockMove.document_ref == order.number)
            .group_by(StockMove.item_id, StockMove.lot_id, StockMove.serial_id, column)
        )
        for item_id, lot_id, serial_id, location_id, quantity in rows.all():
            # PostgreSQL sums BIGINT into NUMERIC: back to int for the ledger and JSON.
            held[(item_id, lot_id, serial_id, location_id)] += sign * int(quantity)
    return {key: quantity for key, quantity in held.items() if quantity > 0}


def by_unit(placed: dict[Placed, int]) -> dict[Unit, int]:
    units: dict[Unit, int] = defaultdict(int)
    for (item_id, lot_id, serial_id, _location), quantity in placed.items():
        units[(item_id, lot_id, serial_id)] += quantity
    return units


async def package_contents(session: AsyncSession, package_ids: list[int]) -> dict[Unit, int]:
    contents: dict[Unit, int] = defaultdict(int)
    if not package_ids:
        return contents
    rows = await session.execute(
        select(
            PackageLine.item_id,
            PackageLine.lot_id,
            PackageLine.serial_id,
            func.sum(PackageLine.quantity),
        )
        .where(PackageLine.package_id.in_(package_ids))
        .group_by(PackageLine.item_id, PackageLine.lot_id, PackageLine.serial_id)
    )
    for item_id, lot_id, serial_id, quantity in rows.all():
        contents[(item_id, lot_id, serial_id)] += int(quantity)
    return contents


async def unshipped_packages(session: AsyncSession, order_id: int) -> list[Package]:
    rows = await session.execute(
        select(Package)
        .where(Package.order_id == order_id, Package.status != "shipped")
        .order_by(Package.id)
    )
    return list(rows.scalars().all())


def _draw(placed: dict[Placed, int], wanted: dict[Unit, int], dest: int) -> list[MoveLine]:
    """Move lines taking `wanted` from wherever the picks put it, smallest place id first."""
    lines: list[MoveLine] = []
    for unit, need in sorted(wanted.items(), key=lambda kv: tuple(v or 0 for v in kv[0])):
        for key in sorted(k for k in placed if k[:3] == unit):
            take = min(need, placed[key])
            if take:
                lines.append(MoveLine(unit[0], take, key[3], dest, unit[1], unit[2], "shipment"))
                need -= take
        if need:
            raise NotPicked("a package holds more than is picked and waiting to ship")
    return lines


async def ship_order(
    session: AsyncSession, command: ShipOrder, actor: Actor, row: Command
) -> Applied:
    order = await sales.order_in_scope(session, actor, command.order_id)
    # One packer or shipper of an order at a time: both read what is picked and not yet
    # packed or shipped, then act on it.
    await session.refresh(order, with_for_update=True)
    if order.status in ("cancelled", "shipped", "draft"):
        raise Conflict(f"order {order.number} is {order.status}", status=order.status)
    placed = await picked_waiting(session, order)
    packages = await unshipped_packages(session, order.id)
    if command.package_ssccs:
        by_sscc = {p.sscc: p for p in packages}
        chosen: list[Package] = []
        for sscc in dict.fromkeys(command.package_ssccs):
            package = by_sscc.get(sscc)
            if package is None:
                raise NotFound(f"no unshipped package {sscc} on order {order.number}", sscc=sscc)
            if package.status != "closed":
                raise Conflict(f"package {sscc} is still open: close it first", sscc=sscc)
            chosen.append(package)
        wanted = await package_contents(session, [p.id for p in chosen])
        packages = chosen
    else:
        wanted = by_unit(placed)
    customer = await virtual_location(session, order.warehouse_id, "customer")
    move_lines = _draw(placed, wanted, customer.id)
    if not move_lines:
        raise NotPicked(f"nothing picked for {order.number} is waiting to ship")
    moves = await post_moves(
        session,
        move_lines,
        command_id=row.id,
        user_id=actor.id,
        occurred_at=command.occurred_at,
        document_type="shipment",
        document_ref=order.number,
    )
    units = sum(m.quantity for m in move_lines)
    shipment = Shipment(
        number=await documents.next_number(session, "shipment"),
        warehouse_id=order.warehouse_id,
        order_id=order.id,
        units=units,
        command_id=row.id,
        created_by=actor.id,
    )
    session.add(shipment)
    await session.flush()
    for package in packages:
        package.status = "shipped"
        package.shipment_id = shipment.id
        package.closed_at = package.closed_at or utcnow()
    lines = await sales.lines_of(session, order.id)
    shipped_now: dict[int, int] = defaultdict(int)
    for move in move_lines:
        shipped_now[move.item_id] += move.quantity
    for line in lines:
        take = min(shipped_now[line.item_id], line.picked_quantity - line.shipped_quantity)
        line.shipped_quantity += take
        shipped_now[line.item_id] -= take
    if all(line.shipped_quantity >= line.quantity for line in lines):
        order.status = "shipped"
        order.completed_at = utcnow()
    await documents.record(
        session,
        "sales_order",
        order.id,
        "shipped",
        actor.id,
        command_id=row.id,
        shipment=shipment.number,
        units=units,
        packages=[p.sscc for p in packages],
    )
    return Applied(
        {
            "order": order.number,
            "order_status": order.status,
            "shipment": shipment.number,
            "shipment_id": shipment.id,
            "units": units,
            "packages": [p.sscc for p in packages],
        },
        moves,
    )
