"""The package's own errors, so callers map them to answers without knowing the engines."""

from __future__ import annotations


class ScannerError(Exception):
    """Base of every error the scanner package raises on purpose."""


class UnsupportedImage(ScannerError):
    """The input is not an image of a kind the scanner reads (JPEG, PNG, WebP, uint8 array)."""


class BrokenImage(ScannerError):
    """The input claims to be a supported image but its data is truncated or corrupt."""


class ImageTooLarge(ScannerError):
    """The image header announces more pixels than the caller allows."""

    def __init__(self, width: int, height: int, max_pixels: int) -> None:
        super().__init__(
            f"image of {width}x{height} = {width * height} pixels exceeds the limit of "
            f"{max_pixels} pixels"
        )
        self.width = width
        self.height = height
        self.max_pixels = max_pixels


class InvalidOptions(ScannerError, ValueError):
    """A decode option is out of range, e.g. an unknown format name."""


class GS1Error(ScannerError):
    """GS1 element strings that break the GS1 General Specifications."""

    def __init__(self, message: str, ai: str | None = None) -> None:
        super().__init__(f"AI ({ai}): {message}" if ai else message)
        self.ai = ai
