"""A small, fully known warehouse world for tests, built through the service layer."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.domain.actor import Actor
from backend.domain.commands import OpeningLine, PostOpeningBalance
from backend.service import catalog
from backend.service.commands import apply_command
from backend.service.users import create_user
from backend.service.warehouses import create_warehouse, virtual_location


@dataclass
class World:
    PASSWORD = "correct-horse-battery"
    warehouses: dict[str, int] = field(default_factory=dict)
    locations: dict[str, int] = field(default_factory=dict)
    items: dict[str, int] = field(default_factory=dict)
    users: dict[str, int] = field(default_factory=dict)
    actors: dict[str, Actor] = field(default_factory=dict)

    def loc(self, code: str) -> int:
        return self.locations[code]


def envelope(device: str = "test-device") -> dict[str, object]:
    return {"event_id": uuid.uuid4(), "device_id": device,
            "occurred_at": dt.datetime.now(dt.UTC)}


async def build_world(sessions: async_sessionmaker[AsyncSession]) -> World:
    world = World()
    async with sessions() as session, session.begin():
        for code in ("W1", "W2"):
            warehouse = await create_warehouse(session, code=code, name=f"Warehouse {code}")
            world.warehouses[code] = warehouse.id
            for kind in ("supplier", "customer", "adjustment", "scrap"):
                world.locations[f"{code}/@{kind}"] = (
                    await virtual_location(session, warehouse.id, kind)).id
        admin = Actor(0, "setup", "admin", frozenset())
        zone = await catalog.create_location(session, admin, {
            "warehouse_id": world.warehouses["W1"], "code": "Z-A", "kind": "zone"})
        world.locations["Z-A"] = zone.id
        for n, code in enumerate(("A-01", "A-02", "A-03", "A-04", "A-05"), start=1):
            bin_ = await catalog.create_location(session, admin, {
                "warehouse_id": world.warehouses["W1"], "code": code, "kind": "bin",
                "parent_id": zone.id, "barcode": f"LOC-{code}", "pick_sequence": n * 10})
            world.locations[code] = bin_.id
        dock = await catalog.create_location(session, admin, {
            "warehouse_id": world.warehouses["W1"], "code": "DOCK-1", "kind": "dock"})
        world.locations["DOCK-1"] = dock.id
        for code in ("B-01", "B-02"):
            bin_ = await catalog.create_location(session, admin, {
                "warehouse_id": world.warehouses["W2"], "code": code, "kind": "bin",
                "barcode": f"LOC-{code}"})
            world.locations[code] = bin_.id
        plain = await catalog.create_item(
            session, {"sku": "PLAIN", "name": "Plain widget", "unit_cost": Decimal("2.50")},
            [{"code": "4006381333931", "quantity": 1, "packaging": "unit"},
             {"code": "14006381333938", "quantity": 12, "packaging": "case"}])
        lotted = await catalog.create_item(
            session, {"sku": "LOTTED", "name": "Yoghurt", "tracking": "lot",
                      "shelf_life_days": 30, "unit_cost": Decimal("0.80")},
            [{"code": "5000112637922", "quantity": 1, "packaging": "unit"}])
        serial = await catalog.create_item(
            session, {"sku": "SERIAL", "name": "Drill", "tracking": "serial",
                      "unit_cost": Decimal("120")}, [])
        world.items = {"PLAIN": plain.id, "LOTTED": lotted.id, "SERIAL": serial.id}
        w1, w2 = world.warehouses["W1"], world.warehouses["W2"]
        for username, role, scope in (("worker", "worker", [w1]),
                                      ("supervisor", "supervisor", [w1]),
                                      ("admin", "admin", []),
                                      ("worker2", "worker", [w2]),
                                      ("supervisor2", "supervisor", [w2])):
            user = await create_user(session, username=username, password=World.PASSWORD,
                                     role=role, warehouses=scope)
            world.users[username] = user.id
            world.actors[username] = Actor(user.id, username, role, frozenset(scope))
    expiry = dt.date.today() + dt.timedelta(days=20)
    outcome = await apply_command(sessions, PostOpeningBalance(**envelope(), lines=[  # type: ignore[arg-type]
        OpeningLine(item_id=world.items["PLAIN"], location_id=world.loc("A-01"), quantity=10),
        OpeningLine(item_id=world.items["LOTTED"], location_id=world.loc("A-02"), quantity=20,
                    lot_number="L1", expiry_date=expiry),
        OpeningLine(item_id=world.items["SERIAL"], location_id=world.loc("A-03"), quantity=3,
                    serials=["SN-1", "SN-2", "SN-3"]),
        OpeningLine(item_id=world.items["PLAIN"], location_id=world.loc("B-01"), quantity=5),
    ]), world.actors["admin"])
    assert outcome.status == "applied", outcome
    return world
