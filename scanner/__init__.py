"""Server-side reading of barcodes and GS1 data. Free of web-framework imports.

    symbols = scanner.decode(jpeg_bytes_or_bgr_array, formats={"ean13", "gs1_128"})
    info = scanner.probe(jpeg_bytes)  # format and size from the header only

Decoding holds the GIL only between engine calls (zxing-cpp, ZBar via ctypes and OpenCV
all release it), so `decode` can run in a thread pool.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from scanner import gs1
from scanner.errors import (
    BrokenImage,
    GS1Error,
    ImageTooLarge,
    InvalidOptions,
    ScannerError,
    UnsupportedImage,
)
from scanner.formats import ALL_FORMATS
from scanner.imageio import ImageInfo, decode_bytes, probe, to_grey
from scanner.options import DecodeOptions
from scanner.pipeline import decode_grey
from scanner.result import Symbol

__all__ = [
    "ALL_FORMATS",
    "BrokenImage",
    "DecodeOptions",
    "GS1Error",
    "ImageInfo",
    "ImageTooLarge",
    "InvalidOptions",
    "ScannerError",
    "Symbol",
    "UnsupportedImage",
    "decode",
    "gs1",
    "probe",
]

_DEFAULT = DecodeOptions()


def decode(
    image: Any,
    *,
    formats: Iterable[str] | None = None,
    all_symbols: bool = False,
    options: DecodeOptions | None = None,
) -> list[Symbol]:
    """Barcodes in `image`: a numpy array as OpenCV gives it (grey, BGR or BGRA uint8)
    or encoded JPEG/PNG/WebP bytes.

    formats      restrict to these names (see ALL_FORMATS); "code128" includes GS1-128.
    all_symbols  return every distinct code rather than the first one read.
    options      finer control (engines, fallbacks, time budget, pixel limit).

    Raises UnsupportedImage, BrokenImage, ImageTooLarge or InvalidOptions (all
    ScannerError). Returns [] when nothing is read.
    """
    opts = (options or _DEFAULT).but(formats=formats, all_symbols=all_symbols or None)
    if isinstance(image, bytes | bytearray | memoryview):
        grey = decode_bytes(image, max_pixels=opts.max_pixels)
    else:
        grey = to_grey(image, max_pixels=opts.max_pixels)
    return decode_grey(grey, opts)
