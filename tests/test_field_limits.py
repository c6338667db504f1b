"""Values longer than their columns are refused with a 400, never a database error."""

from __future__ import annotations

import pytest

from tests.conftest import Api

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(("path", "body"), [
    ("/api/warehouses", {"code": "W" * 40, "name": "Far"}),
    ("/api/suppliers", {"code": "S" * 40, "name": "Long"}),
    ("/api/customers", {"code": "C1", "name": "N" * 250}),
])
async def test_too_long_codes_and_names_are_refused(world, admin: Api, path: str, body: dict):
    response = await admin.post(path, body)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "validation_error"
    listed = await admin.get(path)
    assert body["code"] not in str(listed.json())


async def test_ids_beyond_the_database_integers_are_refused(world, admin: Api):
    response = await admin.get("/api/warehouses/99999999999999999999")
    assert response.status_code in (404, 422), response.text
    assert response.json()["code"] in ("not_found", "invalid_request")
