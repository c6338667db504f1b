"""decode() on generated photos of every format, every input kind and the options."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date

import cv2
import numpy as np
import pytest

import scanner
from scanner import DecodeOptions, InvalidOptions, synth
from tests.scanner.conftest import MakeFrame, centre, inside, jpeg


@pytest.mark.parametrize("name", synth.FORMATS)
def test_every_format_from_jpeg_bytes(make_frame: MakeFrame, name: str) -> None:
    frame, (placed,) = make_frame([name])
    symbols = scanner.decode(jpeg(frame))
    assert [(s.format, s.text) for s in symbols] == [(name, placed.content.expected)]
    (symbol,) = symbols
    assert inside(placed.corners, centre(symbol.corners))
    assert symbol.engine == "zxing"  # the fastest engine reads easy frames on its own
    if placed.content.gs1:
        assert symbol.gs1 is not None and symbol.gs1_error is None
        assert scanner.gs1.to_hri(symbol.gs1) == symbol.text
    else:
        assert symbol.gs1 is None


def test_gs1_fields_are_typed(make_frame: MakeFrame) -> None:
    frame, _ = make_frame(["gs1_datamatrix"])
    (symbol,) = scanner.decode(frame)
    assert symbol.format == "gs1_datamatrix" and symbol.symbology_id == "]d2"
    assert symbol.gs1 is not None
    fields = {e.ai: e for e in symbol.gs1}
    assert set(fields) == {"01", "17", "10", "21"}
    assert fields["01"].title == "GTIN" and scanner.gs1.is_valid_key(str(fields["01"].value))
    assert isinstance(fields["17"].value, date)
    assert b"\x1d" in symbol.raw  # variable-length lot then serial: separated by GS


def test_every_input_kind_gives_the_same_read(make_frame: MakeFrame) -> None:
    frame, (placed,) = make_frame(["qrcode"])
    grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    inputs: list[object] = [
        frame,
        grey,
        grey[:, :, None],
        cv2.cvtColor(frame, cv2.COLOR_BGR2BGRA),
        np.ascontiguousarray(frame[::1, ::1]),
        frame[:, :, :],  # a view
        jpeg(frame),
        cv2.imencode(".png", frame)[1].tobytes(),
        cv2.imencode(".webp", frame)[1].tobytes(),
    ]
    for image in inputs:
        assert [s.text for s in scanner.decode(image)] == [placed.content.expected]


def test_first_read_or_all_symbols(make_frame: MakeFrame) -> None:
    names = ["ean13", "qrcode", "code128"]
    frame, placed = make_frame(
        names, size=(1280, 720), centres=[(0.2, 0.3), (0.75, 0.3), (0.5, 0.78)]
    )
    assert len(scanner.decode(frame)) == 1
    symbols = scanner.decode(frame, all_symbols=True)
    assert sorted((s.format, s.text) for s in symbols) == sorted(
        (n, p.content.expected) for n, p in zip(names, placed, strict=True)
    )
    for p in placed:
        assert any(inside(p.corners, centre(s.corners)) for s in symbols)


def test_all_symbols_merges_engines_but_keeps_twin_labels(make_frame: MakeFrame) -> None:
    frame, (placed,) = make_frame(["qrcode"], size=(1280, 720), centres=[(0.3, 0.5)])
    # every engine reads this QR code; all_symbols runs them all and keeps one symbol
    for engine in ("zxing", "zbar", "opencv"):
        only = scanner.decode(frame, options=DecodeOptions(engines=(engine,)))
        assert [s.text for s in only] == [placed.content.expected], engine
    (symbol,) = scanner.decode(frame, all_symbols=True)
    assert symbol.engine == "zxing"
    # the same label twice in one frame is two symbols: same text, different places
    twin = frame.copy()
    x0, y0, x1, y1 = _bounds(placed.corners, pad=30)
    twin[y0:y1, x0 + 640 : x1 + 640] = frame[y0:y1, x0:x1]
    symbols = scanner.decode(twin, all_symbols=True)
    assert [s.text for s in symbols] == [placed.content.expected] * 2
    assert abs(centre(symbols[0].corners)[0] - centre(symbols[1].corners)[0]) > 500


def _bounds(corners: tuple[tuple[float, float], ...], pad: int) -> tuple[int, int, int, int]:
    xs, ys = [c[0] for c in corners], [c[1] for c in corners]
    return int(min(xs)) - pad, int(min(ys)) - pad, int(max(xs)) + pad, int(max(ys)) + pad


def test_formats_filter(make_frame: MakeFrame) -> None:
    names = ["ean13", "qrcode", "gs1_128"]
    frame, placed = make_frame(
        names, size=(1280, 720), centres=[(0.2, 0.3), (0.75, 0.3), (0.5, 0.78)]
    )
    expected = {n: p.content.expected for n, p in zip(names, placed, strict=True)}

    def read(formats: set[str]) -> list[tuple[str, str]]:
        return [
            (s.format, s.text) for s in scanner.decode(frame, formats=formats, all_symbols=True)
        ]

    assert read({"qrcode"}) == [("qrcode", expected["qrcode"])]
    assert read({"ean13"}) == [("ean13", expected["ean13"])]
    # a family name includes its GS1 flavour, the GS1 name excludes plain Code 128
    assert read({"code128"}) == [("gs1_128", expected["gs1_128"])]
    assert read({"GS1-128"}) == [("gs1_128", expected["gs1_128"])]
    assert read({"datamatrix", "pdf417"}) == []
    assert sorted(read({"qrcode", "ean13"})) == sorted(
        [("qrcode", expected["qrcode"]), ("ean13", expected["ean13"])]
    )


def test_upca_unless_only_ean13_is_asked_for(make_frame: MakeFrame) -> None:
    frame, (placed,) = make_frame(["upca"])
    upc = placed.content.expected
    assert [(s.format, s.text) for s in scanner.decode(frame)] == [("upca", upc)]
    assert [(s.format, s.text) for s in scanner.decode(frame, formats=["ean13"])] == [
        ("ean13", "0" + upc)
    ]


@pytest.mark.parametrize(
    "kwargs",
    [{"formats": ["ean14"]}, {"formats": []}, {"options": "fast"}],
)
def test_bad_options(kwargs: dict[str, object]) -> None:
    with pytest.raises((InvalidOptions, AttributeError)):
        scanner.decode(np.zeros((10, 10), np.uint8), **kwargs)  # type: ignore[arg-type]


def test_bad_option_values() -> None:
    with pytest.raises(InvalidOptions):
        DecodeOptions(engines=("tesseract",))
    with pytest.raises(InvalidOptions):
        DecodeOptions(budget_ms=0)


def test_nothing_to_read() -> None:
    rng = np.random.default_rng(3)
    assert scanner.decode(synth.background(rng, 640, 360)) == []
    assert scanner.decode(np.full((50, 50), 255, np.uint8)) == []


def test_decodes_concurrently_in_threads(make_frame: MakeFrame) -> None:
    frames = [make_frame([n]) for n in ("ean13", "datamatrix", "code39", "pdf417")]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda fp: scanner.decode(fp[0]), frames * 2))
    expected = [[p.content.expected] for _, (p,) in frames] * 2
    assert [[s.text for s in r] for r in results] == expected


@pytest.mark.parametrize("shape", [(1, 1), (2, 9), (1, 3000), (3000, 1), (16, 4000), (17, 17)])
def test_tiny_and_thin_frames(shape: tuple[int, int]) -> None:
    for value in (0, 128, 255):
        assert scanner.decode(np.full(shape, value, np.uint8)) == []
