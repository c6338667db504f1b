"""A year of cycle counts for the demo history, through the real counting code.

Once a week the supervisor counts the items the schedule says are due
(`counting_views.schedule`: class A falls due every 30 days, B every 90, C every 180, the most
overdue first) with `counting.create_count`. A worker counts each line with a RecordCount
command, judged against the book as of the moment counted, which the history has written by
then. The walk reaches the server as one offline batch (`sync.apply_batch`), as a handheld
syncs it: about a third of the time of a command each through `apply_command`. A first count
too far off is recounted by someone else; the supervisor decides the variances within their
limit and the admin the larger ones with DecideCount through `apply_command`, whose approval
posts the adjustments. Every command is dated on the day of the count. The times the counting
code takes from the clock (when a count and its tasks were created and finished, their
document events and alerts) are then set back to that day, as the history sets them on the
documents it writes.

How often the book is wrong is set per month: a target accuracy, mostly between the 98 %
target and 99.5 %, below the target in some months, decides how many of the month's lines
show a variance. A loss is booked only where the location held enough from the count on, so
the book never dips below zero at any later moment of the history.
"""

from __future__ import annotations

import datetime as dt
import random
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.db.models import (
    Alert,
    Command,
    Count,
    CountEntry,
    CountLine,
    DocumentEvent,
    Item,
    Lot,
    Quant,
    StockMove,
    Task,
    User,
    UserWarehouse,
)
from backend.domain.actor import Actor
from backend.domain.commands import CommandBase, CountedItem, DecideCount, RecordCount
from backend.service import counting_book, policies
from backend.service.commands import apply_command
from backend.service.counting import CountPlan, CountScope, create_count
from backend.service.counting_book import BookKey
from backend.service.counting_rules import judge, required_role
from backend.service.counting_views import schedule
from backend.service.demo_history_write import DEVICE, at
from backend.service.policies import CountPolicy
from backend.service.sync import apply_batch

ITEMS_PER_COUNT = 10
# A month's target accuracy: mostly at or above the 98 % target, in about a third of the
# months below it.
GOOD_MONTH = (0.98, 0.995)
POOR_MONTH = (0.955, 0.97)
POOR_SHARE = 0.3
# A month of this many counts has some line off the book; no month has more than MOST_OFF
# of its lines off.
FULL_MONTH = 3
MOST_OFF = 0.04
# Of the variances, the share beyond what a first count may report without a recount, and
# the share of units missing rather than found.
LARGE_SHARE = 0.35
LOSS_SHARE = 0.6
# The chance that a count has one first count far off, which the recount puts right.
SLIP_CHANCE = 0.15
# In about one month in this many, one of the lines off the book is a stray pallet, worth more
# than a supervisor may approve.
PALLET_EVERY = 4
PALLET_UNITS = 12  # a pallet holds whole cases
PALLET_MAX_UNITS = 240
PROGRESS_EVERY = 13  # counts, about a quarter
# The schedule is read once for this many weekly counts: what is due does not run out sooner.
SCHEDULE_WEEKS = 8


@dataclass(frozen=True)
class Crew:
    supervisor: Actor
    admin: Actor
    counters: tuple[Actor, ...]

    def recounter(self, first: Actor) -> Actor:
        """Another counter if there is one, else the supervisor or the admin: a recount is
        never the first counter's."""
        return next(p for p in (*self.counters, self.supervisor, self.admin) if p.id != first.id)


@dataclass
class LinePlan:
    line_id: int
    location_id: int
    item_id: int | None
    at: dt.datetime
    book: dict[BookKey, int]
    # What the counter finds off the book, per item and lot; a slip is a first count off by
    # `delta` that the recount does not repeat.
    delta: dict[BookKey, int] = field(default_factory=dict)
    slip: bool = False

    def found(self, final: bool) -> dict[BookKey, int]:
        off = {} if final and self.slip else self.delta
        return {key: self.book.get(key, 0) + off.get(key, 0) for key in {*self.book, *off}}


