"""Labels as ZPL II for Zebra printers at 203 dpi (8 dots per mm).

The printer draws the barcodes itself from the data (^BC Code 128 and GS1-128, ^BX GS1
DataMatrix, ^BE EAN-13, ^BQ QR code); positions and module widths come from the same layout
as the PDF. Text is UTF-8 (^CI28) in the printer's scalable font 0; lines with CJK characters
use a downloaded font (`cjk_font`, e.g. Zebra's simplified-Chinese Andale, E:ANMDS.TTF).

Escaping: ^FH turns on hex escapes so that "^", "~" and "_" in data are written as _5E, _7E
and _5F and can never end a field or start a command. In Code 128 data ">" starts an
invocation code, so a literal ">" is ">0"; GS1-128 starts with ">;>8" (start C, FNC1) and has
">8" (FNC1) after each variable-length field. GS1 DataMatrix uses "_" as its escape
character: "_1" is FNC1 (first, and after each variable-length field), "__" a literal
underscore; its field takes hex escapes with "\\" instead so the two never meet.
"""

from __future__ import annotations

from collections.abc import Sequence

from backend.labels import symbols
from backend.labels.content import Label, LabelSymbol
from backend.labels.layout import SymbolBox, TextBox, is_wide, layout
from scanner import gs1

DEFAULT_CJK_FONT = "E:ANMDS.TTF"
# Average advance of font 0 (a condensed sans) per character height; wide characters are
# square. Only used to shrink or shorten lines that would run off the label.
NARROW_ADVANCE = 0.6


def dots(mm: float) -> int:
    return max(0, round(mm / symbols.DOT_MM))


def measure(text: str, size_mm: float, bold: bool) -> float:
    return size_mm * sum(1.0 if is_wide(c) else NARROW_ADVANCE for c in text)


def hex_escape(text: str, indicator: str = "_") -> str:
    """Field data for ^FH: the indicator and the characters ZPL treats as commands in hex."""
    special = {indicator, "^", "~"}
    return "".join(f"{indicator}{ord(c):02X}" if c in special else c for c in text)


def code128_data(text: str) -> str:
    return hex_escape(text).replace(">", ">0")


def gs1_128_data(elements: Sequence[gs1.Element]) -> str:
    parts = [">;>8"]
    for i, element in enumerate(elements):
        parts.append(element.ai + code128_data(element.raw))
        if i < len(elements) - 1 and element.ai[:2] not in gs1.PREDEFINED_LENGTH:
            parts.append(">8")
    return "".join(parts)


def datamatrix_data(elements: Sequence[gs1.Element]) -> str:
    parts = ["_1"]
    for i, element in enumerate(elements):
        parts.append(element.ai + hex_escape(element.raw.replace("_", "__"), "\\"))
        if i < len(elements) - 1 and element.ai[:2] not in gs1.PREDEFINED_LENGTH:
            parts.append("_1")
    return "".join(parts)


def _symbol(box: SymbolBox) -> str:
    symbol: LabelSymbol = box.symbol
    origin = f"^FO{dots(box.bars_x)},{dots(box.bars_y)}"
    module, height = dots(box.module), dots(box.height)
    if symbol.symbology in ("code128", "gs1_128"):
        # Mode A: the printer chooses the code sets and switches to set C for digit runs.
        data = code128_data(symbol.data) if not symbol.is_gs1 else gs1_128_data(symbol.elements)
        return f"{origin}^BY{module},3,{height}^BCN,{height},N,N,N,A^FH^FD{data}^FS"
    if symbol.symbology == "ean13":
        # ^BE takes the 12 data digits and prints the check digit it computes.
        return f"{origin}^BY{module},3,{height}^BEN,{height},N,N^FD{symbol.data[:12]}^FS"
    if symbol.symbology == "gs1_datamatrix":
        data = datamatrix_data(symbol.elements)
        return f"{origin}^BXN,{module},200,,,,_^FH\\^FD{data}^FS"
    # QR code, model 2, error correction M, automatic data mode.
    return f"{origin}^BQN,2,{module}^FH^FDMA,{hex_escape(symbol.data)}^FS"


def _text(box: TextBox, cjk_font: str) -> str:
    size = dots(box.size)
    top = dots(box.y + (box.height - box.size) / 2)
    font = (
        f"^A@N,{size},{size},{cjk_font}"
        if any(is_wide(c) for c in box.text)
        else (f"^A0N,{size},{size}")
    )
    block = f"^FB{dots(box.width)},1,0,{box.align},0"
    return f"^FO{dots(box.x)},{top}{font}{block}^FH^FD{hex_escape(box.text)}^FS"


def label_zpl(label: Label, *, cjk_font: str = DEFAULT_CJK_FONT) -> str:
    placed = layout(label, measure)
    commands = [
        "^XA",
        "^CI28",
        f"^PW{dots(label.width_mm)}",
        f"^LL{dots(label.height_mm)}",
        "^LH0,0",
        *(_symbol(box) for box in placed.symbols),
        *(_text(box, cjk_font) for box in placed.texts),
        "^PQ1",
        "^XZ",
    ]
    return "\n".join(commands) + "\n"


def render_zpl(labels: Label | Sequence[Label], *, cjk_font: str = DEFAULT_CJK_FONT) -> str:
    """ZPL II for one label or many, one ^XA…^XZ format per label."""
    batch = [labels] if isinstance(labels, Label) else list(labels)
    return "".join(label_zpl(label, cjk_font=cjk_font) for label in batch)
