"""Summaries over repeated runs: these machines are noisy, so every figure is min/median/max."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence


def summary(values: Sequence[float]) -> dict[str, float | int | list[float]]:
    vals = [float(v) for v in values]
    if not vals:
        return {"n": 0, "min": math.nan, "median": math.nan, "max": math.nan, "runs": []}
    return {"n": len(vals), "min": min(vals), "median": statistics.median(vals), "max": max(vals), "runs": vals}


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (what Kafka's EndToEndLatency prints)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def ratios(numerators: Sequence[float], denominators: Sequence[float]) -> list[float]:
    """Per-run ratios: each run's figure against the baseline measured right beside it."""
    return [n / d if d else math.nan for n, d in zip(numerators, denominators, strict=True)]


def fmt(value: float, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if 0 < abs(value) < 0.01:  # a ratio like 1/400 keeps two significant digits, not "0.00"
        return f"{value:.2g}"
    return f"{value:.{digits}f}"


def mmm(s: dict, digits: int = 2, unit: str = "") -> str:
    """`median (min–max)` for a table cell."""
    if not s.get("n"):
        return "n/a"
    if s["n"] == 1:
        return f"{fmt(s['median'], digits)}{unit}"
    return f"{fmt(s['median'], digits)}{unit} ({fmt(s['min'], digits)}–{fmt(s['max'], digits)})"
