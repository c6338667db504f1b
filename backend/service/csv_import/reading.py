"""From bytes to a table: the encoding (UTF-8 with or without BOM; GBK only when asked for),
the delimiter (comma, or semicolon/tab when the header shows it), the header and the rows."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from typing import Literal

from backend.service.csv_import.report import InvalidCsv, RowError, file_error

Encoding = Literal["utf-8", "gbk"]
ENCODINGS: tuple[str, ...] = ("utf-8", "gbk")

_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_ZIP = b"PK\x03\x04"
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
# CJK ideographs, their punctuation and full-width forms: what a Chinese GBK file holds.
_CHINESE = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
_HEADER_SEPARATORS = re.compile(r"[\s-]+")


@dataclass(frozen=True, slots=True)
class Table:
    columns: list[str]
    header_line: int
    # (line of the file where the row starts, its cells with surrounding blanks removed)
    rows: list[tuple[int, list[str]]]
    delimiter: str
    encoding: str
    # Rows that could not be split into the header's columns; they are left out of `rows`.
    errors: list[RowError]


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _looks_chinese(text: str) -> bool:
    foreign = _NON_ASCII.findall(text)
    return bool(foreign) and len(_CHINESE.findall("".join(foreign))) >= 0.8 * len(foreign)


def decode(data: bytes, kind: str, encoding: str = "utf-8") -> tuple[str, str]:
    """The file's text and the encoding it was read in; refuses what it cannot read surely."""
    if encoding not in ENCODINGS:
        raise file_error(kind, f"unknown encoding {encoding}; use utf-8 or gbk")
    if data.startswith(_UTF8_BOM):
        encoding, data = "utf-8-sig", data[len(_UTF8_BOM) :]
    elif data.startswith(_UTF16_BOMS):
        raise file_error(
            kind,
            "the file is UTF-16 (Excel's 'Unicode Text'); save it as 'CSV UTF-8 (comma delimited)'",
        )
    elif data.startswith(_ZIP):
        raise file_error(kind, "this is a workbook (.xlsx), not CSV; save it as 'CSV UTF-8'")
    if encoding == "gbk":
        try:
            return data.decode("gb18030"), "gbk"
        except UnicodeDecodeError as error:
            raise file_error(
                kind,
                f"the file is not GBK either (byte 0x{data[error.start]:02X} on line "
                f"{_line_of(data, error.start)}); save it as 'CSV UTF-8'",
            ) from error
    try:
        return data.decode("utf-8"), encoding
    except UnicodeDecodeError as error:
        where = f"byte 0x{data[error.start]:02X} on line {_line_of(data, error.start)}"
        try:
            guess = data.decode("gb18030")
        except UnicodeDecodeError:
            guess = ""
        if guess and _looks_chinese(guess):
            raise file_error(
                kind,
                "the file is GBK-encoded (Chinese Windows/Excel); save it as 'CSV UTF-8', "
                "or import it with --encoding gbk (API: ?encoding=gbk)",
            ) from error
        raise file_error(
            kind, f"the file is not UTF-8 ({where}); save it as 'CSV UTF-8'"
        ) from error


def _delimiter(text: str) -> str:
    header = text.split("\n", 1)[0]
    if "," not in header:
        if ";" in header:
            return ";"
        if "\t" in header:
            return "\t"
    return ","


def normalise_header(name: str) -> str:
    return _HEADER_SEPARATORS.sub("_", name.strip().lower())


def read_table(data: bytes, kind: str, encoding: str = "utf-8") -> Table:
    """Decode and split the file; a broken layout is reported with every row it concerns."""
    text, used = decode(data, kind, encoding)
    if not text.strip():
        raise file_error(kind, "the file is empty; the first row must name the columns")
    if "\x00" in text:
        # No text column takes NUL (PostgreSQL refuses it): this is not a text file.
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise file_error(kind, f"the file holds NUL characters (line {line}); is it really CSV?")
    delimiter = _delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    errors: list[RowError] = []
    try:
        header = next(reader)
        while not any(c.strip() for c in header):
            header = next(reader)
    except StopIteration as error:
        raise file_error(kind, "the file has no header row naming the columns") from error
    except csv.Error as error:
        raise file_error(kind, f"unreadable header: {error}", line=1) from error
    header_line = reader.line_num
    names = [normalise_header(c) for c in header]
    while names and not names[-1]:
        names.pop()
    unnamed = [
        RowError(header_line, f"column {position}", "the column has no name")
        for position, name in enumerate(names, start=1)
        if not name
    ]
    if unnamed:
        raise InvalidCsv(kind, unnamed)
    width = len(names)
    rows: list[tuple[int, list[str]]] = []
    previous = header_line
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            errors.append(RowError(previous + 1, "", f"unreadable row: {error}"))
            break
        line, previous = previous + 1, reader.line_num
        cells = [c.strip() for c in cells]
        if not any(cells):
            continue
        if len(cells) > width:
            if any(cells[width:]):
                errors.append(
                    RowError(line, "", f"the row has {len(cells)} cells, the header {width}")
                )
                continue
            del cells[width:]
        elif len(cells) < width:
            cells.extend([""] * (width - len(cells)))
        rows.append((line, cells))
    return Table(names, header_line, rows, delimiter, used, errors)
