"""Time split into intervals: calendar buckets, and SQL that sums rows per interval in one
grouped query, so a year of daily figures costs a few queries rather than one per day."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Literal

from sqlalchemy import ColumnElement, Integer, Select, case, func, literal_column, select

Bucket = Literal["day", "week", "month"]
BUCKETS: tuple[str, ...] = Bucket.__args__  # type: ignore[attr-defined]


def _floor(at: dt.datetime, bucket: Bucket) -> dt.datetime:
    """The start of the UTC day, ISO week (Monday) or calendar month holding `at`."""
    day = at.astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if bucket == "week":
        return day - dt.timedelta(days=day.weekday())
    if bucket == "month":
        return day.replace(day=1)
    return day


def _next(start: dt.datetime, bucket: Bucket) -> dt.datetime:
    if bucket == "day":
        return start + dt.timedelta(days=1)
    if bucket == "week":
        return start + dt.timedelta(days=7)
    return start.replace(year=start.year + start.month // 12, month=start.month % 12 + 1)


def calendar_edges(now: dt.datetime, days: int, bucket: Bucket) -> list[dt.datetime]:
    """Edges of the buckets covering the last `days` days: the first bucket is the one holding
    the moment `days` days ago, the last one is the current bucket and ends at `now`."""
    edges = [_floor(now - dt.timedelta(days=days), bucket)]
    while (following := _next(edges[-1], bucket)) < now:
        edges.append(following)
    edges.append(now)
    return edges


def position(column: Any, edges: Sequence[dt.datetime], *, inclusive: bool) -> ColumnElement[int]:
    """How many of the ascending `edges` lie before the time in `column` (or at it, when
    `inclusive`). Built as a balanced tree of CASE expressions: each row costs about
    log2(len(edges)) comparisons, and every dialect evaluates it the same way."""

    def count(low: int, high: int) -> ColumnElement[int]:
        # edges[:low] are known to lie before the value and edges[high:] after it.
        if low == high:
            return literal_column(str(low), Integer)
        middle = (low + high) // 2
        before = column >= edges[middle] if inclusive else column > edges[middle]
        return case((before, count(middle + 1, high)), else_=count(low, middle))

    return count(0, len(edges))


def per_slot(query: Select[Any], slot: ColumnElement[int]) -> Select[Any]:
    """The sums of `query`'s (labelled) columns per slot, as rows (slot, sum, …). The slot is
    grouped on from a subquery: PostgreSQL does not see a CASE with bound parameters in the
    select list and the same CASE in GROUP BY as one expression."""
    inner = query.add_columns(slot.label("slot")).subquery()
    sums = [func.sum(c) for c in inner.c if c.key != "slot"]
    return select(inner.c.slot, *sums).group_by(inner.c.slot)
