"""What the scanner returns, and what an engine hands to the pipeline."""

from __future__ import annotations

from dataclasses import dataclass

from scanner.gs1 import Element

Point = tuple[int, int]
PointF = tuple[float, float]


@dataclass(frozen=True, slots=True)
class Symbol:
    """One decoded barcode.

    `corners` are top-left, top-right, bottom-right, bottom-left in pixels of the image
    passed to `decode`, in the symbol's own reading direction. For GS1 data `text` is the
    bracketed form "(01)…(10)…" and `gs1` its parsed element strings; if the data claims to
    be GS1 but breaks the rules, `gs1` is None and `gs1_error` says why.
    """

    format: str
    text: str
    raw: bytes
    corners: tuple[Point, Point, Point, Point]
    engine: str
    gs1: tuple[Element, ...] | None = None
    gs1_error: str | None = None
    symbology_id: str | None = None
    variant: str = "original"


@dataclass(frozen=True, slots=True)
class Read:
    """An engine's raw finding, in the coordinates of the (pre-processed) image it saw."""

    format: str  # a name from scanner.formats, before canonicalisation
    text: str
    raw: bytes
    corners: tuple[PointF, PointF, PointF, PointF]
    is_gs1: bool = False
    symbology_id: str | None = None
