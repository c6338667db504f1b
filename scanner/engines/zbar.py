"""ZBar adapter through pyzbar's ctypes bindings (needs the system libzbar0).

pyzbar.decode hides the GS1 flag (FNC1 in first position), takes only the first channel
of a colour array and copies the pixels, so this drives the same C calls directly and asks
libzbar for the symbol modifiers as well. ctypes releases the GIL during zbar_scan_image.
"""

from __future__ import annotations

import ctypes

import numpy as np
from pyzbar import wrapper as zw

from scanner.geometry import box_around
from scanner.imageio import Grey
from scanner.result import Read

S = zw.ZBarSymbol

_SYMBOLS: dict[str, tuple[int, ...]] = {
    "ean13": (S.EAN13,),
    "ean8": (S.EAN8,),
    "upca": (S.UPCA,),
    "upce": (S.UPCE,),
    "code128": (S.CODE128,),
    "code39": (S.CODE39,),
    "code93": (S.CODE93,),
    "itf": (S.I25,),
    "codabar": (S.CODABAR,),
    "databar": (S.DATABAR, S.DATABAR_EXP),
    "qrcode": (S.QRCODE,),
}
# ZBar's PDF417 decoder is unfinished (it finds no data), so it is left out.

_NAMES: dict[int, str] = {
    S.EAN13: "ean13",
    S.EAN8: "ean8",
    S.UPCA: "upca",
    S.UPCE: "upce",
    S.CODE128: "code128",
    S.CODE39: "code39",
    S.CODE93: "code93",
    S.I25: "itf",
    S.CODABAR: "codabar",
    S.DATABAR: "databar",
    S.DATABAR_EXP: "databar_expanded",
    S.QRCODE: "qrcode",
}
_GS1_FLAVOUR = {"code128": "gs1_128", "qrcode": "gs1_qrcode"}
# ISO/IEC 15424 identifiers of the GS1 flavours (ZBar does not report them)
_SYMBOLOGY_ID = {"gs1_128": "]C1", "gs1_qrcode": "]Q3", "databar": "]e0", "databar_expanded": "]e0"}
_MOD_GS1 = 1 << 0  # zbar_modifier_t ZBAR_MOD_GS1
_Y800 = 0x30303859  # fourcc 'Y800': 8-bit grey
_ORIENTATION_DEG = {0: 0.0, 1: 90.0, 2: 180.0, 3: 270.0}  # UP, RIGHT, DOWN, LEFT

_get_modifiers = zw.zbar_function(
    "zbar_symbol_get_modifiers", ctypes.c_uint, ctypes.POINTER(zw.zbar_symbol)
)
_get_orientation = zw.zbar_function(
    "zbar_symbol_get_orientation", ctypes.c_int, ctypes.POINTER(zw.zbar_symbol)
)


class ZBarEngine:
    name = "zbar"
    bases = frozenset(_SYMBOLS)

    def read(self, grey: Grey, bases: frozenset[str], *, mode: str = "default") -> list[Read]:
        symbols = [s for b in sorted(bases & self.bases) for s in _SYMBOLS[b]]
        if not symbols:
            return []
        grey = np.ascontiguousarray(grey)  # ZBar gets a bare pointer: rows must be packed
        height, width = grey.shape
        scanner = zw.zbar_image_scanner_create()
        image = zw.zbar_image_create()
        try:
            zw.zbar_image_scanner_set_config(scanner, 0, zw.ZBarConfig.CFG_ENABLE, 0)
            for s in symbols:
                zw.zbar_image_scanner_set_config(scanner, s, zw.ZBarConfig.CFG_ENABLE, 1)
            # ZBar reports pieces of an ITF-14 and finds short Interleaved 2 of 5 in the bars
            # of other codes: it reads ITF-14 (the carton code) only; zxing-cpp reads the rest
            zw.zbar_image_scanner_set_config(scanner, S.I25, zw.ZBarConfig.CFG_MIN_LEN, 14)
            zw.zbar_image_set_format(image, _Y800)
            zw.zbar_image_set_size(image, width, height)
            # no cleanup handler: the array outlives the image, which is destroyed below
            zw.zbar_image_set_data(image, grey.ctypes.data_as(ctypes.c_void_p), grey.size, None)
            if zw.zbar_scan_image(scanner, image) <= 0:
                return []
            return _collect(image)
        finally:
            zw.zbar_image_destroy(image)
            zw.zbar_image_scanner_destroy(scanner)


def _collect(image: object) -> list[Read]:
    reads = []
    symbol = zw.zbar_image_first_symbol(image)
    while symbol:
        name = _NAMES.get(symbol.contents.type)
        if name is not None:
            raw = ctypes.string_at(
                zw.zbar_symbol_get_data(symbol), zw.zbar_symbol_get_data_length(symbol)
            )
            is_gs1 = bool(_get_modifiers(symbol) & _MOD_GS1) or name.startswith("databar")
            if is_gs1:
                name = _GS1_FLAVOUR.get(name, name)
            points = [
                (zw.zbar_symbol_get_loc_x(symbol, i), zw.zbar_symbol_get_loc_y(symbol, i))
                for i in range(zw.zbar_symbol_get_loc_size(symbol))
            ]
            reading = _ORIENTATION_DEG.get(_get_orientation(symbol), 0.0)
            text = raw.decode("utf-8", errors="replace")
            reads.append(
                Read(name, text, raw, box_around(points, reading), is_gs1, _SYMBOLOGY_ID.get(name))
            )
        symbol = zw.zbar_symbol_next(symbol)
    return reads


ENGINE = ZBarEngine()
