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
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.harness.channels import (
    BASELINE,
    Channel,
    RestChannel,
    all_channels,
    http_session,
    paragraphs,
)
from benchmarks.harness.loads import (
    Collected,
    LongConversation,
    interleaved,
    long_conversation,
    open_loop,
    saturation_rounds,
)
from benchmarks.harness.personal import (
    IDENTITIES,
    TOLVAN,
    CaseBackend,
    PersonalChannel,
    cpu_seconds,
    personal_question,
)
from benchmarks.harness.plot import plot
from benchmarks.harness.questions import QUESTIONS
from benchmarks.harness.scaling import (
    Scaling,
    failures,
    measure_scaling,
    not_run,
    scaling_with_stack,
)
from benchmarks.harness.server import (
    MODEL,
    ROOT,
    RasaServer,
    TrackerStore,
    free_port,
    postgres_database,
)
from benchmarks.harness.stats import percentile, ratios
from benchmarks.progress import Progress

RESULTS = ROOT / "benchmarks" / "results"


@dataclass(frozen=True)
class Settings:
    conversations: int = 20  # closed loop, per channel (the voice target is for 20 calls)
    round_seconds: float = 2.5  # per channel and round, the load held throughout
    rounds: int = 12
    warmup_seconds: float = 2.0
    saturation_clients: int = 20
    saturation_seconds: float = 30.0  # per channel, over all its slices
    saturation_rounds: int = 2
    open_rate: float = 10.0
    open_conversations: int = 200
    open_seconds: float = 60.0
    long_turns: int = 200
    long_window: int = 10
    postgres: bool = True
    start_together: bool = False  # both servers load at once (quick: saves a model load)
    scaling_clients: int = 20
    scaling_seconds: float = 30.0
    replicas: int = 2
    personal: bool = True  # the personal turns (case backend, action server)
    personal_identity: str = "test_ref"  # or "bankid" (benchmarks/harness/personal.py)


QUICK = Settings(conversations=2, round_seconds=1.0, rounds=1, warmup_seconds=0.5,
                 saturation_clients=4,
                 saturation_seconds=2.0, saturation_rounds=1, open_rate=10.0,
                 open_conversations=10, open_seconds=3.0, long_turns=12, long_window=3,
                 scaling_clients=4, scaling_seconds=2.0, start_together=True)


async def calibrate(base_url: str) -> dict[str, int]:
    """Each question once on the baseline, in a fresh conversation: its answer must be right,
    and its paragraphs are the web chat's bubbles for that question."""
    bubbles: dict[str, int] = {}
    async with http_session() as http:
        baseline = RestChannel(BASELINE, base_url, http)
        for asked in QUESTIONS:
            texts = await (await baseline.open()).ask(asked.text)
            if not asked.answered_by(texts):
                raise RuntimeError(f"the baseline answers {asked.text!r} with {texts!r}: "
                                   "the model or the answer texts changed (questions.py)")
            bubbles[asked.text] = sum(paragraphs(text) for text in texts)
    return bubbles


@dataclass(frozen=True)
class PersonalSetup:
    person_ref: str  # the demo person's backend reference, for the test identity path
    backend: CaseBackend


