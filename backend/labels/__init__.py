"""Printable labels: what they carry (`content`), where it goes (`layout`) and how it is sent
to a printer, as ZPL II for Zebra printers (`zpl`) or as a PDF (`pdf`)."""

from backend.labels.content import (
    Label,
    LabelSymbol,
    item_label,
    location_label,
    sscc,
    sscc_label,
)
from backend.labels.pdf import Fonts, FontUnavailable, render_pdf
from backend.labels.zpl import render_zpl

__all__ = [
    "FontUnavailable",
    "Fonts",
    "Label",
    "LabelSymbol",
    "item_label",
    "location_label",
    "render_pdf",
    "render_zpl",
    "sscc",
    "sscc_label",
]
