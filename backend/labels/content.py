"""What a label carries: lines of text and the symbols to print, checked against the GS1 rules.

Pure functions: no HTTP, no SQL, no drawing (the encoder is only asked how wide a GS1-128
would be). The renderers in `zpl.py` and `pdf.py` decide where things go; these builders decide
what is printed and refuse what a scanner could not read back: a GTIN or SSCC with a wrong
check digit, a lot a GS1 symbol cannot carry, a date the two-digit year of AI (17) cannot
express. GS1 check digits and element strings are checked by the scanner's own `scanner.gs1`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from backend.domain.errors import InvalidRequest
from backend.labels import symbols
from scanner import GS1Error, gs1

Symbology = Literal["code128", "gs1_128", "gs1_datamatrix", "ean13", "qr"]
LabelKind = Literal["location", "item", "sscc"]

GS1_SYMBOLOGIES: frozenset[str] = frozenset({"gs1_128", "gs1_datamatrix"})
MATRIX_SYMBOLOGIES: frozenset[str] = frozenset({"gs1_datamatrix", "qr"})

# Label stock, width x height in millimetres: 100 x 50 mm for bins and items, 4 x 6 in for
# shipping labels (the usual GS1 logistic label).
SMALL_LABEL_MM = (100.0, 50.0)
SHIPPING_LABEL_MM = (101.6, 152.4)

# Application identifiers the builders use.
AI_SSCC, AI_GTIN, AI_EXPIRY, AI_LOT, AI_COUNT = "00", "01", "17", "10", "30"
MAX_LOT = 20  # AI (10) is X..20
MAX_COUNT = 99_999_999  # AI (30) is N..8
MAX_ADDRESS_LINES = 5
MAX_TEXT = 120
# The printable ASCII that Code 128 carries without extended (FNC4) characters.
_CODE128_TEXT = re.compile(r"[\x20-\x7e]+")


@dataclass(frozen=True, slots=True)
class LabelSymbol:
    """One barcode on a label.

    `data` is what the symbol encodes: the text of a Code 128 or QR code, the 13 digits of an
    EAN-13, and for GS1 symbologies the bracketed form "(01)…(17)…(10)…". GS1 symbols also
    carry their parsed `elements`, which the renderers encode (a lot may itself hold
    brackets, so the bracketed text is for people only).
    """

    symbology: Symbology
    data: str
    elements: tuple[gs1.Element, ...] = ()

    @property
    def is_gs1(self) -> bool:
        return self.symbology in GS1_SYMBOLOGIES

    @property
    def is_matrix(self) -> bool:
        return self.symbology in MATRIX_SYMBOLOGIES


@dataclass(frozen=True, slots=True)
class Label:
    """A printable label: big title lines, smaller human-readable lines and its symbols."""

    kind: LabelKind
    title: tuple[str, ...]
    lines: tuple[str, ...]
    symbols: tuple[LabelSymbol, ...]
    width_mm: float = SMALL_LABEL_MM[0]
    height_mm: float = SMALL_LABEL_MM[1]

    def texts(self) -> list[str]:
        """Every piece of text printed, for font selection."""
        return [*self.title, *self.lines, *(s.data for s in self.symbols)]


# --- GS1 keys and element strings -------------------------------------------------------------


def sscc(extension_digit: int | str, company_prefix: str, serial_reference: int | str) -> str:
    """The 18-digit SSCC of extension digit, GS1 company prefix and serial reference, with its
    check digit. The serial reference is zero-padded to fill the 16 digits after the
    extension digit; one that needs more digits than the prefix leaves is refused."""
    extension = str(extension_digit)
    if len(extension) != 1 or not extension.isdigit():
        raise InvalidRequest(
            "the SSCC extension digit is one digit, 0 to 9", extension_digit=extension
        )
    if not (company_prefix.isdigit() and 4 <= len(company_prefix) <= 12):
        raise InvalidRequest(
            "a GS1 company prefix is 4 to 12 digits", company_prefix=company_prefix
        )
    serial = str(serial_reference)
    width = 16 - len(company_prefix)
    if not serial.isdigit() or len(serial) > width:
        raise InvalidRequest(
            f"with company prefix {company_prefix} the serial reference is 0 to "
            f"{10**width - 1} ({width} digits)",
            serial_reference=serial,
        )
    return gs1.with_check_digit(f"{extension}{company_prefix}{serial.zfill(width)}")


def gtin14(gtin: str) -> str:
    """A GTIN-8, -12, -13 or -14 as the 14 digits of AI (01), its check digit verified."""
    code = gtin.strip()
    if not code.isdigit() or len(code) not in (8, 12, 13, 14):
        raise InvalidRequest(
            f"GTIN {gtin!r} is not 8, 12, 13 or 14 digits", field="gtin", gtin=gtin
        )
    if not gs1.is_valid_key(code):
        expected = gs1.check_digit(code[:-1])
        raise InvalidRequest(
            f"GTIN {code} has a wrong check digit: the last digit should be {expected}",
            field="gtin",
            gtin=code,
            expected_check_digit=expected,
        )
    return code.zfill(14)


def check_sscc(code: str) -> str:
    code = code.strip()
    if not code.isdigit() or len(code) != 18:
        raise InvalidRequest(f"SSCC {code!r} is not 18 digits", field="sscc", sscc=code)
    if not gs1.is_valid_key(code):
        expected = gs1.check_digit(code[:-1])
        raise InvalidRequest(
            f"SSCC {code} has a wrong check digit: the last digit should be {expected}",
            field="sscc",
            sscc=code,
            expected_check_digit=expected,
        )
    return code


def check_lot(lot: str) -> str:
    """A lot number AI (10) can carry: 1 to 20 characters of GS1 character set 82."""
    if not lot:
        raise InvalidRequest("the lot number is empty", field="lot")
    if len(lot) > MAX_LOT:
        raise InvalidRequest(
            f"lot {lot!r} has {len(lot)} characters; a GS1 lot number has at most {MAX_LOT}",
            field="lot",
            lot=lot,
        )
    bad = sorted({c for c in lot if not _in_set_82(c)})
    if bad:
        raise InvalidRequest(
            f"lot {lot!r} holds {''.join(bad)!r}, outside the GS1 character set 82 "
            "(letters, digits and !\"%&'()*+,-./:;<=>?_)",
            field="lot",
            lot=lot,
            characters=bad,
        )
    return lot


def _in_set_82(char: str) -> bool:
    try:
        gs1.parse(AI_LOT + char)
    except GS1Error:
        return False
    return True


def yymmdd(day: dt.date, today: dt.date | None = None) -> str:
    """A date as GS1 YYMMDD; refused when the two-digit year would be read as another century."""
    today = today or dt.date.today()
    text = day.strftime("%y%m%d")
    if gs1.century_year(day.year % 100, today) != day.year:
        raise InvalidRequest(
            f"{day.isoformat()} is too far from today for a GS1 date (YYMMDD)",
            field="expiry",
            expiry=day.isoformat(),
        )
    return text


def elements(*pairs: tuple[str, str]) -> tuple[gs1.Element, ...]:
    """Element strings (AI, value) checked by the GS1 parser: lengths, character sets, check
    digits and dates. A field separator follows each field without predefined length."""
    raw = []
    for i, (ai, value) in enumerate(pairs):
        raw.append(ai + value)
        if i < len(pairs) - 1 and ai[:2] not in gs1.PREDEFINED_LENGTH:
            raw.append(gs1.GS)
    try:
        return gs1.parse("".join(raw))
    except GS1Error as error:
        raise InvalidRequest(f"not valid GS1 data: {error}", ai=error.ai) from error


def gs1_symbol(symbology: Symbology, parsed: tuple[gs1.Element, ...]) -> LabelSymbol:
    return LabelSymbol(symbology, gs1.to_hri(parsed), parsed)


def code128(text: str) -> LabelSymbol:
    if not _CODE128_TEXT.fullmatch(text):
        raise InvalidRequest(
            f"{text!r} cannot be printed as Code 128: only printable ASCII characters",
            field="barcode",
            barcode=text,
        )
    return LabelSymbol("code128", text)


def qr(text: str) -> LabelSymbol:
    if not text:
        raise InvalidRequest("a QR code needs some text", field="barcode")
    return LabelSymbol("qr", text)


def _text(value: str, what: str) -> str:
    value = " ".join(value.split())
    if not value:
        raise InvalidRequest(f"the {what} is empty", field=what)
    return value[:MAX_TEXT]


# --- builders ---------------------------------------------------------------------------------


def location_label(
    code: str,
    barcode: str | None,
    warehouse_code: str,
    zone: str | None = None,
    *,
    name: str | None = None,
) -> Label:
    """A bin or dock label: the location code in big type, its barcode as Code 128 for
    handheld scanners and as a QR code for phone cameras (both carry the same text)."""
    if not barcode:
        raise InvalidRequest(
            f"location {code} has no barcode to print; give it one first", location=code
        )
    where = warehouse_code if not zone else f"{warehouse_code} · {zone}"
    lines = [where]
    if name and name != code:
        lines.append(_text(name, "name"))
    return Label(
        kind="location",
        title=(_text(code, "location code"),),
        lines=tuple(lines),
        symbols=(code128(barcode), qr(barcode)),
        width_mm=SMALL_LABEL_MM[0],
        height_mm=SMALL_LABEL_MM[1],
    )


def item_label(
    sku: str,
    name: str,
    gtin: str | None,
    lot: str | None = None,
    expiry: dt.date | None = None,
    quantity: int | None = None,
    *,
    barcode: str | None = None,
    today: dt.date | None = None,
) -> Label:
    """An item label.

    With a GTIN only: an EAN-13 (GTIN-13, or a UPC-A as its GTIN-13) or, for a GTIN-14 or
    GTIN-8, a GS1-128 with (01). With a lot, expiry or count as well: a GS1-128 and a GS1
    DataMatrix carrying (01) GTIN-14, (17) expiry, (10) lot and (30) count. The GS1-128 is
    split in two symbols, (01)(17) and (10)(30), when one would be too wide to scan on the
    label. Without a GTIN the item's own `barcode` (or else the SKU) is printed as Code 128
    and lot, expiry and count only as text.
    """
    if quantity is not None and not 1 <= quantity <= MAX_COUNT:
        raise InvalidRequest(
            f"the count on a label is 1 to {MAX_COUNT}", field="quantity", quantity=quantity
        )
    lot = check_lot(lot) if lot is not None else None
    details = []
    if lot is not None:
        details.append(f"LOT {lot}")
    if expiry is not None:
        details.append(f"EXP {expiry.isoformat()}")
    if quantity is not None:
        details.append(f"QTY {quantity}")
    lines = [_text(name, "item name")]
    if details:
        lines.append("   ".join(details))
    symbols: tuple[LabelSymbol, ...]
    if gtin is None:
        symbols = (code128(barcode or sku),)
    else:
        code = gtin14(gtin)
        pairs = [(AI_GTIN, code)]
        if expiry is not None:
            pairs.append((AI_EXPIRY, yymmdd(expiry, today)))
        if lot is not None:
            pairs.append((AI_LOT, lot))
        if quantity is not None:
            pairs.append((AI_COUNT, str(quantity)))
        if len(pairs) == 1:
            if code.startswith("0") and not code.startswith("000000"):
                symbols = (LabelSymbol("ean13", code[1:]),)
            else:
                symbols = (gs1_symbol("gs1_128", elements(*pairs)),)
        else:
            parsed = elements(*pairs)
            symbols = (*_linear_gs1(parsed), gs1_symbol("gs1_datamatrix", parsed))
    return Label(
        kind="item",
        title=(_text(sku, "SKU"),),
        lines=tuple(lines),
        symbols=symbols,
        width_mm=SMALL_LABEL_MM[0],
        height_mm=SMALL_LABEL_MM[1],
    )


def _linear_gs1(parsed: tuple[gs1.Element, ...]) -> tuple[LabelSymbol, ...]:
    """One GS1-128 if it fits across a small label at the narrowest printable module,
    else two: the fixed-length keys and dates first, the lot and count second."""
    whole = gs1_symbol("gs1_128", parsed)
    if symbols.fits_across(whole, SMALL_LABEL_MM[0]):
        return (whole,)
    fixed = tuple(e for e in parsed if e.ai[:2] in gs1.PREDEFINED_LENGTH)
    variable = tuple(e for e in parsed if e.ai[:2] not in gs1.PREDEFINED_LENGTH)
    return gs1_symbol("gs1_128", fixed), gs1_symbol("gs1_128", variable)


def sscc_label(
    sscc: str,
    ship_from: str | Sequence[str],
    ship_to: str | Sequence[str],
    order_number: str,
    package_no: int,
    package_count: int,
) -> Label:
    """A 4 x 6 in shipping label for one package: addresses, order, "package n of m" and a
    GS1-128 with (00) SSCC in the bottom half, as GS1 logistic labels have it."""
    code = check_sscc(sscc)
    sender = [ship_from] if isinstance(ship_from, str) else list(ship_from)
    receiver = [ship_to] if isinstance(ship_to, str) else list(ship_to)
    for lines, what in ((sender, "ship-from address"), (receiver, "ship-to address")):
        if not 1 <= len(lines) <= MAX_ADDRESS_LINES or not all(line.strip() for line in lines):
            raise InvalidRequest(f"the {what} is 1 to {MAX_ADDRESS_LINES} non-empty lines")
    if not 1 <= package_no <= package_count:
        raise InvalidRequest(
            f"package {package_no} of {package_count} is not a package number",
            package_no=package_no,
            package_count=package_count,
        )
    to = [_text(line, "ship-to address") for line in receiver]
    sender = [_text(line, "ship-from address") for line in sender]
    return Label(
        kind="sscc",
        title=(f"TO: {to[0]}", *to[1:]),
        lines=(
            f"FROM: {sender[0]}",
            *sender[1:],
            f"ORDER: {_text(order_number, 'order number')}",
            f"PACKAGE {package_no} OF {package_count}",
            f"SSCC: {code}",
        ),
        symbols=(gs1_symbol("gs1_128", elements((AI_SSCC, code))),),
        width_mm=SHIPPING_LABEL_MM[0],
        height_mm=SHIPPING_LABEL_MM[1],
    )
