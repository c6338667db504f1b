"""The fallback ladder: what it adds over one engine, and how it keeps its answers clean."""

from __future__ import annotations

import contextlib

import cv2
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import scanner
from scanner import DecodeOptions, ScannerError, pipeline, preprocess
from scanner.result import Read
from tests.scanner.conftest import MakeFrame, centre, inside, jpeg

ZXING_ALONE = DecodeOptions(engines=("zxing",), fallbacks=False)


def turned(frame: np.ndarray, degrees: float) -> tuple[np.ndarray, np.ndarray]:
    h, w = frame.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    return cv2.warpAffine(frame, m, (w, h), borderMode=cv2.BORDER_REPLICATE), m


def test_fallbacks_read_a_diagonal_barcode_and_map_its_corners_back(make_frame: MakeFrame) -> None:
    # linear readers scan rows and columns: at 45° zxing-cpp alone finds nothing
    frame, (placed,) = make_frame(["code128"], size=(1280, 720), centres=[(0.5, 0.5)])
    diagonal, m = turned(frame, 45)
    truth = cv2.transform(np.array([placed.corners], np.float32), m)[0]
    assert scanner.decode(diagonal, options=ZXING_ALONE) == []
    (symbol,) = scanner.decode(jpeg(diagonal))
    assert (symbol.format, symbol.text) == ("code128", placed.content.expected)
    assert symbol.variant != "original"
    assert inside(tuple(map(tuple, truth)), centre(symbol.corners))
    # the reading direction survives the round trip: top-left -> top-right runs at ~45°
    (x0, y0), (x1, y1) = symbol.corners[0], symbol.corners[1]
    angle = np.degrees(np.arctan2(y1 - y0, x1 - x0))
    assert (
        min(abs(angle - 45), abs(angle + 135)) < 15 or min(abs(angle + 45), abs(angle - 135)) < 15
    )


def test_without_fallbacks_or_budget_the_ladder_is_skipped(make_frame: MakeFrame) -> None:
    frame, _ = make_frame(["code39"], size=(1280, 720), centres=[(0.5, 0.5)])
    diagonal, _ = turned(frame, 45)
    assert scanner.decode(diagonal, options=DecodeOptions(fallbacks=False)) == []
    tiny_budget = DecodeOptions(budget_ms=0.001)
    assert scanner.decode(diagonal, options=tiny_budget) == []


def test_opencv_linear_reads_need_a_second_opinion(make_frame: MakeFrame) -> None:
    frame, (placed,) = make_frame(["code39"], size=(1280, 720), centres=[(0.5, 0.5)])
    grey = np.asarray(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY), dtype=np.uint8)
    variant = preprocess.Variant("original", grey)
    box = placed.corners
    corners = (box[0], box[1], box[2], box[3])
    bogus = Read("ean8", "96385074", b"96385074", corners)
    assert not pipeline._confirmed(bogus, variant)
    frame, (placed,) = make_frame(["ean8"], size=(1280, 720), centres=[(0.5, 0.5)])
    grey = np.asarray(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY), dtype=np.uint8)
    box = placed.corners
    real = Read("ean8", placed.content.expected, b"", (box[0], box[1], box[2], box[3]))
    assert pipeline._confirmed(real, preprocess.Variant("original", grey))


def test_fragments_of_a_read_are_dropped() -> None:
    found = pipeline._Found(None)
    box = ((10.0, 10.0), (300.0, 10.0), (300.0, 80.0), (10.0, 80.0))
    part = ((10.0, 10.0), (150.0, 10.0), (150.0, 80.0), (10.0, 80.0))
    whole = Read("itf", "00012345678905", b"00012345678905", box)
    piece = Read("itf", "12345678", b"12345678", part)
    found.add([piece, whole], "zbar", preprocess.Variant("original", np.zeros((1, 1), np.uint8)))
    assert [(s.format, s.text) for s in found.symbols] == [("itf14", "00012345678905")]
    # the same code again from another engine adds nothing
    found.add([whole], "zxing", preprocess.Variant("original", np.zeros((1, 1), np.uint8)))
    assert len(found.symbols) == 1


def test_reads_that_fail_their_check_digit_are_dropped() -> None:
    found = pipeline._Found(None)
    box = ((0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0))
    variant = preprocess.Variant("original", np.zeros((1, 1), np.uint8))
    found.add([Read("ean13", "5901234123458", b"", box)], "opencv", variant)
    assert found.symbols == []


def test_gs1_data_breaking_the_rules_keeps_the_read_and_says_why() -> None:
    box = ((0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0))
    variant = preprocess.Variant("original", np.zeros((1, 1), np.uint8))
    raw = b"0109506000134351"  # wrong GTIN check digit
    symbol = pipeline.to_symbol(Read("gs1_128", "x", raw, box, True, "]C1"), "zxing", variant, None)
    assert symbol is not None and symbol.gs1 is None
    assert symbol.gs1_error is not None and "AI (01)" in symbol.gs1_error


@settings(max_examples=60, deadline=None)
@given(
    st.one_of(
        st.binary(max_size=300),
        st.binary(max_size=300).map(lambda b: b"\xff\xd8\xff\xe0" + b),
        st.binary(max_size=300).map(lambda b: b"\x89PNG\r\n\x1a\n" + b),
    )
)
def test_any_bytes_raise_only_scanner_errors(data: bytes) -> None:
    with contextlib.suppress(ScannerError):
        assert scanner.decode(data) == []
