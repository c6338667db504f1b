"""Operator-tunable policies kept in the settings table, with their defaults."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

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


ADJUSTMENT_APPROVAL = "adjustment_approval"
# Stock adjustments worth more than `supervisor_over` (|quantity| x unit cost) need a
# supervisor, above `admin_over` an admin; whoever holds the role posts them at once.
ADJUSTMENT_APPROVAL_DEFAULT = {"supervisor_over": "100", "admin_over": "1000"}


async def adjustment_approval_limits(session: AsyncSession) -> tuple[Decimal, Decimal]:
    row = await session.get(Setting, ADJUSTMENT_APPROVAL)
    value = row.value if row else ADJUSTMENT_APPROVAL_DEFAULT
    return Decimal(value["supervisor_over"]), Decimal(value["admin_over"])


async def set_adjustment_approval_limits(
    session: AsyncSession, supervisor_over: Decimal, admin_over: Decimal
) -> None:
    value = {"supervisor_over": str(supervisor_over), "admin_over": str(admin_over)}
    row = await session.get(Setting, ADJUSTMENT_APPROVAL)
    if row is None:
        session.add(Setting(key=ADJUSTMENT_APPROVAL, value=value))
    else:
        row.value = value
    await session.flush()


COUNT_POLICY = "count_policy"


@dataclass(frozen=True)
class CountPolicy:
    """Cycle-count limits. A round-1 variance beyond `recount_over_quantity` units or
    `recount_over_value` in value is recounted by someone else; every variance needs a
    supervisor's decision, one worth more than `admin_over` an admin's. `interval_days` is how
    often items of each ABC class fall due for counting."""

    recount_over_quantity: int = 5
    recount_over_value: Decimal = Decimal("50")
    admin_over: Decimal = Decimal("1000")
    interval_days: tuple[tuple[str, int], ...] = (("A", 30), ("B", 90), ("C", 180))

    def interval(self, abc_class: str) -> int:
        return dict(self.interval_days)[abc_class]

    def as_value(self) -> dict[str, Any]:
        return {
            "recount_over_quantity": self.recount_over_quantity,
            "recount_over_value": str(self.recount_over_value),
            "admin_over": str(self.admin_over),
            "interval_days": dict(self.interval_days),
        }


async def count_policy(session: AsyncSession) -> CountPolicy:
    """The stored policy over the defaults: a setting saved before a key existed keeps working."""
    row = await session.get(Setting, COUNT_POLICY)
    stored: dict[str, Any] = row.value if row else {}
    default = CountPolicy()
    intervals = {**dict(default.interval_days), **stored.get("interval_days", {})}
    return CountPolicy(
        recount_over_quantity=int(
            stored.get("recount_over_quantity", default.recount_over_quantity)
        ),
        recount_over_value=Decimal(stored.get("recount_over_value", default.recount_over_value)),
        admin_over=Decimal(stored.get("admin_over", default.admin_over)),
        interval_days=tuple((k, int(intervals[k])) for k in ("A", "B", "C")),
    )


async def set_count_policy(session: AsyncSession, policy: CountPolicy) -> None:
    row = await session.get(Setting, COUNT_POLICY)
    if row is None:
        session.add(Setting(key=COUNT_POLICY, value=policy.as_value()))
    else:
        row.value = policy.as_value()
    await session.flush()


ALERT_POLICY = "alert_policy"


@dataclass(frozen=True)
class AlertPolicy:
    """Lots expiring within `near_expiry_days` days raise a near-expiry alert."""

    near_expiry_days: int = 30

    def as_value(self) -> dict[str, Any]:
        return {"near_expiry_days": self.near_expiry_days}


async def alert_policy(session: AsyncSession) -> AlertPolicy:
    row = await session.get(Setting, ALERT_POLICY)
    stored: dict[str, Any] = row.value if row else {}
    return AlertPolicy(
        near_expiry_days=int(stored.get("near_expiry_days", AlertPolicy.near_expiry_days))
    )


async def set_alert_policy(session: AsyncSession, policy: AlertPolicy) -> None:
    row = await session.get(Setting, ALERT_POLICY)
    if row is None:
        session.add(Setting(key=ALERT_POLICY, value=policy.as_value()))
    else:
        row.value = policy.as_value()
    await session.flush()
