"""What a run works on: rows read at its start, changed a draft (one event) at a time."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from backend.domain.moves import ItemRules, MoveLine, PlaceRules, check_line
from backend.service.counting_book import Moved

QuantKey = tuple[int, int, int]  # item, location, lot (0 for none)
Row = dict[str, Any]


class OutOfLane(Exception):
    """The event needs its handler: it breaks a rule, or takes a path the lane does not cover."""


@dataclass(frozen=True, slots=True)
class CommandRef:
    """A row's reference to the command of the run's event `event`, whose id the write learns."""

    event: int


@dataclass(frozen=True, slots=True)
class ItemFacts:
    rules: ItemRules
    unit_cost: Decimal


@dataclass(frozen=True, slots=True)
class LotFacts:
    id: int
    item_id: int
    lot_number: str
    expiry_date: dt.date | None


@dataclass(slots=True)
class PendingMove:
    event: int
    seq: int
    line: MoveLine
    occurred_at: dt.datetime
    document_type: str
    document_ref: str


@dataclass(slots=True)
class PendingDocument:
    event: int
    document_type: str
    document_id: int
    action: str
    details: dict[str, Any]


@dataclass
class World:
    """Read once per run. `rows` holds the mutable rows by table and id; the rest is read-only
    for the run (master data, settings, aggregates it keeps up to date itself)."""

    items: dict[int, ItemFacts] = field(default_factory=dict)
    places: dict[int, PlaceRules] = field(default_factory=dict)
    lots: dict[int, LotFacts] = field(default_factory=dict)
    lot_numbers: dict[tuple[int, str], int] = field(default_factory=dict)
    barcodes: dict[str, set[int]] = field(default_factory=dict)
    shipping: dict[int, int] = field(default_factory=dict)  # warehouse -> location
    scan_rules: dict[str, dict[str, str]] = field(default_factory=dict)
    count_policy: Any = None
    rows: dict[str, dict[int, Row]] = field(default_factory=lambda: defaultdict(dict))
    # Real-location quants, locked: key -> [id, on_hand, reserved].
    quants: dict[QuantKey, list[int]] = field(default_factory=dict)
    open_lines: dict[str, dict[int, int]] = field(default_factory=lambda: defaultdict(dict))
    order_lines: dict[int, list[int]] = field(default_factory=dict)  # order -> its line ids
    # For counts: moves in or out of the counted bins since the oldest count of the run.
    # None when there are too many to hold.
    bin_moves: list[Moved] | None = field(default_factory=list)


class RunState:
    """The world as changed by the events accepted so far, and what they wrote."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.dirty: dict[str, set[int]] = defaultdict(set)
        self.deltas: dict[QuantKey, list[int]] = {}  # on_hand, reserved
        self.moves: list[PendingMove] = []
        self.documents: list[PendingDocument] = []
        self.entries: list[tuple[int, Row]] = []
        self.results: list[dict[str, Any]] = []
        self.count_ids: set[int] = set()
        # Counts whose last line an event counted, and that event: settled after the write.
        self.settle: list[tuple[int, int]] = []

    def draft(self, event: int) -> Draft:
        return Draft(self, event)


