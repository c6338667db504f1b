"""Pack and ship on the handheld: a worker scans a picked order into packages (a case barcode
counts its twelve), the server gives each its SSCC, the labels are scanned to ship them; the
same offline, queued and applied once on reconnect; a refusal shown with its reason;
serial-tracked items packed one scanned serial per unit, in English and Chinese.

Orders are made and picked through the API, so each test starts at the packing station."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import Any

from playwright.sync_api import BrowserContext, Page, expect

from tests.pwa.conftest import ROOT, World, untracked_item_with_case
from tests.pwa.helpers import (
    english_left,
    envelope,
    expect_waiting,
    go_offline,
    go_online,
    outbox,
    picked_order,
    sales_order,
    scan_log,
    scans_done,
    sign_in,
    wedge,
)

DEMO_GS1 = {"company_prefix": "0614141", "extension_digit": "0"}
SCREENSHOTS = ROOT / "docs" / "screenshots"


def _dock(world: World) -> dict[str, Any]:
    with world.api() as api:
        return api.get("/api/locations", params={"code": "SHIP-MAIN"}).json()["items"][0]


def _on_hand(world: World, item_id: int, location_id: int) -> int:
    with world.api() as api:
        rows = api.get(
            "/api/stock",
            params={"item_id": item_id, "location_id": location_id, "include_empty": True},
        ).json()["items"]
    return sum(r["on_hand"] for r in rows)


def _lot_item(world: World) -> dict[str, Any]:
    """A lot-tracked demo item with a unit barcode."""
    with world.api() as api:
        items = api.get("/api/items", params={"limit": 100}).json()["items"]
    for item in items:
        unit = [b["code"] for b in item["barcodes"] if b["quantity"] == 1]
        if item["tracking"] == "lot" and unit:
            return {**item, "unit": unit[0]}
    raise AssertionError("the demo has no lot-tracked item with a unit barcode")


def _view(world: World, order_id: int) -> dict[str, Any]:
    with world.api("worker") as api:
        return api.get(f"/api/packing/orders/{order_id}").json()


def _scan(page: Page, *codes: str) -> None:
    before = len(scan_log(page))
    wedge(page, *codes)
    scans_done(page, before + len(codes))


def _type(page: Page, code: str) -> None:
    """A code typed into the scan field and sent with Enter."""
    before = len(scan_log(page))
    page.get_by_test_id("scan-input").fill(code)
    page.get_by_test_id("scan-input").press("Enter")
    scans_done(page, before + 1)


def _open_order(page: Page, order_id: int) -> None:
    page.goto("/#/pack")
    page.locator(f'[data-order-id="{order_id}"]').click()
    expect(page.get_by_test_id("pack-rows")).to_be_visible()


def _sent_packages(page: Page, n: int) -> list[str]:
    """Wait for n packages the server has numbered; their SSCCs, oldest first."""
    sent = page.locator('[data-testid="package"][data-pending="false"]:not([data-sscc=""])')
    expect(sent).to_have_count(n, timeout=15_000)
    return list(reversed([sent.nth(i).get_attribute("data-sscc") or "" for i in range(n)]))


def test_worker_packs_two_packages_by_scanning_and_ships_them(
    world: World, context: BrowserContext, page: Page, artifacts: Path
) -> None:
    cased = untracked_item_with_case(world, skip=8)
    lotted = _lot_item(world)
    dock = _dock(world)
    before = {i["id"]: _on_hand(world, i["id"], dock["id"]) for i in (cased, lotted)}
    order = picked_order(world, [(cased["id"], 14), (lotted["id"], 2)])
    assert order["status"] == "picked"
    assert _on_hand(world, cased["id"], dock["id"]) == before[cased["id"]] + 14

    sign_in(page, "worker")
    page.click('a.tile[href="#/pack"]')
    page.locator(f'[data-order-id="{order["id"]}"]').click()
    rows = page.get_by_test_id("pack-row")
    expect(rows.filter(has_text=cased["sku"]).get_by_test_id("row-left")).to_have_text("14")

    # Package 1: one scan of the case barcode is twelve units.
    _scan(page, cased["case"]["code"])
    expect(page.get_by_test_id("pack-line")).to_contain_text(f"12 × {cased['sku']}")
    expect(rows.filter(has_text=cased["sku"]).get_by_test_id("row-left")).to_have_text("2")
    page.get_by_test_id("pack-close").click()
    [first] = _sent_packages(page, 1)
    expect(page.get_by_test_id("pack-last")).to_contain_text(first)

    # Package 2: the rest, unit by unit.
    _scan(page, cased["unit"], lotted["unit"], cased["unit"], lotted["unit"])
    assert [s["outcome"] for s in scan_log(page)[-4:]] == ["ok"] * 4
    expect(page.get_by_test_id("pack-line")).to_have_count(2)
    page.screenshot(path=str(artifacts / "pack-station-en.png"))
    shutil.copy(artifacts / "pack-station-en.png", SCREENSHOTS / "handheld-pack-en.png")
    page.get_by_test_id("pack-close").click()
    first, second = _sent_packages(page, 2)
    expect(page.get_by_test_id("pack-all-packed")).to_be_visible()
    assert len({first, second}) == 2 and all(len(s) == 18 for s in (first, second))

    # The label is the server's PDF.
    with page.expect_response(lambda r: r.url.endswith("/label")) as answer:
        page.locator(f'[data-testid="package"][data-sscc="{first}"]').get_by_test_id(
            "package-label"
        ).click()
    assert answer.value.status == 200
    assert answer.value.headers["content-type"].startswith("application/pdf")
    for other in context.pages[1:]:
        other.close()

    # Both labels scanned (as GS1 data, AI 00), then shipped.
    _scan(page, f"00{first}", f"00{second}")
    expect(page.get_by_test_id("package-scanned")).to_have_count(2)
    page.get_by_test_id("ship-scanned").click()
    expect(page.get_by_test_id("pack-shipped")).to_be_visible(timeout=15_000)

    view = _view(world, order["id"])
    assert view["status"] == "shipped"
    contents = {
        p["sscc"]: sorted((ln["sku"], ln["quantity"]) for ln in p["lines"])
        for p in view["packages"]
    }
    assert contents == {
        first: [(cased["sku"], 12)],
        second: sorted([(cased["sku"], 2), (lotted["sku"], 2)]),
    }
    assert {p["status"] for p in view["packages"]} == {"shipped"}
    [shipment] = view["shipments"]
    assert shipment["units"] == 16 and sorted(shipment["packages"]) == sorted([first, second])
    # The stock left the shipping dock once: one shipment's moves, out of the dock.
    with world.api() as api:
        moves = api.get("/api/moves", params={
            "document_type": "shipment", "document_ref": order["number"], "limit": 100,
        }).json()["items"]  # fmt: skip
    assert sum(m["quantity"] for m in moves) == 16
    assert {m["from_location_id"] for m in moves} == {dock["id"]}
    for item in (cased, lotted):
        assert _on_hand(world, item["id"], dock["id"]) == before[item["id"]]


def test_packing_offline_is_queued_and_applied_once(
    world: World, context: BrowserContext, page: Page
) -> None:
    item = untracked_item_with_case(world, skip=9)
    order = picked_order(world, [(item["id"], 3)])
    sign_in(page, "worker")
    _open_order(page, order["id"])

    go_offline(context)
    page.reload()
    # The order's view comes from the device: the list kept it when it was read online.
    expect(page.get_by_test_id("pack-offline-copy")).to_be_visible()
    _scan(page, item["unit"], item["unit"], item["unit"])
    page.get_by_test_id("pack-close").click()
    expect_waiting(page, 1)
    expect(page.locator('[data-testid="package"][data-pending="true"]')).to_have_count(1)
    page.get_by_test_id("ship-all").click()
    expect_waiting(page, 2)
    expect(page.get_by_test_id("pack-ship-queued")).to_be_visible()

    page.reload()
    expect_waiting(page, 2)
    events = outbox(page)
    assert [e["type"] for e in events] == ["pack_items", "ship_order"]
    packed, shipped = events
    assert packed["lines"] == [{"item_id": item["id"], "quantity": 3}] and packed["close"]
    # Shipping everything packed builds on the packing: refused with it, if it were.
    assert shipped["depends_on"] == [packed["event_id"]] and "package_ssccs" not in shipped
    assert _view(world, order["id"])["packages"] == []

    go_online(context)
    expect_waiting(page, 0, timeout=20_000)
    expect(page.get_by_test_id("pack-shipped")).to_be_visible(timeout=15_000)
    view = _view(world, order["id"])
    assert view["status"] == "shipped" and len(view["packages"]) == 1
    assert view["packages"][0]["status"] == "shipped" and view["shipments"][0]["units"] == 3
    with world.api() as api:
        for event in events:
            assert api.get(f"/api/commands/{event['event_id']}").json()["status"] == "applied"
        replay = api.post("/api/sync", json={"events": events}, headers={
            "Authorization": f"Bearer {world.tokens['worker']}"}).json()["outcomes"]  # fmt: skip
        assert [o["status"] for o in replay] == ["duplicate", "duplicate"]
        assert api.get("/api/shipments", params={"order_id": order["id"]}).json()["total"] == 1
    assert len(_view(world, order["id"])["packages"]) == 1


def test_a_refusal_is_shown_with_its_reason(world: World, page: Page) -> None:
    item = untracked_item_with_case(world, skip=10)
    order = picked_order(world, [(item["id"], 2)])
    # No endpoint clears the company's GS1 prefix (a site sets it once): remove it underneath.
    assert world.database is not None
    with sqlite3.connect(world.database) as db:
        db.execute("DELETE FROM settings WHERE key = 'gs1'")
    try:
        sign_in(page, "worker")
        _open_order(page, order["id"])
        _scan(page, item["unit"], item["unit"])
        page.get_by_test_id("pack-close").click()
        refusal = page.get_by_test_id("pack-refused")
        expect(refusal).to_be_visible(timeout=15_000)
        expect(refusal.get_by_test_id("refusal-reason")).to_contain_text("GS1 prefix")
        expect(refusal.locator("[data-code]")).to_have_attribute("data-code", "setup_required")
        expect(page.get_by_test_id("message")).to_contain_text("GS1 prefix")
        assert page.get_attribute("body", "data-last-signal") == "error"
        # Nothing was packed: the units are back to pack.
        expect(page.get_by_test_id("row-left")).to_have_text("2")
        assert _view(world, order["id"])["packages"] == []
    finally:
        with world.api("admin") as admin:
            assert admin.put("/api/settings/gs1", json=DEMO_GS1).status_code == 200
    # Once the prefix is set, trying again packs it.
    refusal.get_by_test_id("refusal-retry").click()
    _sent_packages(page, 1)
    expect(page.get_by_test_id("pack-refused")).to_have_count(0)


LOCAL_VIEW = """async () => {
  const m = await import('/js/packing.js');
  const row = (item, lot, number, n, serials = []) => ({
    item_id: item, sku: `S${item}`, lot_id: lot, lot_number: number,
    picked: n, packed: 0, to_pack: n, serials, tracking: serials.length ? 'serial' : 'lot' });
  const sscc = '1'.repeat(18);
  const view = { id: 7, applied_event_ids: ['seen'],
    packages: [{ id: 1, sscc, status: 'open', lines: [] }],
    rows: [row(1, 10, 'L1', 5), row(1, 11, 'L2', 3), row(2, null, null, 2, ['X', 'Y'])] };
  const events = [
    { type: 'pack_items', event_id: 'seen', order_id: 7, close: true,
      lines: [{ item_id: 1, quantity: 8 }] },
    { type: 'pack_items', event_id: 'b', order_id: 7, close: true,
      lines: [{ item_id: 1, quantity: 4 }, { item_id: 1, quantity: 2, lot_number: 'L2' }] },
    { type: 'pack_items', event_id: 'c', order_id: 7, sscc, close: false,
      lines: [{ item_id: 2, quantity: 1, serials: ['Y'] }] },
    { type: 'pack_items', event_id: 'elsewhere', order_id: 8, close: true,
      lines: [{ item_id: 1, quantity: 1 }] },
    { type: 'ship_order', event_id: 's', order_id: 7 },
  ];
  const local = m.localView(view, events);
  const item = { id: 1, sku: 'S1' };
  const unit = (n, lot = null) => m.addToDraft([], { item, quantity: n, lot_number: lot });
  return {
    rows: local.rows.map((r) => [r.lot_number, r.to_pack, r.packed, r.serials]),
    toPack: local.toPack,
    packages: local.packages.map((p) => [p.sscc, p.status, !!p.pending, !!p.shipping,
      p.lines.map((l) => [l.lot_number, l.serial, l.quantity])]),
    pending: local.pending.map((e) => e.event_id),
    shipping: local.shipping?.event_id,
    fits: !!m.afterDraft(local.rows, unit(2)),
    tooMany: m.afterDraft(local.rows, unit(3)),
    wrongLot: m.afterDraft(local.rows, unit(2, 'L2')),
    order: m.commandLines([...unit(1), ...unit(1, 'L2')]).map((l) => l.lot_number),
    added: m.addToDraft(unit(12), { item, quantity: 1 }).map((l) => l.quantity),
  };
}"""


def test_the_device_counts_what_the_server_has_not_seen_yet(page: Page) -> None:
    """Queued packing is taken from the picked rows as the server would take it (lots named
    first, then the first lots; serials by number); what the view includes is not taken twice."""
    page.goto("/")
    page.wait_for_selector("body[data-ready]")
    result = page.evaluate(LOCAL_VIEW)
    assert result["rows"] == [["L1", 1, 4, []], ["L2", 1, 2, []], [None, 1, 1, ["X"]]]
    assert result["toPack"] == 3
    assert result["pending"] == ["b", "c", "s"] and result["shipping"] == "s"
    sscc = "1" * 18
    assert result["packages"] == [
        [sscc, "open", True, True, [[None, "Y", 1]]],
        [None, "closed", True, True, [["L2", None, 2], ["L1", None, 4]]],
    ]
    assert result["fits"] is True and result["tooMany"] is None and result["wrongLot"] is None
    assert result["order"] == ["L2", None]
    assert result["added"] == [13]


# --- serial-tracked items ---------------------------------------------------------------------


def _serial_item(world: World, skip: int, units: int) -> dict[str, Any]:
    """A serial-tracked demo item with a unit barcode and `units` free in the worker's
    warehouse; `skip` gives each test an item of its own."""
    warehouse = world.users["worker"]["warehouse_ids"][0]
    found = 0
    with world.api() as api:
        for offset in range(0, 500, 100):
            items = api.get("/api/items", params={"limit": 100, "offset": offset}).json()["items"]
            for item in items:
                unit = [b["code"] for b in item["barcodes"] if b["packaging"] == "unit"]
                if item["tracking"] != "serial" or not unit:
                    continue
                stock = api.get(
                    "/api/stock", params={"item_id": item["id"], "warehouse_id": warehouse}
                ).json()["items"]
                if sum(r["available"] for r in stock) >= units:
                    if found == skip:
                        return {**item, "unit": unit[0]}
                    found += 1
    raise AssertionError("the demo has too few serial-tracked items in stock")


def _whereabouts(world: World, item_id: int) -> dict[str, dict[str, Any]]:
    """Each serial of the item with the ledger's last move of it (its to_location is where the
    serial is)."""
    with world.api() as api:
        moves = api.get("/api/moves", params={"item_id": item_id, "limit": 500}).json()["items"]
    last: dict[str, dict[str, Any]] = {}
    for move in sorted(moves, key=lambda m: m["id"]):
        last[move["serial"]] = move
    return last


def _delivered(world: World, item_id: int) -> set[str]:
    """The item's serials the ledger last moved to a customer."""
    where = _whereabouts(world, item_id)
    return {s for s, m in where.items() if m["to_location"] == "@CUSTOMER"}


