"""The ledger's rules that need no database: which pairs of locations a move may join."""

from __future__ import annotations

import pytest

from backend.domain.errors import InvalidMove
from backend.domain.moves import ItemRules, MoveLine, PlaceRules, check_line

ITEM = ItemRules(1, "PLAIN", "none", True)
PLACES = {
    kind: PlaceRules(n, kind.upper(), 1, kind, True)
    for n, kind in enumerate(
        ("bin", "dock", "supplier", "customer", "adjustment", "scrap", "transit"), start=1
    )
}


def _move(source: str, dest: str) -> None:
    line = MoveLine(ITEM.id, 1, PLACES[source].id, PLACES[dest].id)
    check_line(line, ITEM, PLACES[source], PLACES[dest])


@pytest.mark.parametrize(("source", "dest"), [
    ("bin", "dock"), ("supplier", "bin"), ("bin", "customer"), ("bin", "transit"),
    ("transit", "dock"), ("transit", "adjustment"), ("transit", "scrap"),
])  # fmt: skip
def test_allowed_pairs(source: str, dest: str) -> None:
    _move(source, dest)


@pytest.mark.parametrize(("source", "dest"), [
    ("supplier", "customer"), ("adjustment", "transit"), ("scrap", "transit"),
    ("adjustment", "scrap"), ("transit", "customer"), ("supplier", "transit"),
])  # fmt: skip
def test_two_virtual_locations_only_for_a_loss_in_transit(source: str, dest: str) -> None:
    with pytest.raises(InvalidMove):
        _move(source, dest)
