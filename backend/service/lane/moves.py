"""Bin-to-bin moves in the lane: `stock_rules.move_stock` for items moved without serials."""

from __future__ import annotations

from typing import Any

from backend.domain.actor import Actor
from backend.domain.commands import MoveStock
from backend.domain.moves import MoveLine
from backend.domain.vocabulary import STOCK_KINDS
from backend.service.lane.state import Draft, OutOfLane


def plan_move(draft: Draft, command: MoveStock, actor: Actor) -> dict[str, Any]:
    world = draft.world
    source = world.places.get(command.from_location_id)
    dest = world.places.get(command.to_location_id)
    item = world.items.get(command.item_id)
    if source is None or dest is None or item is None:
        raise OutOfLane("not read")
    for place in (source, dest):
        actor.require_warehouse(place.warehouse_id)
        if place.kind not in STOCK_KINDS:
            raise OutOfLane("not a bin or dock")
    if command.serials or item.rules.tracking == "serial":
        raise OutOfLane("serials")
    lot_id = None
    if command.lot_number is not None:
        lot_id = world.lot_numbers.get((item.rules.id, command.lot_number))
        if lot_id is None:
            raise OutOfLane("no such lot")
    line = MoveLine(
        item.rules.id, command.quantity, source.id, dest.id, lot_id, None, None, command.note
    )
    draft.post(
        [line],
        occurred_at=command.occurred_at,
        document_type="bin_move",
        ref=str(command.event_id),
    )
    return {"quantity": command.quantity}
