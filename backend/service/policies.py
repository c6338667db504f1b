"""Operator-tunable policies kept in the settings table, with their defaults."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import Setting
from backend.domain.scan_rules import merged

PO_APPROVAL = "po_approval"
# Purchase orders above `supervisor_over` need a supervisor's approval, above `admin_over` an
# admin's; below the first they are approved when submitted.
PO_APPROVAL_DEFAULT = {"supervisor_over": "1000", "admin_over": "10000"}


async def po_approval_limits(session: AsyncSession) -> tuple[Decimal, Decimal]:
    row = await session.get(Setting, PO_APPROVAL)
    value = row.value if row else PO_APPROVAL_DEFAULT
    return Decimal(value["supervisor_over"]), Decimal(value["admin_over"])


async def set_po_approval_limits(
    session: AsyncSession, supervisor_over: Decimal, admin_over: Decimal
) -> None:
    value = {"supervisor_over": str(supervisor_over), "admin_over": str(admin_over)}
    row = await session.get(Setting, PO_APPROVAL)
    if row is None:
        session.add(Setting(key=PO_APPROVAL, value=value))
    else:
        row.value = value
    await session.flush()


def approval_role(total: Decimal, supervisor_over: Decimal, admin_over: Decimal) -> str | None:
    if total > admin_over:
        return "admin"
    if total > supervisor_over:
        return "supervisor"
    return None


SCAN_RULES = "scan_rules"


async def scan_rules(session: AsyncSession) -> dict[str, dict[str, str]]:
    row = await session.get(Setting, SCAN_RULES)
    return merged(row.value if row else None)


async def set_scan_rules(session: AsyncSession, rules: dict[str, dict[str, str]]) -> None:
    row = await session.get(Setting, SCAN_RULES)
    if row is None:
        session.add(Setting(key=SCAN_RULES, value=rules))
    else:
        row.value = rules
    await session.flush()


GS1_IDENTITY = "gs1"


async def gs1_identity(session: AsyncSession) -> dict[str, str] | None:
    """The company's GS1 prefix and SSCC extension digit, once an admin has set them."""
    row = await session.get(Setting, GS1_IDENTITY)
    return dict(row.value) if row else None


async def set_gs1_identity(
    session: AsyncSession, company_prefix: str, extension_digit: str
) -> None:
    value = {"company_prefix": company_prefix, "extension_digit": extension_digit}
    row = await session.get(Setting, GS1_IDENTITY)
    if row is None:
        session.add(Setting(key=GS1_IDENTITY, value=value))
    else:
        row.value = value
    await session.flush()
