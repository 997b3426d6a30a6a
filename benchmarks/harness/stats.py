"""Turn records and their summaries: percentiles, throughput, failures, ratios to REST."""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TypedDict


@dataclass(frozen=True)
class Turn:
    """One question and its answer, as the client saw it."""

    channel: str
    latency_ms: float
    correct: bool  # answered, and by the response the question calls for
    error: str | None = None  # why not: HTTP status, timeout, wrong answer (with its text)


class Summary(TypedDict):
    turns: int
    correct: int
    failed: int
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    mean_ms: float | None
    max_ms: float | None
    seconds: float
    turns_per_s: float
    failures: list[str]  # the first few reasons, to read in the JSON


def percentile(values: Sequence[float], fraction: float) -> float:
    """Linear interpolation between closest ranks (numpy's default), on a sorted copy."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def summarise(turns: Iterable[Turn], seconds: float) -> Summary:
    """Latency over the correct turns; throughput counts correct turns per wall-clock second."""
    turns = list(turns)
    good = [turn.latency_ms for turn in turns if turn.correct]
    failures = [f"{turn.channel}: {turn.error}" for turn in turns if not turn.correct]
    return Summary(
        turns=len(turns), correct=len(good), failed=len(failures),
        p50_ms=_rounded(percentile(good, 0.50)) if good else None,
        p95_ms=_rounded(percentile(good, 0.95)) if good else None,
        p99_ms=_rounded(percentile(good, 0.99)) if good else None,
        mean_ms=_rounded(statistics.fmean(good)) if good else None,
        max_ms=_rounded(max(good)) if good else None,
        seconds=round(seconds, 2),
        turns_per_s=round(len(good) / seconds, 2) if seconds > 0 else 0.0,
        failures=failures[:5])


def ratio(value: float | None, baseline: float | None) -> float | None:
    if value is None or not baseline:
        return None
    return round(value / baseline, 3)


def ratios(channel: Summary, baseline: Summary) -> dict[str, float | None]:
    """channel / baseline: above 1 the channel is slower (or, for throughput, faster)."""
    return {"p50": ratio(channel["p50_ms"], baseline["p50_ms"]),
            "p95": ratio(channel["p95_ms"], baseline["p95_ms"]),
            "p99": ratio(channel["p99_ms"], baseline["p99_ms"]),
            "turns_per_s": ratio(channel["turns_per_s"], baseline["turns_per_s"])}
