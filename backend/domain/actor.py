"""Who is acting: a signed-in user with a role and the warehouses they may see and touch."""

from __future__ import annotations

from dataclasses import dataclass

from backend.domain.errors import Forbidden, OutOfScope
from backend.domain.vocabulary import ROLE_RANK


@dataclass(frozen=True, slots=True)
class Actor:
    id: int
    username: str
    role: str
    warehouse_ids: frozenset[int]

    @property
    def all_warehouses(self) -> bool:
        # Admins run the installation: every warehouse, including ones created after them.
        return self.role == "admin"

    def has_role(self, role: str) -> bool:
        return ROLE_RANK[self.role] >= ROLE_RANK[role]

    def require_role(self, role: str) -> None:
        if not self.has_role(role):
            raise Forbidden(f"this needs the {role} role", required_role=role, role=self.role)

    def may_access(self, warehouse_id: int) -> bool:
        return self.all_warehouses or warehouse_id in self.warehouse_ids

    def require_warehouse(self, warehouse_id: int) -> None:
        if not self.may_access(warehouse_id):
            raise OutOfScope("this warehouse is outside your assignment", warehouse_id=warehouse_id)
