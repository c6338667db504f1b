"""CSV exports: the import's columns, UTF-8 with BOM, scoped to the user's warehouses, and an
export imported back (into the same database or a fresh one) gives the same file again."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.db.engine import create_engine
from backend.domain.actor import Actor
from backend.service.csv_import import exporting
from backend.service.csv_import.exporting import export_csv, prepare_export
from backend.service.csv_import.formats import KINDS
from backend.service.csv_import.run import import_csv
from backend.service.users import create_user
from backend.service.warehouses import create_warehouse
from tests.conftest import Api
from tests.world import World

pytestmark = pytest.mark.anyio
MASTER_DATA = ("items", "barcodes", "suppliers", "customers", "locations")

EXTRAS = {
    "items": "sku,name,unit,tracking,shelf_life_days,unit_cost,abc_class,barcode,case_barcode,"
             "case_quantity\n"
             "TEA-1,龙井绿茶 250克,盒,lot,365,12.3456,A,6901234567892,16901234567899,24\n"
             "FORMULA,=HYPERLINK(\"http://x\"),ea,none,,0,,,,\n"
             "MINUS,-20 °C freezer pack,ea,none,,1000000,C,,,\n"
             "QUOTE,'quoted,ea,none,,0.5,,,,\n",
    "barcodes": "sku,code,quantity,packaging,active\nTEA-1,TEA-INNER,6,inner,false\n",
    "suppliers": "code,name,over_receipt_tolerance_pct,lead_time_days,active\n"
                 "SUP-1,上海供应商,2.5,14,true\nSUP-2,\"Acme, Ltd.\",0,,false\n",
    "customers": "code,name,address,active\nC-1,北京客户,\"朝阳区\n建国路 1号\",true\n",
    "locations": "warehouse,code,name,kind,parent,barcode,pick_sequence,purpose\n"
                  "W1,C-01,货架,bin,Z-C,LOC-C-01,110,\nW1,Z-C,冷库,zone,,,0,\n"
                  "W2,DOCK-2,Dock,dock,,,5,receiving\n",
}


async def export(sessions: async_sessionmaker[AsyncSession], actor: Actor, kind: str,
                 warehouse: str | None = None) -> bytes:
    async with sessions() as session:
        spec = await prepare_export(session, actor, kind, warehouse)
    return b"".join([chunk async for chunk in export_csv(sessions, spec)])


async def load_extras(sessions, world: World) -> None:
    for kind, text in EXTRAS.items():
        await import_csv(sessions, world.actors["admin"], kind, text.encode())


async def test_an_export_imports_back_unchanged(sessions, world: World):
    await load_extras(sessions, world)
    admin = world.actors["admin"]
    for kind in MASTER_DATA:
        first = await export(sessions, admin, kind)
        assert first.startswith(b"\xef\xbb\xbf")
        summary = await import_csv(sessions, admin, kind, first)
        assert (summary.created, summary.updated) == (0, 0), kind
        # Records end in CRLF; the customer's address holds a bare line break of its own.
        assert summary.unchanged == summary.rows == first.count(b"\r\n") - 1, kind
        assert await export(sessions, admin, kind) == first
    items = (await export(sessions, admin, "items")).decode("utf-8-sig").splitlines()
    assert items[0] == ("sku,name,unit,tracking,shelf_life_days,unit_cost,abc_class,active,"
                        "barcode,case_barcode,case_quantity")
    assert "FORMULA,\"'=HYPERLINK(\"\"http://x\"\")\",ea,none,,0,,true,,," in items
    assert "MINUS,'-20 °C freezer pack,ea,none,,1000000,C,true,,," in items
    assert "QUOTE,'quoted,ea,none,,0.5,,true,,," in items
    assert "TEA-1,龙井绿茶 250克,盒,lot,365,12.3456,A,true,6901234567892,16901234567899,24" in items


async def test_a_fresh_installation_loads_the_exports(sessions, world: World, tmp_path: Path,
                                                      sqlite_template: Path):
    """Everything exported, imported into an empty database with the same two warehouses,
    exported again: the same rows, opening balances (stock on hand) included."""
    await load_extras(sessions, world)
    admin = world.actors["admin"]
    source = {kind: await export(sessions, admin, kind) for kind in KINDS}

    shutil.copy(sqlite_template, tmp_path / "fresh.db")
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}")
    fresh = async_sessionmaker(engine, expire_on_commit=False)
    async with fresh() as session, session.begin():
        for code in ("W1", "W2"):
            await create_warehouse(session, code=code, name=f"Warehouse {code}")
        user = await create_user(session, username="owner", password=World.PASSWORD,
                                 role="admin")
    owner = Actor(user.id, "owner", "admin", frozenset())
    for kind in ("items", "barcodes", "suppliers", "customers", "locations", "opening_balances"):
        summary = await import_csv(fresh, owner, kind, source[kind])
        assert summary.updated == 0, kind
    for kind in KINDS:
        again = await export(fresh, owner, kind)
        lines, expected = again.splitlines(), source[kind].splitlines()
        assert lines[0] == expected[0] and sorted(lines) == sorted(expected), kind
    opening = source["opening_balances"].decode("utf-8-sig")
    assert "W1,A-03,SERIAL,3,,,SN-1|SN-2|SN-3" in opening
    assert "W1,A-02,LOTTED,20,L1," in opening
    await engine.dispose()


async def test_exports_page_through_in_key_order(sessions, world: World,
                                                 monkeypatch: pytest.MonkeyPatch):
    await load_extras(sessions, world)
    admin = world.actors["admin"]
    whole = {kind: await export(sessions, admin, kind) for kind in KINDS}
    monkeypatch.setattr(exporting, "PAGE", 2)
    for kind in KINDS:
        assert await export(sessions, admin, kind) == whole[kind], kind
    skus = [line.split(",")[0] for line in whole["items"].decode("utf-8-sig").splitlines()[1:]]
    assert skus == sorted(skus) and len(skus) == 7


async def test_the_export_endpoint_streams_what_the_user_may_see(world: World, supervisor: Api,
                                                                 worker: Api):
    response = await supervisor.get("/api/export/locations.csv")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"] == 'attachment; filename="locations.csv"'
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = response.content.decode("utf-8-sig").splitlines()
    assert rows[0] == "warehouse,code,name,kind,parent,barcode,pick_sequence,purpose,active"
    assert {r.split(",")[0] for r in rows[1:]} == {"W1"}
    assert "W1,A-01,,bin,Z-A,LOC-A-01,10,,true" in rows
    assert not any(",@" in r for r in rows)  # the warehouse's own virtual locations

    stock = (await supervisor.get("/api/export/opening_balances.csv")).content.decode("utf-8-sig")
    expiry = dt.date.today() + dt.timedelta(days=20)  # as tests.world makes lot L1
    assert stock.splitlines()[1:] == [
        "W1,A-01,PLAIN,10,,,", f"W1,A-02,LOTTED,20,L1,{expiry.isoformat()},",
        "W1,A-03,SERIAL,3,,,SN-1|SN-2|SN-3"]
    assert (await supervisor.get("/api/export/locations.csv",
                                 params={"warehouse": "W2"})).status_code == 403
    assert (await supervisor.get("/api/export/items.csv",
                                 params={"warehouse": "W1"})).status_code == 422
    assert (await supervisor.get("/api/export/locations.csv",
                                 params={"warehouse": "NOPE"})).status_code == 404
    assert (await supervisor.get("/api/export/stuff.csv")).status_code == 400
    assert (await worker.get("/api/export/items.csv")).status_code == 403
    items = await supervisor.get("/api/export/items.csv")
    assert items.status_code == 200 and items.content.count(b"\r\n") == 4
