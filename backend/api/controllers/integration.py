"""What other systems (finance, CRM, ERP) read: the event feed, and the webhooks it feeds."""

from __future__ import annotations

from typing import Annotated

from litestar import get
from litestar.params import FromQuery, QueryParameter

from backend.api.deps import Db
from backend.api.guards import requires_admin
from backend.api.schemas import FeedEventOut, FeedPage
from backend.service import feed

FeedLimit = Annotated[int, QueryParameter(ge=1, le=1000)]


@get(
    "/api/events",
    tags=["integration"],
    guards=[requires_admin],
    summary="Every document action and stock move, oldest first, after a cursor",
    description="Start without `after`; keep the `cursor` of each answer and send it back as "
    "`after`. A cursor never skips or repeats an event. Events appear a few seconds after "
    "they happen, once every transaction that could still add an earlier one has finished. "
    "Types: `stock.moved` (a ledger move, with quantity, value, from and to) and "
    "`document.<type>.<action>` (e.g. document.sales_order.shipped).",
)
async def list_events(
    db: Db, after: FromQuery[str | None] = None, limit: FeedLimit = 100
) -> FeedPage:
    events, cursor = await feed.page(db, feed.Cursor.decode(after), limit)
    return FeedPage(
        events=[FeedEventOut(id=e.id, type=e.type, at=e.at, data=e.data) for e in events],
        cursor=cursor.encode(),
    )
