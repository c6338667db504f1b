"""Master data, scanning, stock queries, movement history and command traces over the API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.conftest import Api, login

pytestmark = pytest.mark.anyio




def assert_error(response, status: int, code: str) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code, body
    assert body["message"]
    return body


def rows(response) -> list[tuple]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.text
    return [(r["sku"], r["location_code"], r["lot_number"], r["on_hand"])
            for r in response.json()["items"]]


# --- locations and items -----------------------------------------------------------------------


async def test_supervisor_creates_a_bin_and_an_item_with_barcodes(world, supervisor: Api):
    response = await supervisor.post("/api/locations", {
        "warehouse_id": world.warehouses["W1"], "code": "A-06", "kind": "bin",
        "parent_id": world.loc("Z-A"), "barcode": "LOC-A-06", "pick_sequence": 60})
    assert response.status_code == 201, response.text
    location = response.json()
    assert (location["code"], location["kind"], location["parent_id"], location["barcode"],
            location["active"]) == ("A-06", "bin", world.loc("Z-A"), "LOC-A-06", True)
    fetched = await supervisor.get(f"/api/locations/{location['id']}")
    assert fetched.json() == location
    zone = await supervisor.get("/api/locations", params={"parent_id": world.loc("Z-A")})
    assert [loc["code"] for loc in zone.json()["items"]] == [
        "A-01", "A-02", "A-03", "A-04", "A-05", "A-06"]

    response = await supervisor.post("/api/items", {
        "sku": "GLUE", "name": "Glue stick", "unit": "ea", "unit_cost": "1.25",
        "barcodes": [{"code": "4006381333948", "quantity": 1, "packaging": "unit"},
                     {"code": "14006381333945", "quantity": 24, "packaging": "case"}]})
    assert response.status_code == 201, response.text
    item = response.json()
    assert (item["sku"], item["name"], item["unit"], item["tracking"], item["active"]) == (
        "GLUE", "Glue stick", "ea", "none", True)
    assert Decimal(str(item["unit_cost"])) == Decimal("1.25")
    assert sorted((b["code"], b["quantity"], b["packaging"]) for b in item["barcodes"]) == [
        ("14006381333945", 24, "case"), ("4006381333948", 1, "unit")]
    fetched = (await supervisor.get(f"/api/items/{item['id']}")).json()
    assert Decimal(str(fetched.pop("unit_cost"))) == Decimal("1.25")
    assert fetched == {k: v for k, v in item.items() if k != "unit_cost"}
    found = await supervisor.get("/api/items", params={"barcode": "14006381333945"})
    assert [i["sku"] for i in found.json()["items"]] == ["GLUE"]
    scan = (await supervisor.get("/api/scan/resolve/14006381333945")).json()
    assert (scan["kind"], scan["item"]["sku"], scan["quantity"]) == ("item", "GLUE", 24)
    scan = (await supervisor.get("/api/scan/resolve/LOC-A-06")).json()
    assert (scan["kind"], scan["location"]["id"]) == ("location", location["id"])


async def test_duplicate_sku_and_barcodes_conflict(world, supervisor: Api):
    assert_error(await supervisor.post("/api/items", {"sku": "PLAIN", "name": "Again"}),
                 409, "conflict")
    for code in ("4006381333931", "14006381333938", "LOC-A-01"):
        response = await supervisor.post("/api/items", {
            "sku": "NEW", "name": "New", "barcodes": [{"code": code}]})
        assert_error(response, 409, "conflict")
        response = await supervisor.post(f"/api/items/{world.items['SERIAL']}/barcodes",
                                         {"code": code})
        assert_error(response, 409, "conflict")
        response = await supervisor.post("/api/locations", {
            "warehouse_id": world.warehouses["W1"], "code": "A-09", "kind": "bin",
            "barcode": code})
        assert_error(response, 409, "conflict")
    # The same code twice in one request, and a location code already used in the warehouse.
    assert_error(await supervisor.post("/api/items", {
        "sku": "NEW", "name": "New", "barcodes": [{"code": "999"}, {"code": "999"}]}),
        422, "invalid_request")
    assert_error(await supervisor.post("/api/locations", {
        "warehouse_id": world.warehouses["W1"], "code": "A-01", "kind": "bin"}), 409, "conflict")
    # None of the refused requests left anything behind.
    assert (await supervisor.get("/api/items", params={"sku": "NEW"})).json()["total"] == 0
    assert (await supervisor.get("/api/locations", params={"code": "A-09"})).json()["total"] == 0
    serial = (await supervisor.get(f"/api/items/{world.items['SERIAL']}")).json()
    assert serial["barcodes"] == []


async def test_a_locations_parent_is_a_zone_of_the_same_warehouse(world, supervisor, admin):
    w1 = world.warehouses["W1"]
    assert_error(await supervisor.post("/api/locations", {
        "warehouse_id": w1, "code": "A-07", "kind": "bin", "parent_id": world.loc("A-01")}),
        422, "invalid_request")
    assert_error(await admin.post("/api/locations", {
        "warehouse_id": world.warehouses["W2"], "code": "B-03", "kind": "bin",
        "parent_id": world.loc("Z-A")}), 422, "invalid_request")
    assert_error(await supervisor.patch(f"/api/locations/{world.loc('A-05')}",
                                        {"parent_id": world.loc("DOCK-1")}),
                 422, "invalid_request")
    assert_error(await supervisor.patch(f"/api/locations/{world.loc('Z-A')}",
                                        {"parent_id": world.loc("Z-A")}), 422, "invalid_request")
    # Virtual locations come with the warehouse; they cannot be made by hand.
    assert_error(await supervisor.post("/api/locations", {
        "warehouse_id": w1, "code": "@S2", "kind": "scrap"}), 422, "invalid_request")
    assert (await supervisor.get("/api/locations", params={"code": "A-07"})).json()["total"] == 0
    assert (await admin.get("/api/locations", params={"code": "B-03"})).json()["total"] == 0
    a05 = (await supervisor.get(f"/api/locations/{world.loc('A-05')}")).json()
    assert a05["parent_id"] == world.loc("Z-A")


async def test_patch_item(world, supervisor: Api):
    path = f"/api/items/{world.items['PLAIN']}"
    response = await supervisor.patch(path, {"name": "Plain widget v2", "unit_cost": "3.75"})
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "Plain widget v2"
    assert Decimal(str(response.json()["unit_cost"])) == Decimal("3.75")
    assert response.json()["sku"] == "PLAIN" and len(response.json()["barcodes"]) == 2
    assert_error(await supervisor.patch(path, {"unit_cost": "-1"}), 400, "validation_error")
    assert_error(await supervisor.patch(path, {"unit_cost": "0.00001"}), 400, "validation_error")
    assert_error(await supervisor.patch(path, {"sku": "OTHER"}), 400, "validation_error")
    response = await supervisor.patch(path, {"active": False})
    assert response.status_code == 200, response.text
    item = (await supervisor.get(path)).json()
    assert (item["name"], item["active"]) == ("Plain widget v2", False)
    assert Decimal(str(item["unit_cost"])) == Decimal("3.75")
    listed = await supervisor.get("/api/items", params={"active": "false"})
    assert [i["sku"] for i in listed.json()["items"]] == ["PLAIN"]


async def test_deactivating_a_location_needs_it_empty(world, supervisor: Api):
    assert_error(await supervisor.patch(f"/api/locations/{world.loc('A-01')}", {"active": False}),
                 409, "conflict")
    assert (await supervisor.get(f"/api/locations/{world.loc('A-01')}")).json()["active"] is True
    response = await supervisor.patch(f"/api/locations/{world.loc('A-05')}", {"active": False})
    assert response.status_code == 200, response.text
    assert response.json()["active"] is False
    # Once A-01 is emptied it may be deactivated too.
    moved = await supervisor.post("/api/bin-moves", {
        **supervisor.envelope(), "item_id": world.items["PLAIN"],
        "from_location_id": world.loc("A-01"), "to_location_id": world.loc("A-04"),
        "quantity": 10})
    assert moved.status_code == 201, moved.text
    response = await supervisor.patch(f"/api/locations/{world.loc('A-01')}", {"active": False})
    assert response.status_code == 200, response.text
    inactive = await supervisor.get("/api/locations", params={"active": "false"})
    assert sorted(loc["code"] for loc in inactive.json()["items"]) == ["A-01", "A-05"]


# --- lots --------------------------------------------------------------------------------------


async def test_lots(world, supervisor: Api):
    today = dt.date.today()
    lotted = world.items["LOTTED"]
    for number, days in (("L3", 40), ("L2", 5)):
        response = await supervisor.post("/api/lots", {
            "item_id": lotted, "lot_number": number,
            "expiry_date": (today + dt.timedelta(days=days)).isoformat()})
        assert response.status_code == 201, response.text
        assert response.json()["lot_number"] == number
    assert_error(await supervisor.post("/api/lots", {"item_id": world.items["PLAIN"],
                                                     "lot_number": "P1"}),
                 422, "invalid_request")
    assert_error(await supervisor.post("/api/lots", {"item_id": lotted, "lot_number": "L1"}),
                 409, "conflict")
    assert_error(await supervisor.post("/api/lots", {"item_id": 999_999, "lot_number": "X"}),
                 404, "not_found")
    listed = (await supervisor.get("/api/lots", params={"item_id": lotted})).json()
    assert [(lot["lot_number"], lot["expiry_date"]) for lot in listed["items"]] == [
        ("L2", (today + dt.timedelta(days=5)).isoformat()),
        ("L1", (today + dt.timedelta(days=20)).isoformat()),
        ("L3", (today + dt.timedelta(days=40)).isoformat())]
    assert listed["total"] == 3
    plain = (await supervisor.get("/api/lots", params={"item_id": world.items["PLAIN"]})).json()
    assert plain == {"items": [], "total": 0, "limit": 50, "offset": 0}
    by_number = (await supervisor.get("/api/lots", params={"lot_number": "L2"})).json()
    assert [lot["item_id"] for lot in by_number["items"]] == [lotted]


async def test_lots_without_expiry_sort_after_dated_ones(world, supervisor: Api):
    """"Soonest expiry first" on both databases: a lot that never expires comes last.

    SQLite sorts NULL first in ascending order, PostgreSQL last.
    """
    response = await supervisor.post("/api/lots", {"item_id": world.items["LOTTED"],
                                                   "lot_number": "NOEXP"})
    assert response.status_code == 201, response.text
    assert response.json()["expiry_date"] is None
    listed = (await supervisor.get("/api/lots",
                                   params={"item_id": world.items["LOTTED"]})).json()
    assert [lot["lot_number"] for lot in listed["items"]] == ["L1", "NOEXP"]


# --- scanning ----------------------------------------------------------------------------------


async def test_scan_resolve(world, worker: Api):
    case = (await worker.get("/api/scan/resolve/14006381333938")).json()
    assert case["kind"] == "item" and case["quantity"] == 12
    assert case["item"]["id"] == world.items["PLAIN"] and case["location"] is None
    unit = (await worker.get("/api/scan/resolve/4006381333931")).json()
    assert (unit["kind"], unit["quantity"], unit["item"]["sku"]) == ("item", 1, "PLAIN")
    place = (await worker.get("/api/scan/resolve/LOC-A-01")).json()
    assert place["kind"] == "location" and place["item"] is None
    assert (place["location"]["id"], place["location"]["code"]) == (world.loc("A-01"), "A-01")
    assert_error(await worker.get("/api/scan/resolve/0000000000000"), 404, "not_found")
    # Another warehouse's bin is not a place this worker can scan.
    assert_error(await worker.get("/api/scan/resolve/LOC-B-01"), 404, "not_found")


async def test_deactivated_barcode_no_longer_resolves(world, supervisor: Api):
    item = (await supervisor.get(f"/api/items/{world.items['PLAIN']}")).json()
    case = next(b for b in item["barcodes"] if b["packaging"] == "case")
    response = await supervisor.patch(
        f"/api/items/{world.items['PLAIN']}/barcodes/{case['id']}", {"active": False})
    assert response.status_code == 200, response.text
    assert_error(await supervisor.get("/api/scan/resolve/14006381333938"), 404, "not_found")
    assert (await supervisor.get("/api/scan/resolve/4006381333931")).status_code == 200
    assert_error(await supervisor.patch(
        f"/api/items/{world.items['LOTTED']}/barcodes/{case['id']}", {"active": True}),
        404, "not_found")


# --- stock queries -----------------------------------------------------------------------------


async def test_stock_queries(world, worker: Api, admin: Api):
    plain = ("PLAIN", "A-01", None, 10)
    lotted = ("LOTTED", "A-02", "L1", 20)
    serial = ("SERIAL", "A-03", None, 3)
    assert rows(await worker.get("/api/stock")) == [lotted, plain, serial]
    assert rows(await worker.get("/api/stock", params={"sku": "PLAIN"})) == [plain]
    assert rows(await worker.get("/api/stock", params={"item_id": world.items["SERIAL"]})) == [
        serial]
    assert rows(await worker.get("/api/stock", params={"barcode": "14006381333938"})) == [plain]
    assert sorted(rows(await admin.get("/api/stock", params={"barcode": "4006381333931"}))) == [
        plain, ("PLAIN", "B-01", None, 5)]
    assert rows(await worker.get("/api/stock", params={"lot_number": "L1"})) == [lotted]
    assert rows(await worker.get("/api/stock", params={"lot_number": "L9"})) == []
    assert rows(await worker.get("/api/stock", params={"location_id": world.loc("A-03")})) == [
        serial]
    assert rows(await worker.get("/api/stock", params={"location_id": world.loc("Z-A")})) == [
        lotted, plain, serial]
    assert rows(await worker.get("/api/stock", params={"location_barcode": "LOC-A-02"})) == [
        lotted]
    assert rows(await worker.get("/api/stock", params={"location_id": world.loc("A-05")})) == []
    assert rows(await worker.get("/api/stock", params={
        "sku": "PLAIN", "location_id": world.loc("Z-A")})) == [plain]
    row = (await worker.get("/api/stock", params={"lot_number": "L1"})).json()["items"][0]
    assert (row["item_id"], row["location_id"], row["warehouse_id"]) == (
        world.items["LOTTED"], world.loc("A-02"), world.warehouses["W1"])
    assert (row["reserved"], row["available"]) == (0, 20)
    assert row["expiry_date"] == (dt.date.today() + dt.timedelta(days=20)).isoformat()
    page = (await worker.get("/api/stock", params={"limit": 2, "offset": 1})).json()
    assert (page["total"], page["limit"], page["offset"]) == (3, 2, 1)
    assert [r["sku"] for r in page["items"]] == ["PLAIN", "SERIAL"]


async def test_emptied_stock_is_hidden_unless_asked_for(world, supervisor: Api):
    response = await supervisor.post("/api/bin-moves", {
        **supervisor.envelope(), "item_id": world.items["PLAIN"],
        "from_location_id": world.loc("A-01"), "to_location_id": world.loc("A-04"),
        "quantity": 10})
    assert response.status_code == 201, response.text
    assert rows(await supervisor.get("/api/stock", params={"sku": "PLAIN"})) == [
        ("PLAIN", "A-04", None, 10)]
    everything = rows(await supervisor.get("/api/stock", params={"sku": "PLAIN",
                                                                 "include_empty": "true"}))
    assert ("PLAIN", "A-01", None, 0) in everything


# --- movement history and command traces -------------------------------------------------------


async def _history(world, supervisor: Api, worker: Api) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    """A bin move and an adjustment now, and a worker's move recorded three days late."""
    done: dict[str, dict] = {}
    move = {**supervisor.envelope(), "item_id": world.items["PLAIN"],
            "from_location_id": world.loc("A-01"), "to_location_id": world.loc("A-04"),
            "quantity": 4}
    response = await supervisor.post("/api/bin-moves", move)
    assert response.status_code == 201, response.text
    done["move"] = {**move, **response.json()}
    adjust = {**supervisor.envelope(), "item_id": world.items["PLAIN"],
              "location_id": world.loc("A-05"), "quantity": 2, "reason": "found"}
    response = await supervisor.post("/api/adjustments", adjust)
    assert response.status_code == 201, response.text
    done["adjust"] = {**adjust, **response.json()}
    earlier = dt.datetime.now(dt.UTC) - dt.timedelta(days=3)
    late = {**worker.envelope(), "occurred_at": earlier.isoformat(),
            "item_id": world.items["LOTTED"], "lot_number": "L1",
            "from_location_id": world.loc("A-02"), "to_location_id": world.loc("A-04"),
            "quantity": 5}
    response = await worker.post("/api/bin-moves", late)
    assert response.status_code == 201, response.text
    done["late"] = {**late, **response.json()}
    return done


