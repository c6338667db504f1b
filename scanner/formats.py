"""Stable, engine-independent names of the symbologies the scanner reads."""

from __future__ import annotations

from collections.abc import Iterable

from scanner.errors import InvalidOptions
from scanner.gs1 import is_valid_key

# Each GS1 or length-specific flavour names the plain symbology it is printed in, so
# asking for "code128" also returns GS1-128 and asking for "gs1_128" returns only GS1-128.
PARENT: dict[str, str] = {
    "gs1_128": "code128",
    "gs1_datamatrix": "datamatrix",
    "gs1_qrcode": "qrcode",
    "itf14": "itf",
    "databar_limited": "databar",
    "databar_expanded": "databar",
}

BASE_FORMATS: frozenset[str] = frozenset(
    {
        "ean13",
        "ean8",
        "upca",
        "upce",
        "code128",
        "code39",
        "code93",
        "itf",
        "codabar",
        "databar",
        "qrcode",
        "datamatrix",
        "pdf417",
        "aztec",
    }
)

ALL_FORMATS: frozenset[str] = BASE_FORMATS | PARENT.keys()

# Families group formats for reports: one row per way of printing a code.
FAMILY: dict[str, str] = {
    "ean13": "ean_upc",
    "ean8": "ean_upc",
    "upca": "ean_upc",
    "upce": "ean_upc",
    "code128": "code128",
    "gs1_128": "code128",
    "code39": "code39",
    "code93": "code93",
    "itf": "itf",
    "itf14": "itf",
    "codabar": "codabar",
    "databar": "databar",
    "databar_limited": "databar",
    "databar_expanded": "databar",
    "qrcode": "qrcode",
    "gs1_qrcode": "qrcode",
    "datamatrix": "datamatrix",
    "gs1_datamatrix": "datamatrix",
    "pdf417": "pdf417",
    "aztec": "aztec",
}


def base_of(name: str) -> str:
    return PARENT.get(name, name)


def normalize(formats: Iterable[str] | None) -> frozenset[str] | None:
    """Lower-cased, validated format names; None means every format."""
    if formats is None:
        return None
    if isinstance(formats, str):
        formats = [formats]
    names = frozenset(f.strip().lower().replace("-", "_") for f in formats)
    unknown = names - ALL_FORMATS
    if unknown:
        raise InvalidOptions(
            f"unknown format name(s) {sorted(unknown)}; known: {sorted(ALL_FORMATS)}"
        )
    if not names:
        raise InvalidOptions("formats must name at least one format (or be None for all)")
    return names


def wanted_bases(formats: frozenset[str] | None) -> frozenset[str]:
    """The plain symbologies an engine must look for to serve `formats`."""
    if formats is None:
        return BASE_FORMATS
    return frozenset(base_of(f) for f in formats)


def accepts(formats: frozenset[str] | None, name: str) -> bool:
    return formats is None or name in formats or base_of(name) in formats


def upce_to_upca(upce: str) -> str:
    """Expand an 8-digit UPC-E (number system, six digits, check) to its 12-digit UPC-A."""
    if len(upce) != 8 or not upce.isdigit():
        raise ValueError(f"not an 8-digit UPC-E: {upce!r}")
    ns, d, check = upce[0], upce[1:7], upce[7]
    last = d[5]
    if last in "012":
        body = d[0:2] + last + "0000" + d[2:5]
    elif last == "3":
        body = d[0:3] + "00000" + d[3:5]
    elif last == "4":
        body = d[0:4] + "00000" + d[4]
    else:
        body = d[0:5] + "0000" + last
    return ns + body + check


_EAN_LENGTH = {"ean13": 13, "ean8": 8, "upca": 12}


def canonical(name: str, text: str, formats: frozenset[str] | None) -> tuple[str, str] | None:
    """One name and text per printed code, whichever engine read it; None for a read
    that cannot be right.

    A UPC-A is an EAN-13 whose first digit is 0 (the bars are identical), so engines
    disagree on which they report; we report UPC-A with its 12 printed digits unless
    the caller asked for EAN-13 only. ITF with 14 digits and a valid GS1 check digit is
    an ITF-14 (the shipper carton code). EAN/UPC reads with a wrong check digit are
    dropped: OpenCV's detector in particular "reads" other 1D symbologies as UPC-A.
    """
    if name in _EAN_LENGTH and (len(text) != _EAN_LENGTH[name] or not is_valid_key(text)):
        return None
    if name == "upce" and not (
        len(text) == 8 and text.isdigit() and is_valid_key(upce_to_upca(text))
    ):
        return None
    if name == "ean13" and text.startswith("0") and accepts(formats, "upca"):
        return "upca", text[1:]
    if name == "itf" and len(text) == 14 and is_valid_key(text):
        return "itf14", text
    return name, text
