"""Format names and the canonical form of what the engines read."""

from __future__ import annotations

import pytest

from scanner import ALL_FORMATS, InvalidOptions, formats


def test_names_are_normalised_and_checked() -> None:
    assert formats.normalize(["EAN13", " QRCode ", "gs1-128"]) == {"ean13", "qrcode", "gs1_128"}
    assert formats.normalize("aztec") == {"aztec"}
    assert formats.normalize(None) is None
    with pytest.raises(InvalidOptions, match="code11"):
        formats.normalize(["code11"])
    assert "gs1_datamatrix" in ALL_FORMATS and "itf14" in ALL_FORMATS


def test_family_filtering() -> None:
    assert formats.accepts(frozenset({"code128"}), "gs1_128")
    assert not formats.accepts(frozenset({"gs1_128"}), "code128")
    assert formats.wanted_bases(frozenset({"gs1_datamatrix", "itf14"})) == {"datamatrix", "itf"}


@pytest.mark.parametrize(
    ("upce", "upca"),
    [("01234565", "012345000065"), ("04252614", "042100005264"), ("01234133", "012300000413")],
)
def test_upce_expansion(upce: str, upca: str) -> None:
    assert formats.upce_to_upca(upce) == upca


@pytest.mark.parametrize(
    ("read", "wanted", "result"),
    [
        (("ean13", "0036000291452"), None, ("upca", "036000291452")),
        (("ean13", "0036000291452"), frozenset({"ean13"}), ("ean13", "0036000291452")),
        (("ean13", "5901234123457"), None, ("ean13", "5901234123457")),
        (("ean13", "5901234123458"), None, None),  # check digit
        (("ean8", "9638507"), None, None),  # length
        (("upce", "01234565"), None, ("upce", "01234565")),
        (("upce", "01234566"), None, None),
        (("itf", "00012345678905"), None, ("itf14", "00012345678905")),
        (("itf", "00012345678906"), None, ("itf", "00012345678906")),
        (("code39", "ABC"), None, ("code39", "ABC")),
    ],
)
def test_canonical(
    read: tuple[str, str], wanted: frozenset[str] | None, result: tuple[str, str] | None
) -> None:
    assert formats.canonical(*read, wanted) == result
