"""The rules of cycle counting that need no database: judging a variance, who may decide it,
accuracy, and when an item falls due."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from backend.service.policies import CountPolicy

# A round-2 line is the recount: its result stands, there is no third round.
FINAL_ROUND = 2


def judge(variance: int, value: Decimal, count_round: int, policy: CountPolicy) -> str:
    """The status of one counted entry: accepted when it matches the book, recount when a
    first count is too far off to trust, else pending (a supervisor decides)."""
    if variance == 0:
        return "accepted"
    beyond = abs(variance) > policy.recount_over_quantity or abs(value) > policy.recount_over_value
    if count_round < FINAL_ROUND and beyond:
        return "recount"
    return "pending"


def line_verdict(statuses: list[str]) -> str:
    """A line is recounted whole when any of its entries asks for it: the recount covers the
    same bin (or item) and supersedes every entry of the first round."""
    return "recount" if "recount" in statuses else "counted"


def required_role(value: Decimal, policy: CountPolicy) -> str:
    return "admin" if abs(value) > policy.admin_over else "supervisor"


def accuracy(lines_counted: int, lines_accurate: int) -> Decimal | None:
    """Inventory record accuracy in percent, two decimals; None when nothing was counted."""
    if lines_counted == 0:
        return None
    return (Decimal(100) * lines_accurate / lines_counted).quantize(Decimal("0.01"))


def due_at(last_counted: dt.datetime | None, interval_days: int) -> dt.datetime | None:
    """When an item falls due again; None for an item never counted (due since always)."""
    return None if last_counted is None else last_counted + dt.timedelta(days=interval_days)
