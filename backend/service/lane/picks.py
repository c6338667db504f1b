"""Picks in the lane: `picking.pick_item` for whole, unserialised picks of reserved stock.
Short picks and serials go through the handler."""

from __future__ import annotations

import datetime as dt
from typing import Any

from backend.db.models import utcnow
from backend.domain.actor import Actor
from backend.domain.commands import PickItem
from backend.domain.moves import MoveLine
from backend.domain.scan_rules import require_scans
from backend.domain.vocabulary import ACTIVE_TASK_STATUSES
from backend.service.lane.state import Draft, OutOfLane
from backend.service.scans import gtin_forms


def plan_pick(draft: Draft, command: PickItem, actor: Actor) -> dict[str, Any]:
    world = draft.world
    line = draft.row("task_lines", command.task_line_id)
    task = draft.row("tasks", line["task_id"])
    if task["type"] != "pick":
        raise OutOfLane("not a pick line")
    actor.require_warehouse(task["warehouse_id"])
    if task["status"] not in ACTIVE_TASK_STATUSES or line["status"] != "open":
        raise OutOfLane("line not open")
    if task["assignee_id"] not in (None, actor.id):
        raise OutOfLane("someone else's task")
    item = world.items.get(line["item_id"])
    if item is None or item.rules.tracking == "serial" or command.serials:
        raise OutOfLane("serials")
    if command.short or command.quantity == 0:
        raise OutOfLane("short pick")
    _confirm(draft, command, line)
    lot = world.lots.get(line["lot_id"]) if line["lot_id"] is not None else None
    if line["lot_id"] is not None and lot is None:
        raise OutOfLane("lot not read")
    if lot is not None and lot.expiry_date is not None and lot.expiry_date < dt.date.today():
        raise OutOfLane("lot expired")
    if command.quantity > line["quantity"] - line["done_quantity"]:
        raise OutOfLane("more than left")
    reservation = draft.row("reservations", line["source_line_id"])
    if reservation["status"] != "open":
        raise OutOfLane("reservation closed")
    order_line = draft.row("sales_order_lines", reservation["order_line_id"])
    order = draft.row("sales_orders", order_line["order_id"])
    dest = line["to_location_id"] or world.shipping.get(task["warehouse_id"])
    if line["from_location_id"] is None or dest is None:
        raise OutOfLane("no source or destination")
    quantity = command.quantity
    draft.post(
        [MoveLine(item.rules.id, quantity, line["from_location_id"], dest, line["lot_id"],
                  None, "pick", None, True)],
        occurred_at=command.occurred_at,
        document_type="pick",
        ref=order["number"],
    )  # fmt: skip
    order_line["picked_quantity"] += quantity
    order_line["reserved_quantity"] -= quantity
    reservation["quantity"] -= quantity
    if reservation["quantity"] == 0:
        reservation["status"] = "picked"
    _progress(draft, task, line, quantity, actor)
    lines = [draft.row("sales_order_lines", i) for i in world.order_lines[order["id"]]]
    done = all(ln["picked_quantity"] >= ln["quantity"] for ln in lines)
    order["status"] = "picked" if done else "picking"
    draft.record(
        "sales_order", order["id"], "picked", line=order_line["line_no"], quantity=quantity, short=0
    )
    return {
        "order": order["number"],
        "order_status": order["status"],
        "picked": quantity,
        "short": 0,
        "line_status": line["status"],
        "task_status": task["status"],
    }


def _confirm(draft: Draft, command: PickItem, line: dict[str, Any]) -> None:
    """`confirm.confirm_scans` for a pick."""
    world = draft.world
    if command.location_id is not None and command.location_id != line["from_location_id"]:
        raise OutOfLane("wrong bin")
    if command.item_code is not None:
        found = set().union(*(world.barcodes.get(f, set()) for f in gtin_forms(command.item_code)))
        if found != {line["item_id"]}:
            raise OutOfLane("wrong or ambiguous item code")
    if command.lot_number is not None:
        lot = world.lots.get(line["lot_id"]) if line["lot_id"] is not None else None
        if lot is None or lot.lot_number != command.lot_number:
            raise OutOfLane("wrong lot")
    scanned = {"source_bin": command.location_id is not None, "item": command.item_code is not None}
    if line["lot_id"] is not None:
        scanned["lot"] = command.lot_number is not None
    require_scans(world.scan_rules, "pick", scanned)


def _progress(
    draft: Draft, task: dict[str, Any], line: dict[str, Any], quantity: int, actor: Actor
) -> None:
    """`tasks.progress` for a whole pick."""
    was_open = line["status"] == "open"
    line["done_quantity"] += quantity
    if line["done_quantity"] >= line["quantity"]:
        line["status"] = "done"
    if was_open and line["status"] != "open":
        draft.close_line("task", task["id"])
    if task["status"] in ("open", "assigned"):
        task["status"] = "in_progress"
        if task["assignee_id"] is None:
            task["assignee_id"] = actor.id
    draft.record("task", task["id"], "line_progress", line=line["seq"], quantity=quantity, short=0)
    if not draft.open_lines("task", task["id"]):
        task["status"] = "done"
        task["completed_at"] = utcnow()
        draft.record("task", task["id"], "done")
