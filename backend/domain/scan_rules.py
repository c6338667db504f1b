"""Scan-to-confirm rules: which scans an operation requires before the server accepts it."""

from __future__ import annotations

from collections.abc import Mapping

from backend.domain.errors import DomainError

# Per operation, what may be scanned to confirm it; each is required or optional.
OPERATION_FIELDS: dict[str, tuple[str, ...]] = {
    "putaway": ("source_bin", "destination_bin", "item", "lot", "serial"),
    "pick": ("source_bin", "item", "lot", "serial"),
}
DEFAULT_RULES: dict[str, dict[str, str]] = {
    "putaway": {
        "source_bin": "optional",
        "destination_bin": "required",
        "item": "optional",
        "lot": "optional",
        "serial": "required",
    },
    "pick": {"source_bin": "required", "item": "optional", "lot": "required", "serial": "required"},
}


class ScanRequired(DomainError):
    code = "scan_required"
    status_code = 422


def merged(stored: Mapping[str, Mapping[str, str]] | None) -> dict[str, dict[str, str]]:
    """The defaults overlaid with what supervisors set."""
    rules = {op: dict(fields) for op, fields in DEFAULT_RULES.items()}
    for operation, fields in (stored or {}).items():
        if operation in rules:
            rules[operation].update({f: v for f, v in fields.items() if f in rules[operation]})
    return rules


def require_scans(
    rules: Mapping[str, Mapping[str, str]], operation: str, scanned: Mapping[str, bool]
) -> None:
    """Refuse an operation that lacks a scan its rules require. `scanned` holds only the
    fields that apply (no lot for an untracked item)."""
    missing = [
        field
        for field, done in scanned.items()
        if not done and rules[operation].get(field) == "required"
    ]
    if missing:
        raise ScanRequired(
            f"scan the {', '.join(f.replace('_', ' ') for f in missing)} to confirm",
            operation=operation,
            missing=missing,
        )
