"""Count variances: one alert per count while any of its variances awaits a decision."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import Alert, Command, Count, CountEntry, CountLine, Warehouse
from backend.service.alerts_store import Draft, open_alert, resolve_alert

KIND = "count_variance"
# The commands after which a count's pending variances may have changed.
COMMANDS = ("record_count", "decide_count")


def subject(count_id: int) -> str:
    return f"count:{count_id}"


async def command_applied(session: AsyncSession, row: Command) -> None:
    if row.type == "decide_count":
        count_id = row.payload.get("count_id")
    else:
        count_id = await session.scalar(
            select(CountLine.count_id).where(CountLine.id == row.payload.get("count_line_id"))
        )
    if count_id is not None:
        await judge(session, [int(count_id)], command_id=row.id)


async def judge(
    session: AsyncSession, count_ids: Iterable[int], *, command_id: int | None = None
) -> None:
    ids = set(count_ids)
    if not ids:
        return
    pending = {
        count_id: (int(entries), int(units or 0), Decimal(value or 0))
        for count_id, entries, units, value in (
            await session.execute(
                select(
                    CountLine.count_id,
                    func.count(CountEntry.id),
                    func.sum(func.abs(CountEntry.variance)),
                    func.sum(func.abs(CountEntry.variance_value)),
                )
                .join(CountLine, CountLine.id == CountEntry.count_line_id)
                .where(CountLine.count_id.in_(ids), CountEntry.status == "pending")
                .group_by(CountLine.count_id)
            )
        ).tuples()
    }
    counts = await session.execute(
        select(Count.id, Count.number, Count.warehouse_id, Warehouse.code)
        .join(Warehouse, Warehouse.id == Count.warehouse_id)
        .where(Count.id.in_(ids))
        .order_by(Count.id)
    )
    for count_id, number, warehouse_id, code in counts.tuples():
        if count_id in pending:
            entries, units, value = pending[count_id]
            await open_alert(
                session,
                Draft(
                    kind=KIND,
                    warehouse_id=warehouse_id,
                    subject=subject(count_id),
                    title=f"Count {number} in {code}: variances to decide",
                    body=f"{entries} variance(s) of count {number} await approval "
                    f"({units} units, value {value.quantize(Decimal('0.01'))}).",
                    url=f"/#/counts/{count_id}",
                    details={
                        "count": {"id": count_id, "number": number},
                        "quantities": {
                            "pending_entries": entries,
                            "units": units,
                            "value": str(value.quantize(Decimal("0.01"))),
                        },
                    },
                    count_id=count_id,
                ),
                command_id=command_id,
            )
        else:
            await resolve_alert(
                session,
                KIND,
                warehouse_id,
                subject(count_id),
                {"reason": "no variance awaits a decision"},
                command_id=command_id,
            )


async def sweep(session: AsyncSession) -> None:
    """Counts with pending variances, and counts whose alert is open (a count cancelled
    outside a command leaves no pending variance behind)."""
    pending = await session.execute(
        select(CountLine.count_id)
        .join(CountEntry, CountEntry.count_line_id == CountLine.id)
        .where(CountEntry.status == "pending")
        .distinct()
    )
    alerted = await session.execute(
        select(Alert.count_id).where(
            Alert.kind == KIND, Alert.status == "open", Alert.count_id.is_not(None)
        )
    )
    await judge(session, {c for c in (*pending.scalars(), *alerted.scalars()) if c is not None})
