"""Runs make targets one after another with a progress line for each (`make test`).

    python scripts/stages.py --name test lint typecheck unit ...

Each target runs as `make <target>` with its output as it is; before it, a line such as
"[3/14] unit ... (elapsed 4m05s, last run 1m12s, about 21m left)" and, while it runs, the
same line every minute (benchmarks/progress.py; the durations of the previous run are kept
in reports/timings-<name>.json). It stops at the first target that fails. At the end it
checks that the run left the git work tree as it found it (tests write to reports/ only).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.progress import Progress  # noqa: E402


def tree_state(root: Path) -> str | None:
    """`git status --porcelain` (None outside a git work tree)."""
    try:
        done = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"],
                              cwd=root, capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return done.stdout


def changed_by_run(before: str, after: str) -> list[str]:
    return sorted(set(after.splitlines()) - set(before.splitlines()))


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--name", default="test", help="the timings file's name")
    parser.add_argument("targets", nargs="+")
    args = parser.parse_args()
    progress = Progress(args.name, list(args.targets))
    make = os.environ.get("MAKE", "make")
    before = tree_state(ROOT)
    # Long pytest files count their tests ("[ 12/80]") instead of a bare percentage.
    env = {**os.environ, "PYTEST_ADDOPTS": " ".join(
        filter(None, [os.environ.get("PYTEST_ADDOPTS", ""), "-o console_output_style=count"]))}
    for target in args.targets:
        with progress.stage(target):
            code = subprocess.run([make, "--no-print-directory", target], cwd=ROOT,
                                  env=env).returncode
        if code != 0:
            print(f"FAILED: make {target} (exit {code}) after {progress.summary()}",
                  flush=True)
            return code
    print(f"Done: {progress.summary()}", flush=True)
    after = tree_state(ROOT)
    deliberate = os.environ.get("UPDATE_RESULTS") == "yes"  # committed results rewritten
    if before is not None and after is not None and not deliberate:
        changed = changed_by_run(before, after)
        if changed:
            print("The run changed the work tree (tests must write to reports/ only):",
                  *changed, sep="\n  ", flush=True)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
