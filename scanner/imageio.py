"""Image input: header probing without touching pixels, and decoding to one grey plane."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from scanner._cv import cv2
from scanner.errors import BrokenImage, ImageTooLarge, UnsupportedImage

Grey = npt.NDArray[np.uint8]

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# JPEG start-of-frame markers that carry the frame size (not DHT C4, JPG C8, DAC CC).
_SOF_MARKERS = frozenset(
    {*range(0xC0, 0xC4), *range(0xC5, 0xC8), *range(0xC9, 0xCC), *range(0xCD, 0xD0)}
)
_STANDALONE_MARKERS = frozenset({0x01, *range(0xD0, 0xD8)})


@dataclass(frozen=True, slots=True)
class ImageInfo:
    format: str  # "jpeg", "png" or "webp"
    width: int
    height: int

    @property
    def pixels(self) -> int:
        return self.width * self.height


def probe(data: bytes | bytearray | memoryview) -> ImageInfo:
    """Format and size from the header alone; no pixel is decoded.

    Raises UnsupportedImage for anything but JPEG, PNG and WebP, BrokenImage when the
    header itself is cut short or inconsistent.
    """
    view = memoryview(data).cast("B") if not isinstance(data, bytes) else data
    head = bytes(view[:32])
    if head.startswith(_PNG_SIGNATURE):
        return _probe_png(bytes(view[:33]))
    if head.startswith(b"\xff\xd8\xff"):
        return _probe_jpeg(view)
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return _probe_webp(bytes(view[:64]))
    raise UnsupportedImage("not a JPEG, PNG or WebP image")


def _probe_png(head: bytes) -> ImageInfo:
    # signature, then the IHDR chunk: length 13, type, width, height, 5 bytes, CRC
    if len(head) < 33:
        raise BrokenImage("PNG header is truncated")
    length, ctype = struct.unpack(">I4s", head[8:16])
    if ctype != b"IHDR" or length != 13:
        raise BrokenImage("PNG does not start with an IHDR chunk")
    (crc,) = struct.unpack(">I", head[29:33])
    if zlib.crc32(head[12:29]) != crc:
        raise BrokenImage("PNG IHDR chunk fails its CRC")
    width, height = struct.unpack(">II", head[16:24])
    return _sized("png", width, height)


def _probe_jpeg(view: bytes | memoryview) -> ImageInfo:
    for marker, pos in _jpeg_segments(view):
        if marker in _SOF_MARKERS:
            if pos + 7 > len(view):
                break
            height, width = struct.unpack(">HH", bytes(view[pos + 3 : pos + 7]))
            return _sized("jpeg", width, height)
        if marker == 0xDA:
            raise BrokenImage("JPEG has no frame header before its image data")
    raise BrokenImage("JPEG header is truncated")


def _jpeg_segments(view: bytes | memoryview) -> Iterator[tuple[int, int]]:
    """(marker, offset of its length field) for each header segment, up to the first scan."""
    pos, end = 2, len(view)
    while True:
        marker, pos = _next_marker(view, pos)
        yield marker, pos
        if marker in (0xD9, 0xDA):
            if marker == 0xD9:
                raise BrokenImage("JPEG ends before its image data")
            return
        if marker in _STANDALONE_MARKERS:
            continue
        if pos + 2 > end:
            raise BrokenImage("JPEG header is truncated")
        (length,) = struct.unpack(">H", bytes(view[pos : pos + 2]))
        if length < 2:
            raise BrokenImage("JPEG segment has an impossible length")
        pos += length


def _next_marker(view: bytes | memoryview, pos: int) -> tuple[int, int]:
    """The marker code at `pos` (after any 0xFF fill bytes) and the offset past it."""
    end = len(view)
    if pos >= end:
        raise BrokenImage("JPEG header is truncated")
    if view[pos] != 0xFF:
        raise BrokenImage(f"JPEG marker expected at offset {pos}")
    while pos < end and view[pos] == 0xFF:
        pos += 1
    if pos >= end:
        raise BrokenImage("JPEG header is truncated")
    return view[pos], pos + 1


def _probe_webp(head: bytes) -> ImageInfo:
    chunk = head[12:16]
    body = head[20:]
    if chunk == b"VP8 " and len(body) >= 10:
        if body[3:6] != b"\x9d\x01\x2a":
            raise BrokenImage("WebP VP8 frame lacks its start code")
        width, height = struct.unpack("<HH", body[6:10])
        return _sized("webp", width & 0x3FFF, height & 0x3FFF)
    if chunk == b"VP8L" and len(body) >= 5:
        if body[0] != 0x2F:
            raise BrokenImage("WebP lossless stream lacks its signature")
        (bits,) = struct.unpack("<I", body[1:5])
        return _sized("webp", (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)
    if chunk == b"VP8X" and len(body) >= 10:
        width = int.from_bytes(body[4:7], "little") + 1
        height = int.from_bytes(body[7:10], "little") + 1
        return _sized("webp", width, height)
    if chunk in (b"VP8 ", b"VP8L", b"VP8X"):
        raise BrokenImage("WebP header is truncated")
    raise UnsupportedImage(f"WebP with unknown first chunk {chunk!r}")


def _sized(fmt: str, width: int, height: int) -> ImageInfo:
    if width <= 0 or height <= 0:
        raise BrokenImage(f"{fmt.upper()} header gives an empty size {width}x{height}")
    return ImageInfo(fmt, width, height)


def decode_bytes(data: bytes | bytearray | memoryview, *, max_pixels: int) -> Grey:
    """Pixels of an encoded image as one grey plane, refusing oversize ones before decoding."""
    data = bytes(data)
    info = probe(data)
    if info.pixels > max_pixels:
        raise ImageTooLarge(info.width, info.height, max_pixels)
    _check_complete(info, data)
    buf = np.frombuffer(data, dtype=np.uint8)
    try:
        # grey straight from the decoder: every engine reads luminance, and JPEG skips chroma
        img = cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE)
    except cv2.error as exc:
        raise BrokenImage(f"{info.format.upper()} data cannot be decoded: {exc}") from exc
    if img is None or img.size == 0:
        raise BrokenImage(f"{info.format.upper()} data cannot be decoded")
    return np.ascontiguousarray(img)


def _check_complete(info: ImageInfo, data: bytes) -> None:
    """Catch truncation the decoders forgive (libjpeg pads a cut-off scan with grey)."""
    if info.format == "jpeg":
        scan = max(pos for marker, pos in _jpeg_segments(data) if marker == 0xDA)
        # an EXIF thumbnail's end marker sits before the scan, so look after it
        if data.rfind(b"\xff\xd9") < scan:
            raise BrokenImage("JPEG data is truncated (no end-of-image marker)")
    elif info.format == "png":
        if data.rfind(b"IEND") < 0:
            raise BrokenImage("PNG data is truncated (no IEND chunk)")
    elif info.format == "webp":
        (riff_size,) = struct.unpack("<I", data[4:8])
        if riff_size + 8 > len(data):
            raise BrokenImage("WebP data is truncated")


def to_grey(image: Any, *, max_pixels: int) -> Grey:
    """A uint8 grey plane from an OpenCV-style array (grey, BGR or BGRA)."""
    if not isinstance(image, np.ndarray):
        raise UnsupportedImage(f"expected a numpy array or encoded bytes, got {type(image)}")
    if image.dtype != np.uint8:
        raise UnsupportedImage(f"expected a uint8 array, got {image.dtype}")
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.ndim not in (2, 3) or image.size == 0:
        raise UnsupportedImage(f"expected an H×W or H×W×3/4 array, got shape {image.shape}")
    height, width = image.shape[:2]
    if width * height > max_pixels:
        raise ImageTooLarge(width, height, max_pixels)
    if image.ndim == 3:
        codes = {3: cv2.COLOR_BGR2GRAY, 4: cv2.COLOR_BGRA2GRAY}
        if image.shape[2] not in codes:
            raise UnsupportedImage(f"expected 3 (BGR) or 4 (BGRA) channels, got {image.shape[2]}")
        image = cv2.cvtColor(image, codes[image.shape[2]])
    return np.ascontiguousarray(image)
