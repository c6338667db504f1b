"""Labels as a PDF with fpdf2: one label per page, the page the size of the label.

Symbols are zxing-cpp's module matrices drawn as filled rectangles: vector bars with the same
geometry as its SVG output but about five times faster to embed than having fpdf2 parse the
SVG paths (a zone of 2000 bins prints in seconds), quiet zones left blank, module sizes in
whole dots of a 203 dpi printer so a label printer scales nothing. Text is set
in DejaVu Sans; characters it lacks (Chinese item and customer names) come from WenQuanYi
Micro Hei, which is loaded only when a label needs it. Without DejaVu the CJK font sets
everything; without either, fpdf's core Helvetica prints Latin-1 text and anything else is
refused with a clear error.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import structlog
from fpdf import FPDF
from fpdf.fonts import TTFFont

from backend.domain.errors import DomainError
from backend.labels import symbols
from backend.labels.content import Label
from backend.labels.layout import SymbolBox, layout

log = structlog.get_logger("stockhand.labels")
# fontTools reports every step of font subsetting at INFO level; one PDF would log dozens.
logging.getLogger("fontTools").setLevel(logging.WARNING)

FONT_DIR = Path("/usr/share/fonts/truetype")
PT_PER_MM = 72 / 25.4


class FontUnavailable(DomainError):
    """The server lacks a font for some of the text; installing the font fixes it."""

    code = "label_font_missing"
    status_code = 503


@dataclass(frozen=True, slots=True)
class Fonts:
    regular: Path | None = FONT_DIR / "dejavu" / "DejaVuSans.ttf"
    bold: Path | None = FONT_DIR / "dejavu" / "DejaVuSans-Bold.ttf"
    # A TrueType collection: `cjk_index` picks the face (0 = WenQuanYi Micro Hei).
    cjk: Path | None = FONT_DIR / "wqy" / "wqy-microhei.ttc"
    cjk_index: int = 0


DEFAULT_FONTS = Fonts()


def _glyphs(pdf: FPDF, family: str) -> set[int]:
    font = pdf.fonts[family]
    return set(font.cmap) if isinstance(font, TTFFont) else set(range(256))


def _present(path: Path | None) -> Path | None:
    return path if path is not None and path.is_file() else None


class _Typeface:
    """The fonts one document uses, chosen from the files present and the text to print."""

    def __init__(self, pdf: FPDF, fonts: Fonts, texts: Iterable[str]) -> None:
        self.pdf = pdf
        chars = {c for text in texts for c in text if not c.isspace()}
        regular, bold, cjk = _present(fonts.regular), _present(fonts.bold), _present(fonts.cjk)
        self.bold_style = ""
        self.covered: set[int] | None = None  # None: the core font, Latin-1 only
        self.fallback: set[int] = set()
        if regular is not None:
            self.family = "sans"
            pdf.add_font(self.family, "", str(regular))
            if bold is not None:
                pdf.add_font(self.family, "B", str(bold))
                self.bold_style = "B"
            self.covered = _glyphs(pdf, self.family)
            missing = {c for c in chars if ord(c) not in self.covered}
            if missing and cjk is not None:
                pdf.add_font("cjk", "", str(cjk), collection_font_number=fonts.cjk_index)
                pdf.set_fallback_fonts(["cjk"], exact_match=False)
                self.fallback = _glyphs(pdf, "cjk")
                missing = {c for c in missing if ord(c) not in self.fallback}
            elif missing:
                self._refuse(missing, fonts.cjk)
        elif cjk is not None:
            self.family = "cjk"
            pdf.add_font(self.family, "", str(cjk), collection_font_number=fonts.cjk_index)
            self.covered = _glyphs(pdf, self.family)
            missing = {c for c in chars if ord(c) not in self.covered}
        else:
            self.family = "helvetica"
            self.bold_style = "B"
            missing = {c for c in chars if ord(c) > 0xFF}
            if missing:
                self._refuse(missing, fonts.regular)
        # What no installed font has (an emoji, say) prints as "?", not as an empty box.
        self.unprintable = missing - {c for c in missing if self._printable(c)}
        if self.unprintable:
            log.warning("label_glyphs_missing", characters="".join(sorted(self.unprintable)))

    def _printable(self, char: str) -> bool:
        code = ord(char)
        return self.covered is not None and (code in self.covered or code in self.fallback)

    @staticmethod
    def _refuse(missing: set[str], font: Path | None) -> None:
        sample = "".join(sorted(missing)[:10])
        raise FontUnavailable(
            f"the server has no font for {sample!r}: install DejaVu Sans and WenQuanYi Micro "
            "Hei (Debian packages fonts-dejavu-core and fonts-wqy-microhei)",
            characters=sample,
            font=str(font) if font else None,
        )

    def clean(self, text: str) -> str:
        return "".join("?" if c in self.unprintable else c for c in text)

    def use(self, size_mm: float, bold: bool) -> None:
        self.pdf.set_font(self.family, self.bold_style if bold else "", size_mm * PT_PER_MM)

    def measure(self, text: str, size_mm: float, bold: bool) -> float:
        self.use(size_mm, bold)
        text = self.clean(text)
        if self.covered is None:
            return float(self.pdf.get_string_width(text))
        own = "".join(c for c in text if ord(c) in self.covered)
        # Fallback glyphs are CJK ideographs, one em wide.
        return float(self.pdf.get_string_width(own)) + size_mm * (len(text) - len(own))


def render_pdf(
    labels: Label | Sequence[Label], *, fonts: Fonts = DEFAULT_FONTS, title: str = "Labels"
) -> bytes:
    """A PDF with one page per label, each page the size of its label."""
    batch = [labels] if isinstance(labels, Label) else list(labels)
    if not batch:
        raise ValueError("no labels to render")
    pdf = FPDF(unit="mm", format=(batch[0].width_mm, batch[0].height_mm))
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    pdf.c_margin = 0
    pdf.set_creator("Stockhand")
    pdf.set_title(title)
    typeface = _Typeface(pdf, fonts, (text for label in batch for text in label.texts()))
    for label in batch:
        _page(pdf, typeface, label)
    return bytes(pdf.output())


def _symbol(pdf: FPDF, box: SymbolBox) -> None:
    """zxing-cpp's modules as filled rectangles: vector bars, quiet zones left white."""
    module = box.module
    for x, y, width, height in symbols.modules(box.symbol):
        if box.symbol.is_matrix:
            pdf.rect(box.x + x * module, box.y + y * module, width * module, height * module, "F")
        else:
            pdf.rect(box.x + x * module, box.y, width * module, box.height, "F")


def _page(pdf: FPDF, typeface: _Typeface, label: Label) -> None:
    pdf.add_page(format=(label.width_mm, label.height_mm))
    placed = layout(label, typeface.measure)
    pdf.set_fill_color(0)
    for box in placed.symbols:
        _symbol(pdf, box)
    for text in placed.texts:
        typeface.use(text.size, text.bold)
        # fpdf2 2.8.9 wraps a line set partly in the fallback font in q/Q but still believes
        # the font it chose last is active, so the next line in the same font would be set in
        # whatever the Q restored: make it select the font again.
        pdf.current_font_is_set_on_page = False
        pdf.set_xy(text.x, text.y)
        pdf.cell(w=text.width, h=text.height, text=typeface.clean(text.text), align=text.align)
