"""The stage progress lines: counts, the previous run's durations and the time left."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from benchmarks.progress import Progress, duration

ROOT = Path(__file__).resolve().parents[3]


def _stages_script() -> object:
    # scripts/ is not a package: loaded from its file, as the other script tests do.
    spec = importlib.util.spec_from_file_location("stages", ROOT / "scripts" / "stages.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_durations_read_as_people_say_them() -> None:
    assert duration(7.4) == "7s"
    assert duration(72) == "1m12s"
    assert duration(3725) == "1h02m"


def test_the_first_run_says_the_time_left_is_unknown(tmp_path: Path) -> None:
    lines: list[str] = []
    progress = Progress("t", ["lint", "unit"], reports=tmp_path, out=lines.append,
                        clock=Clock(), heartbeat=3600)
    with progress.stage("lint"):
        pass
    assert lines == ["[1/2] lint ... (elapsed 0s, time left unknown (first run))"]


def test_the_time_left_comes_from_the_previous_run(tmp_path: Path) -> None:
    (tmp_path / "timings-t.json").write_text(json.dumps({"lint": 10, "unit": 50, "e2e": 300}))
    clock = Clock()
    lines: list[str] = []
    progress = Progress("t", ["lint", "unit", "e2e"], reports=tmp_path, out=lines.append,
                        clock=clock, heartbeat=3600)
    with progress.stage("lint"):
        clock.now += 12
    with progress.stage("unit"):
        clock.now += 40
    assert lines == [
        "[1/3] lint ... (elapsed 0s, last run 10s, about 6m00s left)",
        "[2/3] unit ... (elapsed 12s, last run 50s, about 5m50s left)",
    ]
    # While a stage runs, what it has used is taken off its own estimate.
    assert progress.line(2, running_for=100) == (
        "[3/3] e2e running for 1m40s (elapsed 52s, last run 5m00s, about 3m20s left)")
    stored = json.loads((tmp_path / "timings-t.json").read_text())
    assert stored == {"lint": 12.0, "unit": 40.0, "e2e": 300}


def test_a_new_stage_counts_as_the_average_of_the_known_ones(tmp_path: Path) -> None:
    (tmp_path / "timings-t.json").write_text(json.dumps({"lint": 10, "unit": 30}))
    progress = Progress("t", ["lint", "unit", "new"], reports=tmp_path, out=lambda _: None,
                        clock=Clock())
    assert progress.left(0) == 10 + 30 + 20


def test_only_what_the_run_changed_counts_as_a_dirty_tree() -> None:
    before = " M README.md\n?? notes.txt\n"
    after = " M README.md\n?? notes.txt\n M benchmarks/results/faults.json\n"
    changed_by_run = _stages_script().changed_by_run  # type: ignore[attr-defined]
    assert changed_by_run(before, after) == [" M benchmarks/results/faults.json"]
    assert changed_by_run(before, before) == []
