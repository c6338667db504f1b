"""User administration, and the people a supervisor can assign work to."""

from __future__ import annotations

from litestar import Controller, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy import select

from backend.api.auth import user_out
from backend.api.controllers.convert import changes
from backend.api.deps import CurrentActor, Db
from backend.api.guards import requires_admin, requires_supervisor
from backend.api.schemas import UserCreate, UserOut, UserUpdate, WorkerOut
from backend.db.models import User
from backend.service import catalog, staff, users


class UserController(Controller):
    path = "/api/users"
    tags = ["users"]
    guards = [requires_admin]

    @get("/", summary="All users")
    async def list_users(self, db: Db) -> list[UserOut]:
        rows = (await db.execute(select(User).order_by(User.username))).scalars()
        return [await user_out(db, u) for u in rows]

    @post("/", summary="Create a user with a role and warehouses")
    async def create(self, db: Db, data: JSONBody[UserCreate]) -> UserOut:
        async with db.begin():
            user = await users.create_user(
                db,
                username=data.username,
                password=data.password,
                role=data.role,
                warehouses=data.warehouse_ids,
                display_name=data.display_name,
                locale=data.locale,
            )
            return await user_out(db, user)

    @patch("/{user_id:int}", summary="Change role, warehouses, password; deactivate")
    async def update(self, db: Db, user_id: FromPath[int], data: JSONBody[UserUpdate]) -> UserOut:
        async with db.begin():
            user = await catalog.get_or_404(db, User, user_id, "user")
            fields = changes(data)
            if "warehouse_ids" in fields:
                await users.set_warehouses(db, user, fields.pop("warehouse_ids"))
            if "password" in fields:
                user.password_hash = users.hash_password(fields.pop("password"))
            catalog.apply_changes(user, fields)
            return await user_out(db, user)


class WorkerController(Controller):
    path = "/api/workers"
    tags = ["users"]
    guards = [requires_supervisor]

    @get(
        "/",
        summary="The people of a warehouse a supervisor can assign work to",
        description="Active workers and supervisors of the warehouse (workers first), each "
        "with the number of its tasks they hold unfinished (open, assigned, in progress).",
    )
    async def list_workers(
        self, db: Db, actor: CurrentActor, warehouse_id: FromQuery[int]
    ) -> list[WorkerOut]:
        found = await staff.assignable(db, actor, warehouse_id)
        return [
            WorkerOut(
                id=a.user.id,
                username=a.user.username,
                display_name=a.user.display_name,
                role=a.user.role,
                open_tasks=a.open_tasks,
            )
            for a in found
        ]
