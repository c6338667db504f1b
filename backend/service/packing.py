"""Packing picked stock into packages, each known by an SSCC (GS1 Serial Shipping
Container Code) printed on its label and scanned again at shipping."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import Command, Item, Package, PackageLine, utcnow
from backend.domain.actor import Actor
from backend.domain.commands import PackItems, PackLine
from backend.domain.errors import Conflict, InvalidRequest, NotFound, NotPicked, SetupRequired
from backend.labels.content import sscc
from backend.service import documents, policies, sales
from backend.service.applied import Applied
from backend.service.shipping import (
    Unit,
    by_unit,
    package_contents,
    picked_waiting,
    unshipped_packages,
)
from backend.service.tracking import check_serial_count, find_lot, find_serials

SSCC_BODY = 17  # digits before the check digit: extension, company prefix, serial reference


async def new_sscc(session: AsyncSession) -> str:
    identity = await policies.gs1_identity(session)
    if identity is None:
        raise SetupRequired(
            "packages need the company's GS1 prefix for their SSCC: an admin sets it at "
            "PUT /api/settings/gs1"
        )
    prefix = identity["company_prefix"]
    width = SSCC_BODY - 1 - len(prefix)
    value = await documents.next_value(session, "sscc")
    if value >= 10**width:
        raise SetupRequired(f"all {10**width - 1} serial references of prefix {prefix} are used")
    return sscc(identity["extension_digit"], prefix, value)


async def _wanted(session: AsyncSession, line: PackLine, free: dict[Unit, int]) -> dict[Unit, int]:
    """Which picked units a pack line takes: the serials scanned, else the lot scanned, else
    any lot picked for the order (earliest lot first)."""
    item = await session.get(Item, line.item_id)
    if item is None:
        raise NotFound("no such item", item_id=line.item_id)
    check_serial_count(item, line.serials, line.quantity)
    lot_id = (await find_lot(session, item.id, line.lot_number)).id if line.lot_number else None
    taken: dict[Unit, int] = {}
    if line.serials:
        for serial in await find_serials(session, item.id, line.serials, create=False):
            unit: Unit = (item.id, serial.lot_id, serial.id)
            if free.get(unit, 0) < 1:
                raise NotPicked(
                    f"serial {serial.serial} of {item.sku} is not picked and waiting to pack",
                    serial=serial.serial,
                )
            taken[unit] = 1
        return taken
    candidates = sorted(
        (unit for unit in free if unit[0] == item.id and (lot_id is None or unit[1] == lot_id)),
        key=lambda u: (u[1] or 0, u[2] or 0),
    )
    need = line.quantity
    for unit in candidates:
        take = min(need, free[unit])
        if take:
            taken[unit] = take
            need -= take
    if need:
        raise NotPicked(
            f"only {line.quantity - need} of {item.sku}"
            + (f" lot {line.lot_number}" if line.lot_number else "")
            + " are picked for this order and not yet packed",
            sku=item.sku,
            asked=line.quantity,
            available=line.quantity - need,
        )
    return taken


async def pack_items(
    session: AsyncSession, command: PackItems, actor: Actor, row: Command
) -> Applied:
    order = await sales.order_in_scope(session, actor, command.order_id)
    # One packer or shipper of an order at a time: both read what is picked and not yet
    # packed or shipped, then act on it.
    await session.refresh(order, with_for_update=True)
    if order.status in ("cancelled", "shipped", "draft"):
        raise Conflict(f"order {order.number} is {order.status}", status=order.status)
    packages = await unshipped_packages(session, order.id)
    free = by_unit(await picked_waiting(session, order))
    for unit, quantity in (await package_contents(session, [p.id for p in packages])).items():
        free[unit] = free.get(unit, 0) - quantity
    if command.sscc:
        package = next((p for p in packages if p.sscc == command.sscc), None)
        if package is None:
            raise NotFound(f"no unshipped package {command.sscc} on {order.number}")
        if package.status != "open":
            raise Conflict(f"package {command.sscc} is already closed", sscc=command.sscc)
    else:
        package = Package(
            sscc=await new_sscc(session),
            warehouse_id=order.warehouse_id,
            order_id=order.id,
            command_id=row.id,
            created_by=actor.id,
        )
        session.add(package)
        await session.flush()
    packed: dict[Unit, int] = defaultdict(int)
    for line in command.lines:
        for unit, quantity in (await _wanted(session, line, free)).items():
            free[unit] -= quantity
            packed[unit] += quantity
    if not packed:
        raise InvalidRequest("nothing to pack")
    existing = {
        (pl.item_id, pl.lot_id, pl.serial_id): pl
        for pl in (
            await session.execute(select(PackageLine).where(PackageLine.package_id == package.id))
        ).scalars()
    }
    for (item_id, lot_id, serial_id), quantity in packed.items():
        if (current := existing.get((item_id, lot_id, serial_id))) is not None:
            current.quantity += quantity
        else:
            session.add(
                PackageLine(
                    package_id=package.id,
                    item_id=item_id,
                    lot_id=lot_id,
                    serial_id=serial_id,
                    quantity=quantity,
                )
            )
    if command.close:
        package.status = "closed"
        package.closed_at = utcnow()
    units = sum(packed.values())
    await documents.record(
        session,
        "sales_order",
        order.id,
        "packed",
        actor.id,
        command_id=row.id,
        sscc=package.sscc,
        units=units,
        closed=command.close,
    )
    return Applied(
        {
            "order": order.number,
            "package_id": package.id,
            "sscc": package.sscc,
            "package_status": package.status,
            "units": units,
        }
    )
