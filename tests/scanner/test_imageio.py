"""Image input: header probing, size limits before decoding, broken and foreign data."""

from __future__ import annotations

import struct
import zlib

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import scanner
from scanner import BrokenImage, ImageInfo, ImageTooLarge, ScannerError, UnsupportedImage

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_header(width: int, height: int) -> bytes:
    """A PNG built by hand: signature, IHDR (8-bit grey) with its CRC, a token IDAT, IEND."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        PNG_SIGNATURE
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0" * 16))
        + chunk(b"IEND", b"")
    )


def encoded(ext: str, width: int = 64, height: int = 48) -> bytes:
    img = np.random.default_rng(0).integers(0, 255, (height, width, 3), dtype=np.uint8)
    ok, buf = cv2.imencode(ext, img)
    assert ok
    return buf.tobytes()


@pytest.mark.parametrize(("ext", "fmt"), [(".jpg", "jpeg"), (".png", "png"), (".webp", "webp")])
def test_probe_reads_format_and_size(ext: str, fmt: str) -> None:
    assert scanner.probe(encoded(ext, 64, 48)) == ImageInfo(fmt, 64, 48)


def test_probe_lossless_and_extended_webp() -> None:
    lossless = cv2.imencode(
        ".webp", np.zeros((7, 300, 3), np.uint8), [cv2.IMWRITE_WEBP_QUALITY, 101]
    )
    assert scanner.probe(lossless[1].tobytes()) == ImageInfo("webp", 300, 7)
    # VP8X: canvas size stored minus one in 24-bit little endian
    vp8x = b"\x00" * 4 + (4999).to_bytes(3, "little") + (2999).to_bytes(3, "little")
    data = b"RIFF" + struct.pack("<I", 4 + 8 + len(vp8x)) + b"WEBP" + b"VP8X"
    data += struct.pack("<I", len(vp8x)) + vp8x
    assert scanner.probe(data) == ImageInfo("webp", 5000, 3000)


def test_probe_skips_large_exif_segments() -> None:
    jpeg = encoded(".jpg", 40, 30)
    app1 = b"\xff\xe1" + struct.pack(">H", 2 + 60000) + b"Exif\0\0" + b"\xff\xd9" * 29997
    with_exif = jpeg[:2] + app1 + jpeg[2:]
    assert scanner.probe(with_exif) == ImageInfo("jpeg", 40, 30)
    # the thumbnail-like end marker inside APP1 must not hide a truncated scan
    with pytest.raises(BrokenImage, match="truncated"):
        scanner.decode(with_exif[: len(with_exif) - 200])


def test_oversize_png_is_rejected_from_its_header_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    data = png_header(30000, 30000)
    info = scanner.probe(data)
    assert (info.format, info.width, info.height, info.pixels) == ("png", 30000, 30000, 9 * 10**8)

    def no_pixels(*args: object) -> None:
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(cv2, "imdecode", no_pixels)
    with pytest.raises(ImageTooLarge, match="30000x30000") as err:
        scanner.decode(data)
    assert err.value.max_pixels == 20_000_000


def test_pixel_limit_is_an_option() -> None:
    with pytest.raises(ImageTooLarge):
        scanner.decode(encoded(".png", 64, 48), options=scanner.DecodeOptions(max_pixels=1000))
    with pytest.raises(ImageTooLarge):
        scanner.decode(np.zeros((100, 100), np.uint8), options=scanner.DecodeOptions(max_pixels=99))


def test_png_with_a_bad_header_crc_is_broken() -> None:
    data = bytearray(png_header(10, 10))
    data[20] ^= 0xFF
    with pytest.raises(BrokenImage, match="CRC"):
        scanner.probe(bytes(data))


@pytest.mark.parametrize("ext", [".jpg", ".png", ".webp"])
def test_truncated_images_are_broken(ext: str) -> None:
    data = encoded(ext, 200, 150)
    with pytest.raises(BrokenImage):
        scanner.decode(data[: len(data) * 2 // 3])
    with pytest.raises(BrokenImage):
        scanner.decode(data[:20])


def test_corrupt_jpeg_scan_is_broken_or_decodes() -> None:
    # a JPEG cut in its scan data decodes to grey padding in libjpeg: we refuse it instead
    data = encoded(".jpg", 320, 240)
    with pytest.raises(BrokenImage, match="truncated"):
        scanner.decode(data[:-100])


@pytest.mark.parametrize(
    "data",
    [b"hello, this is plain text\n", b"", b"GIF89a\x01\x00\x01\x00", b"BM" + b"\0" * 60],
)
def test_other_data_is_unsupported(data: bytes) -> None:
    with pytest.raises(UnsupportedImage):
        scanner.probe(data)
    with pytest.raises(UnsupportedImage):
        scanner.decode(data)


@pytest.mark.parametrize(
    "array",
    [
        np.zeros((10, 10), np.float32),
        np.zeros((10,), np.uint8),
        np.zeros((0, 10), np.uint8),
        np.zeros((10, 10, 2), np.uint8),
        "not an image",
    ],
)
def test_unsupported_arrays(array: object) -> None:
    with pytest.raises(UnsupportedImage):
        scanner.decode(array)


def test_buffers_other_than_bytes_are_accepted() -> None:
    data = encoded(".png")
    assert scanner.decode(bytearray(data)) == []
    assert scanner.decode(memoryview(data)) == []
    assert scanner.probe(memoryview(data)).format == "png"


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.binary(max_size=64),
        st.binary(max_size=64).map(lambda b: PNG_SIGNATURE + b),
        st.binary(max_size=64).map(lambda b: b"\xff\xd8\xff" + b),
        st.binary(max_size=64).map(lambda b: b"RIFF\0\0\0\0WEBP" + b),
    )
)
def test_probe_raises_only_scanner_errors(data: bytes) -> None:
    try:
        info = scanner.probe(data)
    except ScannerError:
        return
    assert info.width > 0 and info.height > 0
