"""Progress of a long run in stages: "[3/14] e2e (sqlite) ...", elapsed and the time left.

The estimate comes from the previous run's duration of each stage, kept in
``reports/timings-<name>.json`` (ignored by git); a stage never timed before counts as the
average of those that were. While a stage runs, a line every ``heartbeat`` seconds says it is
still going, so a silent step (the benchmark's load phases) is not mistaken for a hang.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REPORTS = ROOT / "reports"


def duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


@dataclass
class Progress:
    name: str
    stages: list[str]
    reports: Path = REPORTS
    out: Callable[[str], None] = field(default=lambda line: print(line, flush=True))
    clock: Callable[[], float] = time.monotonic
    heartbeat: float = 60.0
    previous: dict[str, float] = field(default_factory=dict)
    measured: dict[str, float] = field(default_factory=dict)
    started: float = 0.0

    def __post_init__(self) -> None:
        try:
            stored = json.loads(self.timings_file.read_text())
            self.previous = {str(k): float(v) for k, v in stored.items()}
        except (OSError, ValueError, AttributeError):
            self.previous = {}
        self.started = self.clock()

    @property
    def timings_file(self) -> Path:
        return self.reports / f"timings-{self.name}.json"

    def expected(self, stage: str) -> float | None:
        if stage in self.previous:
            return self.previous[stage]
        known = [self.previous[s] for s in self.stages if s in self.previous]
        return sum(known) / len(known) if known else None

    def left(self, from_index: int, running_for: float = 0.0) -> float | None:
        """Seconds left for the stages from ``from_index`` on (the first one under way)."""
        total = 0.0
        for offset, stage in enumerate(self.stages[from_index:]):
            expected = self.expected(stage)
            if expected is None:
                return None
            total += max(expected - running_for, 0.0) if offset == 0 else expected
        return total

    def line(self, index: int, running_for: float = 0.0) -> str:
        stage = self.stages[index]
        parts = [f"elapsed {duration(self.clock() - self.started)}"]
        expected = self.expected(stage)
        if expected is not None and stage in self.previous:
            parts.append(f"last run {duration(expected)}")
        left = self.left(index, running_for)
        parts.append(f"about {duration(left)} left" if left is not None
                     else "time left unknown (first run)")
        state = f"running for {duration(running_for)}" if running_for else "..."
        return f"[{index + 1}/{len(self.stages)}] {stage} {state} ({', '.join(parts)})"

    @contextmanager
    def stage(self, stage: str) -> Iterator[None]:
        index = self.stages.index(stage)
        began = self.clock()
        self.out(self.line(index))
        stop = threading.Event()

        def beat() -> None:
            while not stop.wait(self.heartbeat):
                self.out(self.line(index, self.clock() - began))

        thread = threading.Thread(target=beat, daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()
            self.measured[stage] = round(self.clock() - began, 1)
            self.save()

    def save(self) -> None:
        """Keeps this run's durations (the stages not run this time keep their old ones)."""
        self.reports.mkdir(parents=True, exist_ok=True)
        self.timings_file.write_text(json.dumps({**self.previous, **self.measured}, indent=2)
                                     + "\n")

    def summary(self) -> str:
        return (f"{len(self.measured)}/{len(self.stages)} stages in "
                f"{duration(self.clock() - self.started)}")
