"""Forecast backtest: rolling-origin evaluation of the demand forecast against baselines.

For each item's daily demand series and each of `folds` origins, `horizon` days apart and
ending at the last day, the forecast (with the model its class gets at that origin) and
three baselines are made from the days before the origin and scored on the `horizon` days
after it:

- naive: the last day's demand repeated;
- seasonal naive: the same weekday a week earlier;
- 28-day moving average.

MASE = mean absolute error ÷ the mean absolute day-to-day change of the training days (the
in-sample error of a one-step naive forecast); below 1 beats that. sMAPE = mean of
2·|actual − forecast| ÷ (|actual| + |forecast|) over days where either is non-zero, in %;
it is shown for smooth and erratic demand only, since on mostly-zero days it only says
whether a forecast was zero. Results are averaged per demand class (of the series at the
origin) and over all.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import Item
from backend.service import forecast as fc
from backend.service.forecast_history import demand_history

METHODS = ("model", "naive", "seasonal naive", "MA 28")
SMAPE_CLASSES = ("smooth", "erratic")
BASELINES: dict[str, Callable[[np.ndarray, int], np.ndarray]] = {
    "naive": fc.naive,
    "seasonal naive": fc.seasonal_naive,
    "MA 28": fc.moving_average,
}


@dataclass
class ClassScores:
    mase: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    smape: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    models: Counter[str] = field(default_factory=Counter)

    def mean_mase(self, method: str) -> float | None:
        values = self.mase.get(method)
        return float(np.mean(values)) if values else None

    def mean_smape(self, method: str) -> float | None:
        values = self.smape.get(method)
        return float(np.mean(values)) if values else None

    @property
    def count(self) -> int:
        return len(self.mase.get("model", []))


@dataclass
class Backtest:
    horizon: int
    folds: int
    series: int
    by_class: dict[str, ClassScores]
    overall: ClassScores
    skipped: Counter[str]
    model_seconds: float
    fits: int

    @property
    def beats_naive(self) -> bool:
        model, naive = self.overall.mean_mase("model"), self.overall.mean_mase("naive")
        return model is not None and naive is not None and model < naive


def mase(actual: np.ndarray, forecast: np.ndarray, train: np.ndarray) -> float | None:
    scale = float(np.mean(np.abs(np.diff(train)))) if train.size > 1 else 0.0
    if scale == 0:
        return None
    return float(np.mean(np.abs(actual - forecast)) / scale)


def smape(actual: np.ndarray, forecast: np.ndarray) -> float | None:
    total = np.abs(actual) + np.abs(forecast)
    defined = total > 0
    if not defined.any():
        return None
    return float(np.mean(200 * np.abs(actual - forecast)[defined] / total[defined]))


def backtest(series: Mapping[Any, np.ndarray], *, horizon: int = 14, folds: int = 4) -> Backtest:
    if horizon < 1 or folds < 1:
        raise ValueError("horizon and folds must be at least 1")
    by_class: dict[str, ClassScores] = defaultdict(ClassScores)
    overall = ClassScores()
    skipped: Counter[str] = Counter()
    seconds, fits = 0.0, 0
    for values in series.values():
        y = np.asarray(values, dtype=float)
        for k in range(folds):
            origin = y.size - horizon * (folds - k)
            train, actual = y[:origin], y[origin : origin + horizon]
            trimmed = fc.trim(train)
            if origin <= 0 or trimmed.size < 2 * fc.SEASON:
                skipped["too little history"] += 1
                continue
            started = time.perf_counter()
            made = fc.forecast(train, horizon)
            seconds += time.perf_counter() - started
            fits += 1
            if made.demand_class == "none":
                skipped["no demand before the origin"] += 1
                continue
            forecasts = {"model": np.array(made.daily)}
            forecasts |= {name: base(trimmed, horizon) for name, base in BASELINES.items()}
            scores = {name: mase(actual, f, trimmed) for name, f in forecasts.items()}
            if any(score is None for score in scores.values()):
                skipped["constant history (MASE undefined)"] += 1
                continue
            for bucket in (by_class[made.demand_class], overall):
                bucket.models[made.model] += 1
                for name, f in forecasts.items():
                    bucket.mase[name].append(scores[name])  # type: ignore[arg-type]
                    value = smape(actual, f)
                    if value is not None and made.demand_class in SMAPE_CLASSES:
                        bucket.smape[name].append(value)
    ordered: dict[str, ClassScores] = {c: by_class[c] for c in fc.DEMAND_CLASSES if c in by_class}
    return Backtest(horizon, folds, len(series), ordered, overall, skipped, seconds, fits)


def _cell(value: float | None, width: int = 8, fmt: str = "{:.3f}") -> str:
    return (fmt.format(value) if value is not None else "—").rjust(width)


def _bar(value: float | None, scale: float, width: int = 40) -> str:
    if value is None:
        return ""
    eighths = round(value / scale * width * 8) if scale > 0 else 0
    full, part = divmod(eighths, 8)
    return "█" * full + ("▏▎▍▌▋▊▉"[part - 1] if part else "")


def render(result: Backtest, title: str) -> str:
    lines = [
        f"Forecast backtest: {title}",
        f"{result.series} series, rolling origin: {result.folds} folds × {result.horizon} "
        f"days; {result.fits} forecasts in {result.model_seconds:.1f} s "
        f"({1000 * result.model_seconds / max(result.fits, 1):.0f} ms each)",
        "",
        "MASE (lower is better; < 1 beats an in-sample one-step naive forecast)",
        "class          n  model used".ljust(44) + "".join(m.rjust(16) for m in METHODS),
    ]
    rows = [*result.by_class.items(), ("overall", result.overall)]
    for name, scores in rows:
        used = ", ".join(f"{m} {n}" for m, n in scores.models.most_common(2))
        head = f"{name:<12}{scores.count:>4}  {used}"
        lines.append(head.ljust(44) + "".join(_cell(scores.mean_mase(m), 16) for m in METHODS))
    lines += ["", "sMAPE % (smooth and erratic demand only)"]
    for name, scores in rows:
        if name in SMAPE_CLASSES or (name == "overall" and any(scores.smape.values())):
            label = "smooth+erratic" if name == "overall" else name
            lines.append(
                f"{label:<16}".ljust(44)
                + "".join(_cell(scores.mean_smape(m), 16, "{:.1f}") for m in METHODS)
            )
    scale = max(
        (v for _, s in rows for m in METHODS if (v := s.mean_mase(m)) is not None), default=1
    )
    lines += ["", "MASE by class"]
    for name, scores in rows:
        lines.append(f"  {name}")
        for method in METHODS:
            value = scores.mean_mase(method)
            lines.append(f"    {method:<15}{_cell(value, 6, '{:.2f}')} {_bar(value, scale)}")
    if result.skipped:
        lines += ["", "not scored: " + ", ".join(f"{k} {v}" for k, v in result.skipped.items())]
    lines += ["", verdict(result)]
    return "\n".join(lines)


def verdict(result: Backtest) -> str:
    model = result.overall.mean_mase("model")
    if model is None:
        return "Verdict: nothing could be scored (too little demand history)."
    parts = []
    for method in METHODS[1:]:
        other = result.overall.mean_mase(method)
        if other:
            change = (model - other) / other * 100
            word = "beats" if model < other else "does not beat"
            parts.append(f"{word} {method} ({model:.3f} vs {other:.3f}, {change:+.0f} %)")
    return "Verdict: overall the forecast " + "; ".join(parts) + "."


async def warehouse_series(
    session: AsyncSession, warehouse_id: int, *, days: int = 365
) -> dict[str, np.ndarray]:
    """Every item's demand series in the warehouse, by SKU."""
    history = await demand_history(session, warehouse_id, days=days)
    skus = dict(
        (await session.execute(select(Item.id, Item.sku).where(Item.id.in_(history.items))))
        .tuples()
        .all()
    )
    return {skus[item_id]: history.demand(item_id) for item_id in history.items}
