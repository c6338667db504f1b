"""Role guards. Warehouse scope is checked where the warehouse is known, in the service layer."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from backend.domain.actor import Actor


def _requires(role: str) -> Any:
    def guard(connection: ASGIConnection[Any, Actor, Any, Any], _: BaseRouteHandler) -> None:
        if not connection.user.has_role(role):
            raise PermissionDeniedException(
                f"this needs the {role} role", extra={"required_role": role}
            )

    guard.__name__ = f"requires_{role}"
    return guard


requires_supervisor = _requires("supervisor")
requires_admin = _requires("admin")
