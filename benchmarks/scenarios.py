"""The suite's measurements (benchmarks/run.py): its settings (full and quick), the
calibration on the baseline, the SQLite server's channels, saturation, open loop, long
conversation and personal turns, the PostgreSQL server's long conversation, and two
replicas against one."""

from __future__ import annotations

import argparse
import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
    TOLVAN,
    CaseBackend,
    PersonalChannel,
    cpu_seconds,
    personal_question,
)
from benchmarks.harness.questions import QUESTIONS
from benchmarks.harness.scaling import (
    Scaling,
    measure_scaling,
    not_run,
    scaling_with_stack,
)
from benchmarks.harness.server import (
    RasaServer,
    TrackerStore,
    free_port,
    postgres_database,
)
from benchmarks.harness.stats import percentile, ratios
from benchmarks.progress import Progress


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
    pids = {"action_server": server.actions.pid if server.actions else None,
            "case_backend": backend.pid}
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