async def test_movement_history_filters(world, supervisor: Api, worker: Api):
    done = await _history(world, supervisor, worker)

    async def history(**params: object) -> list[tuple]:
        response = await supervisor.get("/api/moves", params={"limit": 500, **params})
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["total"] == len(body["items"])
        return [(m["sku"], m["from_location"], m["to_location"], m["quantity"],
                 m["document_type"]) for m in body["items"]]

    move = ("PLAIN", "A-01", "A-04", 4, "bin_move")
    adjust = ("PLAIN", "@ADJUSTMENT", "A-05", 2, "adjustment")
    late = ("LOTTED", "A-02", "A-04", 5, "bin_move")
    everything = await history()
    assert len(everything) == 8  # five W1 opening moves and the three above, newest first
    assert everything[:3] == [late, adjust, move]
    assert await history(document_type="bin_move") == [late, move]
    assert await history(document_type="adjustment") == [adjust]
    opening = await history(document_type="opening_balance")
    assert sorted(opening) == sorted([
        ("PLAIN", "@ADJUSTMENT", "A-01", 10, "opening_balance"),
        ("LOTTED", "@ADJUSTMENT", "A-02", 20, "opening_balance"),
        *[("SERIAL", "@ADJUSTMENT", "A-03", 1, "opening_balance")] * 3])
    assert await history(item_id=world.items["PLAIN"]) == [
        adjust, move, ("PLAIN", "@ADJUSTMENT", "A-01", 10, "opening_balance")]
    assert await history(location_id=world.loc("A-04")) == [late, move]
    assert await history(user_id=world.users["worker"]) == [late]
    assert len(await history(user_id=world.users["admin"])) == 5
    assert await history(document_ref=done["adjust"]["event_id"]) == [adjust]
    cut = (dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).isoformat()
    assert await history(until=cut) == [late]
    since = await history(since=cut)
    assert late not in since and len(since) == 7
    window = await history(since=(dt.datetime.now(dt.UTC) - dt.timedelta(days=4)).isoformat(),
                           until=cut, item_id=world.items["LOTTED"])
    assert window == [late]
    moved = (await supervisor.get("/api/moves", params={"document_type": "bin_move"})).json()
    row = next(m for m in moved["items"] if m["sku"] == "LOTTED")
    assert (row["lot_number"], row["username"], row["command_type"]) == (
        "L1", "worker", "move_stock")
    # The ledger keeps when the work was done, not when it reached the server.
    assert dt.datetime.fromisoformat(row["occurred_at"]) == dt.datetime.fromisoformat(
        done["late"]["occurred_at"])
    assert dt.datetime.fromisoformat(row["created_at"]) > dt.datetime.fromisoformat(
        row["occurred_at"]) + dt.timedelta(days=2)

    # Pagination walks the same list without gaps or overlaps.
    pages = []
    for offset in range(0, 8, 3):
        page = (await supervisor.get("/api/moves", params={"limit": 3, "offset": offset})).json()
        assert (page["total"], page["limit"], page["offset"]) == (8, 3, offset)
        pages += [m["id"] for m in page["items"]]
    every_id = [m["id"] for m in (await supervisor.get("/api/moves")).json()["items"]]
    assert pages == every_id and len(set(pages)) == 8
    assert every_id == sorted(every_id, reverse=True)


