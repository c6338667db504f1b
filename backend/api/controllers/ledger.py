"""The supervisor's view of ledger integrity."""

from __future__ import annotations

import msgspec
from litestar import get

from backend.api.deps import Db
from backend.api.guards import requires_supervisor
from backend.api.schemas import LedgerReport
from backend.service.sealing import verify_ledger


@get(
    "/api/ledger/verify",
    guards=[requires_supervisor],
    tags=["ledger"],
    summary="Check the hash chain and every command's moves; reports the first bad move",
)
async def verify(db: Db) -> LedgerReport:
    report = await verify_ledger(db)
    return msgspec.convert(report.as_dict(), LedgerReport)
