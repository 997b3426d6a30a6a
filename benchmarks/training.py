"""Training time from scratch and model size, written to benchmarks/results/training.json.

Runs `rasa train` (NLU and dialogue) in a fresh output directory with Rasa's training cache
disabled for this run, so nothing is reused. The issue's budget: under 5 minutes on the
2-core machine.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
BUDGET_SECONDS = 300


def main() -> int:
    RESULTS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2",
               "PYTHONPATH": str(ROOT),
               # A private, empty cache: a run from scratch.
               "RASA_CACHE_DIRECTORY": str(Path(tmp) / "cache")}
        started = time.perf_counter()
        finished = subprocess.run(
            [str(Path(sys.executable).parent / "rasa"), "train", "--config", "config.yml",
             "--domain", "bot/domain", "--data", "bot/data", "--out", tmp,
             "--fixed-model-name", "bench"], cwd=ROOT, env=env, capture_output=True, text=True)
        if finished.returncode != 0:
            print(finished.stderr[-4000:], file=sys.stderr)
            return finished.returncode
        seconds = time.perf_counter() - started
        size = (Path(tmp) / "bench.tar.gz").stat().st_size
    result = {
        "training_seconds_from_scratch": round(seconds, 1),
        "budget_seconds": BUDGET_SECONDS,
        "ratio_to_budget": round(seconds / BUDGET_SECONDS, 3),
        "model_size_bytes": size,
        "model_size_mib": round(size / 2**20, 2),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "note": "wall clock on a shared 2-core machine; other work slows it",
    }
    (RESULTS / "training.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0 if seconds < BUDGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
