"""Cycle counts: supervisors create, schedule, review and measure them; workers count blind."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Controller, Response, get, post, put
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy import select

from backend.api.controllers.convert import event_out
from backend.api.controllers.operations import apply_and_answer
from backend.api.deps import CurrentActor, Db, Limit, Offset, Sessions
from backend.api.guards import requires_admin, requires_supervisor
from backend.api.schemas import (
    AccuracyReport,
    CountAccuracyOut,
    CountCreate,
    CountEntryOut,
    CountIntervals,
    CountLineOut,
    CountOut,
    CountPolicyBody,
    CountSummary,
    DocumentEventOut,
    HeldOut,
    Page,
    PlaceOut,
    Reason,
    ScheduledItem,
)
from backend.db.models import Count, utcnow
from backend.domain.actor import Actor
from backend.domain.commands import DecideCount, RecordCount
from backend.service import counting, counting_views, policies, queries
from backend.service.counting_rules import accuracy
from backend.service.counting_views import LineView, Progress


def _summary_fields(count: Count, progress: Progress, reveal: bool) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "id": count.id,
        "number": count.number,
        "warehouse_id": count.warehouse_id,
        "status": count.status,
        "blind": count.blind,
        "note": count.note,
        "created_by": count.created_by,
        "created_at": count.created_at,
        "completed_at": count.completed_at,
        "lines_total": progress.lines_total,
        "lines_open": progress.lines_open,
        "lines_counted": progress.lines_counted,
    }
    if reveal:
        # Accuracy is known once every line is counted (review or closed), not before.
        known = count.status in ("review", "closed")
        fields |= {
            "pending_variances": progress.pending_variances,
            "pending_value": progress.pending_value,
            "lines_accurate": count.lines_accurate if known else None,
            "accuracy": accuracy(count.lines_counted, count.lines_accurate) if known else None,
        }
    return fields


def _entry_out(row: dict[str, Any]) -> CountEntryOut:
    entry = row["entry"]
    return CountEntryOut(
        id=entry.id,
        item_id=entry.item_id,
        sku=row["sku"],
        lot_number=row["lot_number"],
        quantity=entry.quantity,
        book_quantity=entry.book_quantity,
        variance=entry.variance,
        variance_value=entry.variance_value,
        status=entry.status,
        required_role=row["required_role"],
        decided_by=entry.decided_by,
        decided_at=entry.decided_at,
        decision_note=entry.decision_note,
    )


def _line_out(view: LineView, reveal: bool) -> CountLineOut:
    line = view.line
    out = CountLineOut(
        id=line.id,
        seq=line.seq,
        task_id=line.task_id,
        location_id=line.location_id,
        location_code=view.location_code,
        item_id=line.item_id,
        sku=view.sku,
        status=view.status,
        counted_by=line.counted_by,
        counted_at=line.counted_at,
    )
    if reveal:
        out.round = line.round
        out.recount_of_id = line.recount_of_id
        out.excluded_user_id = line.excluded_user_id
        out.entries = [_entry_out(e) for e in view.entries]
        out.expected = [HeldOut(**held) for held in view.expected]
    return out


async def count_view(db: Db, actor: Actor, count: Count, task_id: int | None = None) -> CountOut:
    reveal = counting_views.sees_book(actor, count)
    views = await counting_views.line_views(db, actor, count, task_id)
    progress = counting_views.progress_of(views)
    if reveal:
        progress = (await counting_views.progress(db, [count.id]))[count.id]
    return CountOut(
        **_summary_fields(count, progress, reveal), lines=[_line_out(v, reveal) for v in views]
    )


def _utc(at: dt.datetime | None) -> dt.datetime | None:
    """A time given without an offset is read as UTC rather than refused."""
    return at.replace(tzinfo=dt.UTC) if at is not None and at.tzinfo is None else at


class CountController(Controller):
    path = "/api/counts"
    tags = ["counts"]

    @post(
        "/",
        guards=[requires_supervisor],
        summary="Create a cycle count of a range of bins, some locations, items or an ABC "
        "class, with one task (optionally assigned) to count it in walking order",
        description="A scope that selects nothing is refused with invalid_request.",
    )
    async def create(self, db: Db, actor: CurrentActor, data: JSONBody[CountCreate]) -> CountOut:
        plan = counting.CountPlan(
            warehouse_id=data.warehouse_id,
            scope=counting.CountScope(
                from_code=data.from_code,
                to_code=data.to_code,
                location_ids=data.location_ids,
                item_ids=data.item_ids,
                abc_class=data.abc_class,
            ),
            blind=data.blind,
            assignee_id=data.assignee_id,
            priority=data.priority,
            due_at=_utc(data.due_at),
            note=data.note,
        )
        async with db.begin():
            count = await counting.create_count(db, actor, plan)
        return await count_view(db, actor, count)

    @get(
        "/",
        guards=[requires_supervisor],
        summary="Counts of the supervisor's warehouses with progress and pending variances",
    )
    async def list_counts(
        self,
        db: Db,
        actor: CurrentActor,
        limit: Limit = 50,
        offset: Offset = 0,
        warehouse_id: FromQuery[int | None] = None,
        status: FromQuery[str | None] = None,
    ) -> Page[CountSummary]:
        query = queries.scoped(select(Count).order_by(Count.id.desc()), Count.warehouse_id, actor)
        query = queries.matching(query, (Count.warehouse_id, warehouse_id), (Count.status, status))
        rows, total = await queries.record_page(db, query, limit, offset)
        progress = await counting_views.progress(db, [c.id for c in rows])
        items = [CountSummary(**_summary_fields(c, progress[c.id], True)) for c in rows]
        return Page(items=items, total=total, limit=limit, offset=offset)

    @get(
        "/schedule",
        guards=[requires_supervisor],
        summary="What to count today: items whose ABC interval has run out since their last "
        "count (or never counted), most overdue first, with the bins they are in",
    )
    async def schedule(
        self, db: Db, actor: CurrentActor, warehouse_id: FromQuery[int], limit: Limit = 50
    ) -> list[ScheduledItem]:
        now = utcnow()
        due = await counting_views.schedule(db, actor, warehouse_id, limit, now)
        return [
            ScheduledItem(
                item_id=d.item.id,
                sku=d.item.sku,
                name=d.item.name,
                abc_class=d.item.abc_class or "",
                interval_days=d.interval_days,
                last_counted_at=d.last_counted_at,
                due_at=d.due_at,
                days_overdue=d.days_overdue(now),
                locations=[PlaceOut(location_id=i, code=c) for i, c in d.locations],
            )
            for d in due
        ]

    @get(
        "/accuracy",
        guards=[requires_supervisor],
        summary="Inventory record accuracy over the counts closed in a period, and per count",
    )
    async def accuracy_report(
        self,
        db: Db,
        actor: CurrentActor,
        warehouse_id: FromQuery[int | None] = None,
        since: FromQuery[dt.datetime | None] = None,
        until: FromQuery[dt.datetime | None] = None,
    ) -> AccuracyReport:
        since, until = _utc(since), _utc(until)
        counts = await counting_views.closed_counts(db, actor, warehouse_id, since, until)
        counted = sum(c.lines_counted for c in counts)
        accurate = sum(c.lines_accurate for c in counts)
        return AccuracyReport(
            warehouse_id=warehouse_id,
            since=since,
            until=until,
            lines_counted=counted,
            lines_accurate=accurate,
            accuracy=accuracy(counted, accurate),
            counts=[
                CountAccuracyOut(
                    count_id=c.id,
                    number=c.number,
                    warehouse_id=c.warehouse_id,
                    completed_at=c.completed_at,
                    lines_counted=c.lines_counted,
                    lines_accurate=c.lines_accurate,
                    accuracy=accuracy(c.lines_counted, c.lines_accurate),
                )
                for c in counts
            ],
        )

    @get(
        "/{count_id:int}",
        summary="A count's lines in walking order; a blind count shows workers no book "
        "quantity and no variance",
        description="Supervisors (and everyone, for a count that is not blind) also see each "
        "line's entries (counted, book, variance, value) and what open lines hold now. "
        "`task_id` keeps the lines of one task.",
    )
    async def get_count(
        self,
        db: Db,
        actor: CurrentActor,
        count_id: FromPath[int],
        task_id: FromQuery[int | None] = None,
    ) -> CountOut:
        count = await counting_views.count_in_scope(db, actor, count_id)
        return await count_view(db, actor, count, task_id)

    @get(
        "/{count_id:int}/history",
        guards=[requires_supervisor],
        summary="Who did what on a count: created, lines counted, decisions, closed",
    )
    async def history(
        self, db: Db, actor: CurrentActor, count_id: FromPath[int]
    ) -> list[DocumentEventOut]:
        count = await counting_views.count_in_scope(db, actor, count_id)
        return [event_out(h) for h in await queries.history(db, "count", count.id)]

    @post(
        "/{count_id:int}/cancel",
        guards=[requires_supervisor],
        status_code=200,
        summary="Cancel a count: open lines and tasks are cancelled, pending variances rejected",
    )
    async def cancel(
        self, db: Db, actor: CurrentActor, count_id: FromPath[int], data: JSONBody[Reason]
    ) -> CountOut:
        async with db.begin():
            count = await counting.cancel_count(db, actor, count_id, data.reason)
        return await count_view(db, actor, count)

    @post(
        "/records",
        summary="Record what was counted in one line of a count (a command, idempotent by "
        "event_id); the answer never tells the book or the variance",
        description="List every item (and lot) found with its quantity; what the book held "
        "and is not listed counts as zero. An empty bin is sent with empty=true and no "
        "entries; no entries without empty=true is refused. The book is taken as of "
        "occurred_at, so moves made after the count are not variances. Serial-tracked items "
        "are counted by quantity (serial numbers are not captured). A recount line cannot be "
        "counted by the first counter (recount_by_other).",
    )
    async def record(
        self, state: State, sessions: Sessions, actor: CurrentActor, data: JSONBody[RecordCount]
    ) -> Response[Any]:
        return await apply_and_answer(state, sessions, data, actor)

    @post(
        "/decisions",
        guards=[requires_supervisor],
        summary="Approve or reject a count's variances (a command, idempotent by event_id); "
        "approval posts the adjustments",
        description="Without entry_ids every pending variance of the count is decided. A "
        "variance worth more than the policy's admin_over needs an admin: a supervisor's "
        "decision including one is refused whole (403). Approval moves the variance between "
        "the bin and the adjustment location; a bin that no longer holds a loss to take "
        "refuses the decision (insufficient_stock). Serial-tracked variances are adjusted "
        "with their serials through /api/adjustments and then rejected here.",
    )
    async def decide(
        self, state: State, sessions: Sessions, actor: CurrentActor, data: JSONBody[DecideCount]
    ) -> Response[Any]:
        return await apply_and_answer(state, sessions, data, actor)


def _policy_body(policy: policies.CountPolicy) -> CountPolicyBody:
    return CountPolicyBody(
        recount_over_quantity=policy.recount_over_quantity,
        recount_over_value=policy.recount_over_value,
        admin_over=policy.admin_over,
        interval_days=CountIntervals(**dict(policy.interval_days)),
    )


@get(
    "/api/settings/count-policy",
    tags=["counts"],
    guards=[requires_supervisor],
    summary="Cycle-count limits: when a recount is asked for, when an admin must decide, how "
    "often each ABC class is counted",
)
async def get_count_policy(db: Db) -> CountPolicyBody:
    return _policy_body(await policies.count_policy(db))


@put(
    "/api/settings/count-policy",
    tags=["counts"],
    guards=[requires_admin],
    summary="Set the cycle-count limits and the ABC counting intervals",
)
async def set_count_policy(db: Db, data: JSONBody[CountPolicyBody]) -> CountPolicyBody:
    policy = policies.CountPolicy(
        recount_over_quantity=data.recount_over_quantity,
        recount_over_value=data.recount_over_value,
        admin_over=data.admin_over,
        interval_days=(
            ("A", data.interval_days.A),
            ("B", data.interval_days.B),
            ("C", data.interval_days.C),
        ),
    )
    async with db.begin():
        await policies.set_count_policy(db, policy)
    return _policy_body(policy)