def _picked_with_serials(
    world: World, item: dict[str, Any], quantity: int
) -> tuple[dict[str, Any], list[str]]:
    """A sales order for `quantity` of a serial-tracked item, allocated and picked whole by
    the worker through the API, each pick line naming serials that lie in its bin."""
    order = sales_order(world, [(item["id"], quantity)])
    where = _whereabouts(world, item["id"])
    picked: list[str] = []
    with world.api() as sup, world.api("worker") as worker:
        tasks = sup.get("/api/tasks", params={"type": "pick", "limit": 100}).json()["items"]
        task = next(t for t in tasks if t["document_id"] == order["id"])
        for line in task["lines"]:
            serials = sorted(
                s for s, m in where.items()
                if m["to_location_id"] == line["from_location_id"] and s not in picked
            )[: line["quantity"]]  # fmt: skip
            answer = worker.post("/api/picks", json={
                **envelope(), "task_line_id": line["id"], "location_id": line["from_location_id"],
                "quantity": line["quantity"], "serials": serials,
            })  # fmt: skip
            assert answer.status_code == 201, answer.text
            picked += serials
        return sup.get(f"/api/sales-orders/{order['id']}").json(), picked


def _gs1_label(item: dict[str, Any], serial: str) -> str:
    """The unit's GS1 label as a wedge scanner sends it: GTIN-14 (AI 01), then the serial
    (AI 21), which needs no separator as the last element."""
    return f"01{item['unit']:0>14}21{serial}"