class Draft:
    """One event's changes, kept apart until `commit`; dropped if a rule stops the event."""

    def __init__(self, state: RunState, event: int) -> None:
        self.state = state
        self.world = state.world
        self.event = event
        self._rows: dict[tuple[str, int], Row] = {}
        self._deltas: dict[QuantKey, list[int]] = defaultdict(lambda: [0, 0])
        self._open: dict[tuple[str, int], int] = {}
        self.moves: list[PendingMove] = []
        self.documents: list[PendingDocument] = []
        self.entries: list[Row] = []
        self.count_ids: set[int] = set()
        self.settles: int | None = None

    def row(self, table: str, row_id: int | None) -> Row:
        """The row as this event sees it, for reading and changing; OutOfLane if the run did
        not read it."""
        if row_id is None:
            raise OutOfLane(f"no {table} row")
        key = (table, row_id)
        if key not in self._rows:
            base = self.world.rows[table].get(row_id)
            if base is None:
                raise OutOfLane(f"{table} {row_id} not read")
            self._rows[key] = dict(base)
        return self._rows[key]

    def open_lines(self, kind: str, parent: int) -> int:
        key = (kind, parent)
        if key not in self._open:
            self._open[key] = self.world.open_lines[kind].get(parent, 0)
        return self._open[key]

    def close_line(self, kind: str, parent: int) -> None:
        self._open[(kind, parent)] = self.open_lines(kind, parent) - 1

    def quant(self, key: QuantKey) -> tuple[int, int]:
        """On hand and reserved of a real-location quant, with this run's changes."""
        held = self.world.quants.get(key)
        on_hand, reserved = (held[1], held[2]) if held else (0, 0)
        for deltas in (self.state.deltas.get(key), self._deltas.get(key)):
            if deltas:
                on_hand, reserved = on_hand + deltas[0], reserved + deltas[1]
        return on_hand, reserved

    def post(
        self, lines: list[MoveLine], *, occurred_at: dt.datetime, document_type: str, ref: str
    ) -> list[PendingMove]:
        """The ledger's rules (see `ledger.post_moves`) for lines without serials."""
        deltas: dict[QuantKey, int] = defaultdict(int)
        unreserved: dict[QuantKey, int] = defaultdict(int)
        for line in lines:
            item = self.world.items.get(line.item_id)
            source = self.world.places.get(line.from_location_id)
            dest = self.world.places.get(line.to_location_id)
            if item is None or source is None or dest is None or line.serial_id is not None:
                raise OutOfLane("move outside the lane")
            if line.lot_id is not None:
                lot = self.world.lots.get(line.lot_id)
                if lot is None or lot.item_id != line.item_id:
                    raise OutOfLane("lot not read or not the item's")
            check_line(line, item.rules, source, dest)
            lot_key = line.lot_id or 0
            deltas[(line.item_id, line.from_location_id, lot_key)] -= line.quantity
            deltas[(line.item_id, line.to_location_id, lot_key)] += line.quantity
            if line.from_reserved:
                unreserved[(line.item_id, line.from_location_id, lot_key)] += line.quantity
        for key, delta in deltas.items():
            place = self.world.places[key[1]]
            if place.is_virtual:
                continue
            on_hand, reserved = self.quant(key)
            taken, from_reserved = -delta, unreserved[key]
            if delta < 0 and not (
                reserved >= from_reserved and on_hand - reserved >= taken - from_reserved
            ):
                raise OutOfLane("short of stock")
        for key, delta in deltas.items():
            if delta or unreserved[key]:
                self._deltas[key][0] += delta
                self._deltas[key][1] -= unreserved[key]
        start = len(self.moves)
        self.moves += [
            PendingMove(self.event, start + n, line, occurred_at, document_type, ref)
            for n, line in enumerate(lines, start=1)
        ]
        return self.moves[start:]

    def record(self, document_type: str, document_id: int, action: str, **details: Any) -> None:
        self.documents.append(
            PendingDocument(self.event, document_type, document_id, action, details)
        )

    def commit(self, result: dict[str, Any]) -> None:
        state = self.state
        for (table, row_id), row in self._rows.items():
            if row != state.world.rows[table][row_id]:
                state.world.rows[table][row_id] = row
                state.dirty[table].add(row_id)
        for key, (on_hand, reserved) in self._deltas.items():
            total = state.deltas.setdefault(key, [0, 0])
            total[0] += on_hand
            total[1] += reserved
        for (kind, parent), left in self._open.items():
            state.world.open_lines[kind][parent] = left
        state.moves += self.moves
        state.documents += self.documents
        state.entries += [(self.event, entry) for entry in self.entries]
        state.count_ids |= self.count_ids
        if self.settles is not None:
            state.settle.append((self.settles, self.event))
        state.results.append(result)
