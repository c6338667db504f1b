"""The demo history as a simulation: a year of customer demand, served from stock while it
lasts, replenished by purchase orders placed at a weekly review. Pure data; `demo_history`
writes it through the ledger.

Each day, in this order: purchase orders due that morning are received and put away;
customers' orders take what stock there is (the rest of a line is short: a stockout); on
Mondays the buyer orders every item whose stock and open orders fall below what the lead
time plus a week of review needs, grouped into one purchase order per supplier. Some items
are kept lean and some deliveries come late, so stockouts happen.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from backend.service.demo_history_patterns import MIX, Pattern, Profile, demand_matrix

REVIEW_WEEKDAY = 0  # Monday
REVIEW_DAYS = 7
WINDOW = 28  # days of demand the buyer looks back on
COVER_EXTRA_DAYS = 14  # an order brings stock this many days of demand above the trigger
LINES_PER_ORDER = 4
# In the last days of the history the buyer reviewed only the items with the longest lead
# times: today's replenishment suggestions have something to catch up on.
LAST_REVIEW_GAP = 14


@dataclass(frozen=True)
class SimItem:
    item_id: int
    supplier_id: int
    lead_time: int
    pack: int
    # Where the item is stocked, in the order picks take from, with what is available there.
    bins: tuple[tuple[int, int], ...]


@dataclass
class SaleLine:
    item_id: int
    quantity: int
    served: int

    @property
    def short(self) -> int:
        return self.quantity - self.served


@dataclass
class SaleOrder:
    customer_id: int
    minute: int  # minutes after midnight UTC when the order came in
    lines: list[SaleLine]


@dataclass
class Purchase:
    supplier_id: int
    ordered_day: int
    arrival_day: int  # may be past the last day: still on order
    lines: dict[int, int]  # item → quantity


@dataclass
class DayPlan:
    index: int
    date: dt.date
    orders: list[SaleOrder] = field(default_factory=list)
    picks: dict[tuple[int, int], int] = field(default_factory=lambda: defaultdict(int))
    ships: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    arrivals: list[int] = field(default_factory=list)  # indexes into `Simulation.purchases`
    putaways: dict[tuple[int, int], int] = field(default_factory=lambda: defaultdict(int))
    placed: list[int] = field(default_factory=list)  # purchases ordered this day


@dataclass
class Simulation:
    items: list[SimItem]
    profiles: list[Profile]
    demand: np.ndarray  # items × days, what customers asked for
    days: list[DayPlan]
    purchases: list[Purchase]

    @property
    def lines(self) -> list[SaleLine]:
        return [line for day in self.days for order in day.orders for line in order.lines]


def pattern_mix(count: int) -> list[Pattern]:
    """`count` patterns in the proportions of MIX, every kind early on: a small history
    still has one item of each before it has two of any."""
    remaining = dict(MIX)
    order: list[Pattern] = []
    while any(remaining.values()):
        for pattern, _ in MIX:
            if remaining[pattern]:
                order.append(pattern)
                remaining[pattern] -= 1
    if count > len(order):
        order *= count // len(order) + 1
    return order[:count]


def simulate(
    items: list[SimItem],
    days: list[dt.date],
    customers: list[int],
    seed: int,
) -> Simulation:
    if not items or not customers or not days:
        raise ValueError("a history needs items, customers and at least one day")
    rng = np.random.default_rng(seed)
    rnd = random.Random(seed)
    patterns = pattern_mix(len(items))
    mix = tuple((p, patterns.count(p)) for p, _ in MIX if p in patterns)
    profiles, demand = demand_matrix(days, rng, mix)
    # demand_matrix lays items out pattern by pattern: give row r to the r-th item of that
    # pattern in `patterns`.
    rows: dict[Pattern, list[int]] = defaultdict(list)
    for row, profile in enumerate(profiles):
        rows[profile.pattern].append(row)
    order = [rows[p].pop(0) for p in patterns]
    profiles = [profiles[r] for r in order]
    demand = demand[order]
    lean = {item.item_id for item in items if rnd.random() < 0.3}
    stock = {item.item_id: [[b, q] for b, q in item.bins] for item in items}
    home = {item.item_id: max(item.bins, key=lambda b: b[1])[0] for item in items}
    on_order: dict[int, int] = defaultdict(int)
    due: dict[int, list[int]] = defaultdict(list)
    purchases: list[Purchase] = []
    plans: list[DayPlan] = []
    for d, date in enumerate(days):
        plan = DayPlan(d, date)
        for index in due.pop(d, []):
            plan.arrivals.append(index)
            for item_id, quantity in purchases[index].lines.items():
                _put(stock[item_id], home[item_id], quantity)
                on_order[item_id] -= quantity
                plan.putaways[(item_id, home[item_id])] += quantity
        lines = []
        for row, item in enumerate(items):
            asked = int(demand[row, d])
            if asked <= 0:
                continue
            served = _take(stock[item.item_id], asked, item.item_id, plan.picks)
            if served:
                plan.ships[item.item_id] += served
            lines.append(SaleLine(item.item_id, asked, served))
        plan.orders = _orders(lines, customers, rnd)
        if d == 0 or date.weekday() == REVIEW_WEEKDAY:
            # In the last days only the longest lead times are reviewed.
            recent = d >= len(days) - LAST_REVIEW_GAP
            wanted = {}
            for row, item in enumerate(items):
                if recent and item.lead_time < LAST_REVIEW_GAP:
                    continue
                z = 0.3 if item.item_id in lean else 1.3
                quantity = _reorder(item, demand[row], d, stock, on_order, z)
                if quantity:
                    wanted[item.item_id] = quantity
            for supplier_id in sorted({i.supplier_id for i in items}):
                lines_of = {
                    i.item_id: wanted[i.item_id]
                    for i in items
                    if i.supplier_id == supplier_id and i.item_id in wanted
                }
                if not lines_of:
                    continue
                lead = max(i.lead_time for i in items if i.item_id in lines_of)
                arrival = d + max(1, lead + _delay(rnd))
                purchases.append(Purchase(supplier_id, d, arrival, lines_of))
                plan.placed.append(len(purchases) - 1)
                due[arrival].append(len(purchases) - 1)
                for item_id, quantity in lines_of.items():
                    on_order[item_id] += quantity
        plans.append(plan)
    return Simulation(items, profiles, demand, plans, purchases)


def _put(bins: list[list[int]], home: int, quantity: int) -> None:
    for entry in bins:
        if entry[0] == home:
            entry[1] += quantity
            return
    bins.append([home, quantity])


def _take(
    bins: list[list[int]], wanted: int, item_id: int, picks: dict[tuple[int, int], int]
) -> int:
    """Take up to `wanted` from the bins in order; returns what could be had."""
    taken = 0
    for entry in bins:
        take = min(entry[1], wanted - taken)
        if take > 0:
            entry[1] -= take
            taken += take
            picks[(item_id, entry[0])] += take
        if taken == wanted:
            break
    return taken


def _orders(lines: list[SaleLine], customers: list[int], rnd: random.Random) -> list[SaleOrder]:
    """The day's demand as customer orders of a few lines each, one line per item."""
    if not lines:
        return []
    rnd.shuffle(lines)
    count = max(1, round(len(lines) / LINES_PER_ORDER))
    buckets: list[list[SaleLine]] = [[] for _ in range(count)]
    for line in lines:
        buckets[rnd.randrange(count)].append(line)
    orders = [
        SaleOrder(rnd.choice(customers), 8 * 60 + rnd.randrange(7 * 60), sorted(b, key=_by_item))
        for b in buckets
        if b
    ]
    return sorted(orders, key=lambda o: o.minute)