async def personal_turns(server: RasaServer, setup: PersonalSetup,
                         settings: Settings) -> dict[str, Any]:
    """Identified conversations beside FAQ ones on the same REST channel, N of each at once,
    in interleaved rounds; the ratio is personal over FAQ of this run. Also: the case
    backend's own time per request (its access log) and the CPU the action server and the
    backend used meanwhile, to tell the backend's work from waiting for it."""
    backend, log_start = setup.backend, setup.backend.log_lines()
    pids = {"action_server": server.actions.popen.pid if server.actions else None,
            "case_backend": backend.process.pid if backend.process else None}
    cpu_before = {name: cpu_seconds(pid) for name, pid in pids.items() if pid}
    started = time.perf_counter()
    async with http_session() as http:
        faq = RestChannel("faq", server.url, http, webhook="rest")
        personal = PersonalChannel(server.url, http, setup.person_ref,
                                   identity=settings.personal_identity)
        collected: dict[str, Collected] = await interleaved(
            {"faq": faq, "personal": personal}, settings.conversations,
            settings.round_seconds, settings.rounds, settings.warmup_seconds,
            picks={"personal": personal_question})
    wall = time.perf_counter() - started
    cpu = {name: round(cpu_seconds(pid) - cpu_before[name], 2)
           for name, pid in pids.items() if pid}
    handled = backend.handling_ms(log_start)
    faq_summary = collected["faq"].summary()
    personal_summary = collected["personal"].summary()
    return {"conversations": settings.conversations, "rounds": settings.rounds,
            "round_seconds": settings.round_seconds,
            "identity": settings.personal_identity,
            # Each conversation identified once (personnummer, BankID simulator), then kept.
            "identifications": personal.identified,
            "channels": {"faq": {"summary": faq_summary},
                         "personal": {"summary": personal_summary,
                                      "ratio_to_faq": ratios(personal_summary,
                                                             faq_summary)}},
            "case_backend_handling_ms": {
                "requests": len(handled),
                "p50": round(percentile(handled, 0.5), 1) if handled else None,
                "p95": round(percentile(handled, 0.95), 1) if handled else None,
                "max": round(max(handled), 1) if handled else None},
            "cpu_seconds": {**cpu, "wall_seconds": round(wall, 1)}}


async def on_sqlite(server: RasaServer, settings: Settings,
                    personal: PersonalSetup | None = None) -> dict[str, Any]:
    bubbles = await calibrate(server.url)
    async with http_session() as http:
        channels = all_channels(server.url, http, server.account, bubbles)
        collected = await interleaved(channels, settings.conversations,
                                      settings.round_seconds, settings.rounds,
                                      settings.warmup_seconds)
        personal_part = (await personal_turns(server, personal, settings)
                         if personal is not None else not_measured("--no-personal"))
        baseline = collected[BASELINE].summary()
        closed = {name: {"summary": part.summary(),
                         "ratio_to_baseline": ratios(part.summary(), baseline)}
                  for name, part in collected.items()}
        rest_pair: list[Channel] = [channels[BASELINE], channels["rest"]]
        saturated = await saturation_rounds(rest_pair, settings.saturation_clients,
                                            settings.saturation_seconds,
                                            settings.saturation_rounds)
        saturation = {name: {**part, "ratio_to_baseline": ratios(
            part["summary"], saturated[BASELINE]["summary"])}
            for name, part in saturated.items()}
        rest_only = await open_loop(rest_pair, settings.open_rate,
                                    settings.open_conversations, settings.open_seconds)
        mixed = await open_loop(list(channels.values()), settings.open_rate,
                                settings.open_conversations, settings.open_seconds)
        long = await long_conversation(channels[BASELINE], settings.long_turns,
                                       settings.long_window)
    return {"bubbles": bubbles, "closed_loop": closed, "saturation": saturation,
            "open_loop": {"rest_only": rest_only, "mixed": mixed}, "long": long,
            "personal": personal_part}


def not_measured(reason: str) -> dict[str, Any]:
    return {"status": "not run", "reason": reason}


def start_backend(workdir: Path, settings: Settings,
                  cleanup: ExitStack) -> tuple[dict[str, str], PersonalSetup | None]:
    """The case backend for the personal turns (stopped by ``cleanup``): the action server's
    environment for it, and the demo person's reference."""
    if not settings.personal:
        return {}, None
    backend = CaseBackend(workdir, free_port())
    cleanup.callback(backend.stop)
    backend.start()
    return backend.action_server_env(), PersonalSetup(backend.person_ref(TOLVAN.personnummer),
                                                      backend)


async def long_only(server: RasaServer, settings: Settings) -> LongConversation:
    async with http_session() as http:
        return await long_conversation(RestChannel(BASELINE, server.url, http),
                                       settings.long_turns, settings.long_window)


