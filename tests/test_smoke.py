import pytest

pytestmark = pytest.mark.anyio


async def test_health(client):
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


async def test_stock_after_opening(worker, world):
    response = await worker.get("/api/stock", params={"sku": "PLAIN"})
    assert response.status_code == 200, response.text
    rows = response.json()["items"]
    assert [(r["location_code"], r["on_hand"]) for r in rows] == [("A-01", 10)]
