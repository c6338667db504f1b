"""Symbols encoded by zxing-cpp: their size in modules, their dark modules, and module sizes
a 203 dpi thermal printer can print exactly.

The encoder is the one maintained library the scanner side uses too; nothing here computes a
bar pattern by hand.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
import zxingcpp

from backend.domain.errors import InvalidRequest

if TYPE_CHECKING:
    from backend.labels.content import LabelSymbol

DPI = 203
DOT_MM = 25.4 / DPI
# How close a symbol's quiet zone may come to the edge of the label.
EDGE_MM = 1.5
# The narrowest bar a 203 dpi printer draws reliably: two dots, 0.25 mm. (GS1 asks for at
# least 0.495 mm on logistic labels, which the shipping label's style keeps.)
MIN_MODULE_DOTS = 2

_FORMATS = {
    "code128": zxingcpp.BarcodeFormat.Code128,
    "gs1_128": zxingcpp.BarcodeFormat.Code128,
    "gs1_datamatrix": zxingcpp.BarcodeFormat.DataMatrix,
    "ean13": zxingcpp.BarcodeFormat.EAN13,
    "qr": zxingcpp.BarcodeFormat.QRCode,
}


@dataclass(frozen=True, slots=True)
class Geometry:
    """A symbol's size in modules with its quiet zones, and the quiet zone before it."""

    columns: int
    rows: int
    quiet_left: int
    quiet_top: int


def encoder_input(symbol: LabelSymbol) -> str:
    """The text zxing-cpp encodes. GS1 data goes in zint's bracketed form "[01]…[10]…":
    square brackets are outside GS1 character set 82, so a lot holding "(" stays one value."""
    if symbol.is_gs1:
        return "".join(f"[{e.ai}]{e.raw}" for e in symbol.elements)
    return symbol.data


@lru_cache(maxsize=4096)
def encode(symbol: LabelSymbol) -> zxingcpp.Barcode:
    try:
        return zxingcpp.create_barcode(
            encoder_input(symbol), _FORMATS[symbol.symbology], gs1=symbol.is_gs1
        )
    except ValueError as error:
        raise InvalidRequest(
            f"{symbol.data!r} cannot be encoded as {symbol.symbology}: {error}",
            symbology=symbol.symbology,
        ) from error


@lru_cache(maxsize=4096)
def geometry(symbol: LabelSymbol) -> Geometry:
    framed = np.asarray(encode(symbol).to_image(scale=1, add_quiet_zones=True)) < 128
    # A symbol starts with a dark column and row (a bar, the finder pattern), so the first
    # dark module is where the quiet zone ends. Linear symbols have none above or below.
    dark_columns = np.flatnonzero(framed.any(axis=0))
    dark_rows = np.flatnonzero(framed.any(axis=1))
    left = int(dark_columns[0]) if dark_columns.size else 0
    top = int(dark_rows[0]) if dark_rows.size and symbol.is_matrix else 0
    return Geometry(columns=framed.shape[1], rows=framed.shape[0], quiet_left=left, quiet_top=top)


@lru_cache(maxsize=4096)
def modules(symbol: LabelSymbol) -> tuple[tuple[int, int, int, int], ...]:
    """The dark modules of the symbol as rectangles (x, y, width, height) in modules, quiet
    zones included. A linear symbol gives one per bar, of height 1 (the renderer makes it as
    tall as the bars); a matrix symbol one per run of dark modules, runs repeated on the rows
    below merged, so that no seam opens between rows when the drawing is rasterised."""
    framed = np.asarray(encode(symbol).to_image(scale=1, add_quiet_zones=True)) < 128
    rows = framed if symbol.is_matrix else framed[:1]
    done: list[tuple[int, int, int, int]] = []
    open_runs: dict[tuple[int, int], int] = {}  # (x, width) -> first row
    for y, row in enumerate(rows):
        edges = np.flatnonzero(np.diff(np.concatenate(([0], row.astype(np.int8), [0]))))
        runs = {(int(a), int(b - a)) for a, b in zip(edges[::2], edges[1::2], strict=True)}
        for run in [r for r in open_runs if r not in runs]:
            done.append((run[0], open_runs[run], run[1], y - open_runs.pop(run)))
        for run in runs:
            open_runs.setdefault(run, y)
    done.extend((x, top, width, len(rows) - top) for (x, width), top in open_runs.items())
    return tuple(sorted(done, key=lambda r: (r[1], r[0])))


def linear_module(symbol: LabelSymbol, width_mm: float, largest_dots: int) -> float | None:
    """The module width in mm for a linear symbol across a label `width_mm` wide: a whole
    number of printer dots, at most `largest_dots`, quiet zones inside the label; None if
    even the narrowest printable module is too wide."""
    available = width_mm - 2 * EDGE_MM
    fitting = math.floor(available / (geometry(symbol).columns * DOT_MM))
    module_dots = min(largest_dots, fitting)
    return module_dots * DOT_MM if module_dots >= MIN_MODULE_DOTS else None


def fits_across(symbol: LabelSymbol, width_mm: float) -> bool:
    return linear_module(symbol, width_mm, largest_dots=MIN_MODULE_DOTS) is not None
