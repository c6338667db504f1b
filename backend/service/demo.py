"""The demo warehouse: two sites, about 200 bins, 500 items and their opening stock.

Everything goes in through the same functions the API uses, and stock through the ledger as
opening-balance commands, so the demo's ledger verifies like a real one.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.db.models import Customer, Item, Location, Quant, Supplier, User
from backend.domain.actor import Actor
from backend.domain.commands import MoveStock, OpeningLine, PostOpeningBalance
from backend.service import catalog, policies, purchasing, sales
from backend.service.commands import apply_command
from backend.service.demo_history import HISTORY_DAYS, load_history
from backend.service.sealing import seal_pending
from backend.service.users import create_user
from backend.service.warehouses import create_warehouse
from scanner.gs1 import case_gtin, with_check_digit

DEMO_PASSWORD = "stockhand-demo"


class DemoError(RuntimeError):
    """The demo cannot be loaded here."""


DEVICE = "demo-loader"

# (category, tracking, unit, shelf life in days, cost range, names)
CATALOGUE: list[tuple[str, str, str, int | None, tuple[float, float], list[str]]] = [
    (
        "Dairy",
        "lot",
        "ea",
        21,
        (0.6, 4.5),
        [
            "Whole milk 1 L",
            "Skimmed milk 1 L",
            "Greek yoghurt 500 g",
            "Butter 250 g",
            "Cheddar 400 g",
            "Mozzarella 125 g",
            "Cream 200 ml",
            "Kefir 500 ml",
        ],
    ),
    (
        "Bakery",
        "lot",
        "ea",
        7,
        (0.8, 3.5),
        [
            "Sourdough loaf",
            "Wholemeal bread",
            "Croissants 4-pack",
            "Bagels 6-pack",
            "Rye bread",
            "Brioche buns",
        ],
    ),
    (
        "Pharmacy",
        "lot",
        "ea",
        720,
        (1.5, 18.0),
        [
            "Paracetamol 500 mg 20 tabs",
            "Ibuprofen 200 mg 24 tabs",
            "Vitamin C 1000 mg",
            "Antiseptic cream 30 g",
            "Saline solution 500 ml",
            "Plasters assorted 40",
        ],
    ),
    (
        "Beverages",
        "lot",
        "ea",
        365,
        (0.4, 6.0),
        [
            "Mineral water 1.5 L",
            "Green tea 20 bags",
            "Orange juice 1 L",
            "Cola 330 ml can",
            "Coffee beans 1 kg",
            "Oolong tea 100 g",
        ],
    ),
    (
        "Hardware",
        "none",
        "ea",
        None,
        (0.05, 25.0),
        [
            "Wood screws 4x40 box",
            "Wall plugs 8 mm",
            "Hex bolts M8",
            "Washers M6",
            "Cable ties 200 mm",
            "Hinge 75 mm",
            "Padlock 40 mm",
            "Door handle",
        ],
    ),
    (
        "Packaging",
        "none",
        "ea",
        None,
        (0.02, 3.0),
        [
            "Carton 40x30x30",
            "Stretch film 500 mm",
            "Packing tape 50 m",
            "Pallet label A5",
            "Bubble wrap roll",
            "Void fill paper",
        ],
    ),
    (
        "Cleaning",
        "none",
        "ea",
        None,
        (0.9, 12.0),
        [
            "Floor cleaner 5 L",
            "Hand soap 500 ml",
            "Microfibre cloth",
            "Bin liners 60 L",
            "Glass cleaner 750 ml",
            "Disinfectant wipes",
        ],
    ),
    (
        "Stationery",
        "none",
        "ea",
        None,
        (0.2, 8.0),
        [
            "A4 paper 500 sheets",
            "Ballpoint pens 10",
            "Marker permanent",
            "Label roll 100x150",
            "Clipboard",
            "Sticky notes",
        ],
    ),
    (
        "Power tools",
        "serial",
        "ea",
        None,
        (35.0, 420.0),
        [
            "Cordless drill 18 V",
            "Angle grinder 125 mm",
            "Impact driver",
            "Circular saw",
            "Jigsaw",
            "Rotary hammer",
        ],
    ),
    (
        "Electronics",
        "serial",
        "ea",
        None,
        (15.0, 650.0),
        [
            "Barcode scanner",
            "Label printer",
            "Rugged tablet",
            "Handheld terminal",
            "Bluetooth headset",
            "Thermal printer",
        ],
    ),
]
VARIANTS = [
    "",
    " (red)",
    " (blue)",
    " (black)",
    " (large)",
    " (small)",
    " XL",
    " pro",
    " eco",
    " value",
    " premium",
    " twin pack",
]


def _gtin13(n: int) -> str:
    return with_check_digit(f"6901234{n:05d}")


async def _has_data(session: AsyncSession) -> bool:
    return bool((await session.execute(select(func.count()).select_from(User))).scalar())


async def load_demo(
    sessions: async_sessionmaker[AsyncSession],
    *,
    seed: int = 20261127,
    if_empty: bool = False,
    progress: Callable[[str], Any] = lambda _: None,
    history: bool = False,
) -> dict[str, Any] | None:
    """`history` adds a year of orders, shipments and purchases to MAIN (demo_history); the
    opening stock is then dated before it."""
    rng = random.Random(seed)
    async with sessions() as session, session.begin():
        if await _has_data(session):
            if if_empty:
                return None
            raise DemoError("the database already has data; the demo loads into an empty one")
        warehouses = await _warehouses(session)
        progress(f"warehouses: {', '.join(warehouses)}")
        bins = await _locations(session, warehouses, rng)
        progress(f"locations: {sum(len(b) for b in bins.values())} bins")
        items = await _items(session, rng)
        progress(f"items: {len(items)}")
        admin = await create_user(
            session,
            username="admin",
            password=DEMO_PASSWORD,
            role="admin",
            display_name="Ada Admin",
        )
        await create_user(
            session,
            username="supervisor",
            password=DEMO_PASSWORD,
            role="supervisor",
            warehouses=warehouses.values(),
            display_name="Sam Supervisor",
        )
        worker = await create_user(
            session,
            username="worker",
            password=DEMO_PASSWORD,
            role="worker",
            warehouses=[warehouses["MAIN"]],
            display_name="Wang Wei",
            locale="zh-CN",
        )
        admin_actor = Actor(admin.id, admin.username, "admin", frozenset())
        worker_actor = Actor(worker.id, worker.username, "worker", frozenset([warehouses["MAIN"]]))

    lines = _opening_lines(items, bins, rng)
    for code, entries in lines.items():
        for start in range(0, len(entries), 250):
            chunk = entries[start : start + 250]
            outcome = await apply_command(
                sessions,
                PostOpeningBalance(
                    event_id=uuid.uuid4(),
                    device_id=DEVICE,
                    occurred_at=dt.datetime.now(dt.UTC)
                    - dt.timedelta(days=HISTORY_DAYS + 1 if history else 0),
                    lines=chunk,
                    reference=f"OPENING-{code}",
                ),
                admin_actor,
            )
            if outcome.status != "applied":
                raise RuntimeError(f"demo opening balance rejected: {outcome.message}")
            progress(f"opening stock {code}: {min(start + 250, len(entries))}/{len(entries)}")

    moves = await _some_bin_moves(sessions, worker_actor, items, bins["MAIN"], rng)
    progress(f"bin moves by the worker: {moves}")
    orders = await _purchase_orders(sessions, admin_actor, warehouses["MAIN"], items, rng)
    progress(f"purchase orders: {orders}")
    sold = await _sales_orders(sessions, admin_actor, warehouses["MAIN"], items, rng)
    progress(f"sales orders: {sold}")
    history_summary = None
    if history:
        history_summary = await load_history(
            sessions, warehouses["MAIN"], seed=seed, progress=progress
        )
    sealed = await seal_pending(sessions)
    progress(f"ledger sealed: {sealed} moves")
    return {
        "warehouses": list(warehouses),
        "bins": {code: len(b) for code, b in bins.items()},
        "items": len(items),
        "opening_lines": sum(len(v) for v in lines.values()),
        "moves_sealed": sealed,
        "purchase_orders": orders,
        "sales_orders": sold,
        **({"history": history_summary} if history_summary else {}),
        "logins": {name: DEMO_PASSWORD for name in ("worker", "supervisor", "admin")},
    }


async def _warehouses(session: AsyncSession) -> dict[str, int]:
    main = await create_warehouse(session, code="MAIN", name="Main distribution centre")
    east = await create_warehouse(session, code="EAST", name="East depot")
    return {"MAIN": main.id, "EAST": east.id}


async def _locations(
    session: AsyncSession, warehouses: dict[str, int], rng: random.Random
) -> dict[str, list[Location]]:
    setup = Actor(0, "demo", "admin", frozenset())
    layout = {"MAIN": ("A", "B", "C", "D", "E", "F"), "EAST": ("G", "H")}
    bins: dict[str, list[Location]] = {}
    for code, zones in layout.items():
        wid = warehouses[code]
        for dock in ("RECV", "SHIP"):
            await catalog.create_location(
                session,
                setup,
                {
                    "warehouse_id": wid,
                    "code": f"{dock}-{code}",
                    "kind": "dock",
                    "name": "Receiving dock" if dock == "RECV" else "Shipping dock",
                    "barcode": f"LOC{code}{dock}",
                    "purpose": "receiving" if dock == "RECV" else "shipping",
                },
            )
        await catalog.create_location(
            session,
            setup,
            {
                "warehouse_id": wid,
                "code": f"QUAR-{code}",
                "kind": "bin",
                "name": "Quarantine",
                "barcode": f"LOC{code}QUAR",
                "purpose": "quarantine",
                "pick_sequence": 999_000,
            },
        )
        bins[code] = []
        sequence = 0
        for zone_code in zones:
            zone = await catalog.create_location(
                session,
                setup,
                {
                    "warehouse_id": wid,
                    "code": f"Z-{zone_code}",
                    "kind": "zone",
                    "name": f"Zone {zone_code}",
                },
            )
            # Aisles walked in a serpentine: odd aisles up, even aisles down.
            for aisle in range(1, 6):
                levels = range(1, 6) if aisle % 2 else range(5, 0, -1)
                for level in levels:
                    sequence += 10
                    bin_code = f"{zone_code}{aisle:02d}-{level:02d}"
                    bins[code].append(
                        await catalog.create_location(
                            session,
                            setup,
                            {
                                "warehouse_id": wid,
                                "code": bin_code,
                                "kind": "bin",
                                "parent_id": zone.id,
                                "barcode": f"LOC{bin_code.replace('-', '')}",
                                "pick_sequence": sequence,
                                "name": f"Bin {bin_code}",
                            },
                        )
                    )
    return bins


async def _items(session: AsyncSession, rng: random.Random) -> list[Item]:
    items: list[Item] = []
    n = 0
    while len(items) < 500:
        for category, tracking, unit, shelf_life, (low, high), names in CATALOGUE:
            for name in names:
                if len(items) >= 500:
                    break
                variant = VARIANTS[(n // len(names)) % len(VARIANTS)]
                n += 1
                gtin = _gtin13(n)
                barcodes: list[dict[str, Any]] = [
                    {"code": gtin, "quantity": 1, "packaging": "unit"}
                ]
                if tracking != "serial" and rng.random() < 0.4:
                    barcodes.append({"code": case_gtin(gtin), "quantity": 12, "packaging": "case"})
                cost = Decimal(str(round(rng.uniform(low, high), 2)))
                items.append(
                    await catalog.create_item(
                        session,
                        {
                            "sku": f"{category[:3].upper()}-{n:04d}",
                            "name": f"{name}{variant}",
                            "unit": unit,
                            "tracking": tracking,
                            "shelf_life_days": shelf_life,
                            "unit_cost": cost,
                            "abc_class": rng.choices("ABC", weights=(2, 3, 5))[0],
                        },
                        barcodes,
                    )
                )
    return items


def _opening_lines(
    items: list[Item], bins: dict[str, list[Location]], rng: random.Random
) -> dict[str, list[OpeningLine]]:
    today = dt.date.today()
    lines: dict[str, list[OpeningLine]] = {"MAIN": [], "EAST": []}
    serial_no = 0
    for item in items:
        for code in ("MAIN", "EAST"):
            if code == "EAST" and rng.random() < 0.6:
                continue
            for _ in range(rng.choice((1, 1, 1, 2))):
                location = rng.choice(bins[code])
                if item.tracking == "serial":
                    quantity = rng.randint(1, 4)
                    serials = [
                        f"SN{item.id:04d}{(serial_no := serial_no + 1):06d}"
                        for _ in range(quantity)
                    ]
                    lines[code].append(
                        OpeningLine(
                            item_id=item.id,
                            location_id=location.id,
                            quantity=quantity,
                            serials=serials,
                        )
                    )
                elif item.tracking == "lot":
                    for _ in range(rng.randint(1, 3)):
                        shelf = item.shelf_life_days or 365
                        # Some lots expire within days, so the near-expiry lists have content.
                        days_left = (
                            rng.randint(2, 14)
                            if rng.random() < 0.15
                            else rng.randint(15, max(16, shelf))
                        )
                        expiry = today + dt.timedelta(days=days_left)
                        lines[code].append(
                            OpeningLine(
                                item_id=item.id,
                                location_id=location.id,
                                quantity=rng.randint(6, 240),
                                lot_number=f"L{expiry:%y%m%d}{rng.randint(10, 99)}",
                                expiry_date=expiry,
                            )
                        )
                else:
                    lines[code].append(
                        OpeningLine(
                            item_id=item.id, location_id=location.id, quantity=rng.randint(12, 600)
                        )
                    )
    return lines


async def _some_bin_moves(
    sessions: async_sessionmaker[AsyncSession],
    worker: Actor,
    items: list[Item],
    bins: list[Location],
    rng: random.Random,
) -> int:
    applied = 0
    untracked = [i for i in items if i.tracking == "none"]
    async with sessions() as session:
        stocked = {
            row.item_id: row.location_id
            for row in await session.execute(
                select(Location.id.label("location_id"), Item.id.label("item_id"))
                .select_from(Item)
                .join(Quant, Quant.item_id == Item.id)
                .join(Location, Location.id == Quant.location_id)
                .where(
                    Item.id.in_([i.id for i in untracked]),
                    Location.kind == "bin",
                    Location.id.in_([b.id for b in bins]),
                    Quant.on_hand > 5,
                )
            )
        }
    for item_id, source in list(stocked.items())[:25]:
        dest = rng.choice([b for b in bins if b.id != source])
        outcome = await apply_command(
            sessions,
            MoveStock(
                event_id=uuid.uuid4(),
                device_id="demo-handheld-01",
                occurred_at=dt.datetime.now(dt.UTC),
                item_id=item_id,
                from_location_id=source,
                to_location_id=dest.id,
                quantity=rng.randint(1, 5),
            ),
            worker,
        )
        applied += outcome.status == "applied"
    return applied


SUPPLIERS = [("ACME", "Acme Industrial Supply", "5", 7), ("FRESH", "Fresh Dairy Co-op", "2", 2),
             ("PHARMA", "Northern Pharma Wholesale", "0", 10), ("TOOLS", "Pro Tools Ltd", "0", 14),
             ("PACK", "Packaging Direct", "10", 5)]  # fmt: skip


async def _purchase_orders(
    sessions: async_sessionmaker[AsyncSession],
    admin: Actor,
    warehouse_id: int,
    items: list[Item],
    rng: random.Random,
) -> dict[str, str]:
    """Suppliers and three orders: one approved and waiting at the dock, one waiting for a
    supervisor's approval and one for an admin's."""
    async with sessions() as session, session.begin():
        suppliers = []
        for code, name, tolerance, lead_time in SUPPLIERS:
            supplier = Supplier(
                code=code,
                name=name,
                over_receipt_tolerance_pct=Decimal(tolerance),
                lead_time_days=lead_time,
            )
            session.add(supplier)
            suppliers.append(supplier)
        await session.flush()
        untracked = [i for i in items if i.tracking == "none"]
        orders: dict[str, str] = {}
        for label, count, quantity in (
            ("approved", 3, 20),
            ("needs supervisor", 4, 150),
            ("needs admin", 6, 900),
        ):
            picked = rng.sample(untracked, count)
            order = await purchasing.create_order(
                session,
                admin,
                supplier_id=suppliers[0].id,
                warehouse_id=warehouse_id,
                expected_date=dt.date.today() + dt.timedelta(days=3),
                note=f"Demo: {label}",
                lines=[purchasing.OrderLine(item.id, quantity, item.unit_cost) for item in picked],
            )
            await purchasing.submit(session, admin, order.id)
            orders[order.number] = (
                f"waiting for a {order.approval_role}" if order.approval_role else order.status
            )
    return orders


CUSTOMERS = [
    ("CORNER", "Corner Shop", "12 Market Street\nRiverton 40012"),
    ("CLINIC", "Riverside Clinic", "3 River Road\nRiverton 40020"),
    ("BUILD", "BuildRight Contractors", "Unit 7, Yard Lane\nMillbrook 40110"),
    ("HUAXIN", "华新五金商行", "上海市浦东新区张江路 88 号"),
]
# GS1's own example company prefix: demo SSCCs must never be mistaken for a real company's.
DEMO_GS1_PREFIX = "0614141"


async def _sales_orders(
    sessions: async_sessionmaker[AsyncSession],
    admin: Actor,
    warehouse_id: int,
    items: list[Item],
    rng: random.Random,
) -> dict[str, str]:
    """Customers and two allocated orders, so the worker's queue has picks to walk."""
    async with sessions() as session, session.begin():
        customers = [Customer(code=c, name=n, address=a) for c, n, a in CUSTOMERS]
        await policies.set_gs1_identity(session, DEMO_GS1_PREFIX, "0")
        session.add_all(customers)
        await session.flush()
        stocked = list(
            (
                await session.execute(
                    select(Quant.item_id)
                    .where(
                        Quant.warehouse_id == warehouse_id,
                        Quant.is_virtual.is_(False),
                        Quant.on_hand >= 10,
                    )
                    .distinct()
                    .order_by(Quant.item_id)
                )
            ).scalars()
        )
        numbers: dict[str, str] = {}
        for customer in customers[:2]:
            order = await sales.create_order(
                session,
                admin,
                customer_id=customer.id,
                warehouse_id=warehouse_id,
                requested_date=dt.date.today() + dt.timedelta(days=1),
                note="Demo order",
                lines=[
                    sales.SaleLine(item_id, rng.randint(1, 6)) for item_id in rng.sample(stocked, 5)
                ],
            )
            order = await sales.allocate(session, admin, order.id)
            numbers[order.number] = order.status
    return numbers
