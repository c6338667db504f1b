"""POST /api/scan/decode and GET /api/scan/resolve: frames and codes resolved to what they name."""

from __future__ import annotations

import struct
import zlib

import cv2
import numpy as np
import pytest
import zxingcpp

pytestmark = pytest.mark.anyio


def _frame(text: str, fmt: zxingcpp.BarcodeFormat, *, size: tuple[int, int] = (1280, 720),
           scale: int = 4, gs1: bool = False) -> np.ndarray:
    """The code on a grey 720p frame, a little off centre, as a phone would see it."""
    barcode = zxingcpp.create_barcode(text, fmt, **({"gs1": True} if gs1 else {}))
    code = np.asarray(barcode.to_image(scale=scale), dtype=np.uint8)
    code = cv2.copyMakeBorder(code, 20, 20, 20, 20, cv2.BORDER_CONSTANT, value=255)
    frame = np.full((size[1], size[0]), 170, dtype=np.uint8)
    y, x = 180, 300
    frame[y:y + code.shape[0], x:x + code.shape[1]] = code
    return cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)


def _encode(image: np.ndarray, ext: str = ".jpg") -> bytes:
    ok, data = cv2.imencode(ext, image)
    assert ok
    return data.tobytes()


def _png_header(width: int, height: int) -> bytes:
    """A PNG that announces width x height: signature, a valid IHDR and nothing else."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    return (b"\x89PNG\r\n\x1a\n" + struct.pack(">I", len(ihdr)) + chunk
            + struct.pack(">I", zlib.crc32(chunk)))


async def _decode(api, data: bytes, content_type: str = "image/jpeg", **params):
    return await api.client.post("/api/scan/decode", content=data, params=params,
                                 headers={**api.headers, "Content-Type": content_type})


async def test_case_barcode_in_a_jpeg_resolves_to_item_and_twelve(worker, world) -> None:
    response = await _decode(worker, _encode(_frame("1400638133393", zxingcpp.BarcodeFormat.ITF)))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["image"] == {"format": "jpeg", "width": 1280, "height": 720}
    assert body["decode_ms"] > 0
    # ITF of 13 digits is not a GTIN here: it decodes but names nothing.
    assert body["symbols"][0]["resolution"]["kind"] == "unknown"

    response = await _decode(worker, _encode(_frame("14006381333938", zxingcpp.BarcodeFormat.ITF)))
    symbol = response.json()["symbols"][0]
    assert symbol["text"] == "14006381333938"
    assert len(symbol["corners"]) == 4 and symbol["engine"]
    resolution = symbol["resolution"]
    assert resolution["kind"] == "item" and resolution["item"]["sku"] == "PLAIN"
    assert resolution["quantity"] == 12 and resolution["packaging"] == "case"


async def test_gs1_datamatrix_gives_item_lot_and_expiry(worker, world) -> None:
    hri = "(01)05000112637922(17)271231(10)L1"
    image = _frame(hri, zxingcpp.BarcodeFormat.DataMatrix, scale=8, gs1=True)
    response = await worker.client.post(
        "/api/scan/decode", headers=worker.headers,
        files={"frame": ("frame.png", _encode(image, ".png"), "image/png")})
    assert response.status_code == 200, response.text
    symbol = response.json()["symbols"][0]
    assert symbol["format"].endswith("datamatrix")
    resolution = symbol["resolution"]
    assert resolution["kind"] == "item" and resolution["item"]["sku"] == "LOTTED"
    assert resolution["lot_number"] == "L1" and resolution["expiry_date"] == "2027-12-31"
    assert resolution["lot"]["lot_number"] == "L1"
    assert {e["ai"] for e in resolution["gs1"]} == {"01", "17", "10"}


async def test_location_qr_and_formats_filter(worker, world) -> None:
    data = _encode(_frame("LOC-A-01", zxingcpp.BarcodeFormat.QRCode, scale=8), ".png")
    found = (await _decode(worker, data, "image/png")).json()["symbols"]
    assert found[0]["resolution"]["kind"] == "location"
    assert found[0]["resolution"]["location"]["code"] == "A-01"
    filtered = await _decode(worker, data, "image/png", formats="ean13")
    assert filtered.status_code == 200 and filtered.json()["symbols"] == []
    bad = await _decode(worker, data, "image/png", formats="nonsense")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_formats"


async def test_another_warehouse_location_is_not_resolved(client, world) -> None:
    from tests.conftest import login

    worker2 = await login(client, "worker2")
    data = _encode(_frame("LOC-A-01", zxingcpp.BarcodeFormat.QRCode, scale=8), ".png")
    symbol = (await _decode(worker2, data, "image/png")).json()["symbols"][0]
    assert symbol["resolution"]["kind"] == "unknown" and symbol["resolution"]["location"] is None


async def test_bad_images_get_clear_4xx(worker) -> None:
    empty = await _decode(worker, b"")
    assert empty.status_code == 415 and empty.json()["code"] == "not_an_image"
    text = await _decode(worker, b"item,quantity\nPLAIN,3\n", "text/csv")
    assert text.status_code == 415 and text.json()["code"] == "not_an_image"
    jpeg = _encode(_frame("4006381333931", zxingcpp.BarcodeFormat.EAN13))
    truncated = await _decode(worker, jpeg[: len(jpeg) // 3])
    assert truncated.status_code == 422 and truncated.json()["code"] == "broken_image"
    huge = await _decode(worker, _png_header(30000, 30000), "image/png")
    assert huge.status_code == 413 and huge.json()["code"] == "image_too_large"
    too_many_bytes = await _decode(worker, b"\xff\xd8\xff" + b"\0" * (16 * 1024 * 1024))
    assert too_many_bytes.status_code == 413
    no_file = await worker.client.post("/api/scan/decode", headers=worker.headers,
                                       data={"note": "no file"},
                                       files={"other": ("x.txt", b"hello", "text/plain")})
    assert no_file.status_code == 415


async def test_decode_needs_a_signed_in_user(client) -> None:
    response = await client.post("/api/scan/decode", content=b"x",
                                 headers={"Content-Type": "image/jpeg"})
    assert response.status_code == 401


async def test_resolve_typed_codes(worker, world) -> None:
    unit = (await worker.get("/api/scan/resolve/4006381333931")).json()
    assert unit["kind"] == "item" and unit["quantity"] == 1
    upc_as_gtin14 = (await worker.get("/api/scan/resolve/04006381333931")).json()
    assert upc_as_gtin14["item"]["sku"] == "PLAIN"
    typed = (await worker.get("/api/scan/resolve/(01)14006381333938(10)L9(30)3")).json()
    assert typed["kind"] == "item" and typed["quantity"] == 36 and typed["lot_number"] == "L9"
    broken = await worker.get("/api/scan/resolve/(01)14006381333939")
    assert broken.status_code == 422 and broken.json()["code"] == "gs1_invalid"
    assert "check digit" in broken.json()["message"].lower()
    assert (await worker.get("/api/scan/resolve/NOTHING-HERE")).status_code == 404