# The run's stages, each announced with the time left (benchmarks/progress.py).
STAGES = ("start the SQLite server", "SQLite: channels, saturation, open loop, turn 200",
          "PostgreSQL: turn 1 against turn 200", "two replicas against one")


def measure_servers(settings: Settings, model: Path, workdir: Path,
                    progress: Progress | None = None) -> dict[str, Any]:
    """The SQLite server's measurements, then the PostgreSQL server's long conversation (each
    server alone on the machine, unless ``start_together``: a smoke run's shortcut)."""
    progress = progress or Progress("bench-unnamed", list(STAGES), out=lambda _: None)
    (workdir / "sqlite").mkdir()
    (workdir / "postgresql").mkdir()
    postgres: RasaServer | None = None
    with ExitStack() as cleanup:  # last in, first out: servers stop before the drop
        action_env, personal = start_backend(workdir, settings, cleanup)
        sqlite = RasaServer(workdir / "sqlite",
                            TrackerStore("sqlite",
                                         sqlite_path=workdir / "sqlite" / "tracker.db"),
                            model=model, action_env=action_env)
        if settings.postgres:
            database = cleanup.enter_context(postgres_database())
            postgres = RasaServer(workdir / "postgresql",
                                  TrackerStore("postgresql", postgres_db=database),
                                  model=model, with_action_server=False)
            cleanup.callback(postgres.stop)
        cleanup.callback(sqlite.stop)
        with progress.stage(STAGES[0]), ThreadPoolExecutor(max_workers=1) as pool:
            early = pool.submit(postgres.start) if postgres and settings.start_together \
                else None
            sqlite.start()
            if early is not None:
                early.result()
        idle = sqlite.memory()
        with progress.stage(STAGES[1]):
            measured = asyncio.run(on_sqlite(sqlite, settings, personal))
        measured.update(memory_idle=idle, memory_after_load=sqlite.memory(),
                        model_load=sqlite.model_load)
        sqlite.stop()
        measured["postgresql"] = {"status": "not run", "reason": "--no-postgres"}
        if postgres is not None:
            with progress.stage(STAGES[2]):
                if not settings.start_together:
                    postgres.start()
                measured["postgresql"] = {
                    "status": "measured", "long": asyncio.run(long_only(postgres, settings)),
                    "model_load": postgres.model_load, "memory": postgres.memory()}
    return measured


def scaling(args: argparse.Namespace, settings: Settings) -> Scaling:
    if args.scaling_urls:
        single, balanced = args.scaling_urls
        return asyncio.run(measure_scaling(single, balanced, settings.replicas,
                                           settings.scaling_clients, settings.scaling_seconds,
                                           settings.saturation_rounds))
    if args.no_scaling:
        return not_run("--no-scaling")
    try:
        return scaling_with_stack(args.model, settings.replicas, settings.scaling_clients,
                                  settings.scaling_seconds, settings.saturation_rounds)
    except Exception as error:  # the other measurements are kept; the failure is reported
        return not_run(f"the scale-out stack failed: {type(error).__name__}: {error}")


def _target(value: float | None, target: float, at_least: bool, measured_on: str) -> dict[
        str, Any]:
    met = None if value is None else (value >= target if at_least else value <= target)
    return {"value": value, "target": target, "comparison": ">=" if at_least else "<=",
            "met": met, "measured_on": measured_on}


