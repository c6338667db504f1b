"""Daily demand forecasts per item: classify the history, then fit the model made for its class.

Classes follow Syntetos and Boylan: ADI is the average number of days per day with demand
(days ÷ days with demand), CV² the squared coefficient of variation of the non-zero demands.

    ADI < 1.32, CV² < 0.49   smooth        AutoETS (no trend, additive weekly season)
    ADI < 1.32, CV² ≥ 0.49   erratic       AutoETS (no trend, additive weekly season)
    ADI ≥ 1.32, CV² < 0.49   intermittent  TSB (Teunter–Syntetos–Babai) × weekday profile
    ADI ≥ 1.32, CV² ≥ 0.49   lumpy         ADIDA (aggregate–disaggregate) × weekday profile

Orders come in a weekly rhythm. For items sold on most days, a weekday without any demand
in the last eight weeks is a closed day and forecast 0. Croston-type models forecast a flat
rate, so it is spread over the week by the item's weekday profile, shrunk towards a flat
week when there is little to go on. The models come from statsforecast (Nixtla), imported
on first use; a series too short for its class's model, or one the model cannot fit, gets
the plain mean of what it has. Pure numbers in, numbers out: no database here
(`forecast_history` builds the series).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

DemandClass = Literal["smooth", "erratic", "intermittent", "lumpy", "none"]
DEMAND_CLASSES: tuple[DemandClass, ...] = ("smooth", "erratic", "intermittent", "lumpy", "none")
ADI_CUT = 1.32
CV2_CUT = 0.49
SEASON = 7  # days: the weekly rhythm of orders
# Fewer days with demand than this and a model has too little to learn from.
MIN_DEMAND_DAYS = 3
# Smoothing weights of TSB for the demand size and for the probability of any demand: TSB
# updates the probability every day, so an item that stops selling is forecast down.
TSB_ALPHA_SIZE = 0.1
TSB_ALPHA_PROBABILITY = 0.05
# The weekday profile: from the last 26 weeks, each weekday's share pulled towards a flat
# week as if it had this many more days of average demand.
PROFILE_DAYS = 26 * SEASON
PROFILE_PRIOR_DAYS = 4
CLOSED_WEEKS = 8

Model = Callable[[np.ndarray, int], np.ndarray]
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Classification:
    demand_class: DemandClass
    adi: float | None
    cv2: float | None
    days: int
    demand_days: int


def classify(history: np.ndarray) -> Classification:
    """The demand class of a daily series (leading days before the first demand excluded)."""
    y = trim(history)
    demand = y[y > 0]
    if demand.size == 0:
        return Classification("none", None, None, int(y.size), 0)
    adi = y.size / demand.size
    cv2 = float((demand.std() / demand.mean()) ** 2) if demand.size > 1 else 0.0
    if adi < ADI_CUT:
        klass: DemandClass = "smooth" if cv2 < CV2_CUT else "erratic"
    else:
        klass = "intermittent" if cv2 < CV2_CUT else "lumpy"
    return Classification(klass, round(adi, 3), round(cv2, 3), int(y.size), int(demand.size))


def trim(history: np.ndarray) -> np.ndarray:
    """The series from its first day with demand: the days before say nothing about the
    item (it was not sold yet), and would make every new item look intermittent."""
    y = np.asarray(history, dtype=float)
    nonzero = np.flatnonzero(y > 0)
    return y[nonzero[0] :] if nonzero.size else y


@dataclass(frozen=True)
class Forecast:
    """Forecast daily demand for the next `len(daily)` days and how it was made."""

    demand_class: DemandClass
    model: str
    adi: float | None
    cv2: float | None
    history_days: int
    demand_days: int
    daily: tuple[float, ...]

    @property
    def mean_daily(self) -> float:
        return sum(self.daily) / len(self.daily) if self.daily else 0.0

    def over(self, days: int) -> float:
        """Units forecast over the next `days` days."""
        if days <= len(self.daily):
            return float(sum(self.daily[:days]))
        return float(sum(self.daily)) + self.mean_daily * (days - len(self.daily))


def forecast(history: np.ndarray, horizon: int) -> Forecast:
    """Classify `history` (units per day, oldest first) and forecast `horizon` days."""
    horizon = max(1, horizon)
    found = classify(history)
    y = trim(history)
    name, model = choose_model(found)
    values = run_model(model, y, horizon)
    if values is None:
        name, values = "mean", mean_forecast(y, horizon)
    if found.demand_class in ("smooth", "erratic"):
        values = np.where(closed_weekdays(y, horizon), 0.0, values)
    return Forecast(
        found.demand_class,
        name,
        found.adi,
        found.cv2,
        found.days,
        found.demand_days,
        tuple(round(float(v), 4) for v in values),
    )


def choose_model(found: Classification) -> tuple[str, Model]:
    if found.demand_class == "none":
        return "zero", zero_forecast
    if found.demand_days < MIN_DEMAND_DAYS or found.days < 2 * SEASON:
        return "mean", mean_forecast
    if found.demand_class in ("smooth", "erratic"):
        if found.days < 4 * SEASON:
            return "SESOpt", _ses
        return "AutoETS", _auto_ets
    if found.demand_class == "intermittent":
        return "TSB×weekday", _tsb
    return "ADIDA×weekday", _adida


def run_model(model: Model, y: np.ndarray, horizon: int) -> np.ndarray | None:
    """The model's forecast, never negative; None when the model fails or gives no usable
    numbers (the caller then falls back to the mean)."""
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            values = np.asarray(model(y, horizon), dtype=float)
    except Exception:  # statsforecast raises a bare Exception when no model fits
        log.info("forecast model %s failed; using the mean", getattr(model, "__name__", model))
        return None
    if values.shape != (horizon,) or not np.all(np.isfinite(values)):
        return None
    return np.clip(values, 0, None)


def zero_forecast(y: np.ndarray, horizon: int) -> np.ndarray:
    return np.zeros(horizon)


def mean_forecast(y: np.ndarray, horizon: int) -> np.ndarray:
    return np.full(horizon, float(y.mean()) if y.size else 0.0)


def _models() -> Any:
    # statsforecast pulls in pandas and statsmodels (about 2 s): only when first forecasting.
    from statsforecast import models

    return models


def _mean_of(result: dict[str, Any]) -> np.ndarray:
    return np.asarray(result["mean"], dtype=float)


def _auto_ets(y: np.ndarray, horizon: int) -> np.ndarray:
    # Additive season: a slow item's Sunday zeros would break a multiplicative one. No
    # trend: over lead times of days the level follows a trend well enough, and leaving the
    # trend search out makes a fit ten times faster (same error in the demo's backtest).
    model = _models().AutoETS(season_length=SEASON, model="ZNA")
    return _mean_of(model.forecast(y=y, h=horizon))


def _ses(y: np.ndarray, horizon: int) -> np.ndarray:
    return _mean_of(_models().SimpleExponentialSmoothingOptimized().forecast(y=y, h=horizon))


def weekday_profile(y: np.ndarray, season: int = SEASON) -> np.ndarray:
    """Multipliers (mean 1) by position in the week, position 0 being the day after the
    series ends, from the recent history and shrunk towards 1."""
    tail = y[-PROFILE_DAYS:]
    overall = float(tail.mean()) if tail.size else 0.0
    if overall <= 0:
        return np.ones(season)
    # Position of each history day relative to the first forecast day.
    offset = (np.arange(tail.size) - tail.size) % season
    totals = np.bincount(offset, weights=tail, minlength=season)
    days = np.bincount(offset, minlength=season)
    prior = PROFILE_PRIOR_DAYS * overall
    profile = (totals + prior) / ((days + PROFILE_PRIOR_DAYS) * overall)
    return np.asarray(profile / profile.mean(), dtype=float)


def closed_weekdays(y: np.ndarray, horizon: int, season: int = SEASON) -> np.ndarray:
    """Which forecast days fall on a weekday without any demand in the last
    `CLOSED_WEEKS` weeks (the warehouse does not ship then): an item sold on most days
    gets 0 there rather than a smoothed share of the week."""
    window = CLOSED_WEEKS * season
    if y.size < window:
        return np.zeros(horizon, dtype=bool)
    tail = y[-window:]
    offset = (np.arange(window) - window) % season
    closed = np.bincount(offset, weights=tail, minlength=season) == 0
    return np.asarray(closed[np.arange(horizon) % season], dtype=bool)


def by_weekday(rate: np.ndarray, y: np.ndarray) -> np.ndarray:
    profile = weekday_profile(y)
    return rate * profile[np.arange(rate.size) % SEASON]


def _tsb(y: np.ndarray, horizon: int) -> np.ndarray:
    model = _models().TSB(alpha_d=TSB_ALPHA_SIZE, alpha_p=TSB_ALPHA_PROBABILITY)
    return by_weekday(_mean_of(model.forecast(y=y, h=horizon)), y)


def _adida(y: np.ndarray, horizon: int) -> np.ndarray:
    return by_weekday(_mean_of(_models().ADIDA().forecast(y=y, h=horizon)), y)


# Baselines the backtest compares against.
def naive(y: np.ndarray, horizon: int) -> np.ndarray:
    """The last day's demand, repeated."""
    return np.full(horizon, float(y[-1]) if y.size else 0.0)


def seasonal_naive(y: np.ndarray, horizon: int, season: int = SEASON) -> np.ndarray:
    """The same weekday of the last week."""
    if y.size < season:
        return naive(y, horizon)
    last = y[-season:]
    return np.array([last[i % season] for i in range(horizon)], dtype=float)


def moving_average(y: np.ndarray, horizon: int, window: int = 28) -> np.ndarray:
    return np.full(horizon, float(y[-window:].mean()) if y.size else 0.0)
