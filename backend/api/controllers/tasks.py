"""Floor tasks: the worker's queue, claiming, and the supervisor's create, assign and cancel."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, get, post
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy import select

from backend.api.controllers.convert import event_out, task_out
from backend.api.controllers.operations import apply_and_answer
from backend.api.deps import CurrentActor, Db, Limit, Offset, Sessions
from backend.api.guards import requires_supervisor
from backend.api.schemas import Assignment, DocumentEventOut, Page, Reason, TaskCreate, TaskOut
from backend.db.models import Task
from backend.domain.commands import ClaimTask, PickItem, PutAway
from backend.service import queries, task_cancel, tasks


async def _views(db: Db, rows: list[Task]) -> list[TaskOut]:
    lines = await queries.task_lines(db, [t.id for t in rows])
    return [task_out(t, lines[t.id]) for t in rows]


class TaskController(Controller):
    path = "/api/tasks"
    tags = ["tasks"]

    @get(
        "/mine",
        summary="My queue: my active tasks, then open ones of my warehouses, "
        "by priority and due time",
    )
    async def mine(self, db: Db, actor: CurrentActor, limit: Limit = 50) -> list[TaskOut]:
        rows = (await db.execute(tasks.queue_for(actor).limit(limit))).scalars().all()
        return await _views(db, list(rows))

    @get("/", guards=[requires_supervisor], summary="Tasks of the supervisor's warehouses")
    async def list_tasks(
        self,
        db: Db,
        actor: CurrentActor,
        limit: Limit = 50,
        offset: Offset = 0,
        status: FromQuery[str | None] = None,
        type: FromQuery[str | None] = None,
        warehouse_id: FromQuery[int | None] = None,
        assignee_id: FromQuery[int | None] = None,
    ) -> Page[TaskOut]:
        query = select(Task).order_by(Task.priority.desc(), Task.id.desc())
        query = queries.scoped(query, Task.warehouse_id, actor)
        query = queries.matching(
            query,
            (Task.status, status),
            (Task.type, type),
            (Task.warehouse_id, warehouse_id),
            (Task.assignee_id, assignee_id),
        )
        rows, total = await queries.record_page(db, query, limit, offset)
        return Page(
            items=await _views(db, rows),
            total=total,
            limit=limit,
            offset=offset,
        )

    @get("/{task_id:int}", summary="A task with its lines in walking order")
    async def get_task(self, db: Db, actor: CurrentActor, task_id: FromPath[int]) -> TaskOut:
        return (await _views(db, [await tasks.task_in_scope(db, actor, task_id)]))[0]

    @get(
        "/{task_id:int}/history",
        summary="Who did what on a task and when: created, assigned, claimed, each line",
    )
    async def task_history(
        self, db: Db, actor: CurrentActor, task_id: FromPath[int]
    ) -> list[DocumentEventOut]:
        task = await tasks.task_in_scope(db, actor, task_id)
        return [event_out(h) for h in await queries.history(db, "task", task.id)]

    @post("/", guards=[requires_supervisor], summary="Create a task, optionally assigned")
    async def create(self, db: Db, actor: CurrentActor, data: JSONBody[TaskCreate]) -> TaskOut:
        async with db.begin():
            task = await tasks.create_task(
                db,
                actor,
                warehouse_id=data.warehouse_id,
                type=data.type,
                priority=data.priority,
                due_at=data.due_at,
                assignee_id=data.assignee_id,
                note=data.note,
                lines=[
                    tasks.LinePlan(
                        item_id=line.item_id,
                        quantity=line.quantity,
                        lot_id=line.lot_id,
                        from_location_id=line.from_location_id,
                        to_location_id=line.to_location_id,
                    )
                    for line in data.lines
                ],
            )
        return (await _views(db, [task]))[0]

    @post(
        "/{task_id:int}/assign",
        guards=[requires_supervisor],
        status_code=200,
        summary="Assign or reassign a task to a worker of its warehouse",
    )
    async def assign(
        self, db: Db, actor: CurrentActor, task_id: FromPath[int], data: JSONBody[Assignment]
    ) -> TaskOut:
        async with db.begin():
            task = await tasks.assign(db, actor, task_id, data.user_id)
        return (await _views(db, [task]))[0]

    @post(
        "/{task_id:int}/cancel",
        guards=[requires_supervisor],
        status_code=200,
        summary="Cancel a task that is not done",
        description="A pick task gives back the stock its open lines held, and its orders "
        "can be allocated again. A count's task ends only with its count: 409 "
        "cancel_the_document.",
    )
    async def cancel(
        self, db: Db, actor: CurrentActor, task_id: FromPath[int], data: JSONBody[Reason]
    ) -> TaskOut:
        async with db.begin():
            task = await task_cancel.cancel_task(db, actor, task_id, data.reason)
        return (await _views(db, [task]))[0]


@post(
    "/api/task-claims",
    tags=["tasks"],
    summary="Claim an open task (a command, idempotent by event_id); 409 if taken",
)
async def claim(
    state: State, sessions: Sessions, actor: CurrentActor, data: JSONBody[ClaimTask]
) -> Response[Any]:
    return await apply_and_answer(state, sessions, data, actor)


@post(
    "/api/putaways",
    tags=["tasks"],
    summary="Put away a putaway line into the bin scanned (a command, idempotent by "
    "event_id); a bin other than the suggested one is allowed and recorded",
)
async def put_away(
    state: State, sessions: Sessions, actor: CurrentActor, data: JSONBody[PutAway]
) -> Response[Any]:
    return await apply_and_answer(state, sessions, data, actor)


@post(
    "/api/picks",
    tags=["tasks"],
    summary="Confirm a pick line by the bin (and lot) scanned; short=true records a "
    "shortage, frees the rest of the reservation and keeps the order line open",
)
async def pick(
    state: State, sessions: Sessions, actor: CurrentActor, data: JSONBody[PickItem]
) -> Response[Any]:
    return await apply_and_answer(state, sessions, data, actor)
