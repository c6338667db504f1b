"""Replenishment suggestions against hand-computed numbers, and draft orders made from them.

The world's W1 gets eight weeks of history for PLAIN: 2 units shipped every day, so the
forecast is 2 a day. PLAIN's rule: safety stock 21, lead time 4 days, minimum 21 + 4 × 3 =
33; on hand 10 (A-01), on order 6 (an approved purchase order from S1), case of 12:

    forecast over the lead time = 2 × 4 = 8.00
    need = 8 + 21 − 10 − 6 = 13  →  2 cases  →  24 units, 24 × 2.50 = 60.00
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import update

from backend.db.models import Command, ReorderRule
from backend.domain.commands import OpeningLine, PostOpeningBalance
from backend.domain.moves import MoveLine
from backend.service.commands import apply_command, touch_device
from backend.service.ledger import post_moves
from backend.service.replenishment import OrderNeed
from backend.service.sealing import moves_digest, seal_pending, verify_ledger
from tests.conftest import Api, login
from tests.test_packing import expect

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    ("forecast", "safety", "available", "on_order", "pack", "need", "quantity"),
    [
        ("17.50", 10, 5, 6, 12, "16.50", 24),  # 16.5 / 12 → 2 cases
        ("8.00", 21, 10, 6, 12, "13.00", 24),
        ("8.00", 5, 10, 6, 12, "-3.00", 0),  # covered by stock and open orders
        ("0.00", 5, 3, 0, 1, "2.00", 2),
        ("12.01", 0, 0, 0, 12, "12.01", 24),  # a hundredth over a case is another case
        ("12.00", 0, 0, 0, 12, "12.00", 12),
    ],
)
def test_order_quantity_is_need_rounded_up_to_whole_packs(
    forecast, safety, available, on_order, pack, need, quantity
):
    order = OrderNeed(Decimal(forecast), safety, available, on_order, pack)
    assert order.need == Decimal(need)
    assert order.quantity == quantity and order.packs * pack == quantity


async def _history(sessions, world, *, per_day: int, days: int) -> None:
    """`days` days of PLAIN shipped from A-04, `per_day` units a day, through the ledger."""
    plain, admin = world.items["PLAIN"], world.actors["admin"]
    start = dt.datetime.now(dt.UTC) - dt.timedelta(days=days + 2)
    opened = await apply_command(sessions, PostOpeningBalance(
        event_id=uuid.uuid4(), device_id="test", occurred_at=start,
        lines=[OpeningLine(item_id=plain, location_id=world.loc("A-04"),
                           quantity=per_day * days)]), admin)  # fmt: skip
    assert opened.status == "applied"
    noon = dt.datetime.now(dt.UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    async with sessions() as session, session.begin():
        await touch_device(session, "test-history", admin.id)
        for back in range(days, 0, -1):
            when = noon - dt.timedelta(days=back)
            row = Command(event_id=uuid.uuid4(), type="test_shipment", device_id="test-history",
                          user_id=admin.id, occurred_at=when, payload={}, status="applied",
                          outcome={})  # fmt: skip
            session.add(row)
            await session.flush()
            moves = await post_moves(
                session,
                [MoveLine(plain, per_day, world.loc("A-04"), world.loc("W1/@customer"))],
                command_id=row.id,
                user_id=admin.id,
                occurred_at=when,
                document_type="shipment",
                document_ref=f"TEST-{back}",
            )
            row.moves_digest = moves_digest(moves)


async def _rule(sessions, world, sku: str, **values: object) -> None:
    async with sessions() as session, session.begin():
        session.add(ReorderRule(item_id=world.items[sku], warehouse_id=world.warehouses["W1"],
                                created_by=world.users["supervisor"], **values))  # fmt: skip


async def _approved_order(supervisor: Api, world, supplier_id: int, sku: str, qty: int) -> None:
    order = expect(await supervisor.post("/api/purchase-orders", {
        "supplier_id": supplier_id, "warehouse_id": world.warehouses["W1"],
        "lines": [{"item_id": world.items[sku], "quantity": qty, "unit_price": "1.00"}]}), 201)
    submitted = expect(await supervisor.post(f"/api/purchase-orders/{order['id']}/submit"), 200)
    assert submitted["status"] == "approved"  # fmt: skip


@pytest.fixture
async def stocked(world, sessions, supervisor: Api) -> int:
    """The world with PLAIN's history, three rules and S1's open orders; returns S1's id."""
    await _history(sessions, world, per_day=2, days=56)
    supplier = expect(await supervisor.post("/api/suppliers", {
        "code": "S1", "name": "Supplies", "lead_time_days": 9}), 201)["id"]  # fmt: skip
    await _approved_order(supervisor, world, supplier, "PLAIN", 6)
    # LOTTED: 20 available, minimum 25, but 30 on order cover it.
    await _approved_order(supervisor, world, supplier, "LOTTED", 30)
    await _rule(sessions, world, "PLAIN", safety_stock=21, lead_time_days=4,
                daily_consumption=Decimal(3))  # fmt: skip
    await _rule(sessions, world, "LOTTED", safety_stock=25, lead_time_days=1,
                daily_consumption=Decimal(0))  # fmt: skip
    # SERIAL: 3 on hand, minimum 5, no history, no purchase order, no lead time.
    await _rule(sessions, world, "SERIAL", safety_stock=5, daily_consumption=Decimal(0))
    return int(supplier)