def _by_item(line: SaleLine) -> int:
    return line.item_id


def _reorder(
    item: SimItem,
    demand: np.ndarray,
    day: int,
    stock: dict[int, list[list[int]]],
    on_order: dict[int, int],
    z: float,
) -> int:
    """What the buyer orders at a review: nothing while stock and open orders cover the lead
    time and a week (plus safety), else enough for two more weeks, in whole packs."""
    # The first weeks have no past to look at: the buyer's guess is the first month's.
    window = demand[max(0, day - WINDOW) : day] if day >= REVIEW_DAYS else demand[:WINDOW]
    mean, spread = float(window.mean()), float(window.std())
    if mean <= 0:
        return 0
    cover = item.lead_time + REVIEW_DAYS
    trigger = mean * cover + z * spread * math.sqrt(cover)
    position = sum(q for _, q in stock[item.item_id]) + on_order[item.item_id]
    if position >= trigger:
        return 0
    need = trigger + mean * COVER_EXTRA_DAYS - position
    return max(1, math.ceil(need / item.pack)) * item.pack


def _delay(rnd: random.Random) -> int:
    """Days a delivery is late: mostly on time, sometimes a few days, now and then a week."""
    roll = rnd.random()
    if roll < 0.05:
        return rnd.randint(5, 10)
    if roll < 0.2:
        return rnd.randint(1, 3)
    return 0
