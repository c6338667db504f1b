"""Cycle counts: creation by scope, the ABC schedule, blind counting, the book as of the count,
recounts by someone else, empty bins, and idempotent recording."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from sqlalchemy import func, select, update

from backend.db.models import CountEntry, CountLine, Quant
from backend.service.counting_book import book_as_of
from backend.service.sealing import seal_pending
from tests.conftest import Api, login

pytestmark = pytest.mark.anyio

# Keys that carry the book or what follows from it (a worker's own payload has "entries").
LEAKY = ("book", "variance", "expected", "accura", "pending")


# --- helpers shared with tests/test_counts_decisions.py ---------------------------------------


def ago(minutes: float) -> str:
    return (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=minutes)).isoformat()


async def create_count(api: Api, world, status: int = 201, **body: Any) -> dict:  # type: ignore[no-untyped-def]
    response = await api.post("/api/counts", {"warehouse_id": world.warehouses["W1"], **body})
    assert response.status_code == status, response.text
    return response.json()


def record_body(api: Api, line_id: int, entries: list[dict], **extra: Any) -> dict:
    return {**api.envelope(), "count_line_id": line_id, "entries": entries, **extra}


async def record(api: Api, line_id: int, entries: list[dict], status: int = 201,
                 **extra: Any) -> dict:
    response = await api.post("/api/counts/records", record_body(api, line_id, entries, **extra))
    assert response.status_code == status, response.text
    return response.json()


def item(world, sku: str, quantity: int, lot: str | None = None) -> dict:  # type: ignore[no-untyped-def]
    return {"item_id": world.items[sku], "quantity": quantity,
            **({"lot_number": lot} if lot else {})}


def line_at(count: dict, code: str, round_: int | None = None) -> dict:
    return next(ln for ln in count["lines"] if ln["location_code"] == code
                and (round_ is None or ln.get("round") == round_))


async def view(api: Api, count_id: int) -> dict:
    response = await api.get(f"/api/counts/{count_id}")
    assert response.status_code == 200, response.text
    return response.json()


async def set_policy(admin: Api, **changes: Any) -> None:
    policy = (await admin.get("/api/settings/count-policy")).json()
    response = await admin.put("/api/settings/count-policy", {**policy, **changes})
    assert response.status_code == 200, response.text


async def on_hand(sessions, world, sku: str, code: str) -> int:  # type: ignore[no-untyped-def]
    async with sessions() as session:
        total = await session.scalar(select(func.sum(Quant.on_hand)).where(
            Quant.item_id == world.items[sku], Quant.location_id == world.loc(code)))
        return int(total or 0)


async def ledger_sound(sessions, supervisor: Api) -> None:  # type: ignore[no-untyped-def]
    """Every item sums to zero over all locations, no real quant is negative, the chain holds."""
    async with sessions() as session:
        sums = (await session.execute(
            select(Quant.item_id, func.sum(Quant.on_hand)).group_by(Quant.item_id))).all()
        assert all(total == 0 for _, total in sums), sums
        negative = await session.scalar(select(func.count()).where(
            Quant.is_virtual.is_(False), (Quant.on_hand < 0) | (Quant.reserved < 0)))
        assert negative == 0
    await seal_pending(sessions)
    report = (await supervisor.get("/api/ledger/verify")).json()
    assert report["ok"] is True and report["unsealed_moves"] == 0, report


async def another_worker(admin: Api, world, username: str = "worker3") -> Api:  # type: ignore[no-untyped-def]
    response = await admin.post("/api/users", {
        "username": username, "password": world.PASSWORD, "role": "worker",
        "warehouse_ids": [world.warehouses["W1"]]})
    assert response.status_code == 201, response.text
    return await login(admin.client, username)


def leaked_keys(payload: Any) -> list[str]:
    """Every key anywhere in a JSON document that would tell a counter the book."""
    found: list[str] = []
    if isinstance(payload, dict):
        for key, value in payload.items():
            if any(word in key for word in LEAKY):
                found.append(key)
            found += leaked_keys(value)
    elif isinstance(payload, list):
        for value in payload:
            found += leaked_keys(value)
    return found


# --- creation and the schedule ----------------------------------------------------------------


async def test_create_by_range_items_and_abc_class(world, supervisor: Api, worker: Api) -> None:
    by_range = await create_count(supervisor, world, from_code="A-02", to_code="A-04",
                                  assignee_id=world.users["worker"], priority=5)
    assert by_range["number"].startswith("CC") and by_range["status"] == "counting"
    assert by_range["blind"] is True
    assert [(ln["location_code"], ln["item_id"], ln["status"]) for ln in by_range["lines"]] == [
        ("A-02", None, "open"), ("A-03", None, "open"), ("A-04", None, "open")]
    task = (await supervisor.get(f"/api/tasks/{by_range['lines'][0]['task_id']}")).json()
    assert (task["type"], task["document_type"], task["document_id"]) == (
        "count", "count", by_range["id"])
    assert (task["status"], task["assignee_id"], task["lines"]) == (
        "assigned", world.users["worker"], [])

    # Items: where they are now and where they have been (their quant stays behind at 0).
    for source, dest in (("A-01", "A-05"), ("A-05", "A-01")):
        moved = await supervisor.post("/api/bin-moves", {
            **supervisor.envelope(), "item_id": world.items["PLAIN"],
            "from_location_id": world.loc(source), "to_location_id": world.loc(dest),
            "quantity": 3})
        assert moved.status_code == 201, moved.text
    by_item = await create_count(supervisor, world, item_ids=[world.items["PLAIN"]])
    assert [(ln["location_code"], ln["sku"]) for ln in by_item["lines"]] == [
        ("A-01", "PLAIN"), ("A-05", "PLAIN")]  # not B-01: that is W2
    # Its usual bin found empty, as on the book: an explicit zero of the item is on record.
    await record(worker, line_at(by_item, "A-05")["id"], [], empty=True)
    assert [(e["sku"], e["quantity"], e["book_quantity"], e["status"]) for e in line_at(
        await view(supervisor, by_item["id"]), "A-05")["entries"]] == [("PLAIN", 0, 0, "accepted")]

    for sku, abc in (("PLAIN", "A"), ("LOTTED", "B")):
        patched = await supervisor.patch(f"/api/items/{world.items[sku]}", {"abc_class": abc})
        assert patched.status_code == 200, patched.text
    by_class = await create_count(supervisor, world, abc_class="B")
    assert [(ln["location_code"], ln["sku"]) for ln in by_class["lines"]] == [("A-02", "LOTTED")]
    by_ids = await create_count(supervisor, world,
                                location_ids=[world.loc("DOCK-1"), world.loc("A-01")])
    assert [ln["location_code"] for ln in by_ids["lines"]] == ["DOCK-1", "A-01"]  # walking order

    for scope in ({"from_code": "X-00", "to_code": "X-99"}, {"abc_class": "C"},
                  {"from_code": "A-01"}, {"abc_class": "A", "item_ids": [world.items["PLAIN"]]},
                  {}, {"location_ids": [world.loc("Z-A")]}):
        refused = await create_count(supervisor, world, status=422, **scope)
        assert refused["code"] == "invalid_request", (scope, refused)
    assert (await create_count(worker, world, status=403, abc_class="A"))["code"] == "forbidden"
    listed = (await supervisor.get("/api/counts", params={"status": "counting"})).json()
    assert listed["total"] == 4
    assert {c["lines_total"] for c in listed["items"]} == {3, 2, 1}


async def test_schedule_proposes_what_is_due_a_items_first(world, sessions, supervisor: Api,
                                                           worker: Api) -> None:
    for sku, abc in (("PLAIN", "C"), ("LOTTED", "B"), ("SERIAL", "A")):
        await supervisor.patch(f"/api/items/{world.items[sku]}", {"abc_class": abc})
    params = {"warehouse_id": world.warehouses["W1"]}
    never = (await supervisor.get("/api/counts/schedule", params=params)).json()
    assert [(d["sku"], d["abc_class"], d["due_at"]) for d in never] == [
        ("SERIAL", "A", None), ("LOTTED", "B", None), ("PLAIN", "C", None)]
    assert never[0]["locations"] == [{"location_id": world.loc("A-03"), "code": "A-03"}]

    # Each item counted once (and right); then the clock is turned back 40 days on those
    # counts: only the A item's 30 days have run out.
    count = await create_count(supervisor, world, item_ids=list(world.items.values()))
    for line, entry in ((line_at(count, "A-01"), item(world, "PLAIN", 10)),
                        (line_at(count, "A-02"), item(world, "LOTTED", 20, "L1")),
                        (line_at(count, "A-03"), item(world, "SERIAL", 3))):
        await record(worker, line["id"], [entry])
    assert (await view(supervisor, count["id"]))["status"] == "closed"
    assert (await supervisor.get("/api/counts/schedule", params=params)).json() == []
    async with sessions() as session, session.begin():
        await session.execute(update(CountLine).values(
            counted_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=40)))
    due = (await supervisor.get("/api/counts/schedule", params=params)).json()
    assert [(d["sku"], d["days_overdue"]) for d in due] == [("SERIAL", 10)]
    async with sessions() as session, session.begin():
        await session.execute(update(CountLine).values(
            counted_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=200)))
    due = (await supervisor.get("/api/counts/schedule", params={**params, "limit": 2})).json()
    assert [d["sku"] for d in due] == ["SERIAL", "LOTTED"]  # 170 and 110 days overdue
    assert (await worker.get("/api/counts/schedule", params=params)).status_code == 403


# --- blind counting ---------------------------------------------------------------------------


async def test_blind_count_never_shows_a_worker_the_book(world, supervisor: Api,
                                                         worker: Api) -> None:
    count = await create_count(supervisor, world, from_code="A-01", to_code="A-02",
                               assignee_id=world.users["worker"])
    task_id = count["lines"][0]["task_id"]
    raw: list[str] = []
    for path in ("/api/tasks/mine", f"/api/tasks/{task_id}", f"/api/tasks/{task_id}/history",
                 f"/api/counts/{count['id']}", f"/api/counts/{count['id']}?task_id={task_id}"):
        response = await worker.get(path)
        assert response.status_code == 200, (path, response.text)
        raw.append(response.text)
    # A wrong count (9 of 10) by the task endpoint, a bigger one (12 of 20) through sync.
    a01, a02 = line_at(count, "A-01"), line_at(count, "A-02")
    body = record_body(worker, a01["id"], [item(world, "PLAIN", 9)])
    counted = await worker.post("/api/counts/records", body)
    assert counted.status_code == 201, counted.text
    assert counted.json()["result"] == {"count": count["number"], "count_line_id": a01["id"],
                                        "status": "counted", "move_ids": []}
    replay = await worker.post("/api/counts/records", body)
    assert replay.json()["status"] == "duplicate"
    synced = await worker.post("/api/sync", {"events": [{
        "type": "record_count", **record_body(worker, a02["id"], [item(world, "LOTTED", 12, "L1")])
    }]})
    assert synced.json()["outcomes"][0]["status"] == "applied", synced.text
    after = await view(worker, count["id"])
    raw += [counted.text, replay.text, synced.text, json.dumps(after),
            (await worker.get("/api/tasks/mine")).text,
            (await worker.get(f"/api/tasks/{task_id}/history")).text,
            (await worker.get(f"/api/commands/{body['event_id']}")).text]
    for text in raw:
        assert leaked_keys(json.loads(text)) == [], text
    # The recount of A-02 is someone else's: the first counter does not even see that line.
    assert [(ln["location_code"], ln["status"]) for ln in after["lines"]] == [
        ("A-01", "counted"), ("A-02", "counted")]

    # The supervisor sees it all; so does a worker when the count is not blind.
    full = await view(supervisor, count["id"])
    entry = line_at(full, "A-01")["entries"][0]
    assert (entry["quantity"], entry["book_quantity"], entry["variance"],
            entry["variance_value"], entry["status"]) == (9, 10, -1, "-2.5000", "pending")
    assert line_at(full, "A-02", 1)["status"] == "recount"
    assert line_at(full, "A-02", 2)["status"] == "open"
    assert line_at(full, "A-02", 2)["expected"] == [
        {"item_id": world.items["LOTTED"], "sku": "LOTTED", "lot_number": "L1", "quantity": 20}]
    open_ = await create_count(supervisor, world, from_code="A-01", to_code="A-01", blind=False)
    assert "expected" in leaked_keys(await view(worker, open_["id"]))
    assert (await worker.get("/api/counts")).status_code == 403


async def test_empty_bins_are_said_explicitly_and_the_book_fills_in_zeros(
        world, sessions, supervisor: Api, worker: Api, admin: Api) -> None:
    await set_policy(admin, recount_over_quantity=1000, recount_over_value="100000")
    count = await create_count(supervisor, world, from_code="A-02", to_code="A-05")
    a02, a03, a04, a05 = (line_at(count, c) for c in ("A-02", "A-03", "A-04", "A-05"))
    missing = await record(worker, a04["id"], [], status=422)
    assert missing["code"] == "invalid_request" and "empty" in missing["message"]
    both = await record(worker, a04["id"], [item(world, "PLAIN", 1)], status=422, empty=True)
    assert both["code"] == "invalid_request"
    no_lot = await record(worker, a02["id"], [item(world, "LOTTED", 20)], status=422)
    assert no_lot["code"] == "tracking_mismatch"
    twice = await record(worker, a05["id"], [item(world, "PLAIN", 1), item(world, "PLAIN", 2)],
                         status=422)
    assert twice["code"] == "invalid_request"

    await record(worker, a04["id"], [], empty=True)  # empty and empty on the book: accurate
    await record(worker, a03["id"], [], empty=True)  # the 3 drills are gone
    # A lot never booked is found; the booked lot is not listed, so it counts as zero.
    await record(worker, a02["id"], [item(world, "LOTTED", 6, "L-NEW")])
    await record(worker, a05["id"], [item(world, "PLAIN", 0)])
    full = await view(supervisor, count["id"])
    entries = {code: [(e["sku"], e["lot_number"], e["quantity"], e["book_quantity"],
                       e["status"]) for e in line_at(full, code)["entries"]]
               for code in ("A-02", "A-03", "A-04", "A-05")}
    assert entries == {
        "A-02": [("LOTTED", "L1", 0, 20, "pending"), ("LOTTED", "L-NEW", 6, 0, "pending")],
        "A-03": [("SERIAL", None, 0, 3, "pending")],
        "A-04": [],
        "A-05": [("PLAIN", None, 0, 0, "accepted")],
    }
    assert (full["status"], full["pending_variances"]) == ("review", 3)
    # Serial-tracked stock is counted by quantity but adjusted with its serial numbers.
    drills = line_at(full, "A-03")["entries"][0]["id"]
    serial = await supervisor.post("/api/counts/decisions", {
        **supervisor.envelope(), "count_id": count["id"], "decision": "approve",
        "entry_ids": [drills]})
    assert (serial.status_code, serial.json()["code"]) == (422, "tracking_mismatch")
    # Recording changed no stock.
    assert await on_hand(sessions, world, "LOTTED", "A-02") == 20
    assert await on_hand(sessions, world, "SERIAL", "A-03") == 3


# --- the book as of the count -----------------------------------------------------------------


async def test_the_book_is_taken_as_of_the_count(world, sessions, supervisor: Api, worker: Api,
                                                  admin: Api) -> None:
    # Stock on the shelf an hour ago; 4 units moved out five minutes ago (synced now).
    opening = await admin.post("/api/opening-balances", {
        **admin.envelope(), "occurred_at": ago(60), "reference": "old-stock",
        "lines": [{"item_id": world.items["PLAIN"], "location_id": world.loc("A-05"),
                   "quantity": 10}]})
    assert opening.status_code == 201, opening.text
    moved = await supervisor.post("/api/bin-moves", {
        **supervisor.envelope(), "occurred_at": ago(5), "item_id": world.items["PLAIN"],
        "from_location_id": world.loc("A-05"), "to_location_id": world.loc("A-04"),
        "quantity": 4})
    assert moved.status_code == 201, moved.text

    async with sessions() as session:
        plain = world.items["PLAIN"]
        assert await book_as_of(session, world.loc("A-05"), dt.datetime.fromisoformat(ago(10))) \
            == {(plain, None): 10}
        assert await book_as_of(session, world.loc("A-05"), dt.datetime.now(dt.UTC)) \
            == {(plain, None): 6}
        assert await book_as_of(session, world.loc("A-04"), dt.datetime.fromisoformat(ago(10))) \
            == {}
        assert await book_as_of(session, world.loc("A-04"), dt.datetime.fromisoformat(ago(1)),
                                item_id=plain) == {(plain, None): 4}
        assert await book_as_of(session, world.loc("A-04"), dt.datetime.now(dt.UTC),
                                item_id=world.items["LOTTED"]) == {}

    # Counted offline ten minutes ago: the 10 on the shelf then match the book then.
    count = await create_count(supervisor, world, location_ids=[world.loc("A-05")])
    line = count["lines"][0]
    await record(worker, line["id"], [item(world, "PLAIN", 10)], occurred_at=ago(10))
    full = await view(supervisor, count["id"])
    assert [(e["quantity"], e["book_quantity"], e["variance"], e["status"])
            for e in full["lines"][0]["entries"]] == [(10, 10, 0, "accepted")]
    assert (full["status"], full["lines_accurate"], full["accuracy"]) == ("closed", 1, "100.00")
    # Counted now, the same 10 would have been 4 too many.
    again = await create_count(supervisor, world, location_ids=[world.loc("A-05")])
    await record(worker, again["lines"][0]["id"], [item(world, "PLAIN", 10)])
    entry = (await view(supervisor, again["id"]))["lines"][0]["entries"][0]
    assert (entry["book_quantity"], entry["variance"]) == (6, 4)


# --- recounts ---------------------------------------------------------------------------------


async def test_a_big_variance_is_recounted_by_someone_else(world, sessions, supervisor: Api,
                                                           worker: Api, admin: Api) -> None:
    other = await another_worker(admin, world)
    count = await create_count(supervisor, world, from_code="A-01", to_code="A-02",
                               assignee_id=world.users["worker"])
    first = line_at(count, "A-01")
    # 7 widgets and 10 yoghurts short: both beyond 5 units.
    await record(worker, first["id"], [item(world, "PLAIN", 3)])
    await record(worker, line_at(count, "A-02")["id"], [item(world, "LOTTED", 10, "L1")])
    full = await view(supervisor, count["id"])
    assert [(ln["location_code"], ln["round"], ln["status"]) for ln in full["lines"]] == [
        ("A-01", 1, "recount"), ("A-01", 2, "open"), ("A-02", 1, "recount"), ("A-02", 2, "open")]
    assert [e["status"] for e in line_at(full, "A-01", 1)["entries"]] == ["recount"]
    recount, recount2 = line_at(full, "A-01", 2), line_at(full, "A-02", 2)
    assert (recount["recount_of_id"], recount["excluded_user_id"]) == (
        first["id"], world.users["worker"])
    assert recount["task_id"] == recount2["task_id"] != first["task_id"]  # one recount task
    assert full["status"] == "counting"
    first_task = (await supervisor.get(f"/api/tasks/{first['task_id']}")).json()
    assert first_task["status"] == "done"

    refused = await record(worker, recount["id"], [item(world, "PLAIN", 3)], status=409)
    assert refused["code"] == "recount_by_other"
    # The first counter neither sees the recount in their queue nor can claim it.
    queue = (await worker.get("/api/tasks/mine")).json()
    assert recount["task_id"] not in [t["id"] for t in queue]
    claim = await worker.post("/api/task-claims",
                              {**worker.envelope(), "task_id": recount["task_id"]})
    assert (claim.status_code, claim.json()["code"]) == (409, "recount_by_other")
    queue = (await other.get("/api/tasks/mine")).json()
    task = next(t for t in queue if t["id"] == recount["task_id"])
    assert (task["type"], task["document_id"], task["status"]) == ("count", count["id"], "open")
    mine = (await other.get(f"/api/counts/{count['id']}",
                            params={"task_id": task["id"]})).json()
    assert [ln["id"] for ln in mine["lines"]] == [recount["id"], recount2["id"]]
    body = record_body(other, recount["id"], [item(world, "PLAIN", 3)])
    assert (await other.post("/api/counts/records", body)).status_code == 201
    await record(other, recount2["id"], [item(world, "LOTTED", 20, "L1")])

    # A-01's recount stands even though it is as far off (no third round); A-02's matches the
    # book. Each line counts once, by its recount: 1 of 2 accurate.
    full = await view(supervisor, count["id"])
    assert [(ln["round"], ln["status"]) for ln in full["lines"]] == [
        (1, "recount"), (2, "counted"), (1, "recount"), (2, "counted")]
    assert [(e["variance"], e["status"], e["required_role"])
            for e in line_at(full, "A-01", 2)["entries"]] == [(-7, "pending", "supervisor")]
    assert [(e["variance"], e["status"]) for e in line_at(full, "A-02", 2)["entries"]] == [
        (0, "accepted")]
    assert (full["status"], full["pending_variances"], full["lines_counted"],
            full["lines_accurate"], full["accuracy"]) == ("review", 1, 2, 1, "50.00")
    assert (await supervisor.get(f"/api/tasks/{recount['task_id']}")).json()["status"] == "done"

    # Replaying the recount changes nothing; nor does counting a counted line again.
    async with sessions() as session:
        entries = await session.scalar(select(func.count()).select_from(CountEntry))
    replay = await other.post("/api/counts/records", body)
    assert (replay.status_code, replay.json()["status"]) == (200, "duplicate")
    again = await record(other, recount["id"], [item(world, "PLAIN", 4)], status=409)
    assert again["code"] == "conflict"
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(CountEntry)) == entries
    assert await on_hand(sessions, world, "PLAIN", "A-01") == 10
    history = (await supervisor.get(f"/api/counts/{count['id']}/history")).json()
    assert [h["action"] for h in history] == [
        "created", "line_counted", "recount_requested", "line_counted", "recount_requested",
        "line_counted", "line_counted", "review"]


async def test_cancelled_count_takes_no_more_counts(world, supervisor: Api, worker: Api) -> None:
    count = await create_count(supervisor, world, from_code="A-01", to_code="A-02")
    await record(worker, line_at(count, "A-01")["id"], [item(world, "PLAIN", 9)])
    assert (await worker.post(f"/api/counts/{count['id']}/cancel",
                              {"reason": "x"})).status_code == 403
    cancelled = await supervisor.post(f"/api/counts/{count['id']}/cancel",
                                      {"reason": "stock-take instead"})
    assert cancelled.status_code == 200, cancelled.text
    body = cancelled.json()
    assert body["status"] == "cancelled"
    assert [ln["status"] for ln in body["lines"]] == ["counted", "cancelled"]
    assert [e["status"] for e in line_at(body, "A-01")["entries"]] == ["rejected"]
    task = (await supervisor.get(f"/api/tasks/{body['lines'][0]['task_id']}")).json()
    assert task["status"] == "cancelled"
    late = await record(worker, line_at(count, "A-02")["id"], [item(world, "LOTTED", 20, "L1")],
                        status=409)
    assert late["code"] == "conflict"
    assert (await supervisor.post(f"/api/counts/{count['id']}/cancel",
                                  {"reason": "again"})).status_code == 409
    # Another warehouse's people neither see nor count it.
    for username in ("worker2", "supervisor2"):
        outsider = await login(worker.client, username)
        seen = await outsider.get(f"/api/counts/{count['id']}")
        assert (seen.status_code, seen.json()["code"]) == (403, "warehouse_out_of_scope")
    counted = await record(outsider, line_at(count, "A-02")["id"], [], status=403, empty=True)
    assert counted["code"] == "warehouse_out_of_scope"
    unknown = await supervisor.get("/api/counts/999999")
    assert (unknown.status_code, unknown.json()["code"]) == (404, "not_found")
    assert (await record(worker, 999999, [item(world, "PLAIN", 1)], status=404))["code"] \
        == "not_found"
