"""A move line — the unit the ledger posts — and the rules that need no database."""

from __future__ import annotations

from dataclasses import dataclass

from backend.domain.errors import InvalidMove, TrackingError
from backend.domain.vocabulary import is_virtual


@dataclass(frozen=True, slots=True)
class MoveLine:
    item_id: int
    quantity: int
    from_location_id: int
    to_location_id: int
    lot_id: int | None = None
    serial_id: int | None = None
    reason: str | None = None
    note: str | None = None
    # The units leave stock that was reserved for them (a pick), not available stock.
    from_reserved: bool = False


@dataclass(frozen=True, slots=True)
class ItemRules:
    id: int
    sku: str
    tracking: str
    active: bool


@dataclass(frozen=True, slots=True)
class PlaceRules:
    id: int
    code: str
    warehouse_id: int
    kind: str
    active: bool

    @property
    def is_virtual(self) -> bool:
        return is_virtual(self.kind)

    @property
    def holds_stock(self) -> bool:
        return self.kind != "zone"


def check_line(line: MoveLine, item: ItemRules, source: PlaceRules, dest: PlaceRules) -> None:
    """Raise when a line breaks a rule that holds whatever the stock levels are."""
    if line.quantity <= 0:
        raise InvalidMove("quantity must be a positive whole number", quantity=line.quantity)
    if line.from_location_id == line.to_location_id:
        raise InvalidMove("source and destination are the same location", location=source.code)
    for place in (source, dest):
        if not place.holds_stock:
            raise InvalidMove(
                f"{place.code} is a zone; stock lives in its bins", location=place.code
            )
        if not place.active:
            raise InvalidMove(f"location {place.code} is deactivated", location=place.code)
    if source.is_virtual and dest.is_virtual and not _writes_off_transit(source, dest):
        raise InvalidMove("a move needs a real location on at least one side")
    if not (source.is_virtual or dest.is_virtual) and source.warehouse_id != dest.warehouse_id:
        raise InvalidMove(
            "stock changes warehouse only through an in-transit location",
            from_location=source.code,
            to_location=dest.code,
        )
    if not item.active:
        raise InvalidMove(f"item {item.sku} is deactivated", sku=item.sku)
    if item.tracking == "none" and (line.lot_id or line.serial_id):
        raise TrackingError(f"item {item.sku} is not tracked by lot or serial", sku=item.sku)
    if item.tracking == "lot" and line.lot_id is None:
        raise TrackingError(f"item {item.sku} is lot-tracked: a lot is required", sku=item.sku)
    if item.tracking == "serial":
        if line.serial_id is None:
            raise TrackingError(f"item {item.sku} needs one serial number per unit", sku=item.sku)
        if line.quantity != 1:
            raise TrackingError("a serial number stands for exactly one unit", sku=item.sku)


def _writes_off_transit(source: PlaceRules, dest: PlaceRules) -> bool:
    """Stock lost on the way between warehouses is written off where it is, in transit: the
    one move between two virtual locations that stands for something on the floor."""
    return source.kind == "transit" and dest.kind in ("adjustment", "scrap")
