"""Scan-to-confirm rules, set by supervisors and enforced by the server on every scan."""

from __future__ import annotations

from typing import Literal

from litestar import get, put
from litestar.params import JSONBody

from backend.api.deps import Db
from backend.api.guards import requires_admin, requires_supervisor
from backend.api.schemas import Gs1Identity
from backend.domain.errors import InvalidRequest
from backend.domain.scan_rules import OPERATION_FIELDS
from backend.service import policies

Rules = dict[str, dict[str, Literal["required", "optional"]]]


@get(
    "/api/settings/scan-rules",
    tags=["tasks"],
    summary="Which scans confirm each operation (putaway, pick): required or optional",
)
async def get_scan_rules(db: Db) -> Rules:
    return await policies.scan_rules(db)  # type: ignore[return-value]


@put(
    "/api/settings/scan-rules",
    tags=["tasks"],
    guards=[requires_supervisor],
    summary="Set which scans are required to confirm putaway and picking",
)
async def set_scan_rules(db: Db, data: JSONBody[Rules]) -> Rules:
    for operation, fields in data.items():
        if operation not in OPERATION_FIELDS:
            raise InvalidRequest(
                f"unknown operation {operation}", operations=list(OPERATION_FIELDS)
            )
        if unknown := set(fields) - set(OPERATION_FIELDS[operation]):
            raise InvalidRequest(
                f"{operation} has no scan {', '.join(sorted(unknown))}",
                fields=list(OPERATION_FIELDS[operation]),
            )
    async with db.begin():
        current = await policies.scan_rules(db)
        for operation, fields in data.items():
            current[operation].update(fields)
        await policies.set_scan_rules(db, current)
    return current  # type: ignore[return-value]


@get(
    "/api/settings/gs1",
    tags=["shipping"],
    guards=[requires_supervisor],
    summary="The GS1 company prefix and extension digit package SSCCs are made from",
)
async def get_gs1_identity(db: Db) -> dict[str, str | None]:
    identity = await policies.gs1_identity(db) or {}
    return {
        "company_prefix": identity.get("company_prefix"),
        "extension_digit": identity.get("extension_digit"),
    }


@put(
    "/api/settings/gs1",
    tags=["shipping"],
    guards=[requires_admin],
    summary="Set the GS1 company prefix (from the company's GS1 membership) for SSCCs",
)
async def set_gs1_identity(db: Db, data: JSONBody[Gs1Identity]) -> dict[str, str | None]:
    async with db.begin():
        await policies.set_gs1_identity(db, data.company_prefix, data.extension_digit)
    return {"company_prefix": data.company_prefix, "extension_digit": data.extension_digit}
