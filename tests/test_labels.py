"""Printable labels: what they carry, ZPL for Zebra printers, PDFs whose barcodes read back with
the project's own scanner, and the /api/labels endpoints.

Most tests are pure (no database). The PDF tests rasterise each page with pdfium at 200 dpi and
decode it with `scanner.decode`, so a wrong bar, a missing quiet zone or a lost check digit
shows up as a code that does not read or reads differently.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import shutil
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pytest
from litestar.testing import AsyncTestClient

import scanner
from backend.api.controllers import labels as labels_api
from backend.app import create_app
from backend.config import Settings
from backend.domain.errors import InvalidRequest
from backend.labels import (
    Fonts,
    FontUnavailable,
    item_label,
    location_label,
    render_pdf,
    render_zpl,
    sscc,
    sscc_label,
    zpl,
)
from backend.labels.layout import layout
from scanner import gs1
from tests.conftest import Api, login

MM_PER_PT = 25.4 / 72
# Pages are rasterised at 200 dpi for decoding: 0.25 mm bars (the narrowest the labels use)
# are two pixels wide, as a phone camera or a 203 dpi printer would make them.
DPI = 200
EXPIRY = dt.date(2027, 3, 31)
PLAIN_GTIN = "4006381333931"  # the test world's PLAIN, a unit
PLAIN_CASE_GTIN = "14006381333938"  # PLAIN, a case of 12
LOTTED_GTIN = "5000112637922"
# The SSCC example of the GS1 General Specifications: extension 1, prefix 0614141.
GS1_EXAMPLE_SSCC = "106141411234567897"
ZPL_COMMANDS = {
    "XA",
    "XZ",
    "CI",
    "PW",
    "LL",
    "LH",
    "FO",
    "FH",
    "FD",
    "FS",
    "FB",
    "BY",
    "BC",
    "BE",
    "BX",
    "BQ",
    "A0",
    "A@",
    "PQ",
}


# --- helpers ----------------------------------------------------------------------------------


def pages(pdf: bytes) -> list[tuple[tuple[float, float], list[scanner.Symbol]]]:
    """Each page's size in mm and the symbols the project's scanner reads from it."""
    out = []
    for page in pdfium.PdfDocument(pdf):
        width, height = page.get_size()
        image = page.render(scale=DPI / 72).to_numpy()
        size = (round(width * MM_PER_PT, 1), round(height * MM_PER_PT, 1))
        out.append((size, scanner.decode(image, all_symbols=True)))
    return out


def read(pdf: bytes) -> list[tuple[str, str]]:
    """(format, text) of every symbol on a one-page PDF, sorted."""
    (_, symbols), *rest = pages(pdf)
    assert not rest, "expected one page"
    return sorted((s.format, s.text) for s in symbols)


def elements(symbol: scanner.Symbol) -> dict[str, Any]:
    assert symbol.gs1 is not None, (symbol.text, symbol.gs1_error)
    return gs1.as_dict(symbol.gs1)


def page_text(pdf: bytes, index: int = 0) -> str:
    return pdfium.PdfDocument(pdf)[index].get_textpage().get_text_range()


def fields(zpl: str) -> list[str]:
    """The commands of a ZPL text: what follows each ^, newlines dropped."""
    return zpl.replace("\n", "").split("^")[1:]


def unhex(data: str, indicator: str = "_") -> str:
    return re.sub(re.escape(indicator) + "([0-9A-F]{2})", lambda m: chr(int(m.group(1), 16)), data)


def error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code, body
    assert body["message"]
    return dict(body["details"])


# --- content ----------------------------------------------------------------------------------


def test_sscc_helper_builds_eighteen_digits_with_the_check_digit() -> None:
    assert sscc(1, "0614141", 123456789) == GS1_EXAMPLE_SSCC
    assert sscc("1", "0614141", "123456789") == GS1_EXAMPLE_SSCC
    built = sscc(3, "4012345", 42)
    assert built.startswith("34012345000000042") and len(built) == 18
    assert gs1.is_valid_key(built)
    for bad in ((10, "0614141", 1), (1, "06141A1", 1), (1, "0614141", 10**9), (1, "0614141", -1)):
        with pytest.raises(InvalidRequest):
            sscc(*bad)


def test_wrong_check_digits_are_refused() -> None:
    with pytest.raises(InvalidRequest) as refused:
        item_label("PLAIN", "Plain widget", "4006381333932")
    assert refused.value.details["expected_check_digit"] == 1
    assert "check digit" in refused.value.message
    with pytest.raises(InvalidRequest) as refused:
        sscc_label("106141411234567890", "Us", ["Them"], "SO-1", 1, 1)
    assert refused.value.details["expected_check_digit"] == 7
    with pytest.raises(InvalidRequest):
        item_label("X", "x", "40063813339")  # eleven digits is no GTIN


def test_lots_follow_the_gs1_rules() -> None:
    for bad in ("L" * 21, "L#1", "LOT 1", "批次1", "L~1", "L^1"):
        with pytest.raises(InvalidRequest) as refused:
            item_label("LOTTED", "Yoghurt", LOTTED_GTIN, bad, EXPIRY)
        assert refused.value.details["field"] == "lot", bad
    # Twenty characters of set 82, brackets and the ZPL-sensitive > and _ included.
    lot = "A(1)>_%&'*+,-./:;<=?"
    label = item_label("LOTTED", "Yoghurt", LOTTED_GTIN, lot, EXPIRY)
    assert {e.ai: e.raw for e in label.symbols[-1].elements}["10"] == lot


def test_what_an_item_label_carries() -> None:
    def symbols(*args: Any, **kwargs: Any) -> list[tuple[str, str]]:
        return [(s.symbology, s.data) for s in item_label(*args, **kwargs).symbols]

    assert symbols("PLAIN", "Plain", PLAIN_GTIN) == [("ean13", PLAIN_GTIN)]
    assert symbols("U", "UPC-A item", "036000291452") == [("ean13", "0036000291452")]
    assert symbols("C", "Case", PLAIN_CASE_GTIN) == [("gs1_128", f"(01){PLAIN_CASE_GTIN}")]
    assert symbols("E", "EAN-8 item", "96385074") == [("gs1_128", "(01)00000096385074")]
    full = "(01)05000112637922(17)270331(10)L1(30)12"
    assert symbols("LOTTED", "Yoghurt", LOTTED_GTIN, "L1", EXPIRY, 12) == [
        ("gs1_128", full),
        ("gs1_datamatrix", full),
    ]
    assert symbols("LOTTED", "Yoghurt", LOTTED_GTIN, None, EXPIRY) == [
        ("gs1_128", "(01)05000112637922(17)270331"),
        ("gs1_datamatrix", "(01)05000112637922(17)270331"),
    ]
    # Too wide for one GS1-128 across 100 mm: keys and dates, then lot and count.
    long = symbols("LOTTED", "Yoghurt", LOTTED_GTIN, "ABCDEFGHIJKLMNOPQRST", EXPIRY, 12345678)
    assert long == [
        ("gs1_128", "(01)05000112637922(17)270331"),
        ("gs1_128", "(10)ABCDEFGHIJKLMNOPQRST(30)12345678"),
        ("gs1_datamatrix", "(01)05000112637922(17)270331(10)ABCDEFGHIJKLMNOPQRST(30)12345678"),
    ]
    assert symbols("SERIAL", "Drill", None, barcode="INT-7") == [("code128", "INT-7")]
    assert symbols("SERIAL", "Drill", None) == [("code128", "SERIAL")]
    with pytest.raises(InvalidRequest):
        item_label("LOTTED", "Yoghurt", LOTTED_GTIN, "L1", EXPIRY, 0)
    with pytest.raises(InvalidRequest):  # (17) has a two-digit year
        item_label("LOTTED", "Yoghurt", LOTTED_GTIN, "L1", dt.date(2090, 1, 1))
    with pytest.raises(InvalidRequest):
        location_label("B-09", None, "W1")
    with pytest.raises(InvalidRequest):
        location_label("B-09", "库位-9", "W1")  # Code 128 carries ASCII only


# --- PDF --------------------------------------------------------------------------------------


def test_location_labels_read_back_one_per_page() -> None:
    labels = [location_label(f"A-0{n}", f"LOC-A-0{n}", "W1", "Z-A") for n in (1, 2, 3)]
    decoded = pages(render_pdf(labels))
    assert len(decoded) == 3
    for n, (size, symbols) in zip((1, 2, 3), decoded, strict=True):
        assert size == (100.0, 50.0)
        assert sorted((s.format, s.text) for s in symbols) == [
            ("code128", f"LOC-A-0{n}"),
            ("qrcode", f"LOC-A-0{n}"),
        ]


def test_item_label_reads_back_gtin_expiry_lot_and_count() -> None:
    lot = "A(1)>_%/B"
    pdf = render_pdf(item_label("LOTTED", "Yoghurt", LOTTED_GTIN, lot, EXPIRY, 12))
    [(size, symbols)] = pages(pdf)
    assert size == (100.0, 50.0)
    assert sorted(s.format for s in symbols) == ["gs1_128", "gs1_datamatrix"]
    want = {"01": "05000112637922", "17": EXPIRY, "10": lot, "30": 12}
    for symbol in symbols:
        assert elements(symbol) == want
        assert symbol.symbology_id in ("]C1", "]d2")  # FNC1 first: GS1 data
    assert "LOT A(1)>_%/B" in page_text(pdf)


def test_gtin_only_labels_read_back() -> None:
    assert read(render_pdf(item_label("PLAIN", "Plain widget", PLAIN_GTIN))) == [
        ("ean13", PLAIN_GTIN)
    ]
    assert read(render_pdf(item_label("PLAIN", "Plain case", PLAIN_CASE_GTIN))) == [
        ("gs1_128", f"(01){PLAIN_CASE_GTIN}")
    ]


def test_a_long_lot_splits_over_two_gs1_128_that_both_read() -> None:
    lot = "ABCDEFGHIJKLMNOPQRST"
    pdf = render_pdf(item_label("LOTTED", "Yoghurt", LOTTED_GTIN, lot, EXPIRY, 12345678))
    [(_, symbols)] = pages(pdf)
    linear = sorted((s for s in symbols if s.format == "gs1_128"), key=lambda s: s.text)
    assert [elements(s) for s in linear] == [
        {"01": "05000112637922", "17": EXPIRY},
        {"10": lot, "30": 12345678},
    ]
    [matrix] = [s for s in symbols if s.format == "gs1_datamatrix"]
    assert elements(matrix) == {"01": "05000112637922", "17": EXPIRY, "10": lot, "30": 12345678}


def test_sscc_label_is_four_by_six_inches_and_reads_back() -> None:
    code = sscc(3, "4012345", 42)
    label = sscc_label(code, ["Stockhand", "Dock 1"], ["ACME", "1 Road", "Town"], "SO-42", 2, 3)
    pdf = render_pdf(label)
    [(size, symbols)] = pages(pdf)
    assert size == (101.6, 152.4)
    [symbol] = symbols
    assert symbol.format == "gs1_128"
    assert elements(symbol) == {"00": code}
    assert gs1.is_valid_key(str(elements(symbol)["00"]))
    text = page_text(pdf)
    assert "PACKAGE 2 OF 3" in text and "ORDER: SO-42" in text and "TO: ACME" in text


def test_symbols_keep_their_quiet_zones_inside_the_label() -> None:
    labels = [
        location_label("A-01", "LOC-A-01", "W1", "Z-A"),
        item_label("LOTTED", "Yoghurt", LOTTED_GTIN, "ABCDEFGHIJKLMNOPQRST", EXPIRY, 12),
        item_label("PLAIN", "Plain widget", PLAIN_GTIN),
        sscc_label(GS1_EXAMPLE_SSCC, "Us", ["Them"], "SO-1", 1, 1),
    ]
    pdf = pdfium.PdfDocument(render_pdf(labels))
    px_per_mm = 300 / 25.4
    for index, label in enumerate(labels):
        placed = layout(label, zpl.measure)
        boxes = [(b.x, b.y, b.x + b.width, b.y + b.height) for b in placed.symbols]
        for left, top, right, bottom in boxes:
            assert left > 0 and right < label.width_mm and top > 0 and bottom < label.height_mm
        for i, a in enumerate(boxes):  # no symbol's quiet zone overlaps another symbol
            for b in boxes[i + 1 :]:
                assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (a, b)
        grey = pdf[index].render(scale=300 / 72, grayscale=True).to_numpy()
        for box in placed.symbols:
            quiet = {"code128": 10, "gs1_128": 10, "ean13": 11, "gs1_datamatrix": 1, "qr": 4}
            assert box.quiet_left == pytest.approx(quiet[box.symbol.symbology] * box.module)
            # Rows of the symbol proper (a matrix symbol has quiet zones above and below).
            top, bottom = box.bars_y, box.y + box.height - box.quiet_top
            rows = slice(round(top * px_per_mm) + 2, round(bottom * px_per_mm) - 2)
            zone = grey[rows, round(box.x * px_per_mm) + 1 : round(box.bars_x * px_per_mm) - 1]
            assert zone.min() > 200, f"quiet zone of {box.symbol.data} is not blank"
            # The first module column: a bar, the DataMatrix L finder, the QR finders.
            first = grey[rows, round((box.bars_x + box.module / 2) * px_per_mm)]
            dark = (first < 60).mean()
            assert dark > (0.4 if box.symbol.symbology == "qr" else 0.95), box.symbol.data


def test_chinese_names_print_in_the_cjk_font() -> None:
    # The name ends in CJK: the line after it must still be set in DejaVu (fpdf2 2.8.9 would
    # set it in whatever font a q/Q pair restored).
    label = item_label("LOTTED", "原味酸奶 Yoghurt 酸奶", LOTTED_GTIN, "L1", EXPIRY, 12)
    address = sscc_label(GS1_EXAMPLE_SSCC, "仓库", ["上海市浦东新区"], "SO-1", 1, 1)
    pdf = render_pdf([label, address])
    assert b"WenQuanYiMicroHei" in pdf
    text = page_text(pdf)
    assert "原味酸奶 Yoghurt 酸奶" in text
    assert "LOT L1" in text and "QTY 12" in text
    assert "上海市浦东新区" in page_text(pdf, 1)
    [(_, symbols), _] = pages(pdf)
    assert sorted(s.format for s in symbols) == ["gs1_128", "gs1_datamatrix"]
    # Latin-only labels do not carry the 5 MB font collection's subset.
    assert b"WenQuanYi" not in render_pdf(item_label("PLAIN", "Plain widget", PLAIN_GTIN))


def test_missing_fonts_fall_back_or_fail_clearly(tmp_path: Path) -> None:
    nothing = Fonts(regular=None, bold=None, cjk=None)
    latin = render_pdf(location_label("A-01", "LOC-A-01", "W1", "Z-A"), fonts=nothing)
    assert b"/Helvetica" in latin and b"DejaVu" not in latin
    assert read(latin) == [("code128", "LOC-A-01"), ("qrcode", "LOC-A-01")]
    chinese = item_label("LOTTED", "酸奶", LOTTED_GTIN, "L1", EXPIRY)
    with pytest.raises(FontUnavailable) as refused:
        render_pdf(chinese, fonts=nothing)
    assert refused.value.code == "label_font_missing" and refused.value.status_code == 503
    assert "fonts-wqy-microhei" in refused.value.message
    no_cjk = Fonts(cjk=tmp_path / "missing.ttc")
    with pytest.raises(FontUnavailable):
        render_pdf(chinese, fonts=no_cjk)
    only_cjk = Fonts(regular=tmp_path / "missing.ttf", bold=None)
    pdf = render_pdf(chinese, fonts=only_cjk)
    assert b"WenQuanYi" in pdf and b"DejaVu" not in pdf
    assert "酸奶" in page_text(pdf)


# --- ZPL --------------------------------------------------------------------------------------


def test_zpl_location_label() -> None:
    zpl = render_zpl(location_label("A-01", "LOC-A-01", "W1", "Z-A"))
    assert zpl.startswith("^XA\n^CI28\n") and zpl.endswith("^XZ\n")
    assert zpl.count("^XA") == zpl.count("^XZ") == 1
    assert "^PW799\n^LL400\n" in zpl  # 100 x 50 mm at 8 dots/mm
    code128 = re.search(r"\^BY(\d+),3,(\d+)\^BCN,\2,N,N,N,A\^FH\^FDLOC-A-01\^FS", zpl)
    assert code128 is not None and 2 <= int(code128.group(1)) <= 4
    assert re.search(r"\^BQN,2,\d+\^FH\^FDMA,LOC-A-01\^FS", zpl)
    assert "^FDA-01^FS" in zpl and "^FDW1 · Z-A^FS" in zpl
    assert {f[:2] for f in fields(zpl)} <= ZPL_COMMANDS


def test_zpl_gs1_symbols_carry_check_digits_and_fnc1() -> None:
    zpl = render_zpl(item_label("LOTTED", "Yoghurt", LOTTED_GTIN, "L1", EXPIRY, 12))
    # GS1-128: start C, FNC1, fixed fields, FNC1 after the variable-length lot.
    assert re.search(r"\^BCN,\d+,N,N,N,A\^FH\^FD>;>801050001126379221727033110L1>83012\^FS", zpl)
    # GS1 DataMatrix: ECC 200, "_" escapes FNC1 first and after the lot.
    assert "^BXN,4,200,,,,_^FH\\^FD_1010500011263792217270331" + "10L1_13012^FS" in zpl
    ean = render_zpl(item_label("PLAIN", "Plain widget", PLAIN_GTIN))
    assert re.search(r"\^BEN,\d+,N,N\^FD400638133393\^FS", ean)  # the printer adds the 1
    assert f"^FD{PLAIN_GTIN}^FS" in ean  # the human-readable line has all 13 digits
    shipping = render_zpl(sscc_label(GS1_EXAMPLE_SSCC, "Us", ["Them"], "SO-1", 1, 1))
    assert f"^FH^FD>;>800{GS1_EXAMPLE_SSCC}^FS" in shipping
    assert "^PW812\n^LL1218\n" in shipping  # 4 x 6 in
    assert "^BY4," in shipping  # 0.5 mm bars: the GS1 minimum for logistic labels
    batch = render_zpl([location_label(f"A-0{n}", f"LOC-A-0{n}", "W1") for n in (1, 2, 3)])
    assert batch.count("^XA") == batch.count("^XZ") == 3


def test_zpl_escapes_carets_tildes_and_invocation_characters() -> None:
    label = location_label("A^1", "LOC^~_>1", "W~1", None, name="Bin ^ ~ _")
    zpl = render_zpl(label)
    assert "~" not in zpl  # a tilde would start a control command
    assert {f[:2] for f in fields(zpl)} <= ZPL_COMMANDS  # no caret ends a field early
    assert "^FH^FDLOC_5E_7E_5F>01^FS" in zpl  # Code 128: hex escapes, ">0" for ">"
    assert "^FH^FDMA,LOC_5E_7E_5F>1^FS" in zpl  # QR: ">" is plain data
    texts = [unhex(f[2:]) for f in fields(zpl) if f.startswith("FD")]
    assert {"A^1", "W~1", "Bin ^ ~ _", "MA,LOC^~_>1"} <= set(texts)
    lotted = render_zpl(item_label("LOTTED", "Yog^hurt", LOTTED_GTIN, "L_1>", EXPIRY))
    assert "10L_5F1>0^FS" in lotted  # GS1-128
    assert "10L__1>^FS" in lotted  # DataMatrix: "__" is one underscore
    assert "^FDYog_5Ehurt^FS" in lotted


# --- API --------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_location_label_endpoints(  # type: ignore[no-untyped-def]
    world, supervisor: Api, worker: Api, client: AsyncTestClient[Any], monkeypatch
) -> None:
    path = f"/api/labels/locations/{world.loc('A-01')}"
    response = await supervisor.get(path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == 'inline; filename="location-A-01.pdf"'
    assert read(response.content) == [("code128", "LOC-A-01"), ("qrcode", "LOC-A-01")]
    response = await supervisor.get(path, params={"format": "zpl"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="location-A-01.zpl"'
    assert "^FH^FDLOC-A-01^FS" in response.text and "^FDW1 · Z-A^FS" in response.text
    error(await supervisor.get(path, params={"format": "png"}), 400, "validation_error")
    error(await supervisor.get("/api/labels/locations/999999"), 404, "not_found")

    # A zone's bins, one per page, in walking order.
    zone = {"zone_id": world.loc("Z-A")}
    response = await supervisor.get("/api/labels/locations", params=zone)
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"] == 'inline; filename="locations-Z-A.pdf"'
    decoded = pages(response.content)
    assert [sorted({s.text for s in symbols}) for _, symbols in decoded] == [
        [f"LOC-A-0{n}"] for n in range(1, 6)
    ]
    zpl = await supervisor.get("/api/labels/locations", params={**zone, "format": "zpl"})
    assert zpl.text.count("^XA") == 5
    assert zpl.text.index("LOC-A-01") < zpl.text.index("LOC-A-05")
    # DOCK-1 has no barcode: nothing to print.
    docks = {"warehouse_id": world.warehouses["W1"], "kind": "dock"}
    error(await supervisor.get("/api/labels/locations", params=docks), 404, "not_found")
    error(
        await supervisor.get("/api/labels/locations", params={"zone_id": world.loc("A-01")}),
        422,
        "invalid_request",
    )
    monkeypatch.setattr(labels_api, "MAX_LABELS", 3)
    details = error(
        await supervisor.get("/api/labels/locations", params=zone), 422, "invalid_request"
    )
    assert details["limit"] == 3
    monkeypatch.undo()

    # Scope: a worker of W1 prints no W2 label; a worker of W2 gets only W2's bins.
    error(
        await worker.get(f"/api/labels/locations/{world.loc('B-01')}"),
        403,
        "warehouse_out_of_scope",
    )
    w2 = {"warehouse_id": world.warehouses["W2"]}
    error(await worker.get("/api/labels/locations", params=w2), 403, "warehouse_out_of_scope")
    worker2 = await login(client, "worker2")
    mine = await worker2.get("/api/labels/locations", params={"format": "zpl"})
    assert mine.status_code == 200, mine.text
    assert mine.text.count("^XA") == 2
    assert "LOC-B-01" in mine.text and "LOC-B-02" in mine.text and "LOC-A-01" not in mine.text


@pytest.mark.anyio
async def test_item_label_endpoint(world, supervisor: Api) -> None:  # type: ignore[no-untyped-def]
    lotted, plain = world.items["LOTTED"], world.items["PLAIN"]
    label = f"/api/labels/items/{lotted}"
    lots = await supervisor.get("/api/lots", params={"item_id": lotted, "lot_number": "L1"})
    expiry = dt.date.fromisoformat(lots.json()["items"][0]["expiry_date"])
    response = await supervisor.get(label, params={"lot_number": "L1", "quantity": 6})
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"] == 'inline; filename="item-LOTTED-L1.pdf"'
    [(_, symbols)] = pages(response.content)
    assert sorted(s.format for s in symbols) == ["gs1_128", "gs1_datamatrix"]
    for symbol in symbols:
        assert elements(symbol) == {"01": "05000112637922", "17": expiry, "10": "L1", "30": 6}
    default = await supervisor.get(f"/api/labels/items/{plain}")
    assert read(default.content) == [("ean13", PLAIN_GTIN)]  # the unit, not the case
    case = await supervisor.get(
        f"/api/labels/items/{plain}", params={"gtin": PLAIN_CASE_GTIN, "format": "zpl"}
    )
    assert f"^FD>;>801{PLAIN_CASE_GTIN}^FS" in case.text
    serial = await supervisor.get(
        f"/api/labels/items/{world.items['SERIAL']}", params={"format": "zpl"}
    )
    assert "^FH^FDSERIAL^FS" in serial.text  # no barcode: the SKU as Code 128

    # Refusals: 4xx with a machine-readable code.
    error(await supervisor.get(label, params={"lot_number": "NOPE"}), 404, "not_found")
    error(await supervisor.get("/api/labels/items/999999"), 404, "not_found")
    details = error(
        await supervisor.get(f"/api/labels/items/{plain}", params={"gtin": "4006381333932"}),
        422,
        "invalid_request",
    )
    assert details["expected_check_digit"] == 1
    error(
        await supervisor.get(f"/api/labels/items/{plain}", params={"gtin": LOTTED_GTIN}),
        422,
        "invalid_request",
    )
    error(await supervisor.get(label, params={"quantity": 0}), 400, "validation_error")
    for bad_lot in ("LOT#7", "L" * 21):
        created = await supervisor.post("/api/lots", {"item_id": lotted, "lot_number": bad_lot})
        assert created.status_code == 201, created.text
        details = error(
            await supervisor.get(label, params={"lot_number": bad_lot}), 422, "invalid_request"
        )
        assert details["field"] == "lot"

    # A Chinese name prints, in the CJK font.
    gtin = gs1.with_check_digit("690123456789")
    created = await supervisor.post(
        "/api/items", {"sku": "YOG-CN", "name": "原味酸奶 1L", "barcodes": [{"code": gtin}]}
    )
    assert created.status_code == 201, created.text
    response = await supervisor.get(f"/api/labels/items/{created.json()['id']}")
    assert response.status_code == 200, response.text
    assert b"WenQuanYiMicroHei" in response.content
    assert "原味酸奶 1L" in page_text(response.content)
    assert read(response.content) == [("ean13", gtin)]


@pytest.mark.anyio
async def test_printed_labels_resolve_through_the_scan_endpoint(world, worker: Api) -> None:  # type: ignore[no-untyped-def]
    async def scan(pdf: bytes) -> list[dict[str, Any]]:
        png = io.BytesIO()
        pdfium.PdfDocument(pdf)[0].render(scale=DPI / 72).to_pil().save(png, format="PNG")
        response = await worker.client.post(
            "/api/scan/decode",
            content=png.getvalue(),
            params={"all": "true"},
            headers={**worker.headers, "Content-Type": "image/png"},
        )
        assert response.status_code == 200, response.text
        return [s["resolution"] for s in response.json()["symbols"]]

    item = await worker.get(
        f"/api/labels/items/{world.items['LOTTED']}", params={"lot_number": "L1", "quantity": 6}
    )
    resolutions = await scan(item.content)
    assert len(resolutions) == 2
    for resolution in resolutions:
        assert resolution["kind"] == "item" and resolution["item"]["sku"] == "LOTTED"
        assert resolution["lot"]["lot_number"] == "L1" and resolution["quantity"] == 6
    location = await worker.get(f"/api/labels/locations/{world.loc('A-02')}")
    resolutions = await scan(location.content)
    assert [r["location"]["code"] for r in resolutions] == ["A-02", "A-02"]


@pytest.mark.anyio
async def test_openapi_documents_the_label_routes(tmp_path: Path, sqlite_template: Path) -> None:
    database = tmp_path / "labels.db"
    shutil.copy(sqlite_template, database)
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{database}",
        secret_key=os.environ["STOCKHAND_SECRET_KEY"],
        seal_in_background=False,
    )
    async with AsyncTestClient(app=create_app(settings)) as client:
        paths = (await client.get("/schema/openapi.json")).json()["paths"]
    for path in (
        "/api/labels/locations",
        "/api/labels/locations/{location_id}",
        "/api/labels/items/{item_id}",
    ):
        responses = paths[path]["get"]["responses"]
        assert set(responses["200"]["content"]) == {"application/pdf", "text/plain"}
        assert {"403", "404", "422", "503"} <= set(responses)
        assert "Content-Disposition" in responses["200"]["headers"]


@pytest.mark.anyio
async def test_sscc_label_response_for_packing() -> None:
    label = sscc_label(GS1_EXAMPLE_SSCC, "Us", ["Them"], "SO-1", 1, 1)
    zpl = await labels_api.sscc_label_response(label, "zpl")
    assert zpl.media_type == "text/plain"
    assert zpl.headers["Content-Disposition"] == (
        f'attachment; filename="sscc-{GS1_EXAMPLE_SSCC}.zpl"'
    )
    assert f">;>800{GS1_EXAMPLE_SSCC}" in zpl.content.decode()
    pdf = await labels_api.sscc_label_response(label)
    assert pdf.media_type == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert pdf.headers["Content-Disposition"] == f'inline; filename="sscc-{GS1_EXAMPLE_SSCC}.pdf"'