@dataclass
class Tally:
    counts: int = 0
    lines: int = 0
    accurate: int = 0
    recounts: int = 0
    by_supervisor: int = 0
    by_admin: int = 0
    adjustments: int = 0

    def accuracy(self) -> str:
        return f"{100 * self.accurate / self.lines:.1f} %" if self.lines else "-"


async def load_counts(
    sessions: async_sessionmaker[AsyncSession],
    warehouse_id: int,
    dates: Sequence[dt.date],
    *,
    seed: int,
    items_per_count: int = ITEMS_PER_COUNT,
    progress: Callable[[str], Any] = lambda _: None,
) -> dict[str, Any]:
    """A count on one working day of each week of `dates`, after the rest of the history of
    those days is written."""
    started = time.perf_counter()
    rnd = random.Random(f"counts-{seed}")
    async with sessions() as session:
        crew = await _crew(session, warehouse_id)
        policy = await policies.count_policy(session)
    if crew is None:
        progress("history: no counts (variances above a supervisor's limit need an admin)")
        return {"counts": 0}
    days = count_days(dates, rnd)
    targets = _targets(dates, rnd)
    counts_in = Counter(_month(d) for d in days)
    full = [m for m, n in sorted(counts_in.items()) if n >= FULL_MONTH]
    pallets = set(rnd.sample(full, max(1, len(full) // PALLET_EVERY))) if full else set()
    tally = Tally()
    month_lines = month_off = 0
    pallet_due = False
    due: list[int] = []
    for n, day in enumerate(days):
        pallet_due = pallet_due or _month(day) in pallets
        week = _Week(sessions, crew, warehouse_id, day, policy, rnd)
        if not due:
            due = await week.due(items_per_count * SCHEDULE_WEEKS)
        lines = await week.create(due[:items_per_count])
        due = due[items_per_count:]
        month = _month(day)
        if n and _month(days[n - 1]) != month:
            month_lines = month_off = 0
        if lines:
            month_lines += lines
            wanted = month_misses(
                targets[month],
                month_lines,
                full=counts_in[month] >= FULL_MONTH,
                closing=n + 1 == len(days) or _month(days[n + 1]) != month,
            )
            month_off += await week.plan(max(0, wanted - month_off), pallet_due)
            pallet_due = pallet_due and not week.pallet
            await week.run(tally)
        if (n + 1) % PROGRESS_EVERY == 0 or n + 1 == len(days):
            progress(
                f"history: counts to {day} ({n + 1}/{len(days)} weeks, {tally.counts} counts, "
                f"{tally.lines} lines, {tally.accuracy()} accurate, {tally.recounts} recounts)"
            )
    return {
        "counts": tally.counts,
        "lines_counted": tally.lines,
        "lines_accurate": tally.accurate,
        "recounts": tally.recounts,
        "variances_by_supervisor": tally.by_supervisor,
        "variances_by_admin": tally.by_admin,
        "adjustment_moves": tally.adjustments,
        "seconds": round(time.perf_counter() - started, 1),
    }


async def _crew(session: AsyncSession, warehouse_id: int) -> Crew | None:
    """The warehouse's workers count, its supervisor creates counts and decides variances
    within their limit, an admin decides the rest; the admin stands in for a missing
    supervisor, the supervisor for missing workers. None without an admin."""
    scopes: dict[int, set[int]] = defaultdict(set)
    rows = await session.execute(select(UserWarehouse.user_id, UserWarehouse.warehouse_id))
    for user_id, scope in rows.tuples():
        scopes[user_id].add(scope)
    users = (
        await session.execute(select(User).where(User.active.is_(True)).order_by(User.id))
    ).scalars()
    people = [Actor(u.id, u.username, u.role, frozenset(scopes[u.id])) for u in users]
    here = [p for p in people if p.may_access(warehouse_id)]
    admin = next((p for p in here if p.role == "admin"), None)
    if admin is None:
        return None
    supervisor = next((p for p in here if p.role == "supervisor"), admin)
    workers = tuple(p for p in here if p.role == "worker") or (supervisor,)
    return Crew(supervisor, admin, workers)


def count_days(dates: Sequence[dt.date], rnd: random.Random) -> list[dt.date]:
    """One working day (Monday to Friday) of each week the dates cover."""
    weeks: dict[tuple[int, int], list[dt.date]] = defaultdict(list)
    for date in dates:
        if date.weekday() < 5:
            weeks[date.isocalendar()[:2]].append(date)
    return [rnd.choice(days) for _, days in sorted(weeks.items())]


def _targets(dates: Sequence[dt.date], rnd: random.Random) -> dict[tuple[int, int], float]:
    months = sorted({(d.year, d.month) for d in dates})
    poor = set(rnd.sample(months, round(len(months) * POOR_SHARE)))
    return {m: rnd.uniform(*(POOR_MONTH if m in poor else GOOD_MONTH)) for m in months}


def _month(day: dt.date) -> tuple[int, int]:
    return day.year, day.month


def month_misses(target: float, lines: int, *, full: bool, closing: bool) -> int:
    """How many of the `lines` a month has counted so far are off the book at its target
    accuracy, never more than MOST_OFF of them. A full month has at least one by its last
    count: the book is never right everywhere. A month cut short by an end of the history has
    what its share rounds down to."""
    share = (1 - target) * lines
    if not full:
        return int(share)
    wanted = min(round(share), max(1, int(MOST_OFF * lines)))
    return max(wanted, 1) if closing else wanted


def _event_id(rnd: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rnd.getrandbits(128), version=4)


async def _apply(
    sessions: async_sessionmaker[AsyncSession], command: CommandBase, actor: Actor
) -> dict[str, Any]:
    outcome = await apply_command(sessions, command, actor)
    if outcome.status != "applied":
        raise RuntimeError(f"demo count history: {outcome.type} rejected: {outcome.message}")
    return outcome.result or {}


async def _apply_all(
    sessions: async_sessionmaker[AsyncSession], commands: Sequence[CommandBase], actor: Actor
) -> None:
    """A handheld's walk, synced as one offline batch."""
    for outcome in await apply_batch(sessions, commands, actor):
        if outcome.status != "applied":
            raise RuntimeError(f"demo count history: {outcome.type} rejected: {outcome.message}")


class _Week:
    """One weekly count: created, planned, counted, recounted, decided and dated."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        crew: Crew,
        warehouse_id: int,
        day: dt.date,
        policy: CountPolicy,
        rnd: random.Random,
    ) -> None:
        self.sessions, self.crew, self.warehouse_id = sessions, crew, warehouse_id
        self.policy, self.rnd = policy, rnd
        self.counter = crew.counters[day.toordinal() // 7 % len(crew.counters)]
        self.created = at(day, 7 * 60 + rnd.randrange(30))
        self.start = self.created + dt.timedelta(minutes=15 + rnd.randrange(45))
        self.decided = at(day, 14 * 60 + rnd.randrange(60))
        self.admin_decided = at(day, 15 * 60 + 30 + rnd.randrange(30))
        self.count_id = 0
        self.task_id = 0
        self.plans: list[LinePlan] = []
        self.items: dict[int, Item] = {}
        self.lots: dict[int, str] = {}
        self.pallet = False
        self.decided_any = False

    async def due(self, limit: int) -> list[int]:
        """The items the schedule has due, most overdue first."""
        async with self.sessions() as session:
            found = await schedule(
                session, self.crew.supervisor, self.warehouse_id, limit, self.created
            )
        return [d.item.id for d in found]

    async def create(self, item_ids: list[int]) -> int:
        """The count of these items, with the book of each line as it will be counted; how
        many lines it has (none without items)."""
        if not item_ids:
            return 0
        async with self.sessions() as session, session.begin():
            count = await create_count(
                session,
                self.crew.supervisor,
                CountPlan(
                    self.warehouse_id,
                    CountScope(item_ids=item_ids),
                    assignee_id=self.counter.id,
                    due_at=at(self.created.date(), 17 * 60),
                    note=f"Weekly cycle count, week {self.created:%G-W%V}",
                ),
            )
            self.count_id = count.id
            when = self.start
            lines = await session.execute(
                select(CountLine.id, CountLine.location_id, CountLine.item_id, CountLine.task_id)
                .where(CountLine.count_id == count.id)
                .order_by(CountLine.seq)
            )
            for line_id, location_id, item_id, task_id in lines.tuples():
                self.plans.append(LinePlan(line_id, location_id, item_id, when, {}))
                self.task_id = task_id
                when += dt.timedelta(minutes=2 + self.rnd.randrange(4))
            await _books(session, self.plans)
            keys = {k for p in self.plans for k in p.book}
            counted = {k[0] for k in keys} | {p.item_id for p in self.plans if p.item_id}
            self.items = {
                item.id: item
                for item in (
                    await session.execute(select(Item).where(Item.id.in_(counted)))
                ).scalars()
            }
            lot_ids = {k[1] for k in keys if k[1] is not None}
            self.lots = dict(
                (await session.execute(select(Lot.id, Lot.lot_number).where(Lot.id.in_(lot_ids))))
                .tuples()
                .all()
            )
        return len(self.plans)

    async def plan(self, misses: int, pallet: bool) -> int:
        """Put `misses` lines off the book (one of them a stray pallet when `pallet` and this
        count has a miss), and maybe one slip; how many lines were put off."""
        rnd = self.rnd
        candidates = [p for p in self.plans if self._adjustable(p)]
        rnd.shuffle(candidates)
        off = 0
        async with self.sessions() as session:
            if pallet and misses:
                for plan in candidates:
                    if found := self._pallet(plan):
                        plan.delta = dict([found])
                        candidates.remove(plan)
                        self.pallet = True
                        off += 1
                        break
            for plan in candidates[: max(0, misses - off)]:
                key = rnd.choice(self._keys(plan))
                limit = self.policy.recount_over_quantity
                size = (
                    rnd.randint(limit + 1, 4 * limit)
                    if rnd.random() < LARGE_SHARE
                    else rnd.randint(1, 3)
                )
                if rnd.random() < LOSS_SHARE and size <= await _lowest_since(
                    session, plan.location_id, key, plan.at
                ):
                    size = -size
                plan.delta = {key: size}
                off += 1
        rest = [p for p in candidates if not p.delta]
        if rest and rnd.random() < SLIP_CHANCE:
            plan = rest[0]
            key = rnd.choice(self._keys(plan))
            size = rnd.randint(2, 4) * (self.policy.recount_over_quantity + 1)
            lose = size <= plan.book.get(key, 0) and rnd.random() < 0.5
            plan.delta = {key: -size if lose else size}
            plan.slip = True
        return off

    def _keys(self, plan: LinePlan) -> list[BookKey]:
        """What a line may be found off the book in: the items and lots it holds on the book,
        or its untracked item where the book has none (strays found). Not serial-numbered
        stock: that is adjusted with its serials, which a count does not carry."""
        keys = sorted(
            (k for k, q in plan.book.items() if q > 0 and self.items[k[0]].tracking != "serial"),
            key=_order,
        )
        if not keys and plan.item_id and self.items[plan.item_id].tracking == "none":
            return [(plan.item_id, None)]
        return keys

    def _adjustable(self, plan: LinePlan) -> bool:
        return bool(self._keys(plan))

    def _pallet(self, plan: LinePlan) -> tuple[BookKey, int] | None:
        """A pallet of whole cases of one of the line's items found in its bin, worth more
        than the supervisor's limit; none when that would take an implausible pallet."""
        for key in self._keys(plan):
            cost = self.items[key[0]].unit_cost
            cases = int(self.policy.admin_over / cost) // PALLET_UNITS + 1
            if cases * PALLET_UNITS <= PALLET_MAX_UNITS:
                return key, cases * PALLET_UNITS
        return None

    def _recounted(self, plan: LinePlan) -> bool:
        return any(
            judge(v, Decimal(v) * self.items[k[0]].unit_cost, 1, self.policy) == "recount"
            for k, v in plan.delta.items()
        )

    def _record(self, plan: LinePlan, *, final: bool = False) -> RecordCount:
        found = plan.found(final)
        entries = [
            CountedItem(
                item_id=item_id,
                quantity=quantity,
                lot_number=self.lots[lot_id] if lot_id is not None else None,
            )
            for (item_id, lot_id), quantity in sorted(found.items(), key=lambda e: _order(e[0]))
        ]
        return RecordCount(
            event_id=_event_id(self.rnd),
            device_id=DEVICE,
            occurred_at=plan.at,
            count_line_id=plan.line_id,
            entries=entries,
            empty=not entries,
        )

    async def run(self, tally: Tally) -> None:
        await _apply_all(self.sessions, [self._record(p) for p in self.plans], self.counter)
        closed = self.plans[-1].at
        tasks = {self.task_id: (self.created, closed)}
        recounts = [p for p in self.plans if self._recounted(p)]
        if recounts:
            task_id, closed = await self._recount(recounts)
            tasks[task_id] = (recounts[0].at, closed)
        closed = await self._decide(closed, tally)
        async with self.sessions() as session, session.begin():
            count = await session.get(Count, self.count_id)
            if count is None or count.status != "closed":
                raise RuntimeError(f"demo count history: count {self.count_id} stayed open")
            tally.counts += 1
            tally.lines += count.lines_counted
            tally.accurate += count.lines_accurate
            tally.recounts += len(recounts)
            await self._date_back(session, closed, tasks)

    async def _recount(self, recounts: list[LinePlan]) -> tuple[int, dt.datetime]:
        """Someone else counts the lines again after the first round, against the book as of
        then; the recount task and when it was done."""
        by_line = {p.line_id: p for p in recounts}
        when = self.plans[-1].at + dt.timedelta(minutes=30 + self.rnd.randrange(60))
        again: list[LinePlan] = []
        async with self.sessions() as session:
            rows = await session.execute(
                select(CountLine.id, CountLine.recount_of_id, CountLine.task_id)
                .where(CountLine.count_id == self.count_id, CountLine.round == 2)
                .order_by(CountLine.seq)
            )
            task_ids = set()
            for line_id, first_id, task_id in rows.tuples():
                first = by_line[first_id or 0]
                task_ids.add(task_id)
                again.append(
                    LinePlan(
                        line_id, first.location_id, first.item_id, when, {}, first.delta, first.slip
                    )
                )
                when += dt.timedelta(minutes=3 + self.rnd.randrange(4))
            await _books(session, again)
        commands = [self._record(p, final=True) for p in again]
        await _apply_all(self.sessions, commands, self.crew.recounter(self.counter))
        (task_id,) = task_ids  # recounts excluding the same counter share one task
        return task_id, commands[-1].occurred_at

    async def _decide(self, closed: dt.datetime, tally: Tally) -> dt.datetime:
        """The supervisor approves the variances within their limit, the admin the rest."""
        async with self.sessions() as session:
            pending = (
                await session.execute(
                    select(CountEntry.id, CountEntry.variance_value)
                    .join(CountLine, CountLine.id == CountEntry.count_line_id)
                    .where(CountLine.count_id == self.count_id, CountEntry.status == "pending")
                    .order_by(CountEntry.id)
                )
            ).all()
        roles: dict[str, list[int]] = defaultdict(list)
        for entry_id, value in pending:
            roles[required_role(value, self.policy)].append(entry_id)
        for role, actor, when, note in (
            ("supervisor", self.crew.supervisor, self.decided, "Checked on the shelf"),
            ("admin", self.crew.admin, self.admin_decided, "Stray pallet: book corrected"),
        ):
            if not roles[role]:
                continue
            result = await _apply(
                self.sessions,
                DecideCount(
                    event_id=_event_id(self.rnd),
                    device_id=DEVICE,
                    occurred_at=when,
                    count_id=self.count_id,
                    decision="approve",
                    entry_ids=roles[role],
                    note=note,
                ),
                actor,
            )
            tally.adjustments += len(result.get("move_ids", []))
            closed = when
        self.decided_any = bool(pending)
        tally.by_supervisor += len(roles["supervisor"])
        tally.by_admin += len(roles["admin"])
        return closed

    async def _date_back(
        self,
        session: AsyncSession,
        closed: dt.datetime,
        tasks: dict[int, tuple[dt.datetime, dt.datetime]],
    ) -> None:
        """The count, its tasks (created, done), their history and alerts dated when the work
        was done."""
        await session.execute(
            update(Count)
            .where(Count.id == self.count_id)
            .values(created_at=self.created, completed_at=closed)
        )
        await session.execute(
            update(Task),
            [
                {"id": task_id, "created_at": made, "updated_at": done, "completed_at": done}
                for task_id, (made, done) in tasks.items()
            ],
        )
        # An event of a command happened when the command did, the others when their
        # document was created.
        at_type = DocumentEvent.at.type
        when = case(
            (DocumentEvent.command_id.is_not(None), _occurred(DocumentEvent.command_id)),
            *(
                (DocumentEvent.document_id == task_id, literal(made, at_type))
                for task_id, (made, _) in tasks.items()
            ),
            else_=literal(self.created, at_type),
        )
        await session.execute(
            update(DocumentEvent)
            .where(
                or_(
                    and_(
                        DocumentEvent.document_type == "count",
                        DocumentEvent.document_id == self.count_id,
                    ),
                    and_(
                        DocumentEvent.document_type == "task",
                        DocumentEvent.document_id.in_(tasks),
                    ),
                )
            )
            .values(at=when)
            .execution_options(synchronize_session=False)
        )
        if not self.decided_any:
            return  # no variance waited for a decision: no alert was raised
        for column, command in (
            (Alert.raised_at, Alert.raised_by_command_id),
            (Alert.resolved_at, Alert.resolved_by_command_id),
        ):
            await session.execute(
                update(Alert)
                .where(Alert.count_id == self.count_id, command.is_not(None))
                .values({column: _occurred(command)})
                .execution_options(synchronize_session=False)
            )


def _order(key: BookKey) -> tuple[int, int]:
    return key[0], key[1] or 0


def _occurred(command_id: Any) -> Any:
    return select(Command.occurred_at).where(Command.id == command_id).scalar_subquery()


async def _books(session: AsyncSession, plans: list[LinePlan]) -> None:
    """`counting_book.book_as_of` for every line at its moment, from two queries: the
    quants of the lines' locations now, with the moves after the first moment worked back."""
    places = {p.location_id for p in plans}
    held: dict[int, list[tuple[BookKey, int]]] = defaultdict(list)
    quants = await session.execute(
        select(Quant.location_id, Quant.item_id, Quant.lot_id, Quant.on_hand).where(
            Quant.location_id.in_(places), Quant.on_hand != 0
        )
    )
    for place, item, lot, on_hand in quants.tuples():
        held[place].append(((item, lot), on_hand))
    moves = await counting_book.moves_since(session, places, min(p.at for p in plans))
    for plan in plans:
        plan.book = counting_book.worked_back(
            held[plan.location_id], moves, plan.location_id, plan.at, item_id=plan.item_id
        )


async def _lowest_since(
    session: AsyncSession, location_id: int, key: BookKey, since: dt.datetime
) -> int:
    """The least the location held of this item and lot at any moment from `since` until now,
    and available now: the most a loss dated `since` can take without the book going negative
    at any later moment."""
    item_id, lot_id = key
    now = (
        await session.execute(
            select(Quant.on_hand, Quant.reserved).where(
                Quant.location_id == location_id,
                Quant.item_id == item_id,
                Quant.lot_key == (lot_id or 0),
            )
        )
    ).one_or_none()
    on_hand, reserved = now if now is not None else (0, 0)
    lot = StockMove.lot_id.is_(None) if lot_id is None else StockMove.lot_id == lot_id
    moves = await session.execute(
        select(StockMove.to_location_id, StockMove.quantity)
        .where(
            StockMove.item_id == item_id,
            lot,
            or_(StockMove.to_location_id == location_id, StockMove.from_location_id == location_id),
            StockMove.occurred_at > since,
        )
        .order_by(StockMove.occurred_at.desc(), StockMove.id.desc())
    )
    # Undo the moves from the latest back: each level is what the location held between two.
    level, lowest = on_hand, on_hand - reserved
    for to_location, quantity in moves.tuples():
        level += -quantity if to_location == location_id else quantity
        lowest = min(lowest, level)
    return lowest
