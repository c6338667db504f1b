"""Daily demand patterns for the demo's year of history: pure numbers, no database.

Each item gets one pattern, and the pattern draws the units customers ask for on each day.
The mix is what a distribution centre sees: seasonal best-sellers (a weekly rhythm on top of
a yearly wave), items trending up or down, erratic items (asked for daily in very uneven
amounts), intermittent ones (most days nothing), lumpy ones (rare and large) and slow movers
(a unit now and then).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

Pattern = Literal["seasonal", "trending", "erratic", "intermittent", "lumpy", "slow"]
# How many items of each pattern the demo gets, in this order.
MIX: tuple[tuple[Pattern, int], ...] = (
    ("seasonal", 8),
    ("trending", 5),
    ("erratic", 4),
    ("intermittent", 8),
    ("lumpy", 5),
    ("slow", 6),
)
# Monday first: busy weekdays, a quiet Saturday, next to nothing on Sunday.
WEEKDAY = np.array([1.15, 1.1, 1.05, 1.1, 1.25, 0.35, 0.0])
WEEKDAY = WEEKDAY / WEEKDAY.mean()


@dataclass(frozen=True)
class Profile:
    """The parameters of one item's demand; `rate` is units per day on an average day."""

    pattern: Pattern
    rate: float
    # Seasonal: relative height of the yearly wave and the day of the year it peaks.
    amplitude: float = 0.0
    peak_day: int = 0
    # Trending: relative change of the rate over the year (+0.8 = 80 % more by the end).
    growth: float = 0.0
    # Intermittent, lumpy, slow: chance of any demand on a day, and the mean order size.
    probability: float = 1.0
    size: float = 1.0


def draw_profile(pattern: Pattern, rng: np.random.Generator) -> Profile:
    if pattern == "seasonal":
        return Profile(
            pattern,
            rate=float(rng.uniform(8, 30)),
            amplitude=float(rng.uniform(0.3, 0.6)),
            peak_day=int(rng.integers(0, 365)),
        )
    if pattern == "trending":
        growth = float(rng.choice([-1, 1]) * rng.uniform(0.5, 1.2))
        return Profile(pattern, rate=float(rng.uniform(5, 18)), growth=growth)
    if pattern == "erratic":
        return Profile(pattern, rate=float(rng.uniform(4, 12)), probability=0.95)
    if pattern == "intermittent":
        return Profile(pattern, rate=0.0, probability=float(rng.uniform(0.15, 0.45)), size=2.0)
    if pattern == "lumpy":
        return Profile(
            pattern,
            rate=0.0,
            probability=float(rng.uniform(0.08, 0.25)),
            size=float(rng.uniform(6, 20)),
        )
    return Profile(pattern, rate=0.0, probability=float(rng.uniform(0.02, 0.06)), size=1.0)


def daily_demand(profile: Profile, days: list[dt.date], rng: np.random.Generator) -> np.ndarray:
    """Units asked for on each of `days`, as whole numbers."""
    n = len(days)
    weekday = WEEKDAY[[d.weekday() for d in days]]
    t = np.arange(n) / max(n - 1, 1)
    if profile.pattern == "seasonal":
        doy = np.array([d.timetuple().tm_yday for d in days])
        wave = 1 + profile.amplitude * np.cos(2 * math.pi * (doy - profile.peak_day) / 365.25)
        return rng.poisson(profile.rate * weekday * wave)
    if profile.pattern == "trending":
        level = profile.rate * np.maximum(0.1, 1 + profile.growth * (t - 0.5))
        return rng.poisson(level * weekday)
    if profile.pattern == "erratic":
        # Asked for on most open days (Sundays are closed), in lognormal amounts with a wide
        # spread: the squared coefficient of variation is well above 1.
        happens = (rng.random(n) < profile.probability) & (weekday > 0)
        amounts = rng.lognormal(math.log(profile.rate), 1.0, n)
        return np.where(happens, np.maximum(1, np.round(amounts)), 0).astype(int)
    happens = rng.random(n) < profile.probability * np.minimum(weekday, 1.2)
    sizes: np.ndarray
    if profile.pattern == "intermittent":
        sizes = 1 + rng.poisson(profile.size - 1, n)
    elif profile.pattern == "lumpy":
        sizes = np.maximum(1, np.round(rng.lognormal(math.log(profile.size), 0.9, n)))
    else:
        sizes = np.ones(n)
    return np.where(happens, sizes, 0).astype(int)


def demand_matrix(
    days: list[dt.date], rng: np.random.Generator, mix: tuple[tuple[Pattern, int], ...] = MIX
) -> tuple[list[Profile], np.ndarray]:
    """Profiles and an (items × days) matrix of demand for the whole mix."""
    profiles = [draw_profile(pattern, rng) for pattern, count in mix for _ in range(count)]
    matrix = np.array([daily_demand(p, days, rng) for p in profiles], dtype=np.int64)
    return profiles, matrix.reshape(len(profiles), len(days))