def targets(result: dict[str, Any]) -> dict[str, Any]:
    saturation = result["saturation"]["channels"]["rest"]["summary"]
    rest_only = result["open_loop"]["rest_only"]["overall"]
    lengths = result["conversation_length"]
    scaling_ratio = result["scaling"]["ratio"]
    settings = result["meta"]["settings"]
    window = (f"median of turns {settings['long_turns'] - settings['long_window'] + 1}-"
              f"{settings['long_turns']} of one conversation over turns "
              f"1-{settings['long_window']} of a fresh one asked turn about, bare REST")
    voice = result["closed_loop"]["channels"]["voice"]["ratio_to_baseline"]
    calls = (f"voice webhook over bare REST, {result['closed_loop']['conversations']} "
             "conversations each, closed loop")
    return {
        "voice_ratio_p50": _target(voice["p50"], 1.15, False, calls),
        "voice_ratio_p95": _target(voice["p95"], 1.15, False, calls),
        "saturation_turns_per_s": _target(
            saturation["turns_per_s"], 25.0, True,
            f"project REST channel, {result['saturation']['clients']} clients back to back, "
            "one Rasa process"),
        "open_loop_p95_ms": _target(
            rest_only["p95_ms"], 150.0, False, "REST (bare and project), Poisson schedule"),
        "conversation_length_ratio_sqlite": _target(
            lengths["sqlite"].get("ratio_last_to_first"), 1.5, False, window),
        "conversation_length_ratio_postgresql": _target(
            lengths["postgresql"].get("ratio_last_to_first"), 1.5, False, window),
        "two_replicas_over_one": _target(scaling_ratio, 1.7, True,
                                         "saturation through the balancer over one replica"),
    }


def failed_turns(result: dict[str, Any]) -> dict[str, int]:
    failed = {f"closed_loop.{name}": part["summary"]["failed"]
              for name, part in result["closed_loop"]["channels"].items()}
    failed.update({f"saturation.{name}": part["summary"]["failed"]
                   for name, part in result["saturation"]["channels"].items()})
    for phase in ("rest_only", "mixed"):
        failed[f"open_loop.{phase}"] = result["open_loop"][phase]["overall"]["failed"]
    for store, data in result["conversation_length"].items():
        if "failed" in data:
            failed[f"conversation_length.{store}"] = data["failed"]
    if result["scaling"]["status"] == "measured":
        failed["scaling"] = failures(result["scaling"])
    failed.update(personal_failures(result.get("personal") or {}))
    return failed


def personal_failures(personal: dict[str, Any]) -> dict[str, int]:
    return {f"personal.{name}": part["summary"]["failed"]
            for name, part in (personal.get("channels") or {}).items()}


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
    postgres = measured["postgresql"]
    with progress.stage(STAGES[3]):
        scaling_result = scaling(args, settings)
    result: dict[str, Any] = {
        "meta": {"mode": "quick" if args.quick else "full",
                 "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                 "total_seconds": 0.0, "cpu_count": os.cpu_count(),
                 "python": platform.python_version(), "model": str(args.model),
                 "settings": dataclasses.asdict(settings),
                 "note": "client-side wall clock on loopback; the client shares the machine's "
                         "CPUs with the server, and other work on a shared machine adds "
                         "noise: compare ratios to the baseline of the same run"},
        "closed_loop": {"conversations": settings.conversations,
                        "round_seconds": settings.round_seconds,
                        "rounds": settings.rounds, "baseline": BASELINE,
                        "channels": measured["closed_loop"]},
        "saturation": {"clients": settings.saturation_clients,
                       "rasa_processes": 1, "channels": measured["saturation"]},
        "open_loop": measured["open_loop"],
        "conversation_length": {"sqlite": measured["long"],
                                "postgresql": postgres.get("long") or postgres},
        "processes": {"memory_idle": measured["memory_idle"],
                      "memory_after_load": measured["memory_after_load"],
                      "model_load": measured["model_load"],
                      "postgresql_server": {"model_load": postgres.get("model_load"),
                                            "memory": postgres.get("memory")}},
        "webchat_bubbles": measured["bubbles"],
        "personal": measured["personal"],
        "scaling": scaling_result,
    }
    result["targets"] = targets(result)
    failed = failed_turns(result)
    result["correctness"] = {"all_answers_correct": not any(failed.values()),
                             "failed_turns": failed}
    result["meta"]["total_seconds"] = round(time.perf_counter() - started, 1)
    (args.out / "suite.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    plot(result, args.out / "suite.png")
    print(json.dumps({"targets": result["targets"], "correctness": result["correctness"],
                      "total_seconds": result["meta"]["total_seconds"]}, indent=2))
    return 0 if result["correctness"]["all_answers_correct"] else 1


if __name__ == "__main__":
    sys.exit(main())
