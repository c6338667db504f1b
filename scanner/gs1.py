"""GS1 identification keys and element strings (GS1 General Specifications, section 3 and 7).

Parses the data of GS1-128, GS1 DataMatrix, GS1 QR Code and GS1 DataBar — raw with GS (\\x1d)
separators as the engines return it, optionally led by a symbology identifier (]C1, ]d2,
]Q3, ]e0) — and the bracketed human-readable form "(01)…(17)…(10)…". Malformed input
raises GS1Error and nothing else.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from scanner.errors import GS1Error

# ---------------------------------------------------------------------------------------
# Check digits of the identification keys (used by backend/service/demo.py too).


def check_digit(body: str) -> int:
    """The mod-10 check digit for the digits of a GS1 key without its last digit."""
    if not body.isdigit():
        raise ValueError(f"a GS1 key has only digits: {body!r}")
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def with_check_digit(body: str) -> str:
    return body + str(check_digit(body))


def is_valid_key(key: str) -> bool:
    """True for a GTIN-8/12/13/14, GLN or SSCC whose last digit is its check digit."""
    return key.isdigit() and len(key) >= 8 and check_digit(key[:-1]) == int(key[-1])


def case_gtin(gtin13: str, indicator: int = 1) -> str:
    """The GTIN-14 of a trade unit of packaging that holds the item `gtin13` names."""
    if not is_valid_key(gtin13) or len(gtin13) != 13:
        raise ValueError(f"not a valid GTIN-13: {gtin13!r}")
    return with_check_digit(f"{indicator}{gtin13[:12]}")


# ---------------------------------------------------------------------------------------
# The Application Identifier table.

GS = "\x1d"  # FNC1 in the middle of data is transmitted as ASCII GS
Value = str | int | date | Decimal
Kind = Literal["str", "int", "date", "date00", "datetime", "decimal"]

# Element strings whose AI starts with these two digits have a predefined length and need no
# FNC1 after them (GS1 General Specifications, figure 7.8.5-2); value = data length.
PREDEFINED_LENGTH: dict[str, int] = {
    **dict.fromkeys(["00"], 18),
    **dict.fromkeys(["01", "02", "03"], 14),
    "04": 16,
    **dict.fromkeys(["11", "12", "13", "14", "15", "16", "17", "18", "19"], 6),
    "20": 2,
    **dict.fromkeys(["31", "32", "33", "34", "35", "36"], 6),
    "41": 13,
}

_CHARSETS: dict[str, re.Pattern[str]] = {
    "N": re.compile(r"[0-9]*"),
    # GS1 AI encodable character set 82 (figure 7.11-1)
    "X": re.compile(r"[!\"%&'()*+,\-./0-9:;<=>?A-Z_a-z]*"),
    # character set 39, used by CPID
    "Y": re.compile(r"[#\-/0-9A-Z]*"),
}
_PART = re.compile(r"([NXY])(\.\.)?(\d+)(?:\.\.(\d+))?")


@dataclass(frozen=True, slots=True)
class Part:
    charset: str
    min_len: int
    max_len: int


@dataclass(frozen=True, slots=True)
class AISpec:
    ai: str
    title: str
    parts: tuple[Part, ...]
    kind: Kind = "str"
    check: tuple[int, int] | None = None  # slice of the value that ends in a mod-10 digit
    decimals: int = 0

    @property
    def fixed(self) -> bool:
        return all(p.min_len == p.max_len for p in self.parts)

    @property
    def max_len(self) -> int:
        return sum(p.max_len for p in self.parts)

    @property
    def predefined(self) -> bool:
        return self.ai[:2] in PREDEFINED_LENGTH


def _parts(fmt: str) -> tuple[Part, ...]:
    """'N3+X..9' -> parts; 'X..20' is 1 to 20, 'N6..12' is 6 to 12, 'N14' exactly 14."""
    out = []
    for piece in fmt.split("+"):
        m = _PART.fullmatch(piece)
        if m is None:
            raise AssertionError(f"bad format {fmt!r}")
        charset, dots, first, second = m.groups()
        if dots:
            out.append(Part(charset, 1, int(first)))
        elif second:
            out.append(Part(charset, int(first), int(second)))
        else:
            out.append(Part(charset, int(first), int(first)))
    return tuple(out)


_SIMPLE: list[tuple[str, str, str, Kind, tuple[int, int] | None]] = [
    ("00", "SSCC", "N18", "str", (0, 18)),
    ("01", "GTIN", "N14", "str", (0, 14)),
    ("02", "CONTENT", "N14", "str", (0, 14)),
    ("03", "MTO GTIN", "N14", "str", (0, 14)),
    ("10", "BATCH/LOT", "X..20", "str", None),
    ("11", "PROD DATE", "N6", "date00", None),
    ("12", "DUE DATE", "N6", "date00", None),
    ("13", "PACK DATE", "N6", "date00", None),
    ("15", "BEST BEFORE or BEST BY", "N6", "date00", None),
    ("16", "SELL BY", "N6", "date00", None),
    ("17", "USE BY OR EXPIRY", "N6", "date00", None),
    ("20", "VARIANT", "N2", "str", None),
    ("21", "SERIAL", "X..20", "str", None),
    ("22", "CPV", "X..20", "str", None),
    ("235", "TPX", "X..28", "str", None),
    ("240", "ADDITIONAL ID", "X..30", "str", None),
    ("241", "CUST. PART No.", "X..30", "str", None),
    ("242", "MTO VARIANT", "N..6", "str", None),
    ("243", "PCN", "X..20", "str", None),
    ("250", "SECONDARY SERIAL", "X..30", "str", None),
    ("251", "REF. TO SOURCE", "X..30", "str", None),
    ("253", "GDTI", "N13+X..17", "str", (0, 13)),
    ("254", "GLN EXTENSION COMPONENT", "X..20", "str", None),
    ("255", "GCN", "N13+N..12", "str", (0, 13)),
    ("30", "VAR. COUNT", "N..8", "int", None),
    ("37", "COUNT", "N..8", "int", None),
    ("400", "ORDER NUMBER", "X..30", "str", None),
    ("401", "GINC", "X..30", "str", None),
    ("402", "GSIN", "N17", "str", (0, 17)),
    ("403", "ROUTE", "X..30", "str", None),
    ("410", "SHIP TO LOC", "N13", "str", (0, 13)),
    ("411", "BILL TO", "N13", "str", (0, 13)),
    ("412", "PURCHASE FROM", "N13", "str", (0, 13)),
    ("413", "SHIP FOR LOC", "N13", "str", (0, 13)),
    ("414", "LOC No.", "N13", "str", (0, 13)),
    ("415", "PAY TO", "N13", "str", (0, 13)),
    ("416", "PROD/SERV LOC", "N13", "str", (0, 13)),
    ("417", "PARTY", "N13", "str", (0, 13)),
    ("420", "SHIP TO POST", "X..20", "str", None),
    ("421", "SHIP TO POST", "N3+X..9", "str", None),
    ("422", "ORIGIN", "N3", "str", None),
    ("423", "COUNTRY - INITIAL PROCESS", "N3+N..12", "str", None),
    ("424", "COUNTRY - PROCESS", "N3", "str", None),
    ("425", "COUNTRY - DISASSEMBLY", "N3+N..12", "str", None),
    ("426", "COUNTRY - FULL PROCESS", "N3", "str", None),
    ("427", "ORIGIN SUBDIVISION", "X..3", "str", None),
    ("7001", "NSN", "N13", "str", None),
    ("7002", "MEAT CUT", "X..30", "str", None),
    ("7003", "EXPIRY TIME", "N10", "datetime", None),
    ("7004", "ACTIVE POTENCY", "N..4", "int", None),
    ("7005", "CATCH AREA", "X..12", "str", None),
    ("7006", "FIRST FREEZE DATE", "N6", "date", None),
    ("7007", "HARVEST DATE", "N6..12", "str", None),
    ("7008", "AQUATIC SPECIES", "X..3", "str", None),
    ("7009", "FISHING GEAR TYPE", "X..10", "str", None),
    ("7010", "PROD METHOD", "X..2", "str", None),
    ("7020", "REFURB LOT", "X..20", "str", None),
    ("7021", "FUNC STAT", "X..20", "str", None),
    ("7022", "REV STAT", "X..20", "str", None),
    ("7023", "GIAI - ASSEMBLY", "X..30", "str", None),
    ("8001", "DIMENSIONS", "N14", "str", None),
    ("8002", "CMT No.", "X..20", "str", None),
    ("8003", "GRAI", "N14+X..16", "str", (1, 14)),
    ("8004", "GIAI", "X..30", "str", None),
    ("8005", "PRICE PER UNIT", "N6", "str", None),
    ("8006", "ITIP", "N14+N2+N2", "str", (0, 14)),
    ("8007", "IBAN", "X..34", "str", None),
    ("8008", "PROD TIME", "N8+N..4", "str", None),
    ("8010", "CPID", "Y..30", "str", None),
    ("8011", "CPID SERIAL", "N..12", "str", None),
    ("8012", "VERSION", "X..20", "str", None),
    ("8013", "GMN", "X..25", "str", None),
    ("8017", "GSRN - PROVIDER", "N18", "str", (0, 18)),
    ("8018", "GSRN - RECIPIENT", "N18", "str", (0, 18)),
    ("8019", "SRIN", "N..10", "str", None),
    ("8020", "REF No.", "X..25", "str", None),
    ("8200", "PRODUCT URL", "X..70", "str", None),
    ("90", "INTERNAL", "X..30", "str", None),
    *((f"9{i}", "INTERNAL", "X..90", "str", None) for i in range(1, 10)),
]

# Trade measures: the fourth digit n of 31nn-36nn is the number of decimals (0-5).
_MEASURES: dict[str, str] = {
    "310": "NET WEIGHT (kg)", "311": "LENGTH (m)", "312": "WIDTH (m)", "313": "HEIGHT (m)",
    "314": "AREA (m²)", "315": "NET VOLUME (l)", "316": "NET VOLUME (m³)",
    "320": "NET WEIGHT (lb)", "321": "LENGTH (in)", "322": "LENGTH (ft)", "323": "LENGTH (yd)",
    "324": "WIDTH (in)", "325": "WIDTH (ft)", "326": "WIDTH (yd)", "327": "HEIGHT (in)",
    "328": "HEIGHT (ft)", "329": "HEIGHT (yd)", "330": "GROSS WEIGHT (kg)",
    "331": "LENGTH (m), log", "332": "WIDTH (m), log", "333": "HEIGHT (m), log",
    "334": "AREA (m²), log", "335": "VOLUME (l), log", "336": "VOLUME (m³), log",
    "337": "KG PER m²", "340": "GROSS WEIGHT (lb)", "341": "LENGTH (in), log",
    "342": "LENGTH (ft), log", "343": "LENGTH (yd), log", "344": "WIDTH (in), log",
    "345": "WIDTH (ft), log", "346": "WIDTH (yd), log", "347": "HEIGHT (in), log",
    "348": "HEIGHT (ft), log", "349": "HEIGHT (yd), log", "350": "AREA (in²)",
    "351": "AREA (ft²)", "352": "AREA (yd²)", "353": "AREA (in²), log",
    "354": "AREA (ft²), log", "355": "AREA (yd²), log", "356": "NET WEIGHT (troy oz)",
    "357": "NET VOLUME (oz)", "360": "NET VOLUME (qt)", "361": "NET VOLUME (gal)",
    "362": "VOLUME (qt), log", "363": "VOLUME (gal), log", "364": "VOLUME (in³)",
    "365": "VOLUME (ft³)", "366": "VOLUME (yd³)", "367": "VOLUME (in³), log",
    "368": "VOLUME (ft³), log", "369": "VOLUME (yd³), log",
}  # fmt: skip

# Amounts: (prefix, title, format, highest n).
_AMOUNTS: list[tuple[str, str, str, int]] = [
    ("390", "AMOUNT", "N..15", 9),
    ("391", "AMOUNT", "N3+N..15", 9),
    ("392", "PRICE", "N..15", 9),
    ("393", "PRICE", "N3+N..15", 9),
    ("394", "PRCNT OFF", "N4", 3),
    ("395", "PRICE/UoM", "N6", 5),
]


def _build_table() -> dict[str, AISpec]:
    table: dict[str, AISpec] = {}
    for ai, title, fmt, kind, check in _SIMPLE:
        table[ai] = AISpec(ai, title, _parts(fmt), kind, check)
    for prefix, title in _MEASURES.items():
        for n in range(6):
            table[f"{prefix}{n}"] = AISpec(f"{prefix}{n}", title, _parts("N6"), "decimal", None, n)
    for prefix, title, fmt, top in _AMOUNTS:
        # 391n/393n carry an ISO 4217 currency before the amount: kept as text
        amount: Kind = "str" if "+" in fmt else "decimal"
        for n in range(top + 1):
            table[f"{prefix}{n}"] = AISpec(f"{prefix}{n}", title, _parts(fmt), amount, None, n)
    # Raw element strings rely on no AI being the prefix of another.
    for code in table:
        for k in range(2, len(code)):
            assert code[:k] not in table, f"AI {code[:k]} is a prefix of {code}"
    return table


AI_TABLE: dict[str, AISpec] = _build_table()

# Symbology identifiers (ISO/IEC 15424) of symbols whose data is GS1 element strings.
GS1_SYMBOLOGY_IDS = frozenset({"]C1", "]d2", "]Q3", "]e0", "]J1", "]z1", "]z2", "]z3"})


@dataclass(frozen=True, slots=True)
class Element:
    """One element string: its AI, the GS1 data title, the raw data and its typed value."""

    ai: str
    title: str
    raw: str
    value: Value


# ---------------------------------------------------------------------------------------
# Parsing.

_HRI_AI = re.compile(r"\(([0-9]{2,4})\)")


def parse(data: str | bytes, *, today: date | None = None) -> tuple[Element, ...]:
    """Element strings in raw (GS-separated) or bracketed form, checked and typed.

    `today` anchors the century of YYMMDD dates (GS1 General Specifications 7.12).
    """
    text = data.decode("latin-1") if isinstance(data, bytes) else data
    if not isinstance(text, str):
        raise GS1Error(f"expected str or bytes, got {type(data).__name__}")
    if text.startswith("]"):
        sym_id = text[:3]
        if sym_id not in GS1_SYMBOLOGY_IDS:
            raise GS1Error(f"symbology identifier {sym_id!r} does not announce GS1 data")
        text = text[3:]
    if not text:
        raise GS1Error("no element strings")
    pairs = _split_hri(text) if text.startswith("(") else _split_raw(text)
    if not pairs:
        raise GS1Error("no element strings")
    today = today or date.today()
    elements = tuple(_element(spec, raw, today) for spec, raw in pairs)
    _check_repeats(elements)
    return elements


def _lookup(code: str) -> AISpec:
    spec = AI_TABLE.get(code)
    if spec is None:
        raise GS1Error("unknown application identifier", code)
    return spec


def _split_hri(text: str) -> list[tuple[AISpec, str]]:
    matches = list(_HRI_AI.finditer(text))
    if not matches or matches[0].start() != 0:
        raise GS1Error("bracketed data must start with an (AI)")
    pairs = []
    for m, nxt in zip(matches, [*matches[1:], None], strict=True):
        spec = _lookup(m.group(1))
        raw = text[m.end() : nxt.start() if nxt else len(text)]
        pairs.append((spec, raw))
    return pairs


def _split_raw(text: str) -> list[tuple[AISpec, str]]:
    pos = 1 if text.startswith(GS) else 0  # a leading FNC1 only says "GS1"
    pairs = []
    while pos < len(text):
        spec = _match_ai(text, pos)
        pos += len(spec.ai)
        if spec.fixed:
            raw = text[pos : pos + spec.max_len]
            if GS in raw or len(raw) < spec.max_len:
                got = len(raw.split(GS)[0])
                raise GS1Error(f"needs {spec.max_len} characters, got {got}", spec.ai)
            pos += spec.max_len
            # FNC1 after a fixed-length field is optional for predefined-length AIs and
            # required for the others; tolerate it either way, the split is unambiguous.
            if text.startswith(GS, pos):
                pos += 1
        else:
            end = text.find(GS, pos)
            end = len(text) if end < 0 else end
            raw = text[pos:end]
            pos = end + 1
        pairs.append((spec, raw))
    return pairs


def _match_ai(text: str, pos: int) -> AISpec:
    for n in (2, 3, 4):
        spec = AI_TABLE.get(text[pos : pos + n])
        if spec is not None:
            return spec
    head = text[pos : pos + 4]
    if not head[:2].isdigit():
        raise GS1Error(f"expected an application identifier at offset {pos}, found {head!r}")
    raise GS1Error("unknown application identifier", "".join(c for c in head if c.isdigit()))


def _element(spec: AISpec, raw: str, today: date) -> Element:
    _check_syntax(spec, raw)
    if spec.check is not None:
        start, end = spec.check
        key = raw[start:end]
        if check_digit(key[:-1]) != int(key[-1]):
            raise GS1Error(
                f"check digit of {key} is wrong (expected {check_digit(key[:-1])})", spec.ai
            )
    return Element(spec.ai, spec.title, raw, _typed(spec, raw, today))


def _check_syntax(spec: AISpec, raw: str) -> None:
    if not raw:
        raise GS1Error("empty value", spec.ai)
    if len(raw) > spec.max_len:
        raise GS1Error(f"value of {len(raw)} characters is longer than {spec.max_len}", spec.ai)
    pos = 0
    for i, part in enumerate(spec.parts):
        last = i == len(spec.parts) - 1
        chunk = raw[pos:] if last else raw[pos : pos + part.max_len]
        if not part.min_len <= len(chunk) <= part.max_len:
            want = (
                str(part.max_len)
                if part.min_len == part.max_len
                else f"{part.min_len} to {part.max_len}"
            )
            where = f" in part {i + 1} ({part.charset}{want})" if len(spec.parts) > 1 else ""
            raise GS1Error(f"needs {want} characters{where}, got {len(chunk)}", spec.ai)
        if not _CHARSETS[part.charset].fullmatch(chunk):
            bad = next(c for c in chunk if not _CHARSETS[part.charset].fullmatch(c))
            what = "digits only" if part.charset == "N" else f"character set {part.charset}"
            raise GS1Error(f"character {bad!r} not allowed ({what})", spec.ai)
        pos += len(chunk)


def _typed(spec: AISpec, raw: str, today: date) -> Value:
    if spec.kind == "int":
        return int(raw)
    if spec.kind == "decimal":
        return Decimal(raw).scaleb(-spec.decimals)
    if spec.kind in ("date", "date00"):
        return _date(spec, raw, today, day_zero=spec.kind == "date00")
    if spec.kind == "datetime":
        day = _date(spec, raw[:6], today, day_zero=False)
        hour, minute = int(raw[6:8]), int(raw[8:10])
        if hour > 23 or minute > 59:
            raise GS1Error(f"time {raw[6:8]}:{raw[8:10]} is not a time of day", spec.ai)
        return datetime(day.year, day.month, day.day, hour, minute)
    return raw


def century_year(yy: int, today: date) -> int:
    """The four-digit year of YY: within -49..+50 years of today (GS1 GenSpecs 7.12)."""
    diff = yy - today.year % 100
    century = today.year // 100
    if 51 <= diff <= 99:
        century -= 1
    elif -99 <= diff <= -50:
        century += 1
    return century * 100 + yy


def _date(spec: AISpec, raw: str, today: date, *, day_zero: bool) -> date:
    year = century_year(int(raw[0:2]), today)
    month, day = int(raw[2:4]), int(raw[4:6])
    if not 1 <= month <= 12:
        raise GS1Error(f"month {raw[2:4]} of date {raw} is not 01-12", spec.ai)
    last = calendar.monthrange(year, month)[1]
    if day == 0 and day_zero:
        day = last  # "DD = 00": the last day of the month
    if not 1 <= day <= last:
        raise GS1Error(f"day {raw[4:6]} of date {raw} does not exist", spec.ai)
    return date(year, month, day)


def _check_repeats(elements: tuple[Element, ...]) -> None:
    seen: dict[str, str] = {}
    for e in elements:
        if seen.setdefault(e.ai, e.raw) != e.raw:
            raise GS1Error(f"repeated with different values {seen[e.ai]!r} and {e.raw!r}", e.ai)


# ---------------------------------------------------------------------------------------
# Formatting.


def to_hri(elements: tuple[Element, ...] | list[Element]) -> str:
    """The bracketed human-readable interpretation, e.g. '(01)09506000134352(10)ABC'."""
    return "".join(f"({e.ai}){e.raw}" for e in elements)


def to_element_string(elements: tuple[Element, ...] | list[Element]) -> str:
    """Raw data as encoded after FNC1: a GS after each field without predefined length."""
    out = []
    for i, e in enumerate(elements):
        out.append(e.ai + e.raw)
        if i < len(elements) - 1 and not AI_TABLE[e.ai].predefined:
            out.append(GS)
    return "".join(out)


def as_dict(elements: tuple[Element, ...] | list[Element]) -> dict[str, Value]:
    return {e.ai: e.value for e in elements}