def test_serials_are_packed_one_by_one_and_those_ship(world: World, page: Page) -> None:
    item = _serial_item(world, skip=0, units=2)
    delivered_before = _delivered(world, item["id"])
    order, picked = _picked_with_serials(world, item, 2)
    assert order["status"] == "picked" and len(picked) == 2
    first, second = picked

    sign_in(page, "worker")
    _open_order(page, order["id"])
    left = page.get_by_test_id("pack-row").filter(has_text=item["sku"]).get_by_test_id("row-left")
    expect(left).to_have_text("2")
    # One unit by its GS1 label, the other by the item's barcode and then its serial typed.
    _scan(page, _gs1_label(item, first))
    _scan(page, item["unit"])
    expect(page.get_by_test_id("message")).to_contain_text(f"serial number of {item['sku']}")
    _type(page, second)
    assert [s["outcome"] for s in scan_log(page)[-3:]] == ["ok"] * 3
    line = page.get_by_test_id("pack-line")
    expect(line).to_have_count(1)
    expect(line).to_contain_text(f"2 × {item['sku']}")
    expect(line).to_contain_text(f"{first} {second}")
    expect(left).to_have_text("✓")
    page.get_by_test_id("pack-close").click()
    [sscc] = _sent_packages(page, 1)

    view = _view(world, order["id"])
    [package] = view["packages"]
    assert package["sscc"] == sscc and package["status"] == "closed"
    assert sorted((ln["sku"], ln["serial"], ln["quantity"]) for ln in package["lines"]) == [
        (item["sku"], first, 1), (item["sku"], second, 1),
    ]  # fmt: skip
    assert [r["serials"] for r in view["rows"]] == [[]]

    page.get_by_test_id("ship-all").click()
    expect(page.get_by_test_id("pack-shipped")).to_be_visible(timeout=15_000)
    with world.api() as api:
        moves = api.get("/api/moves", params={
            "document_type": "shipment", "document_ref": order["number"], "limit": 100,
        }).json()["items"]  # fmt: skip
    assert sorted((m["serial"], m["quantity"], m["to_location"]) for m in moves) == [
        (first, 1, "@CUSTOMER"), (second, 1, "@CUSTOMER"),
    ]  # fmt: skip
    # Those two serials, and no other of the item, went to the customer.
    assert _delivered(world, item["id"]) == delivered_before | {first, second}