async def test_suggestion_matches_the_hand_computed_numbers(
    world, sessions, stocked: int, supervisor: Api
):
    found = expect(await supervisor.get("/api/replenishment/suggestions",
                                        params={"warehouse_id": world.warehouses["W1"]}), 200)
    assert (found["rules"], found["below_minimum"]) == (3, 3)
    by_sku = {s["sku"]: s for s in found["suggestions"]}
    assert set(by_sku) == {"PLAIN", "SERIAL"}
    plain = by_sku["PLAIN"]
    assert (plain["demand_class"], plain["model"]) == ("smooth", "AutoETS")
    assert (plain["adi"], plain["cv2"], plain["series_days"], plain["demand_days"]) == (
        1.0, 0.0, 56, 56)  # fmt: skip
    assert plain["forecast_daily"] == "2.000"
    assert (plain["lead_time_days"], plain["lead_time_source"]) == (4, "rule")
    assert plain["forecast_over_lead_time"] == "8.00"
    assert (plain["safety_stock"], plain["minimum"]) == (21, 33)
    assert (plain["on_hand"], plain["reserved"], plain["available"], plain["on_order"]) == (
        10, 0, 10, 6)  # fmt: skip
    assert plain["need"] == "13.00"
    assert (plain["pack_size"], plain["pack_source"], plain["packs"]) == (12, "case", 2)
    assert (plain["suggested_quantity"], plain["value"]) == (24, "60.00")
    assert plain["supplier"]["code"] == "S1"
    assert plain["supplier_source"] == "last purchase order"
    today = dt.datetime.now(dt.UTC).date()
    assert plain["order_by"] == str(today)
    assert plain["expected_arrival"] == str(today + dt.timedelta(days=4))
    assert plain["stockout_days"] == 0
    for figure in ("2.000", "8.00", "21", "13.00", "2 × 12", "24"):
        assert figure in plain["explanation"]

    serial = by_sku["SERIAL"]
    assert (serial["demand_class"], serial["model"], serial["forecast_over_lead_time"]) == (
        "none", "zero", "0.00")  # fmt: skip
    assert (serial["lead_time_source"], serial["supplier"], serial["suggested_quantity"]) == (
        "none", None, 2)  # fmt: skip
    assert [c["sku"] for c in found["covered"]] == ["LOTTED"]
    assert found["covered"][0]["need"] == "-25.00"

    # Above the minimum: no suggestion. PLAIN's minimum becomes 5 + 4 × 0 = 5 < 10.
    async with sessions() as session, session.begin():
        await session.execute(update(ReorderRule).where(
            ReorderRule.item_id == world.items["PLAIN"]).values(
                safety_stock=5, daily_consumption=Decimal(0)))  # fmt: skip
    found = expect(await supervisor.get("/api/replenishment/suggestions",
                                        params={"warehouse_id": world.warehouses["W1"]}), 200)
    assert found["below_minimum"] == 2
    assert [s["sku"] for s in found["suggestions"]] == ["SERIAL"]
    async with sessions() as session:
        await seal_pending(sessions)
        assert (await verify_ledger(session)).ok


async def test_only_supervisors_of_the_warehouse_see_suggestions(
    world, stocked, supervisor: Api, admin: Api
):
    worker = await login(supervisor.client, "worker")
    params = {"warehouse_id": world.warehouses["W1"]}
    expect(await worker.get("/api/replenishment/suggestions", params=params), 403)
    expect(await worker.post("/api/replenishment/purchase-orders", {
        "warehouse_id": world.warehouses["W1"], "items": [{"item_id": 1}]}), 403)  # fmt: skip
    other = await login(supervisor.client, "supervisor2")
    expect(await other.get("/api/replenishment/suggestions", params=params), 403,
           "warehouse_out_of_scope")  # fmt: skip
    expect(await supervisor.get("/api/replenishment/suggestions",
                                params={"warehouse_id": 999999}), 403)  # fmt: skip
    expect(await admin.get("/api/replenishment/suggestions",
                           params={"warehouse_id": 999999}), 404, "not_found")  # fmt: skip
    expect(await supervisor.get("/api/replenishment/suggestions", params={
        "warehouse_id": world.warehouses["W1"], "history_days": 3}), 400)  # fmt: skip


async def test_chosen_suggestions_become_draft_orders_per_supplier(
    world, stocked: int, supervisor: Api
):
    w1 = world.warehouses["W1"]
    missing = await supervisor.post("/api/replenishment/purchase-orders", {
        "warehouse_id": w1, "items": [{"item_id": world.items["SERIAL"]}]})  # fmt: skip
    body = expect(missing, 422, "invalid_request")
    assert "supplier_id" in body["message"]
    expect(await supervisor.post("/api/replenishment/purchase-orders", {
        "warehouse_id": w1, "items": [{"item_id": world.items["LOTTED"]}]}),
        422, "invalid_request")  # fmt: skip
    made = expect(await supervisor.post("/api/replenishment/purchase-orders", {
        "warehouse_id": w1, "items": [
            {"item_id": world.items["PLAIN"]},
            {"item_id": world.items["SERIAL"], "supplier_id": stocked, "quantity": 3}]}),
        201)  # fmt: skip
    assert len(made) == 1
    order = made[0]
    assert (order["supplier_id"], order["status"], order["lines"]) == (stocked, "draft", 2)
    assert order["total_value"] == "420.0000"  # 24 × 2.50 + 3 × 120
    assert order["expected_date"] == str(dt.datetime.now(dt.UTC).date() + dt.timedelta(days=9))
    view = expect(await supervisor.get(f"/api/purchase-orders/{order['id']}"), 200)
    assert [(ln["sku"], ln["quantity"]) for ln in view["lines"]] == [("PLAIN", 24), ("SERIAL", 3)]


async def test_endpoints_are_documented(client):
    schema = (await client.get("/schema/openapi.json")).json()
    for path, method in (("/api/replenishment/suggestions", "get"),
                         ("/api/replenishment/purchase-orders", "post")):
        operation = schema["paths"][path][method]
        assert operation["summary"] and operation["description"]  # fmt: skip
