"""Where things go on a label, in millimetres from the top-left corner; shared by the PDF and
ZPL renderers so both print the same label.

Matrix symbols (DataMatrix, QR) sit in the top-right corner, linear symbols across the bottom
with their human-readable line under them, and the text fills the top-left: title lines in
bold, then the other lines. Text shrinks to fit its width, then is shortened with "...".
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from backend.domain.errors import InvalidRequest
from backend.labels import symbols
from backend.labels.content import Label, LabelSymbol

# width_mm(text, size_mm, bold): how wide the renderer's font sets `text`.
Measure = Callable[[str, float, bool], float]
Align = Literal["L", "C"]

LINE_SPACING = 1.2
ELLIPSIS = "..."


@dataclass(frozen=True, slots=True)
class Style:
    margin: float
    title: float  # em size of title lines, mm
    line: float  # em size of the other lines, mm
    hri: float  # em size of the text under a linear symbol, mm
    bar_height: float  # height of one linear symbol, mm
    split_bar_height: float  # height of each when there are two or more
    linear_dots: int  # the widest module a linear symbol gets, in printer dots
    matrix_dots: int  # module of DataMatrix and QR, in printer dots
    gap: float = 1.5


STYLES: dict[str, Style] = {
    # The bin code is read from a forklift: big type.
    "location": Style(
        margin=3, title=14, line=4.5, hri=3.2, bar_height=13, split_bar_height=9,
        linear_dots=4, matrix_dots=5,
    ),
    "item": Style(
        margin=3, title=6, line=4, hri=2.8, bar_height=14, split_bar_height=7.5,
        linear_dots=3, matrix_dots=4,
    ),
    # GS1 logistic label: SSCC bars at least 32 mm high, X-dimension 0.495 mm or more.
    "sscc": Style(
        margin=4, title=7, line=5, hri=4.5, bar_height=32, split_bar_height=20,
        linear_dots=6, matrix_dots=6,
    ),
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class TextBox:
    x: float
    y: float  # top of the line box
    width: float
    height: float  # the line box: size x LINE_SPACING
    size: float  # em size in mm
    text: str
    bold: bool
    align: Align


@dataclass(frozen=True, slots=True)
class SymbolBox:
    symbol: LabelSymbol
    x: float  # top-left of the symbol with its quiet zones
    y: float
    width: float
    height: float
    module: float
    quiet_left: float  # quiet zone before the first bar, mm
    quiet_top: float  # quiet zone above the first row of a matrix symbol, mm

    @property
    def bars_x(self) -> float:
        return self.x + self.quiet_left

    @property
    def bars_y(self) -> float:
        return self.y + self.quiet_top


@dataclass(frozen=True, slots=True)
class Layout:
    width: float
    height: float
    texts: tuple[TextBox, ...]
    symbols: tuple[SymbolBox, ...]


def is_wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in ("W", "F")


def _fit(text: str, size: float, width: float, bold: bool, measure: Measure) -> tuple[str, float]:
    """Shrink to at most 30 % smaller, then cut the end off with an ellipsis."""
    smallest = size * 0.7
    while measure(text, size, bold) > width and size > smallest:
        size = max(smallest, size * 0.92)
    if measure(text, size, bold) <= width:
        return text, size
    while text and measure(text + ELLIPSIS, size, bold) > width:
        text = text[:-1]
    return text.rstrip() + ELLIPSIS, size


def layout(label: Label, measure: Measure) -> Layout:
    style = STYLES[label.kind]
    width, height, margin = label.width_mm, label.height_mm, style.margin
    placed: list[SymbolBox] = []
    texts: list[TextBox] = []

    # Matrix symbols: top-right, one under the other.
    matrix_left, y = width - margin, margin
    for symbol in (s for s in label.symbols if s.is_matrix):
        shape = symbols.geometry(symbol)
        module = style.matrix_dots * symbols.DOT_MM
        box_width, box_height = shape.columns * module, shape.rows * module
        x = width - margin - box_width
        placed.append(
            SymbolBox(
                symbol, x, y, box_width, box_height, module,
                shape.quiet_left * module, shape.quiet_top * module,
            )
        )  # fmt: skip
        matrix_left = min(matrix_left, x - style.gap)
        y += box_height + style.gap
    matrix_bottom = y

    # Linear symbols: across the bottom, the last one lowest.
    linear = [s for s in label.symbols if not s.is_matrix]
    bar_height = style.bar_height if len(linear) < 2 else style.split_bar_height
    y = height - margin
    for symbol in reversed(linear):
        shape = symbols.geometry(symbol)
        fitted = symbols.linear_module(symbol, width, style.linear_dots)
        if fitted is None:
            raise InvalidRequest(
                f"{symbol.data} is too long to print as {symbol.symbology} on this label",
                symbology=symbol.symbology,
            )
        module, hri_height = fitted, style.hri * LINE_SPACING
        y -= hri_height
        texts.append(
            TextBox(margin, y, width - 2 * margin, hri_height, style.hri, symbol.data, False, "C")
        )
        y -= bar_height
        box_width = shape.columns * module
        placed.append(
            SymbolBox(
                symbol, (width - box_width) / 2, y, box_width, bar_height, module,
                shape.quiet_left * module, 0.0,
            )
        )  # fmt: skip
        y -= style.gap
    linear_top = y
    if placed and matrix_bottom - style.gap > linear_top + 1e-6 and len(placed) > len(linear):
        raise InvalidRequest("the symbols of this label do not fit on it together")

    # Text: the title, then the lines, left of the matrix symbols while beside them. When it
    # runs into the linear symbols everything is set a little smaller.
    for scale in (1.0, 0.9, 0.8, 0.7):
        lines = _text_block(label, style, measure, scale, matrix_left, matrix_bottom)
        if not lines or lines[-1].y + lines[-1].height <= linear_top + 1e-6:
            texts.extend(lines)
            return Layout(width, height, tuple(texts), tuple(placed))
    raise InvalidRequest("the text of this label does not fit on it; shorten it")


def _text_block(
    label: Label,
    style: Style,
    measure: Measure,
    scale: float,
    matrix_left: float,
    matrix_bottom: float,
) -> list[TextBox]:
    margin, y = style.margin, style.margin
    boxes = []
    for text, size, bold in [
        *((t, style.title * scale, True) for t in label.title),
        *((t, style.line * scale, False) for t in label.lines),
    ]:
        right = matrix_left if y < matrix_bottom else label.width_mm - margin
        fitted, fitted_size = _fit(text, size, right - margin, bold, measure)
        line_height = fitted_size * LINE_SPACING
        boxes.append(
            TextBox(margin, y, right - margin, line_height, fitted_size, fitted, bold, "L")
        )
        y += line_height
    return boxes