async def test_command_trace_links_a_command_and_its_ledger_rows(world, supervisor, worker):
    done = await _history(world, supervisor, worker)
    event_id = done["move"]["event_id"]
    trace = await supervisor.get(f"/api/commands/{event_id}")
    assert trace.status_code == 200, trace.text
    trace = trace.json()
    assert (trace["event_id"], trace["type"], trace["status"]) == (
        event_id, "move_stock", "applied")
    assert trace["user_id"] == world.users["supervisor"]
    assert trace["device_id"] == supervisor.device_id
    assert trace["payload"]["quantity"] == 4
    assert trace["outcome"]["result"]["move_ids"] == done["move"]["result"]["move_ids"]
    assert [(m["from_location"], m["to_location"], m["quantity"], m["sku"])
            for m in trace["moves"]] == [("A-01", "A-04", 4, "PLAIN")]
    assert [m["id"] for m in trace["moves"]] == done["move"]["result"]["move_ids"]
    # ...and back: the ledger row names the command that wrote it.
    moves = (await supervisor.get("/api/moves", params={"location_id": world.loc("A-01"),
                                                        "document_type": "bin_move"})).json()
    (row,) = moves["items"]
    assert row["event_id"] == event_id and row["document_ref"] == event_id
    assert row["id"] == trace["moves"][0]["id"]

    # A worker sees its own commands but not its supervisor's; the supervisor sees the worker's.
    assert (await worker.get(f"/api/commands/{done['late']['event_id']}")).status_code == 200
    assert_error(await worker.get(f"/api/commands/{event_id}"), 404, "not_found")
    late = (await supervisor.get(f"/api/commands/{done['late']['event_id']}")).json()
    assert [m["lot_number"] for m in late["moves"]] == ["L1"]


