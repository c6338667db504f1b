"""Reading one cell: whole numbers, decimals, ISO dates, yes/no and fixed vocabularies.

Spreadsheets format numbers for people: `1,234`, `1.234,5`, `12,5`. A file that says 1,234 may
mean one thousand or one and a quarter, so such cells are refused with a reason naming the
problem instead of being guessed at.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

Parser = Callable[[str], Any]


class CellError(ValueError):
    """A cell's text is not a value of its column; the message is the reason shown."""


_INTEGER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")
_GROUPED = re.compile(r"[+-]?[0-9]{1,3}([,. '\u00a0][0-9]{3})+([.,][0-9]+)?")
_DECIMAL_COMMA = re.compile(r"[+-]?[0-9]+,[0-9]+")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_TRUE = frozenset({"true", "yes", "y", "1", "是"})
_FALSE = frozenset({"false", "no", "n", "0", "否"})


def _clip(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _number_problem(text: str, whole: bool) -> str:
    grouped = _GROUPED.fullmatch(text) is not None
    comma = _DECIMAL_COMMA.fullmatch(text) is not None
    if grouped and comma and not whole:
        return (
            f"'{_clip(text)}' is ambiguous: write 1234 without a thousands separator, "
            "or 1.234 with a decimal point"
        )
    if grouped:
        example = "1234" if whole else "1234.5, with a decimal point"
        return f"'{_clip(text)}' has a thousands separator; write it without, e.g. {example}"
    if comma:
        if whole:
            return f"'{_clip(text)}' is not a whole number (and has a decimal comma)"
        return f"'{_clip(text)}' has a decimal comma; write a decimal point, e.g. 12.5"
    if whole and _DECIMAL.fullmatch(text):
        return f"'{_clip(text)}' is not a whole number"
    return f"'{_clip(text)}' is not a number"


def integer(low: int, high: int) -> Parser:
    def parse(text: str) -> int:
        if not _INTEGER.fullmatch(text):
            raise CellError(_number_problem(text, whole=True))
        if len(text.lstrip("+-0")) > 18:
            # Far outside every column's range (and too long for int() to take safely).
            bound = f"at least {low}" if text.startswith("-") else f"at most {high}"
            raise CellError(f"must be {bound}, not {_clip(text)}")
        value = int(text)
        if value < low:
            if low == 1 and value <= 0:
                raise CellError(f"must be a positive whole number, not {value}")
            raise CellError(f"must be at least {low}, not {value}")
        if value > high:
            raise CellError(f"must be at most {high}, not {value}")
        return value

    return parse


def decimal(low: Decimal, high: Decimal, places: int, *, below_high: bool = False) -> Parser:
    quantum = Decimal(1).scaleb(-places)

    def parse(text: str) -> Decimal:
        if not _DECIMAL.fullmatch(text):
            raise CellError(_number_problem(text, whole=False))
        try:
            value = Decimal(text)
        except InvalidOperation as error:  # pragma: no cover - the pattern admits digits only
            raise CellError(f"'{_clip(text)}' is not a number") from error
        if value < low:
            raise CellError(f"must be at least {low}, not {_clip(text)}")
        if value > high or (below_high and value == high):
            raise CellError(
                f"must be {'below' if below_high else 'at most'} {high}, not {_clip(text)}"
            )
        if value != value.quantize(quantum):
            raise CellError(f"at most {places} decimal places, not {_clip(text)}")
        return value

    return parse


def iso_date(text: str) -> dt.date:
    if _ISO_DATE.fullmatch(text):
        try:
            return dt.date.fromisoformat(text)
        except ValueError as error:
            raise CellError(f"'{_clip(text)}' is not a date of the calendar") from error
    raise CellError(f"'{_clip(text)}' is not a date written YYYY-MM-DD, e.g. 2026-03-31")


def boolean(text: str) -> bool:
    folded = text.lower()
    if folded in _TRUE:
        return True
    if folded in _FALSE:
        return False
    raise CellError(f"'{_clip(text)}' is not true or false (also yes/no, 1/0)")


def choice(values: Iterable[str], *, upper: bool = False) -> Parser:
    allowed = tuple(values)
    lookup = {v.lower(): v for v in allowed}

    def parse(text: str) -> str:
        found = lookup.get(text.lower())
        if found is None:
            raise CellError(f"'{_clip(text)}' is not one of {', '.join(allowed)}")
        return found.upper() if upper else found

    return parse


def text(max_length: int, *, spaces: bool = True) -> Parser:
    def parse(value: str) -> str:
        if len(value) > max_length:
            raise CellError(f"at most {max_length} characters, not {len(value)}")
        if not spaces and any(c.isspace() for c in value):
            raise CellError(f"'{_clip(value)}' contains spaces; codes have none")
        return value

    return parse


_SERIAL_SPLIT = re.compile(r"[|\s]+")


def code_list(max_length: int) -> Parser:
    """Serial numbers: separated by `|` or whitespace."""

    def parse(value: str) -> list[str]:
        codes = [c for c in _SERIAL_SPLIT.split(value) if c]
        for code in codes:
            if len(code) > max_length:
                raise CellError(f"'{code[:20]}…' is longer than {max_length} characters")
        return codes

    return parse


# Spreadsheets run text that starts with these as a formula; exports put an apostrophe first.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_ESCAPED = "=+-@'\t\r"


def unescape_formula(value: str) -> str:
    """Undo the apostrophe an export put before text a spreadsheet would calculate."""
    if len(value) > 1 and value[0] == "'" and value[1] in _ESCAPED:
        return value[1:]
    return value


def escape_formula(value: str) -> str:
    """The inverse of `unescape_formula`: text that starts like a formula, or like an escaped
    one, gets one more apostrophe."""
    if value.startswith(FORMULA_STARTS) or (
        value[:1] == "'" and value[1:2] and value[1] in _ESCAPED
    ):
        return "'" + value
    return value
