"""Bad requests get a 4xx with {"code", "message", "details"} and change nothing; never a 500."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest

from tests.conftest import Api

pytestmark = pytest.mark.anyio




def assert_error(response, status: int, code: str) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code != 500, response.text
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"code", "message", "details"}, body
    assert body["code"] == code, body
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["details"], dict)
    return body


def move_body(api: Api, world, **overrides: object) -> dict:  # type: ignore[no-untyped-def]
    return {**api.envelope(), "item_id": world.items["PLAIN"],
            "from_location_id": world.loc("A-01"), "to_location_id": world.loc("A-04"),
            "quantity": 3, **overrides}


async def assert_nothing_written(api: Api, world, event_id: str | None = None) -> None:  # type: ignore[no-untyped-def]
    stock = (await api.get("/api/stock", params={"sku": "PLAIN"})).json()
    assert [(r["location_code"], r["on_hand"]) for r in stock["items"]] == [("A-01", 10)]
    moves = (await api.get("/api/moves", params={"document_type": "bin_move"})).json()
    assert moves["total"] == 0
    if event_id is not None:
        assert_error(await api.get(f"/api/commands/{event_id}"), 404, "not_found")


async def test_unknown_field_is_a_validation_error(world, supervisor: Api):
    body = move_body(supervisor, world, foo="bar")
    response = await supervisor.post("/api/bin-moves", body)
    error = assert_error(response, 400, "validation_error")
    assert "foo" in json.dumps(error["details"])
    await assert_nothing_written(supervisor, world, body["event_id"])
    # The same holds for master data and for events inside a sync batch.
    assert_error(await supervisor.post("/api/items", {"sku": "X1", "name": "X", "colour": "red"}),
                 400, "validation_error")
    assert (await supervisor.get("/api/items", params={"sku": "X1"})).json()["total"] == 0
    assert_error(await supervisor.post("/api/sync", {"events": [
        {**move_body(supervisor, world, foo=1), "type": "move_stock"}]}), 400, "validation_error")
    await assert_nothing_written(supervisor, world)


async def test_wrong_types_and_non_positive_quantities_are_refused(world, supervisor: Api):
    for quantity in ("ten", 0, -3, 2.5, None, 10**12):
        body = move_body(supervisor, world, quantity=quantity)
        response = await supervisor.post("/api/bin-moves", body)
        error = assert_error(response, 400, "validation_error")
        assert "quantity" in json.dumps(error["details"]), (quantity, error)
    for bad in ({"item_id": "PLAIN"}, {"event_id": "not-a-uuid"}, {"occurred_at": "yesterday"},
                {"item_id": 0}, {"device_id": ""}):
        assert_error(await supervisor.post("/api/bin-moves", move_body(supervisor, world, **bad)),
                     400, "validation_error")
    missing = move_body(supervisor, world)
    del missing["to_location_id"]
    assert_error(await supervisor.post("/api/bin-moves", missing), 400, "validation_error")
    await assert_nothing_written(supervisor, world)


async def test_body_over_the_limit_is_refused(world, supervisor: Api, settings):
    assert settings.max_body_bytes == 2 * 1024 * 1024
    body = move_body(supervisor, world, note="x" * (3 * 1024 * 1024))
    response = await supervisor.post("/api/bin-moves", body)
    assert_error(response, 413, "payload_too_large")
    await assert_nothing_written(supervisor, world, body["event_id"])


async def test_body_that_is_not_json_is_refused(client, world, supervisor: Api):
    headers = {**supervisor.headers, "Content-Type": "application/json"}
    for content in (b"{not json", b"", b"[1, 2", b"quantity=3"):
        response = await client.post("/api/bin-moves", content=content, headers=headers)
        assert response.status_code == 400, (content, response.text)
        assert response.json()["code"] in ("bad_request", "validation_error"), response.text
        assert response.json()["message"]
    # A JSON value that is not an object.
    assert_error(await supervisor.post("/api/bin-moves", [1, 2, 3]), 400, "validation_error")
    await assert_nothing_written(supervisor, world)


async def test_unknown_ids_are_not_found(world, supervisor: Api):
    assert_error(await supervisor.get("/api/items/999999"), 404, "not_found")
    assert_error(await supervisor.get("/api/locations/999999"), 404, "not_found")
    assert_error(await supervisor.get("/api/warehouses/999999"), 404, "not_found")
    assert_error(await supervisor.get("/api/lots/999999"), 404, "not_found")
    assert_error(await supervisor.get(f"/api/commands/{uuid.uuid4()}"), 404, "not_found")
    assert_error(await supervisor.patch("/api/items/999999", {"name": "x"}), 404, "not_found")


async def test_move_of_an_unknown_item_is_recorded_as_rejected(world, worker: Api):
    body = move_body(worker, world, item_id=999_999)
    response = await worker.post("/api/bin-moves", body)
    error = assert_error(response, 404, "not_found")
    assert error["details"]["event_id"] == body["event_id"]
    trace = await worker.get(f"/api/commands/{body['event_id']}")
    assert trace.status_code == 200, trace.text
    trace = trace.json()
    assert trace["status"] == "rejected"
    assert trace["type"] == "move_stock"
    assert trace["outcome"]["code"] == "not_found"
    assert trace["moves"] == []
    assert trace["payload"]["item_id"] == 999_999
    # Sent again, the rejection is answered as a duplicate and still changes nothing.
    again = await worker.post("/api/bin-moves", body)
    assert again.status_code == 200, again.text
    assert again.json()["status"] == "duplicate"
    assert again.json()["first_outcome"]["status"] == "rejected"
    await assert_nothing_written(worker, world)


async def test_unknown_route_is_a_json_404(client, world, worker: Api):
    for response in (await client.get("/api/no-such-thing"),
                     await worker.get("/api/no-such-thing"),
                     await worker.post("/api/bin-moves/extra", {})):
        assert_error(response, 404, "not_found")
    wrong_method = await worker.client.delete("/api/items", headers=worker.headers)
    assert_error(wrong_method, 405, "method_not_allowed")


async def test_naive_occurred_at_is_refused(world, worker: Api):
    """A time without an offset cannot be placed on the timeline: 422 invalid_request.

    Fails while the rejection itself cannot be recorded (the commands column needs a zone).
    """
    body = move_body(worker, world, occurred_at=dt.datetime.now().replace(microsecond=0)
                     .isoformat())
    response = await worker.post("/api/bin-moves", body)
    assert_error(response, 422, "invalid_request")
    assert "occurred_at" in response.json()["details"]
    await assert_nothing_written(worker, world)


async def test_occurred_at_in_the_future_is_refused(world, worker: Api):
    future = dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)
    body = move_body(worker, world, occurred_at=future.isoformat())
    error = assert_error(await worker.post("/api/bin-moves", body), 422, "invalid_request")
    assert "future" in error["message"]
    assert error["details"]["event_id"] == body["event_id"]
    await assert_nothing_written(worker, world)
    # A device clock a few minutes fast is tolerated.
    slightly = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=2)
    response = await worker.post("/api/bin-moves", move_body(
        worker, world, occurred_at=slightly.isoformat()))
    assert response.status_code == 201, response.text


async def test_bad_query_parameters_are_4xx(world, worker: Api):
    assert_error(await worker.get("/api/stock", params={"limit": 0}), 400, "validation_error")
    assert_error(await worker.get("/api/stock", params={"limit": 501}), 400, "validation_error")
    assert_error(await worker.get("/api/stock", params={"offset": -1}), 400, "validation_error")
    assert_error(await worker.get("/api/stock", params={"item_id": "abc"}),
                 400, "validation_error")
    assert_error(await worker.get("/api/moves", params={"since": "last tuesday"}),
                 400, "validation_error")
    assert_error(await worker.get("/api/commands/not-a-uuid"), 404, "not_found")


async def test_moves_since_without_a_time_zone_is_not_a_server_error(world, worker: Api):
    """A naive `since`/`until` must be read as UTC or refused with a 4xx, not crash."""
    for name in ("since", "until"):
        response = await worker.get("/api/moves", params={name: "2020-01-01T00:00:00"})
        assert response.status_code != 500, response.text
        assert response.status_code in (200, 400, 422), response.text
