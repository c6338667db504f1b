"""A package's shipping label: printed from the package, its SSCC read back by the scanner."""

from __future__ import annotations

import pytest

from scanner import gs1 as gs1_ai
from tests.conftest import Api
from tests.test_labels import page_text, pages
from tests.test_packing import expect, order, pack, pack_line, pick_everything, set_gs1

pytestmark = pytest.mark.anyio


@pytest.fixture
async def gs1(admin: Api) -> None:
    await set_gs1(admin)


async def test_package_label_carries_its_sscc_and_addresses(
    world, shipping, gs1, supervisor: Api, worker: Api
):
    sale = await order(supervisor, world, [("PLAIN", 3)])
    await pick_everything(worker, sale["id"])
    first = await pack(worker, sale["id"], [pack_line(world, "PLAIN", 2)])
    second = await pack(worker, sale["id"], [pack_line(world, "PLAIN", 1)])

    response = await worker.get(f"/api/packages/{second['package_id']}/label")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/pdf")
    (_, symbols), = pages(response.content)
    sscc_symbols = [s for s in symbols if s.gs1 and "00" in gs1_ai.as_dict(s.gs1)]
    assert [gs1_ai.as_dict(s.gs1)["00"] for s in sscc_symbols] == [second["sscc"]]
    text = page_text(response.content)
    assert sale["number"] in text and "2" in text and "Shop" in text
    assert "1 High Street" in text

    zpl = await worker.get(f"/api/packages/{first['package_id']}/label",
                           params={"format": "zpl"})
    assert zpl.status_code == 200
    assert first["sscc"] in zpl.text and zpl.text.startswith("^XA")

    other = await supervisor.client.post("/api/auth/login", json={
        "username": "worker2", "password": world.PASSWORD})
    outsider = Api(supervisor.client, other.json()["access_token"], "w2")
    expect(await outsider.get(f"/api/packages/{first['package_id']}/label"), 403)