def test_a_serial_not_picked_or_scanned_twice_is_refused_on_the_device(
    world: World, page: Page
) -> None:
    item = _serial_item(world, skip=1, units=2)
    order, [picked] = _picked_with_serials(world, item, 1)
    # Another unit of the item, in stock in a bin, that this order did not pick.
    other = next(
        s for s, m in _whereabouts(world, item["id"]).items()
        if s != picked and not m["to_location"].startswith("@")
    )  # fmt: skip

    sign_in(page, "worker")
    _open_order(page, order["id"])
    message = page.get_by_test_id("message")
    _scan(page, _gs1_label(item, picked))
    assert scan_log(page)[-1]["outcome"] == "ok"

    _scan(page, item["unit"])
    _type(page, picked)
    expect(message).to_contain_text(f"Serial {picked} is in this package already")
    assert scan_log(page)[-1]["outcome"] == "warn"
    assert page.get_attribute("body", "data-last-signal") == "warn"

    _scan(page, _gs1_label(item, other))
    expect(message).to_contain_text(f"Serial {other} is not picked for this order")
    assert scan_log(page)[-1]["outcome"] == "error"
    assert page.get_attribute("body", "data-last-signal") == "error"

    # Neither refused scan is in the package or queued.
    line = page.get_by_test_id("pack-line")
    expect(line).to_have_count(1)
    expect(line).to_contain_text(f"1 × {item['sku']}")
    expect(line.locator(".code.muted")).to_have_text(picked)
    assert outbox(page) == []
    page.get_by_test_id("pack-close").click()
    _sent_packages(page, 1)
    [package] = _view(world, order["id"])["packages"]
    assert [(ln["serial"], ln["quantity"]) for ln in package["lines"]] == [(picked, 1)]


def test_the_serial_prompt_in_chinese_has_no_english(world: World, page: Page) -> None:
    item = _serial_item(world, skip=2, units=1)
    order, _ = _picked_with_serials(world, item, 1)
    sign_in(page, "worker", locale="zh-CN")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    _open_order(page, order["id"])
    message = page.get_by_test_id("message")
    _scan(page, item["unit"])
    expect(message).to_contain_text(item["sku"])
    assert english_left(page) == []
    # And the refusal of a serial this order did not pick.
    _type(page, "SN-NOT-PICKED-1")
    expect(message).to_contain_text("SN-NOT-PICKED-1")
    assert scan_log(page)[-1]["outcome"] == "error"
    assert english_left(page) == []
