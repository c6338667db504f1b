"""zxing-cpp adapter: the fastest engine and the only one for DataMatrix, PDF417 and Aztec.

zxingcpp.read_barcodes releases the GIL while it decodes, so calls can run in threads.
"""

from __future__ import annotations

from typing import Any

import zxingcpp as zx

from scanner.geometry import quad
from scanner.imageio import Grey
from scanner.result import Read

F = zx.BarcodeFormat

_REQUEST: dict[str, tuple[Any, ...]] = {
    "ean13": (F.EAN13,),
    "ean8": (F.EAN8,),
    # zxing reports a UPC-A as the EAN-13 it is equal to when both are enabled
    "upca": (F.UPCA, F.EAN13),
    "upce": (F.UPCE,),
    "code128": (F.Code128,),
    "code39": (F.Code39,),
    "code93": (F.Code93,),
    "itf": (F.ITF,),
    "codabar": (F.Codabar,),
    "databar": (F.DataBar,),  # the symbology: omni, stacked, limited and expanded
    "qrcode": (F.QRCode,),
    "datamatrix": (F.DataMatrix,),
    "pdf417": (F.PDF417,),
    "aztec": (F.Aztec,),
}

_EAN_UPC = {"EAN13": "ean13", "ISBN": "ean13", "EAN8": "ean8", "UPCA": "upca", "UPCE": "upce"}
_DATABAR = {"DataBarLtd": "databar_limited", "DataBarExp": "databar_expanded"}
_DATABAR |= {"DataBarExpStk": "databar_expanded"}
_SIMPLE = {
    "Code39": "code39",
    "Code93": "code93",
    "ITF": "itf",
    "Codabar": "codabar",
    "PDF417": "pdf417",
    "Aztec": "aztec",
}
_GS1_FLAVOUR = {"Code128": "gs1_128", "QRCode": "gs1_qrcode", "DataMatrix": "gs1_datamatrix"}
_PLAIN_FLAVOUR = {"Code128": "code128", "QRCode": "qrcode", "DataMatrix": "datamatrix"}


class ZXingEngine:
    name = "zxing"
    bases = frozenset(_REQUEST)

    def read(self, grey: Grey, bases: frozenset[str], *, mode: str = "default") -> list[Read]:
        wanted = tuple(dict.fromkeys(f for b in sorted(bases & self.bases) for f in _REQUEST[b]))
        if not wanted:
            return []
        # "global": a whole-image histogram threshold, which survives glare and blur
        # patterns where the default local-average binarizer breaks bars apart.
        binarizer = zx.Binarizer.GlobalHistogram if mode == "global" else zx.Binarizer.LocalAverage
        found = zx.read_barcodes(grey, formats=zx.BarcodeFormats(list(wanted)), binarizer=binarizer)
        return [r for r in (_to_read(b) for b in found) if r is not None]


def _to_read(b: Any) -> Read | None:
    symbology, specific = b.symbology.name, b.format.name
    is_gs1 = b.content_type == zx.ContentType.GS1
    text: str = b.text
    raw = bytes(b.bytes)
    if symbology == "EANUPC":
        name = _EAN_UPC.get(specific)
        if name == "upce":
            # zxing 3 gives the expanded GTIN-13; keep the 8 digits printed under the bars
            text = str((b.extra or {}).get("UPCE", text))
            raw = text.encode()
    elif symbology == "DataBar":
        name, is_gs1 = _DATABAR.get(specific, "databar"), True
    elif symbology in _GS1_FLAVOUR:
        name = _GS1_FLAVOUR[symbology] if is_gs1 else _PLAIN_FLAVOUR[symbology]
    else:
        name = _SIMPLE.get(symbology)
    if name is None:
        return None
    p = b.position
    corners = quad(
        [
            (p.top_left.x, p.top_left.y),
            (p.top_right.x, p.top_right.y),
            (p.bottom_right.x, p.bottom_right.y),
            (p.bottom_left.x, p.bottom_left.y),
        ]
    )
    return Read(name, text, raw, corners, is_gs1, b.symbology_identifier or None)


ENGINE = ZXingEngine()
