"""Sign-in, bearer tokens, role guards and warehouse scope, through the HTTP API."""

from __future__ import annotations

import base64
import datetime as dt
import json

import jwt
import pytest

from tests.conftest import Api, login
from tests.world import World

pytestmark = pytest.mark.anyio




def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_error(response, status: int, code: str) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code, body
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["details"], dict)
    return body


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def mint(user_id: int, secret: str, *, expires_in: dt.timedelta) -> str:
    now = dt.datetime.now(dt.UTC)
    return jwt.encode(
        {"sub": str(user_id), "iat": int((now - dt.timedelta(hours=1)).timestamp()),
         "exp": int((now + expires_in).timestamp())},
        secret, algorithm="HS256")


# --- sign-in -----------------------------------------------------------------------------------


async def test_login_returns_a_bearer_token_and_the_user(client, world, settings):
    response = await client.post("/api/auth/login",
                                 json={"username": "supervisor", "password": World.PASSWORD})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == settings.token_ttl_seconds > 0
    assert body["user"]["id"] == world.users["supervisor"]
    assert body["user"]["username"] == "supervisor"
    assert body["user"]["role"] == "supervisor"
    assert body["user"]["warehouse_ids"] == [world.warehouses["W1"]]
    assert body["user"]["active"] is True
    assert "password_hash" not in body["user"]
    claims = jwt.decode(body["access_token"], settings.secret_key, algorithms=["HS256"])
    assert claims["sub"] == str(world.users["supervisor"])
    me = await client.get("/api/auth/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200, me.text
    assert me.json()["username"] == "supervisor"
    assert me.json()["warehouse_ids"] == [world.warehouses["W1"]]


async def test_wrong_password_and_unknown_user_are_refused(client, world):
    wrong = await client.post("/api/auth/login",
                              json={"username": "worker", "password": World.PASSWORD + "x"})
    body = assert_error(wrong, 401, "unauthorized")
    assert "access_token" not in body
    unknown = await client.post("/api/auth/login",
                                json={"username": "nobody", "password": World.PASSWORD})
    assert_error(unknown, 401, "unauthorized")
    # The two failures must not tell an attacker which usernames exist.
    assert wrong.json()["message"] == unknown.json()["message"]


async def test_deactivated_user_cannot_sign_in_and_loses_its_token(client, world, admin):
    worker = await login(client, "worker")
    assert (await worker.get("/api/stock")).status_code == 200
    response = await admin.patch(f"/api/users/{world.users['worker']}", {"active": False})
    assert response.status_code == 200, response.text
    assert response.json()["active"] is False
    assert_error(await worker.get("/api/stock"), 401, "unauthorized")
    assert_error(await worker.get("/api/auth/me"), 401, "unauthorized")
    assert_error(await client.post("/api/auth/login", json={"username": "worker",
                                                            "password": World.PASSWORD}),
                 401, "unauthorized")
    # Reactivated, the same person signs in again.
    response = await admin.patch(f"/api/users/{world.users['worker']}", {"active": True})
    assert response.status_code == 200, response.text
    assert (await worker.get("/api/stock")).status_code == 200


async def test_role_and_scope_come_from_the_database_not_the_token(client, world, admin):
    supervisor = await login(client, "supervisor")
    response = await admin.patch(f"/api/users/{world.users['supervisor']}",
                                 {"role": "worker", "warehouse_ids": [world.warehouses["W2"]]})
    assert response.status_code == 200, response.text
    body = {**supervisor.envelope(), "item_id": world.items["PLAIN"],
            "location_id": world.loc("A-01"), "quantity": 1, "reason": "found"}
    assert_error(await supervisor.post("/api/adjustments", body), 403, "warehouse_out_of_scope")
    assert_error(await supervisor.get("/api/adjustment-requests"), 403, "forbidden")
    warehouses = await supervisor.get("/api/warehouses")
    assert [w["code"] for w in warehouses.json()] == ["W2"]


# --- tokens ------------------------------------------------------------------------------------


async def test_requests_without_a_token_are_refused(client, world):
    for path in ("/api/stock", "/api/moves", "/api/auth/me", "/api/warehouses", "/api/items"):
        assert_error(await client.get(path), 401, "unauthorized")
    assert_error(await client.get("/api/stock", headers={"Authorization": "Bearer "}),
                 401, "unauthorized")
    assert_error(await client.get("/api/stock", headers={"Authorization": "Basic d29ya2Vy"}),
                 401, "unauthorized")


async def test_expired_token_is_refused(client, world, settings):
    user_id = world.users["worker"]
    fresh = mint(user_id, settings.secret_key, expires_in=dt.timedelta(minutes=5))
    assert (await client.get("/api/stock", headers=bearer(fresh))).status_code == 200
    expired = mint(user_id, settings.secret_key, expires_in=dt.timedelta(seconds=-10))
    assert_error(await client.get("/api/stock", headers=bearer(expired)), 401, "unauthorized")


async def test_tampered_tokens_are_refused(client, world, worker: Api):
    header, payload, signature = worker.token.split(".")
    assert (await client.get("/api/stock", headers=bearer(worker.token))).status_code == 200
    # A different signature byte.
    middle = len(signature) // 2
    other = "A" if signature[middle] != "A" else "B"
    flipped = signature[:middle] + other + signature[middle + 1:]
    forged = f"{header}.{payload}.{flipped}"
    assert_error(await client.get("/api/stock", headers=bearer(forged)), 401, "unauthorized")
    # The payload rewritten to name the admin, signature kept.
    claims = json.loads(unb64(payload))
    claims["sub"] = str(world.users["admin"])
    forged = f"{header}.{b64(json.dumps(claims).encode())}.{signature}"
    assert_error(await client.get("/api/users", headers=bearer(forged)), 401, "unauthorized")
    # The signature stripped and the algorithm set to "none".
    none_header = b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    forged = f"{none_header}.{b64(json.dumps(claims).encode())}."
    assert_error(await client.get("/api/users", headers=bearer(forged)), 401, "unauthorized")
    assert_error(await client.get("/api/stock", headers=bearer("not-a-jwt")), 401, "unauthorized")


async def test_token_signed_with_another_secret_is_refused(client, world, settings):
    other = mint(world.users["admin"], settings.secret_key + "-other",
                 expires_in=dt.timedelta(minutes=5))
    assert_error(await client.get("/api/stock", headers=bearer(other)), 401, "unauthorized")
    assert_error(await client.get("/api/users", headers=bearer(other)), 401, "unauthorized")


async def test_token_for_a_user_that_does_not_exist_is_refused(client, world, settings):
    ghost = mint(999_999, settings.secret_key, expires_in=dt.timedelta(minutes=5))
    assert_error(await client.get("/api/stock", headers=bearer(ghost)), 401, "unauthorized")


# --- role guards -------------------------------------------------------------------------------


async def test_worker_is_refused_supervisor_and_admin_endpoints(world, worker: Api):
    w1 = world.warehouses["W1"]
    attempts = [
        worker.get("/api/adjustment-requests"),
        worker.post("/api/transfers", {
            "from_warehouse_id": w1, "to_warehouse_id": world.warehouses["W2"],
            "lines": [{"item_id": world.items["PLAIN"], "quantity": 1}]}),
        worker.post("/api/locations", {"warehouse_id": w1, "code": "A-99", "kind": "bin"}),
        worker.post("/api/items", {"sku": "NEW", "name": "New thing"}),
        worker.get("/api/ledger/verify"),
        worker.get("/api/users"),
        worker.post("/api/users", {"username": "mallory", "password": "password123",
                                   "role": "admin"}),
        worker.post("/api/warehouses", {"code": "W9", "name": "Nine"}),
        worker.patch(f"/api/items/{world.items['PLAIN']}", {"name": "renamed"}),
    ]
    for attempt in attempts:
        assert_error(await attempt, 403, "forbidden")
    # Nothing the refused requests carried was applied.
    stock = await worker.get("/api/stock", params={"sku": "PLAIN", "location_id":
                                                   world.loc("A-01")})
    assert [r["on_hand"] for r in stock.json()["items"]] == [10]
    item = await worker.get(f"/api/items/{world.items['PLAIN']}")
    assert item.json()["name"] == "Plain widget"
    assert (await worker.get("/api/items", params={"sku": "NEW"})).json()["total"] == 0


async def test_supervisor_is_refused_admin_endpoints(world, supervisor: Api):
    assert_error(await supervisor.get("/api/users"), 403, "forbidden")
    assert_error(await supervisor.post("/api/users", {
        "username": "mallory", "password": "password123", "role": "admin"}), 403, "forbidden")
    assert_error(await supervisor.post("/api/warehouses", {"code": "W9", "name": "Nine"}),
                 403, "forbidden")
    # ...but may use the supervisor ones.
    assert (await supervisor.get("/api/ledger/verify")).status_code == 200


# --- warehouse scope ---------------------------------------------------------------------------


async def test_worker_sees_only_its_warehouse(world, worker: Api):
    w1, w2 = world.warehouses["W1"], world.warehouses["W2"]
    listed = await worker.get("/api/warehouses")
    assert listed.status_code == 200
    assert [w["id"] for w in listed.json()] == [w1]
    assert (await worker.get(f"/api/warehouses/{w1}")).status_code == 200
    assert_error(await worker.get(f"/api/warehouses/{w2}"), 403, "warehouse_out_of_scope")
    assert_error(await worker.get("/api/stock", params={"warehouse_id": w2}),
                 403, "warehouse_out_of_scope")
    assert_error(await worker.get("/api/moves", params={"warehouse_id": w2}),
                 403, "warehouse_out_of_scope")
    assert_error(await worker.get(f"/api/locations/{world.loc('B-01')}"),
                 403, "warehouse_out_of_scope")

    stock = (await worker.get("/api/stock", params={"limit": 500})).json()
    assert stock["items"], "the worker should see W1 stock"
    assert {r["warehouse_id"] for r in stock["items"]} == {w1}
    assert "B-01" not in {r["location_code"] for r in stock["items"]}
    assert stock["total"] == len(stock["items"])
    plain = (await worker.get("/api/stock", params={"sku": "PLAIN"})).json()
    assert [(r["location_code"], r["on_hand"]) for r in plain["items"]] == [("A-01", 10)]
    by_location = await worker.get("/api/stock", params={"location_id": world.loc("B-01")})
    assert by_location.json()["items"] == []

    moves = (await worker.get("/api/moves", params={"limit": 500})).json()
    w1_ids = {lid for code, lid in world.locations.items()
              if not code.startswith(("W2/", "B-"))}
    # The opening balance: PLAIN and LOTTED one move each, SERIAL one per unit; not B-01's.
    assert moves["total"] == len(moves["items"]) == 5
    for move in moves["items"]:
        assert move["from_location_id"] in w1_ids and move["to_location_id"] in w1_ids, move

    locations = (await worker.get("/api/locations", params={"limit": 500})).json()
    assert {loc["warehouse_id"] for loc in locations["items"]} == {w1}


async def test_worker_cannot_move_stock_in_another_warehouse(world, worker: Api, admin: Api):
    event = worker.envelope()
    response = await worker.post("/api/bin-moves", {
        **event, "item_id": world.items["PLAIN"], "from_location_id": world.loc("B-01"),
        "to_location_id": world.loc("B-02"), "quantity": 2})
    body = assert_error(response, 403, "warehouse_out_of_scope")
    assert body["details"]["event_id"] == event["event_id"]
    stock = (await admin.get("/api/stock", params={"sku": "PLAIN",
                                                   "warehouse_id": world.warehouses["W2"]})).json()
    assert [(r["location_code"], r["on_hand"]) for r in stock["items"]] == [("B-01", 5)]
    w2_moves = await admin.get("/api/moves", params={"warehouse_id": world.warehouses["W2"]})
    assert w2_moves.json()["total"] == 1  # the opening balance only


async def test_supervisor2_sees_only_w2_and_admin_sees_both(client, world, admin: Api):
    w1, w2 = world.warehouses["W1"], world.warehouses["W2"]
    supervisor2 = await login(client, "supervisor2")
    assert [w["id"] for w in (await supervisor2.get("/api/warehouses")).json()] == [w2]
    assert_error(await supervisor2.get(f"/api/warehouses/{w1}"), 403, "warehouse_out_of_scope")
    stock = (await supervisor2.get("/api/stock", params={"limit": 500})).json()
    assert [(r["sku"], r["location_code"], r["on_hand"]) for r in stock["items"]] == [
        ("PLAIN", "B-01", 5)]
    # A W2 supervisor may not adjust W1 stock either.
    response = await supervisor2.post("/api/adjustments", {
        **supervisor2.envelope(), "item_id": world.items["PLAIN"],
        "location_id": world.loc("A-01"), "quantity": 1, "reason": "found"})
    assert_error(response, 403, "warehouse_out_of_scope")

    assert [w["id"] for w in (await admin.get("/api/warehouses")).json()] == [w1, w2]
    assert (await admin.get(f"/api/warehouses/{w2}")).status_code == 200
    everything = (await admin.get("/api/stock", params={"sku": "PLAIN"})).json()
    assert sorted((r["location_code"], r["on_hand"]) for r in everything["items"]) == [
        ("A-01", 10), ("B-01", 5)]
