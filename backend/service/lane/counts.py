"""Count records in the lane: `counting_record.record_count` for lines that need no recount
(a recount goes through the handler). A count whose last line the run counted is settled by
`counting.settle` once the run is written."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from backend.db.models import utcnow
from backend.domain.actor import Actor
from backend.domain.commands import RecordCount
from backend.domain.vocabulary import ACTIVE_TASK_STATUSES
from backend.service.counting import OPEN_COUNT_STATUSES
from backend.service.counting_book import BookKey, worked_back
from backend.service.counting_record import MAX_VALUE
from backend.service.counting_rules import judge, line_verdict
from backend.service.lane.state import CommandRef, Draft, OutOfLane


def plan_count(draft: Draft, command: RecordCount, actor: Actor) -> dict[str, Any]:
    world = draft.world
    line = draft.row("count_lines", command.count_line_id)
    count = draft.row("counts", line["count_id"])
    actor.require_warehouse(count["warehouse_id"])
    if count["status"] != "counting" or line["status"] != "open":
        raise OutOfLane("line not open")
    if line["excluded_user_id"] == actor.id:
        raise OutOfLane("recount by another")
    task = draft.row("tasks", line["task_id"])
    if task["status"] not in ACTIVE_TASK_STATUSES or task["assignee_id"] not in (None, actor.id):
        raise OutOfLane("task not open to this worker")
    counted = _counted(draft, command, line)
    book = _book(draft, line, command)
    if line["item_id"] is not None and not any(k[0] == line["item_id"] for k in (*counted, *book)):
        counted[(line["item_id"], None)] = 0
    statuses = []
    for key in sorted(set(counted) | set(book), key=lambda k: (k[0], k[1] or 0)):
        item = world.items.get(key[0])
        if item is None:
            raise OutOfLane("item not read")
        quantity, on_book = counted.get(key, 0), book.get(key, 0)
        variance = quantity - on_book
        value = Decimal(variance) * item.unit_cost
        if abs(value) >= MAX_VALUE:
            raise OutOfLane("implausible value")
        status = judge(variance, value, line["round"], world.count_policy)
        if status == "recount":
            raise OutOfLane("recount")
        statuses.append(status)
        draft.entries.append(
            {"count_line_id": line["id"], "item_id": key[0], "lot_id": key[1],
             "quantity": quantity, "book_quantity": on_book, "variance": variance,
             "variance_value": value, "status": status}
        )  # fmt: skip
    line["status"] = line_verdict(statuses)
    line["counted_by"], line["counted_at"] = actor.id, command.occurred_at
    line["command_id"] = CommandRef(draft.event)
    draft.close_line("count_task", task["id"])
    draft.close_line("count", count["id"])
    draft.record("count", count["id"], "line_counted", line=line["seq"])
    if task["status"] in ("open", "assigned"):
        task["status"] = "in_progress"
        if task["assignee_id"] is None:
            task["assignee_id"] = actor.id
    draft.record("task", task["id"], "line_counted", line=line["seq"])
    if not draft.open_lines("count_task", task["id"]):
        task["status"] = "done"
        task["completed_at"] = utcnow()
        draft.record("task", task["id"], "done")
    if count["status"] in OPEN_COUNT_STATUSES and not draft.open_lines("count", count["id"]):
        draft.settles = count["id"]
    draft.count_ids.add(count["id"])
    return {"count": count["number"], "count_line_id": line["id"], "status": "counted"}


def _counted(draft: Draft, command: RecordCount, line: dict[str, Any]) -> dict[BookKey, int]:
    if command.empty == bool(command.entries):
        raise OutOfLane("empty and entries disagree")
    counted: dict[BookKey, int] = {}
    for entry in command.entries:
        item = draft.world.items.get(entry.item_id)
        if item is None:
            raise OutOfLane("item not read")
        if line["item_id"] is not None and item.rules.id != line["item_id"]:
            raise OutOfLane("another item")
        tracking = item.rules.tracking
        if (tracking == "lot") != (entry.lot_number is not None) and tracking != "serial":
            raise OutOfLane("lot tracking")
        lot_id = None
        if entry.lot_number is not None:
            lot_id = draft.world.lot_numbers.get((item.rules.id, entry.lot_number))
            if lot_id is None:
                raise OutOfLane("a new lot")
        key = (item.rules.id, lot_id)
        if key in counted:
            raise OutOfLane("listed twice")
        counted[key] = entry.quantity
    return counted


def _book(draft: Draft, line: dict[str, Any], command: RecordCount) -> dict[BookKey, int]:
    """`counting_book.book_as_of`, over the quants and moves the run read and what the run's
    earlier events changed and posted."""
    world = draft.world
    if world.bin_moves is None:
        raise OutOfLane("too many moves to work the book back")
    location = line["location_id"]
    now: dict[BookKey, int] = defaultdict(int)
    for (item, place, lot_key), held in world.quants.items():
        if place == location:
            now[(item, lot_key or None)] += held[1]
    for (item, place, lot_key), (on_hand, _) in draft.state.deltas.items():
        if place == location:
            now[(item, lot_key or None)] += on_hand
    pending = [
        (m.line.from_location_id, m.line.to_location_id, m.line.item_id, m.line.lot_id,
         m.line.quantity, m.occurred_at)
        for m in draft.state.moves
    ]  # fmt: skip
    return worked_back(
        now.items(),
        [*world.bin_moves, *pending],
        location,
        command.occurred_at,
        item_id=line["item_id"],
    )
