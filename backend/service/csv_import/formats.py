"""The columns of each kind of file: what they hold, which are required, what an empty cell
means. Import and export share them, so an exported file imports back unchanged."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from backend.domain.vocabulary import ABC, LOCATION_KINDS, PURPOSES, TRACKING, VIRTUAL_KINDS
from backend.service.csv_import import cells
from backend.service.csv_import.cells import CellError, Parser
from backend.service.csv_import.reading import Table
from backend.service.csv_import.report import Report, RowError


class Keep:
    """An empty cell of a column that cannot change once set: the stored value stays."""

    def __repr__(self) -> str:
        return "KEEP"


KEEP: Any = Keep()
PARSE_CHUNK = 5000


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    parse: Parser
    help: str
    # Must be in the header and filled in on every row.
    required: bool = False
    # What an empty cell means (None: blank); KEEP: the stored value stays.
    empty: Any = None
    # Free text: a leading apostrophe an export added before =, +, - or @ is taken off.
    text: bool = False


@dataclass(frozen=True, slots=True)
class Format:
    kind: str
    title: str
    key: str
    columns: tuple[Column, ...]
    notes: str = ""

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


@dataclass(slots=True)
class Row:
    """One data row: the values of the columns the file has that could be read."""

    line: int
    values: dict[str, Any]
    ok: bool = True


_CODE = cells.text(64)
_BARCODE = cells.text(128, spaces=False)
_WHOLE = cells.integer(0, 1_000_000_000)
STOCK_LOCATION_KINDS = tuple(k for k in LOCATION_KINDS if k not in VIRTUAL_KINDS or k == "transit")

ITEMS = Format(
    "items",
    "Items",
    "sku",
    (
        Column("sku", _CODE, "the item's code, up to 64 characters (the key)", True, text=True),
        Column("name", cells.text(300), "up to 300 characters", True, text=True),
        Column("unit", cells.text(16), "base unit, e.g. ea, kg (empty: ea)", empty="ea", text=True),
        Column(
            "tracking",
            cells.choice(TRACKING),
            "none, lot or serial; cannot change once the item exists (empty: none/unchanged)",
            empty=KEEP,
        ),
        Column("shelf_life_days", cells.integer(1, 36500), "whole days, 1 to 36500"),
        Column(
            "unit_cost",
            cells.decimal(Decimal(0), Decimal(10**10), 4, below_high=True),
            "decimal point, up to 4 places, no thousands separator (empty: 0)",
            empty=Decimal(0),
        ),
        Column("abc_class", cells.choice(ABC, upper=True), "A, B or C"),
        Column("active", cells.boolean, "true/false, yes/no or 1/0 (empty: true)", empty=True),
        Column("barcode", _BARCODE, "a unit barcode to add (quantity 1)", text=True),
        Column("case_barcode", _BARCODE, "a case barcode to add, with case_quantity", text=True),
        Column("case_quantity", cells.integer(1, 1_000_000), "units in the case"),
    ),
    "Barcodes listed are added to the item (an item keeps barcodes the file does not list).",
)

BARCODES = Format(
    "barcodes",
    "Item barcodes",
    "code",
    (
        Column("sku", _CODE, "the item (must exist)", True, text=True),
        Column("code", _BARCODE, "the barcode, up to 128 characters (the key)", True, text=True),
        Column("quantity", cells.integer(1, 1_000_000), "units it counts (empty: 1)", empty=1),
        Column(
            "packaging", cells.text(32), "e.g. unit, case (empty: unit)", empty="unit", text=True
        ),
        Column("active", cells.boolean, "true/false (empty: true)", empty=True),
    ),
    "A barcode names one thing: it may not belong to another item or to a location.",
)

LOCATIONS = Format(
    "locations",
    "Locations",
    "warehouse + code",
    (
        Column("warehouse", _CODE, "warehouse code (must exist, in your scope)", True, text=True),
        Column("code", _CODE, "location code, unique in its warehouse", True, text=True),
        Column("name", cells.text(200), "up to 200 characters", empty="", text=True),
        Column(
            "kind",
            cells.choice(STOCK_LOCATION_KINDS),
            "zone, bin, dock or transit; cannot change (empty: unchanged)",
            empty=KEEP,
        ),
        Column(
            "parent", _CODE, "code of a zone in the same warehouse (in the file or not)", text=True
        ),
        Column("barcode", _BARCODE, "unique across items and locations", text=True),
        Column("pick_sequence", cells.integer(0, 10_000_000), "walking order (empty: 0)", empty=0),
        Column("purpose", cells.choice(PURPOSES), "receiving, shipping or quarantine"),
        Column("active", cells.boolean, "true/false (empty: true)", empty=True),
    ),
    "Supplier, customer, adjustment and scrap locations come with each warehouse.",
)

SUPPLIERS = Format(
    "suppliers",
    "Suppliers",
    "code",
    (
        Column("code", cells.text(32), "up to 32 characters (the key)", True, text=True),
        Column("name", cells.text(200), "up to 200 characters", True, text=True),
        Column(
            "over_receipt_tolerance_pct",
            cells.decimal(Decimal(0), Decimal(100), 2),
            "0 to 100, up to 2 places (empty: 0)",
            empty=Decimal(0),
        ),
        Column("lead_time_days", cells.integer(0, 3650), "whole days, 0 to 3650"),
        Column("active", cells.boolean, "true/false (empty: true)", empty=True),
    ),
)

CUSTOMERS = Format(
    "customers",
    "Customers",
    "code",
    (
        Column("code", cells.text(32), "up to 32 characters (the key)", True, text=True),
        Column("name", cells.text(200), "up to 200 characters", True, text=True),
        Column("address", cells.text(1000), "up to 1000 characters", text=True),
        Column("active", cells.boolean, "true/false (empty: true)", empty=True),
    ),
)

OPENING_BALANCES = Format(
    "opening_balances",
    "Opening balances",
    "none: every line is new stock",
    (
        Column("warehouse", _CODE, "warehouse code", True, text=True),
        Column("location", _CODE, "a bin or dock of that warehouse", True, text=True),
        Column("sku", _CODE, "the item (must exist)", True, text=True),
        Column("quantity", cells.integer(1, 1_000_000_000), "whole units, above 0", True),
        Column("lot", cells.text(64), "lot number; required for lot-tracked items", text=True),
        Column("expiry", cells.iso_date, "the lot's expiry date, YYYY-MM-DD"),
        Column(
            "serials",
            cells.code_list(128),
            "serial-tracked items: one serial per unit, separated by | or spaces",
            empty=(),
        ),
    ),
    "All lines post as one opening-balance command through the ledger, or none does; "
    "at most 10,000 lines per file. Needs the admin role.",
)

FORMATS: dict[str, Format] = {
    f.kind: f for f in (ITEMS, BARCODES, LOCATIONS, SUPPLIERS, CUSTOMERS, OPENING_BALANCES)
}
KINDS: tuple[str, ...] = tuple(FORMATS)


def check_header(fmt: Format, table: Table, report: Report) -> None:
    line = table.header_line
    seen: set[str] = set()
    for name in table.columns:
        if name in seen:
            report.add(line, name, "the column appears twice in the header")
        elif name not in fmt.names:
            report.add(line, name, f"unknown column; {fmt.kind} files have: {', '.join(fmt.names)}")
        seen.add(name)
    for column in fmt.columns:
        if column.required and column.name not in seen:
            report.add(line, column.name, "this column is required in the header")


def parse_rows(
    fmt: Format, table: Table, report: Report, advance: Callable[[int], Any] | None = None
) -> list[Row]:
    """Every cell read by its column; each bad cell is one error, the row is marked not ok."""
    positions = [(i, fmt.column(n)) for i, n in enumerate(table.columns) if n in fmt.names]
    rows: list[Row] = []
    errors = report.errors
    for start in range(0, len(table.rows), PARSE_CHUNK):
        for line, raw in table.rows[start : start + PARSE_CHUNK]:
            values: dict[str, Any] = {}
            ok = True
            for index, column in positions:
                cell = raw[index]
                if column.text and cell[:1] == "'":
                    cell = cells.unescape_formula(cell)
                if not cell:
                    if column.required:
                        errors.append(RowError(line, column.name, "a value is required"))
                        ok = False
                    else:
                        values[column.name] = column.empty
                    continue
                try:
                    values[column.name] = column.parse(cell)
                except CellError as error:
                    errors.append(RowError(line, column.name, str(error)))
                    ok = False
            rows.append(Row(line, values, ok))
        if advance is not None:
            advance(min(PARSE_CHUNK, len(table.rows) - start))
    return rows


def describe(fmt: Format, *, markdown: bool = False) -> str:
    """The column list of a kind, for `stockhand import --help` and the OpenAPI description."""
    lines = []
    for column in fmt.columns:
        star = " (required)" if column.required else ""
        if markdown:
            lines.append(f"  - `{column.name}`{star}: {column.help}")
        else:
            lines.append(f"    {column.name}{star}: {column.help}")
    head = f"- **{fmt.kind}** (key: {fmt.key})" if markdown else f"  {fmt.kind} (key: {fmt.key})"
    notes = ""
    if fmt.notes:
        indent = "  " if markdown else "    "
        notes = "\n" + textwrap.fill(fmt.notes, 88, initial_indent=indent, subsequent_indent=indent)
    return head + "\n" + "\n".join(lines) + notes


def describe_all(*, markdown: bool = False) -> str:
    return "\n".join(describe(f, markdown=markdown) for f in FORMATS.values())
