"""Errors the warehouse rules raise. Each carries a stable machine-readable `code`, a sentence
for people and the HTTP status an API answers with."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    code = "domain_error"
    status_code = 409

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "details": self.details}


class NotFound(DomainError):
    code = "not_found"
    status_code = 404


class InvalidRequest(DomainError):
    code = "invalid_request"
    status_code = 422


class Forbidden(DomainError):
    code = "forbidden"
    status_code = 403


class OutOfScope(Forbidden):
    code = "warehouse_out_of_scope"


class Conflict(DomainError):
    code = "conflict"
    status_code = 409


class InsufficientStock(DomainError):
    code = "insufficient_stock"


class SerialUnavailable(DomainError):
    code = "serial_unavailable"


class TrackingError(DomainError):
    """Lot or serial missing, superfluous or not belonging to the item."""

    code = "tracking_mismatch"
    status_code = 422


class InvalidMove(DomainError):
    code = "invalid_move"
    status_code = 422


class InactiveRecord(DomainError):
    code = "inactive"
    status_code = 409


class NotReceivable(Conflict):
    code = "po_not_receivable"


class OverReceipt(Conflict):
    code = "over_receipt"


class ScanMismatch(DomainError):
    """What was scanned is not what the task asks for (bin, lot, item)."""

    code = "scan_mismatch"
    status_code = 422


class NotPicked(Conflict):
    """Packing or shipping more of an order than was picked and is still waiting."""

    code = "not_picked"


class SetupRequired(Conflict):
    """An operator setting the operation needs has not been made yet."""

    code = "setup_required"


class LotExpired(DomainError):
    code = "lot_expired"
    status_code = 409


class DependencyRejected(Conflict):
    """An event built on an earlier one that was rejected (or never arrived)."""

    code = "dependency_rejected"


class SelfApproval(Conflict):
    """The four-eyes rule: whoever asked for an adjustment may not approve it."""

    code = "self_approval"


class OverShipment(Conflict):
    """Shipping more of a transfer line than it asks for."""

    code = "over_shipment"


class RecountByOther(Conflict):
    """A recount is made by someone other than the first counter, or it proves nothing."""

    code = "recount_by_other"


def _all_subclasses(cls: type[DomainError]) -> list[type[DomainError]]:
    return [cls, *(s for sub in cls.__subclasses__() for s in _all_subclasses(sub))]


def status_for_code(code: str | None) -> int:
    """The HTTP status that goes with a stored rejection's code."""
    for cls in _all_subclasses(DomainError):
        if cls.code == code:
            return cls.status_code
    return DomainError.status_code


class TooManyAttempts(DomainError):
    """Sign-ins refused for a while after repeated wrong passwords; `retry_after` seconds."""

    code = "too_many_attempts"
    status_code = 429


class CancelTheDocument(Conflict):
    """A task that only its document may end (a count's), cancelled on its own."""

    code = "cancel_the_document"
