"""CSV imports on SQLite and PostgreSQL: a file is checked whole and written whole, or nothing
of it is written and every bad cell is reported with its line, column and reason."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.db.engine import create_engine
from backend.db.models import (
    Command,
    Customer,
    Item,
    ItemBarcode,
    Location,
    Lot,
    Quant,
    Serial,
    StockMove,
    Supplier,
)
from backend.domain.errors import Forbidden
from backend.service.csv_import.report import InvalidCsv
from backend.service.csv_import.run import import_csv
from tests.conftest import Api
from tests.world import World, build_world

pytestmark = pytest.mark.anyio
STOCKHAND = str(Path(sys.executable).with_name("stockhand"))
COUNTED = (Item, ItemBarcode, Location, Supplier, Customer, Quant, StockMove, Command, Lot, Serial)


async def counts(sessions: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    async with sessions() as session:
        return {m.__tablename__: await session.scalar(select(func.count()).select_from(m))
                for m in COUNTED}


async def refused(sessions, world: World, kind: str, text: str | bytes, *,
                  user: str = "admin", **options) -> list[tuple[int, str, str]]:
    """Import a file that must be refused: its errors, after checking nothing was written."""
    before = await counts(sessions)
    data = text.encode() if isinstance(text, str) else text
    with pytest.raises(InvalidCsv) as caught:
        await import_csv(sessions, world.actors[user], kind, data, **options)
    assert await counts(sessions) == before
    details = caught.value.details
    assert details["total"] == len(details["errors"]) == len(caught.value.errors)
    return [(e.line, e.column, e.reason) for e in caught.value.errors]


def where(errors: list[tuple[int, str, str]]) -> set[tuple[int, str]]:
    return {(line, column) for line, column, _ in errors}


def reason(errors: list[tuple[int, str, str]], line: int, column: str) -> str:
    return next(r for n, c, r in errors if (n, c) == (line, column))


async def item(sessions, sku: str) -> Item | None:
    async with sessions() as session:
        return (await session.execute(select(Item).where(Item.sku == sku))).scalar_one_or_none()


async def codes_of(sessions, sku: str) -> list[tuple[str, int, str]]:
    async with sessions() as session:
        rows = await session.execute(
            select(ItemBarcode.code, ItemBarcode.quantity, ItemBarcode.packaging)
            .join(Item, Item.id == ItemBarcode.item_id).where(Item.sku == sku)
            .order_by(ItemBarcode.id))
        return [tuple(r) for r in rows]  # type: ignore[misc]


# --- items --------------------------------------------------------------------------------------


async def test_a_bad_items_file_is_refused_whole_with_every_error(sessions, world: World):
    text = (
        "sku,name,tracking,unit_cost,shelf_life_days,barcode,case_barcode,case_quantity\n"
        "GOOD,A good row,none,1.50,,6901234567892,,\n"          # 2: fine on its own
        "DUP,First,none,1,,,,\n"                                # 3
        "DUP,Second,none,1,,,,\n"                               # 4: duplicate sku
        "ENUM,Weird,sometimes,1,,,,\n"                          # 5: bad tracking
        "NEG,Negative,none,-3,,,,\n"                            # 6: negative cost
        "THOU,Thousands,none,\"1,234.50\",,,,\n"                # 7: thousands separator
        "COMMA,Decimal comma,none,1,\"1,5\",,,\n"               # 8: shelf life 1,5
        "CLASH1,Item clash,none,1,,4006381333931,,\n"           # 9: PLAIN's barcode
        "CLASH2,Location clash,none,1,,LOC-A-01,,\n"            # 10: a bin's barcode
        "LOTTED,Yoghurt,none,0.8,,,,\n"                         # 11: tracking cannot change
        "CASE,Case qty alone,none,1,,,,12\n"                    # 12: quantity without code
        "DUPCODE,Same code,none,1,,6901234567892,,\n"           # 13: barcode of line 2
        ",No sku,none,1,,,,\n"                                  # 14: sku required
    )
    errors = await refused(sessions, world, "items", text)
    assert where(errors) == {
        (4, "sku"), (5, "tracking"), (6, "unit_cost"), (7, "unit_cost"), (8, "shelf_life_days"),
        (9, "barcode"), (10, "barcode"), (11, "tracking"), (12, "case_quantity"),
        (13, "barcode"), (14, "sku")}
    assert "line 3" in reason(errors, 4, "sku")
    assert "sometimes" in reason(errors, 5, "tracking")
    assert "at least 0" in reason(errors, 6, "unit_cost")
    assert "thousands separator" in reason(errors, 7, "unit_cost")
    assert "decimal comma" in reason(errors, 8, "shelf_life_days")
    assert "item PLAIN" in reason(errors, 9, "barcode")
    assert "location W1/A-01" in reason(errors, 10, "barcode")
    assert "cannot change" in reason(errors, 11, "tracking")
    assert "line 2" in reason(errors, 13, "barcode")
    assert await item(sessions, "GOOD") is None


async def test_header_problems_are_reported_before_any_row(sessions, world: World):
    errors = await refused(sessions, world, "items", "SKU,Colour,Sku\nX,red,X\n")
    assert where(errors) == {(1, "colour"), (1, "sku"), (1, "name")}
    assert "unknown column" in reason(errors, 1, "colour")
    assert "required" in reason(errors, 1, "name")
    assert (await refused(sessions, world, "items", b""))[0][2].startswith("the file is empty")
    ragged = await refused(sessions, world, "items", "sku,name\nA,a,extra\nB,b\n")
    assert where(ragged) == {(2, "")}
    nul = await refused(sessions, world, "items", b"sku,name\nA,a\x00b\n")
    assert "NUL" in nul[0][2] and "line 2" in nul[0][2]
    # Every bad row is counted; the answer lists the first thousand.
    many = "sku,name,unit_cost\n" + "".join(f"M-{n},m,x{n}\n" for n in range(1500))
    with pytest.raises(InvalidCsv) as caught:
        await import_csv(sessions, world.actors["admin"], "items", many.encode())
    details = caught.value.details
    assert (details["total"], len(details["errors"]), details["truncated"]) == (1500, 1000, True)
    assert details["errors"][0] == {"line": 2, "column": "unit_cost",
                                    "reason": "'x0' is not a number"}
    assert details["errors"][-1]["line"] == 1001


async def test_a_bom_utf8_file_with_chinese_names_creates_and_updates(sessions, world: World):
    text = ("\ufeffSKU,Name,Unit,Tracking,Unit_Cost,ABC_Class,Barcode,Case_Barcode,"
            "Case_Quantity\r\n"
            "TEA-1,龙井绿茶 250克,盒,lot,12.5,a,6901234567892,16901234567899,24\r\n"
            "PLAIN,普通零件,ea,,3.75,B,,14006381333938,12\r\n")
    summary = await import_csv(sessions, world.actors["admin"], "items", text.encode())
    assert (summary.created, summary.updated, summary.unchanged) == (1, 1, 0)
    assert summary.details["encoding"] == "utf-8-sig"
    tea = await item(sessions, "TEA-1")
    assert tea is not None
    assert (tea.name, tea.unit, tea.tracking, tea.unit_cost, tea.abc_class) == (
        "龙井绿茶 250克", "盒", "lot", Decimal("12.5"), "A")
    assert await codes_of(sessions, "TEA-1") == [
        ("6901234567892", 1, "unit"), ("16901234567899", 24, "case")]
    plain = await item(sessions, "PLAIN")
    assert plain is not None and plain.id == world.items["PLAIN"]
    assert (plain.name, plain.unit_cost, plain.abc_class, plain.tracking) == (
        "普通零件", Decimal("3.75"), "B", "none")
    # PLAIN keeps the barcodes the file does not list; its case barcode was already there.
    assert [c for c, _, _ in await codes_of(sessions, "PLAIN")] == [
        "4006381333931", "14006381333938"]

    again = await import_csv(sessions, world.actors["admin"], "items", text.encode())
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert (await item(sessions, "TEA-1")).updated_at == tea.updated_at  # type: ignore[union-attr]
    # Columns left out of the header keep their values; an empty cell takes the default.
    await import_csv(sessions, world.actors["admin"], "items",
                     b"sku,name,abc_class\nTEA-1,Longjing,\n")
    tea = await item(sessions, "TEA-1")
    assert (tea.name, tea.unit, tea.tracking, tea.abc_class) == (  # type: ignore[union-attr]
        "Longjing", "盒", "lot", None)


async def test_encodings_and_delimiters(sessions, world: World):
    gbk = "sku,name\nGBK-1,乌龙茶 500克\n".encode("gbk")
    errors = await refused(sessions, world, "items", gbk)
    assert len(errors) == 1 and "GBK" in errors[0][2] and "UTF-8" in errors[0][2]
    summary = await import_csv(sessions, world.actors["admin"], "items", gbk, encoding="gbk")
    assert summary.created == 1 and summary.details["encoding"] == "gbk"
    assert (await item(sessions, "GBK-1")).name == "乌龙茶 500克"  # type: ignore[union-attr]

    latin = await refused(sessions, world, "items", "sku,name\nX,Café\n".encode("latin-1"))
    assert "not UTF-8" in latin[0][2] and "line 2" in latin[0][2]
    utf16 = await refused(sessions, world, "items", "sku,name\nX,x\n".encode("utf-16"))
    assert "UTF-16" in utf16[0][2]


    # Semicolons, as European Excel separates; its decimal commas are refused clearly.
    errors = await refused(sessions, world, "items", "sku;name;unit_cost\nEU-1;Euro;1,25\n")
    assert where(errors) == {(2, "unit_cost")}
    assert "decimal comma" in errors[0][2]
    summary = await import_csv(sessions, world.actors["admin"], "items",
                               b"sku;name;unit_cost\nEU-1;Euro;1.25\n")
    assert summary.created == 1


async def test_only_admins_load_shared_master_data_and_opening_stock(sessions, world: World):
    for user in ("worker", "supervisor"):
        with pytest.raises(Forbidden):
            await import_csv(sessions, world.actors[user], "items", b"sku,name\nX,x\n")
    with pytest.raises(Forbidden):
        await import_csv(sessions, world.actors["supervisor"], "opening_balances",
                         b"warehouse,location,sku,quantity\nW1,A-04,PLAIN,1\n")


# --- barcodes, suppliers, customers --------------------------------------------------------------


async def test_barcodes_upsert_by_code_and_never_take_another_things_code(sessions, world: World):
    bad = ("sku,code,quantity,packaging\n"
           "PLAIN,LOC-A-02,1,unit\n"        # 2: a location's
           "LOTTED,4006381333931,1,unit\n"  # 3: PLAIN's
           "NOPE,123,1,unit\n"              # 4: unknown sku
           "PLAIN,555,0,unit\n"             # 5: quantity 0
           "PLAIN,556,2.5,unit\n"           # 6: not whole
           "PLAIN,557,1,unit\n"
           "SERIAL,557,1,unit\n")           # 8: duplicate code
    errors = await refused(sessions, world, "barcodes", bad)
    assert where(errors) == {(2, "code"), (3, "code"), (4, "sku"), (5, "quantity"),
                             (6, "quantity"), (8, "code")}
    assert "item PLAIN" in reason(errors, 3, "code")
    assert "positive" in reason(errors, 5, "quantity")
    good = ("sku,code,quantity,packaging,active\n"
            "PLAIN,14006381333938,6,inner,\n"   # existing: now an inner pack of 6
            "SERIAL,SER-UNIT,,,\n")
    touched = (await item(sessions, "SERIAL")).updated_at  # type: ignore[union-attr]
    summary = await import_csv(sessions, world.actors["admin"], "barcodes", good.encode())
    assert (summary.created, summary.updated, summary.unchanged) == (1, 1, 0)
    # Handhelds refetch an item's barcodes when the item changed since their last sync.
    assert (await item(sessions, "SERIAL")).updated_at > touched  # type: ignore[union-attr]
    assert ("14006381333938", 6, "inner") in await codes_of(sessions, "PLAIN")
    assert await codes_of(sessions, "SERIAL") == [("SER-UNIT", 1, "unit")]


async def test_suppliers_and_customers_upsert_by_code(sessions, world: World):
    summary = await import_csv(sessions, world.actors["admin"], "suppliers", (
        "code,name,over_receipt_tolerance_pct,lead_time_days\n"
        "SUP-1,上海供应商,5.5,7\nSUP-2,Acme,,\n").encode())
    assert summary.created == 2
    errors = await refused(sessions, world, "suppliers",
                           "code,name,over_receipt_tolerance_pct,lead_time_days\n"
                           "SUP-1,x,101,1\nSUP-3,y,1,1.5\nSUP-4,,1,1\n")
    assert where(errors) == {(2, "over_receipt_tolerance_pct"), (3, "lead_time_days"),
                             (4, "name")}
    summary = await import_csv(sessions, world.actors["admin"], "suppliers",
                               b"code,name,lead_time_days\nSUP-1,Shanghai Supply,\n")
    assert (summary.created, summary.updated) == (0, 1)
    async with sessions() as session:
        sup = (await session.execute(select(Supplier).where(Supplier.code == "SUP-1"))).scalar_one()
        assert (sup.name, sup.over_receipt_tolerance_pct, sup.lead_time_days) == (
            "Shanghai Supply", Decimal("5.5"), None)
    summary = await import_csv(sessions, world.actors["admin"], "customers",
                               "code,name,address,active\nC-1,北京客户,朝阳区 1号,yes\n".encode())
    assert summary.created == 1
    errors = await refused(sessions, world, "customers", "code,name,active\nC-1,x,maybe\n")
    assert where(errors) == {(2, "active")}


# --- locations -----------------------------------------------------------------------------------


async def test_bad_locations_are_all_reported(sessions, world: World):
    text = ("warehouse,code,kind,parent,barcode,pick_sequence,active\n"
            "W9,X-1,bin,,,,\n"                 # 2: no such warehouse
            "W1,A-01,zone,,,,\n"               # 3: a bin cannot become a zone
            "W1,Q-1,bin,A-02,,,\n"             # 4: parent is a bin
            "W1,Q-2,bin,Z-NOPE,,,\n"           # 5: unknown parent
            "W1,Z-P,zone,Z-Q,,,\n"             # 6: Z-P in Z-Q ...
            "W1,Z-Q,zone,Z-P,,,\n"             # 7: ... and Z-Q in Z-P
            "W1,Q-3,bin,,4006381333931,,\n"    # 8: an item's barcode
            "W1,Q-4,bin,,,-5,\n"               # 9: negative pick sequence
            "W1,Q-5,scrap,,,,\n"               # 10: scrap comes with the warehouse
            "W1,A-02,bin,,,,false\n"           # 11: A-02 holds stock
            "W1,Q-6,,,,,\n"                    # 12: a new location needs a kind
            "W1,Q-7,bin,Q-7,,,\n")             # 13: its own parent
    errors = await refused(sessions, world, "locations", text)
    assert where(errors) == {
        (2, "warehouse"), (3, "kind"), (4, "parent"), (5, "parent"), (6, "parent"),
        (7, "parent"), (8, "barcode"), (9, "pick_sequence"), (10, "kind"), (11, "active"),
        (12, "kind"), (13, "parent")}
    assert "circle" in reason(errors, 6, "parent")
    assert "holds stock" in reason(errors, 11, "active")
    assert "item PLAIN" in reason(errors, 8, "barcode")


async def test_locations_upsert_with_parents_defined_later_in_the_file(sessions, world: World):
    text = ("warehouse,code,name,kind,parent,barcode,pick_sequence,purpose\n"
            "W1,C-01,货架 C-01,bin,Z-C,LOC-C-01,110,\n"
            "W1,Z-C,冷库,zone,,,,\n"
            "W1,A-05,Bin A5,,Z-C,LOC-A-05,55,quarantine\n")
    summary = await import_csv(sessions, world.actors["supervisor"], "locations", text.encode())
    assert (summary.created, summary.updated) == (2, 1)
    async with sessions() as session:
        found = {loc.code: loc for loc in (await session.execute(
            select(Location).where(Location.code.in_(["C-01", "Z-C", "A-05"])))).scalars()}
    assert found["C-01"].parent_id == found["Z-C"].id
    assert found["A-05"].parent_id == found["Z-C"].id
    assert (found["A-05"].kind, found["A-05"].purpose, found["A-05"].pick_sequence) == (
        "bin", "quarantine", 55)
    assert found["C-01"].name == "货架 C-01" and found["C-01"].barcode == "LOC-C-01"
    # A supervisor of W1 cannot touch W2's locations: a row error, nothing written.
    errors = await refused(sessions, world, "locations", "warehouse,code,kind\nW2,B-09,bin\n",
                           user="supervisor")
    assert "outside your assignment" in reason(errors, 2, "warehouse")


# --- opening balances ----------------------------------------------------------------------------


async def test_opening_balances_post_through_the_ledger(sessions, world: World):
    before = await counts(sessions)
    text = ("warehouse,location,sku,quantity,lot,expiry,serials\n"
            "W1,A-04,PLAIN,40,,,\n"
            "W1,A-04,LOTTED,12,L7,2031-06-30,\n"
            "W1,A-05,LOTTED,8,L7,2031-06-30,\n"
            "W1,A-05,SERIAL,3,,,SN-10 | SN-11 SN-12\n"
            "W2,B-02,PLAIN,6,,,\n")
    summary = await import_csv(sessions, world.actors["admin"], "opening_balances", text.encode())
    assert summary.created == 5 and summary.details["units"] == 69
    after = await counts(sessions)
    assert after["commands"] == before["commands"] + 1
    assert after["lots"] == before["lots"] + 1 and after["serials"] == before["serials"] + 3
    async with sessions() as session:
        command = (await session.execute(
            select(Command).order_by(Command.id.desc()))).scalars().first()
        assert (command.type, command.status) == ("opening_balance", "applied")  # type: ignore[union-attr]
        moves = (await session.execute(select(StockMove).where(
            StockMove.command_id == command.id))).scalars().all()  # type: ignore[union-attr]
        assert len(moves) == 7 and {m.document_type for m in moves} == {"opening_balance"}
        on_hand = dict((await session.execute(
            select(Location.code, func.sum(Quant.on_hand))
            .join(Location, Location.id == Quant.location_id)
            .where(Location.code.in_(["A-04", "A-05", "B-02"])).group_by(Location.code)
        )).tuples().all())
        assert on_hand == {"A-04": 52, "A-05": 11, "B-02": 6}
        lot = (await session.execute(select(Lot).where(Lot.lot_number == "L7"))).scalar_one()
        assert lot.expiry_date == dt.date(2031, 6, 30)
        sums = (await session.execute(
            select(Quant.item_id, func.sum(Quant.on_hand)).group_by(Quant.item_id))).all()
        assert sums and all(total == 0 for _, total in sums)


async def test_a_bad_opening_balance_posts_nothing(sessions, world: World):
    text = ("warehouse,location,sku,quantity,lot,expiry,serials\n"
            "W1,A-04,GHOST,1,,,\n"                    # 2: unknown item
            "W1,NOWHERE,PLAIN,1,,,\n"                 # 3: unknown location
            "W1,Z-A,PLAIN,1,,,\n"                     # 4: a zone
            "W1,A-04,LOTTED,5,,,\n"                   # 5: lot required
            "W1,A-04,SERIAL,2,,,SN-20\n"              # 6: two units, one serial
            "W1,A-05,SERIAL,1,,,SN-1\n"               # 7: SN-1 is on a shelf already
            "W1,A-04,PLAIN,-4,,,\n"                   # 8: negative
            "W1,A-05,PLAIN,2.5,,,\n"                  # 9: not whole
            "W1,A-05,LOTTED,1,L9,31/12/2030,\n"       # 10: not ISO
            "W1,A-05,LOTTED,1,L1,2099-01-01,\n"       # 11: L1 has another expiry
            "W1,A-04,PLAIN,1,LX,,\n"                  # 12: PLAIN has no lots
            "W1,A-01,PLAIN,3,,,\n"
            "W1,A-01,PLAIN,4,,,\n")                   # 14: same place, item and lot again
    errors = await refused(sessions, world, "opening_balances", text)
    assert where(errors) == {
        (2, "sku"), (3, "location"), (4, "location"), (5, "lot"), (6, "serials"),
        (7, "serials"), (8, "quantity"), (9, "quantity"), (10, "expiry"), (11, "expiry"),
        (12, "lot"), (14, "sku")}
    assert "already in stock at A-03" in reason(errors, 7, "serials")
    assert "YYYY-MM-DD" in reason(errors, 10, "expiry")
    assert "line 13" in reason(errors, 14, "sku")


# --- over the API --------------------------------------------------------------------------------


async def test_api_dry_run_reports_and_writes_nothing(sessions, world: World, admin: Api):
    before = await counts(sessions)
    body = "sku,name\nAPI-1,接口商品\nAPI-2,Second\n".encode()
    response = await admin.client.post("/api/import/items?dry_run=true", content=body,
                                       headers={**admin.headers, "Content-Type": "text/csv"})
    assert response.status_code == 200, response.text
    assert response.json() | {"details": None} == {
        "kind": "items", "rows": 2, "dry_run": True, "created": 2, "updated": 0,
        "unchanged": 0, "encoding": "utf-8", "details": None}
    assert await counts(sessions) == before

    bad = b"sku,name,unit_cost\nAPI-1,x,abc\nAPI-1,y,1\n"
    response = await admin.client.post("/api/import/items", files={"file": ("items.csv", bad)},
                                       headers=admin.headers)
    assert response.status_code == 422, response.text
    body_json = response.json()
    assert body_json["code"] == "invalid_csv"
    assert body_json["details"]["total"] == 2
    assert [(e["line"], e["column"]) for e in body_json["details"]["errors"]] == [
        (2, "unit_cost"), (3, "sku")]
    assert all(e["reason"] for e in body_json["details"]["errors"])

    response = await admin.client.post("/api/import/items", files={"file": ("items.csv", body)},
                                       headers=admin.headers)
    assert response.status_code == 200 and response.json()["created"] == 2
    assert (await item(sessions, "API-1")).name == "接口商品"  # type: ignore[union-attr]

    gbk = "sku,name\nAPI-3,红茶\n".encode("gbk")
    response = await admin.client.post("/api/import/items", content=gbk, headers=admin.headers)
    assert response.status_code == 422 and "GBK" in response.text
    response = await admin.client.post("/api/import/items?encoding=gbk", content=gbk,
                                       headers=admin.headers)
    assert response.status_code == 200 and response.json()["encoding"] == "gbk"


async def test_api_import_permissions(sessions, world: World, client, worker: Api,
                                      supervisor: Api):
    body = b"warehouse,code,kind\nW1,API-BIN,bin\n"
    response = await worker.client.post("/api/import/locations", content=body,
                                        headers=worker.headers)
    assert response.status_code == 403
    response = await supervisor.client.post("/api/import/items", content=b"sku,name\nX,x\n",
                                            headers=supervisor.headers)
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    response = await supervisor.client.post("/api/import/locations", content=body,
                                            headers=supervisor.headers)
    assert response.status_code == 200 and response.json()["created"] == 1
    response = await supervisor.client.post("/api/import/nothing", content=body,
                                            headers=supervisor.headers)
    assert response.status_code == 400


# --- the command line ----------------------------------------------------------------------------


def _cli(db_url: str, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "DATABASE_URL": db_url}
    return subprocess.run([STOCKHAND, *args], env=env, input=stdin, capture_output=True,
                          timeout=120, check=False)


@pytest.mark.sqlite
async def test_cli_import_exit_status_report_and_progress(tmp_path: Path, sqlite_template: Path):
    path = tmp_path / "cli.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite+aiosqlite:///{path}"
    engine = create_engine(url)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    admin = (await build_world(sessions)).actors["admin"]
    bad = tmp_path / "bad.csv"
    bad.write_text("sku,name,unit_cost\nC-1,x,\"1,5\"\nC-1,y,-1\n", encoding="utf-8")
    report = tmp_path / "report.csv"
    refused_run = _cli(url, "import", "items", str(bad), "--report", str(report))
    assert refused_run.returncode == 1, refused_run.stderr
    stderr = refused_run.stderr.decode()
    assert "line 2" in stderr and "line 3, sku" in stderr and "line 3, unit_cost" in stderr
    lines = report.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "line,column,reason" and len(lines) == 4
    assert await item(sessions, "C-1") is None

    await import_csv(sessions, admin, "items", "sku,name\nC-1,命令行\n".encode())
    opening = "\ufeffwarehouse,location,sku,quantity\r\nW1,A-04,C-1,9\r\n".encode()
    done = _cli(url, "import", "opening_balances", "-", stdin=opening)
    assert done.returncode == 0, done.stderr
    assert '"created": 1' in done.stdout.decode() and '"as": "admin"' in done.stdout.decode()
    assert "checking" in done.stderr.decode()
    exported = _cli(url, "export", "opening_balances", "--warehouse", "W1")
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout.startswith(b"\xef\xbb\xbf")
    assert b"W1,A-04,C-1,9,,,\r\n" in exported.stdout
    await engine.dispose()
