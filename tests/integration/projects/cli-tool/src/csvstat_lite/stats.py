"""Summaries of numeric columns."""

from __future__ import annotations

from statistics import fmean


def _numbers(values: list[str]) -> list[float] | None:
    try:
        return [float(v) for v in values if v != ""]
    except ValueError:
        return None


def describe(rows: list[dict[str, str]]) -> dict[str, str]:
    if not rows:
        return {}
    summaries: dict[str, str] = {}
    for column in rows[0]:
        numbers = _numbers([row[column] for row in rows])
        if numbers:
            summaries[column] = (
                f"count={len(numbers)} mean={fmean(numbers):.3f} min={min(numbers):g} max={max(numbers):g}"
            )
    return summaries
