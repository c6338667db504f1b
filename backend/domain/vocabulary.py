"""The fixed vocabularies of the warehouse: kinds of location, tracking, roles, reasons."""

from __future__ import annotations

from typing import Literal

LocationKind = Literal[
    "zone", "bin", "dock", "supplier", "customer", "adjustment", "scrap", "transit"
]
LOCATION_KINDS: tuple[str, ...] = LocationKind.__args__  # type: ignore[attr-defined]
# Real locations hold physical stock and may never go negative; virtual ones are the other
# side of every receipt, shipment and adjustment and carry the negative balances.
STOCK_KINDS = ("bin", "dock")
VIRTUAL_KINDS = ("supplier", "customer", "adjustment", "scrap", "transit")
# Every warehouse gets one of each of these when it is created.
WAREHOUSE_VIRTUAL_KINDS = ("supplier", "customer", "adjustment", "scrap")

Tracking = Literal["none", "lot", "serial"]
TRACKING: tuple[str, ...] = Tracking.__args__  # type: ignore[attr-defined]

Role = Literal["worker", "supervisor", "admin"]
ROLES: tuple[str, ...] = Role.__args__  # type: ignore[attr-defined]
ROLE_RANK = {"worker": 0, "supervisor": 1, "admin": 2}

AbcClass = Literal["A", "B", "C"]
ABC: tuple[str, ...] = AbcClass.__args__  # type: ignore[attr-defined]

AdjustmentReason = Literal["damage", "loss", "found", "expired", "other"]
# Where stock taken out for each reason goes; `found` brings stock in.
REASON_DESTINATION = {
    "damage": "scrap",
    "expired": "scrap",
    "loss": "adjustment",
    "other": "adjustment",
    "found": "adjustment",
}


def is_virtual(kind: str) -> bool:
    return kind in VIRTUAL_KINDS


# What a dock or bin is for; receipts land on the receiving dock, damage in quarantine.
PURPOSES = ("receiving", "shipping", "quarantine")

PO_STATUSES = (
    "draft",
    "pending_approval",
    "approved",
    "partially_received",
    "received",
    "rejected",
    "cancelled",
)
RECEIVABLE_PO_STATUSES = ("approved", "partially_received")

TASK_TYPES = ("receive", "putaway", "pick", "count", "transfer")
TASK_STATUSES = ("open", "assigned", "in_progress", "done", "cancelled")
ACTIVE_TASK_STATUSES = ("open", "assigned", "in_progress")
TASK_LINE_STATUSES = ("open", "done", "short", "cancelled")

SO_STATUSES = (
    "draft",
    "allocated",
    "partially_allocated",
    "picking",
    "picked",
    "shipped",
    "cancelled",
)

# Packed, then closed (sealed and labelled), then shipped with the rest of the shipment.
PACKAGE_STATUSES = ("open", "closed", "shipped")

# A count is counted, then reviewed (variances await a decision), then closed.
COUNT_STATUSES = ("counting", "review", "closed", "cancelled")
COUNT_LINE_STATUSES = ("open", "counted", "recount", "cancelled")
# accepted: matched the book; pending: awaits a decision; recount: superseded by a recount.
COUNT_ENTRY_STATUSES = ("accepted", "pending", "recount", "approved", "rejected")
ADJUSTMENT_REQUEST_STATUSES = ("pending", "approved", "rejected")
TRANSFER_STATUSES = ("open", "in_transit", "partially_received", "received", "closed", "cancelled")

# Alerts: what the system warns about, each open at most once per subject until resolved.
AlertKind = Literal["low_stock", "near_expiry", "expired", "count_variance", "sensor"]
ALERT_KINDS: tuple[str, ...] = AlertKind.__args__  # type: ignore[attr-defined]
ALERT_STATUSES = ("open", "resolved")
# What each role is pushed, per warehouse, until the user chooses otherwise.
DEFAULT_PUSH_KINDS: dict[str, tuple[str, ...]] = {
    "worker": (),
    "supervisor": ("low_stock", "expired", "count_variance", "sensor"),
    "admin": (),
}
SensorKind = Literal["temperature", "humidity"]
SENSOR_KINDS: tuple[str, ...] = SensorKind.__args__  # type: ignore[attr-defined]
# pending → sending (claimed by a worker) → sent; or back to pending with a later
# next_attempt_at; failed after the last attempt; dropped when the push service says the
# subscription is gone; skipped when the alert was resolved before it could be sent.
DELIVERY_STATUSES = ("pending", "sending", "sent", "failed", "dropped", "skipped")