# --- warehouses and users ----------------------------------------------------------------------


async def test_admin_creates_a_warehouse_and_a_user_scoped_to_it(client, world, admin: Api):
    response = await admin.post("/api/warehouses", {"code": "W3", "name": "Warehouse three"})
    assert response.status_code == 201, response.text
    w3 = response.json()
    assert (w3["code"], w3["name"], w3["active"]) == ("W3", "Warehouse three", True)
    assert_error(await admin.post("/api/warehouses", {"code": "W3", "name": "Again"}),
                 409, "conflict")
    locations = (await admin.get("/api/locations", params={"warehouse_id": w3["id"]})).json()
    assert sorted(loc["kind"] for loc in locations["items"]) == [
        "adjustment", "customer", "scrap", "supplier"]
    assert all(loc["warehouse_id"] == w3["id"] for loc in locations["items"])

    response = await admin.post("/api/users", {
        "username": "clerk3", "password": "clerk-password-3", "role": "worker",
        "warehouse_ids": [w3["id"]], "display_name": "Clerk Three"})
    assert response.status_code == 201, response.text
    assert (response.json()["role"], response.json()["warehouse_ids"]) == ("worker", [w3["id"]])
    assert_error(await admin.post("/api/users", {
        "username": "clerk3", "password": "clerk-password-3", "role": "worker"}), 409, "conflict")
    assert_error(await admin.post("/api/users", {
        "username": "clerk4", "password": "clerk-password-4", "role": "worker",
        "warehouse_ids": [999_999]}), 404, "not_found")
    listed = [u["username"] for u in (await admin.get("/api/users")).json()]
    assert "clerk3" in listed and "clerk4" not in listed

    signed_in = await client.post("/api/auth/login",
                                  json={"username": "clerk3", "password": "clerk-password-3"})
    assert signed_in.status_code == 200, signed_in.text
    clerk = Api(client, signed_in.json()["access_token"], "device-clerk3")
    assert [w["code"] for w in (await clerk.get("/api/warehouses")).json()] == ["W3"]
    assert_error(await clerk.get(f"/api/warehouses/{world.warehouses['W1']}"),
                 403, "warehouse_out_of_scope")
    assert (await clerk.get("/api/stock")).json()["total"] == 0
    # The admin sees the new warehouse alongside the others.
    assert [w["code"] for w in (await admin.get("/api/warehouses")).json()] == ["W1", "W2", "W3"]
    # The W1 supervisor does not.
    supervisor = await login(client, "supervisor")
    assert_error(await supervisor.get(f"/api/warehouses/{w3['id']}"),
                 403, "warehouse_out_of_scope")
