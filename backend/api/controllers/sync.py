"""The handheld's offline data: a snapshot of master data and its tasks, or a delta."""

from __future__ import annotations

from typing import Any

from litestar import get
from litestar.params import FromQuery

from backend.api.controllers.convert import task_out
from backend.api.deps import CurrentActor, Db
from backend.api.schemas import BarcodeTable, Snapshot, Table
from backend.service import snapshot


def _table(data: dict[str, Any]) -> Table:
    return Table(columns=data["columns"], rows=[list(row) for row in data["rows"]])


@get(
    "/api/sync/snapshot",
    tags=["sync"],
    summary="Master data and my tasks for working offline: all of it, or what changed "
    "since `since` (the cursor of the previous answer)",
    description="Tables come as column names and rows. Keep `cursor` and send it back as "
    "`since` for a delta; rows may repeat across deltas, so store them by id. In a delta, "
    "barcodes replace the whole list of each item listed in items. Tasks are always the "
    "user's full current queue. Responses are gzip-compressed for clients that accept it.",
)
async def get_snapshot(
    db: Db, actor: CurrentActor, since: FromQuery[str | None] = None
) -> Snapshot:
    data = await snapshot.build(db, actor, since)
    return Snapshot(
        cursor=data["cursor"],
        full=data["full"],
        taken_at=data["taken_at"],
        warehouses=_table(data["warehouses"]),
        items=_table(data["items"]),
        barcodes=BarcodeTable(
            columns=data["barcodes"]["columns"],
            rows=[list(row) for row in data["barcodes"]["rows"]],
            replaces_items=data["barcodes"]["replaces_items"],
        ),
        locations=_table(data["locations"]),
        lots=_table(data["lots"]),
        tasks=[task_out(task, lines) for task, lines in data["tasks"]],
    )
