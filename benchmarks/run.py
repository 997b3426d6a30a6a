"""The benchmark suite: every channel against a bare Rasa REST baseline in the same run.

Starts the case backend (demo data), the action server and `rasa run` (the trained model, every
channel, SQLite tracker store in a temporary directory) and measures, every answer checked,
FAQ questions in 1-6 and personal questions beside FAQ ones in 7:

1. closed loop: N conversations per channel at once (REST, SMS, voice, web chat and the
   bare REST baseline), the channels interleaved in rounds, N held for every counted turn:
   p50/p95/p99, turns/s, ratios (the target: voice over bare REST at 20 calls, at most 1.15);
2. saturation: 20 REST clients back to back (baseline and project REST, alternating);
3. open loop: 10 turns/s offered on a Poisson schedule over 200 conversations, latency from
   the scheduled send time: REST only, then all channels mixed;
4. one conversation of 200 turns: median of its turns 191-200 against turns 1-10 of a fresh
   conversation asked turn about with them, on SQLite and (a
   second `rasa run`) on a fresh PostgreSQL database, dropped afterwards;
5. memory (RSS) of Rasa and the action server, model load time;
6. two replicas against one (deploy/stack.py, or --scaling-urls);
7. personal turns: N identified conversations (case status, next payment, through the action
   server and the case backend) interleaved with N FAQ conversations on the same REST
   channel: p50/p95 and their ratio to the FAQ turns (``--only personal`` runs just this).

The measurements are in benchmarks/scenarios.py, the result document in benchmarks/report.py.
Writes benchmarks/results/suite.json and suite.png (or to --out). Exit status 1 if any turn
was not answered correctly, whatever the timings.

    .venv/bin/python benchmarks/run.py            # full run, about 10 minutes
    .venv/bin/python benchmarks/run.py --quick    # smoke run with tiny numbers
    .venv/bin/python benchmarks/run.py --only personal   # the personal turns alone
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import platform
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.harness.personal import IDENTITIES
from benchmarks.harness.plot import plot
from benchmarks.harness.scaling import failures
from benchmarks.harness.server import MODEL, ROOT, RasaServer, TrackerStore
from benchmarks.progress import Progress
from benchmarks.report import personal_failures, suite_result
from benchmarks.scenarios import (
    QUICK,
    STAGES,
    Settings,
    measure_servers,
    personal_turns,
    scaling,
    start_backend,
)

RESULTS = ROOT / "benchmarks" / "results"


def only_personal(args: argparse.Namespace, settings: Settings) -> int:
    """The personal turns alone, on their own servers: merged into an existing suite.json
    (its other sections kept as measured), or a suite.json of this part only."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp, ExitStack() as cleanup:
        workdir = Path(tmp)
        action_env, setup = start_backend(workdir, settings, cleanup)
        assert setup is not None
        (workdir / "sqlite").mkdir()
        server = RasaServer(workdir / "sqlite",
                            TrackerStore("sqlite", sqlite_path=workdir / "sqlite" / "tracker.db"),
                            model=args.model, action_env=action_env)
        cleanup.callback(server.stop)
        server.start()
        part = asyncio.run(personal_turns(server, setup, settings))
    part["measured_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    part["seconds"] = round(time.perf_counter() - started, 1)
    path = args.out / "suite.json"
    result: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {
        "meta": {"mode": "personal only", "cpu_count": os.cpu_count(),
                 "python": platform.python_version(), "model": str(args.model),
                 "settings": dataclasses.asdict(settings)}}
    result["personal"] = part
    failed = {key: value for key, value in
              (result.get("correctness") or {}).get("failed_turns", {}).items()
              if not key.startswith("personal.")}
    failed.update(personal_failures(part))
    result["correctness"] = {"all_answers_correct": not any(failed.values()),
                             "failed_turns": failed}
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps({"personal": part["channels"], "seconds": part["seconds"]}, indent=2))
    return 0 if not any(personal_failures(part).values()) else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run with tiny numbers")
    parser.add_argument("--out", type=Path, default=RESULTS,
                        help="where suite.json and suite.png go (default benchmarks/results)")
    parser.add_argument("--conversations", type=int, help="closed loop: N per channel")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-scaling", action="store_true")
    parser.add_argument("--replicas", type=int, help="scaling: replicas behind the balancer")
    parser.add_argument("--scaling-urls", nargs=2, metavar=("SINGLE", "BALANCED"),
                        help="measure two replicas against one at these running addresses")
    parser.add_argument("--scaling-only", action="store_true",
                        help="only the two-replica measurement, into scaling.json")
    parser.add_argument("--model", type=Path, default=MODEL)
    parser.add_argument("--only", choices=("personal",),
                        help="run one part alone (merged into an existing suite.json)")
    parser.add_argument("--no-personal", action="store_true",
                        help="leave out the personal turns (no case backend)")
    parser.add_argument("--personal-identity", choices=IDENTITIES,
                        help="test_ref (default): the person's reference on every timed "
                             "message; bankid: the conversation's own identification only")
    args = parser.parse_args()
    settings = QUICK if args.quick else Settings()
    overrides: dict[str, Any] = {}
    if args.conversations:
        overrides["conversations"] = args.conversations
    if args.no_postgres:
        overrides["postgres"] = False
    if args.replicas:
        overrides["replicas"] = args.replicas
    if args.no_personal:
        overrides["personal"] = False
    if args.personal_identity:
        overrides["personal_identity"] = args.personal_identity
    settings = dataclasses.replace(settings, **overrides)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.only == "personal":
        return only_personal(args, dataclasses.replace(settings, personal=True))
    if args.scaling_only:
        alone = scaling(args, settings)
        (args.out / "scaling.json").write_text(json.dumps(alone, indent=2) + "\n")
        print(json.dumps({"status": alone["status"], "reason": alone["reason"],
                          "ratio": alone["ratio"], "failed": failures(alone)}))
        return 0 if failures(alone) == 0 else 1
    started = time.perf_counter()
    progress = Progress(f"bench-{'quick' if args.quick else 'full'}", list(STAGES))
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        measured = measure_servers(settings, args.model, Path(tmp), progress)
    with progress.stage(STAGES[3]):
        scaling_result = scaling(args, settings)
    result = suite_result("quick" if args.quick else "full", args.model, settings,
                          measured, scaling_result)
    result["meta"]["total_seconds"] = round(time.perf_counter() - started, 1)
    (args.out / "suite.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    plot(result, args.out / "suite.png")
    print(json.dumps({"targets": result["targets"], "correctness": result["correctness"],
                      "total_seconds": result["meta"]["total_seconds"]}, indent=2))
    return 0 if result["correctness"]["all_answers_correct"] else 1


if __name__ == "__main__":
    sys.exit(main())
