"""OpenCV objdetect adapter: the 1D BarcodeDetector (EAN/UPC) and the QR detector.

Besides reading, it locates 1D barcodes at any angle even when it cannot decode their
symbology, which the pipeline uses to crop and straighten regions for the other engines.
OpenCV releases the GIL inside its calls; detector objects are kept per thread.
"""

from __future__ import annotations

import threading

import numpy as np

from scanner._cv import cv2
from scanner.geometry import Quad, order, quad
from scanner.imageio import Grey
from scanner.result import Read

_BARCODE_TYPES = {"EAN_13": "ean13", "EAN_8": "ean8", "UPC_A": "upca", "UPC_E": "upce"}
_LINEAR = frozenset(_BARCODE_TYPES.values())


class _Detectors(threading.local):
    def __init__(self) -> None:
        self.barcode = cv2.barcode.BarcodeDetector()
        self.qr = cv2.QRCodeDetectorAruco()


_local = _Detectors()


class OpenCVEngine:
    name = "opencv"
    bases = _LINEAR | {"qrcode"}

    def read(self, grey: Grey, bases: frozenset[str], *, mode: str = "default") -> list[Read]:
        reads: list[Read] = []
        if bases & _LINEAR:
            reads += [r for r in _read_linear(grey) if r.format in bases or r.format == "upca"]
        if "qrcode" in bases:
            reads += _read_qr(grey)
        return reads


def _read_linear(grey: Grey) -> list[Read]:
    ok, texts, types, points = _local.barcode.detectAndDecodeWithType(grey)
    if not ok or points is None:
        return []
    reads = []
    for text, kind, pts in zip(texts, types, points, strict=False):
        name = _BARCODE_TYPES.get(kind)
        if not text or name is None:
            continue
        if name == "upca" and len(text) == 13 and text.startswith("0"):
            text = text[1:]
        # points come bottom-left, top-left, top-right, bottom-right
        p = np.asarray(pts).reshape(4, 2)
        reads.append(Read(name, text, text.encode(), quad(p[[1, 2, 3, 0]]), False, "]E0"))
    return reads


def _read_qr(grey: Grey) -> list[Read]:
    try:
        ok, payloads, points, _ = _local.qr.detectAndDecodeBytesMulti(grey)
    except cv2.error:
        # e.g. "mode 5 not implemented": OpenCV cannot decode FNC1 (GS1) QR codes
        return []
    if not ok or points is None:
        return []
    reads = []
    for raw, pts in zip(payloads, points, strict=False):
        if not raw:
            continue
        data = bytes(raw)
        text = data.decode("utf-8", errors="replace")
        reads.append(Read("qrcode", text, data, order(np.asarray(pts)), False, "]Q1"))
    return reads


def locate_linear(grey: Grey) -> list[Quad]:
    """Where 1D barcodes are, decodable by OpenCV or not, as top-left-first corners with
    the long side along the bars' reading direction."""
    try:
        ok, points = _local.barcode.detectMulti(grey)
    except cv2.error:
        return []
    if not ok or points is None:
        return []
    return [quad(np.asarray(p).reshape(4, 2)[[1, 2, 3, 0]]) for p in points]


def locate_qr(grey: Grey) -> list[Quad]:
    try:
        ok, points = _local.qr.detectMulti(grey)
    except cv2.error:
        return []
    if not ok or points is None:
        return []
    return [order(np.asarray(p)) for p in points]


ENGINE = OpenCVEngine()
