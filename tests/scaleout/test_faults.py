"""Faults under a steady load on the scaled-out stack (two Rasa replicas behind nginx, private
PostgreSQL and Redis that these tests stop): a Rasa replica killed, PostgreSQL restarted,
Redis cut for some seconds, the case backends down for some seconds.

The load is conversations sending FAQ questions back to back through nginx with a REST client
that retries with the same ``message_id`` (tests/scaleout/client.py). Measured per fault and
written to reports/scaleout/faults.json (benchmarks/results/faults.json with
`make scaleout-test UPDATE_RESULTS=yes`): the turns users would have seen fail without the
client's retry (and the failed attempts), the messages lost (never answered before the
client's deadline: must be 0), wrong answers, duplicated or missing events in the tracker
store (must be 0), and the time to recover: from the fault until the last failed attempt.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import statistics
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from benchmarks.harness.questions import Question, question
from deploy.settings import ROOT
from tests.e2e.conftest import http_json
from tests.e2e.texts import expected

from .client import RetryingClient, Turn, lost, troubled
from .conftest import RunningStack, running_stack
from .servers import PrivatePostgres, PrivateRedis
from .tracker import conversation, problems

pytestmark = pytest.mark.e2e

# The suite's runs write to reports/ (ignored); `make scaleout-test UPDATE_RESULTS=yes` points
# FAULTS_RESULTS at the committed benchmarks/results/faults.json on purpose.
RESULTS = Path(os.environ.get("FAULTS_RESULTS")
               or ROOT / "reports" / "scaleout" / "faults.json")
CONVERSATIONS = 8
PAUSE_SECONDS = 0.2  # between a conversation's answer and its next message
BEFORE_SECONDS = 5.0
AFTER_SECONDS = 20.0
TOLVAN = "19121212-1212"
PERSONAL_QUESTION = "När kommer mina pengar?"
NORMAL_PAYMENT_ANSWER = "Din nästa utbetalning är"


@dataclass
class Servers:
    postgres: PrivatePostgres
    redis: PrivateRedis


@pytest.fixture(scope="module")
def servers() -> Iterator[Servers]:
    postgres = PrivatePostgres().init()
    postgres.start()
    redis = PrivateRedis()
    redis.start()
    try:
        yield Servers(postgres, redis)
    finally:
        redis.stop()
        postgres.destroy()


@pytest.fixture(scope="module")
def faulty(servers: Servers) -> Iterator[RunningStack]:
    with running_stack(f"postgresql://postgres@127.0.0.1:{servers.postgres.port}",
                       servers.redis.url) as running:
        yield running


@pytest.fixture(scope="module")
def results() -> Iterator[dict[str, Any]]:
    measured: dict[str, Any] = {}
    yield measured
    if measured:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps({
            "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
            "setup": {"rasa_replicas": 2, "action_servers": 2, "case_backends": 2,
                      "balancer": "nginx (passive failover)",
                      "conversations": CONVERSATIONS, "pause_seconds": PAUSE_SECONDS,
                      "client": "REST, message_id, retries after connection errors, "
                                "timeouts and 5xx (0.2 s doubling to 2 s) for up to 120 s",
                      "definitions": {
                          "turns_retried": "answered, but only after a failed attempt: "
                                           "without the retry the user saw an error",
                          "lost": "never answered before the client's deadline",
                          "recovery_seconds": "from the fault until the last failed "
                                              "attempt ended (0: no attempt failed)",
                          "answered_again_seconds_after_restore":
                              "from the end of the fault (server back) until the last "
                              "retried message was answered (includes the client's "
                              "back-off, at most 2 s)",
                          "turn_seconds_max": "the slowest message, retries included"}},
            "faults": measured}, indent=2, ensure_ascii=False) + "\n")


@dataclass
class Load:
    """Conversations asking FAQ questions back to back until stopped."""

    url: str
    turns: dict[str, list[tuple[Question, Turn]]] = field(default_factory=dict)
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def converse(self, client: RetryingClient, number: int) -> None:
        sender = f"load-{number}-{uuid.uuid4().hex[:6]}"
        self.turns[sender] = []
        count = 0
        while not self.stop.is_set():
            asked = question(number + count)
            self.turns[sender].append((asked, await client.send(self.url, sender, asked.text)))
            count += 1
            await asyncio.sleep(PAUSE_SECONDS)

    def all_turns(self) -> list[Turn]:
        return [turn for talk in self.turns.values() for _, turn in talk]


@dataclass
class Window:
    fault_at: float = 0.0
    restored_at: float = 0.0


def under_load(url: str, fault: Callable[[Window], None]) -> tuple[Load, Window]:
    """Runs the load, then ``fault`` (on a thread; it sets the window's times), then more
    load; returns when every message sent has been answered or given up."""
    load, window = Load(url), Window()

    async def main() -> None:
        async with aiohttp.ClientSession() as session:
            client = RetryingClient(session)
            talks = [asyncio.create_task(load.converse(client, n))
                     for n in range(CONVERSATIONS)]
            await asyncio.sleep(BEFORE_SECONDS)
            await asyncio.to_thread(fault, window)
            await asyncio.sleep(AFTER_SECONDS)
            load.stop.set()
            await asyncio.gather(*talks)

    asyncio.run(main())
    return load, window


def measure(faulty: RunningStack, load: Load, window: Window) -> dict[str, Any]:
    turns = load.all_turns()
    failed = [attempt for turn in turns for attempt in turn.failed_attempts]
    last_failure = max((attempt.ended for attempt in failed), default=window.fault_at)
    wrong = [turn for talk in load.turns.values() for asked, turn in talk
             if turn.answered and not asked.answered_by(turn.texts)]
    store = [f"{sender}: {problem}" for sender, talk in load.turns.items()
             for problem in problems(conversation(faulty.stack.database, sender),
                                     [turn for _, turn in talk])]
    seconds = sorted(turn.seconds for turn in turns if turn.answered)
    return {
        "turns": len(turns), "turns_retried": len(troubled(turns)),
        "failed_attempts": len(failed),
        "failed_attempts_by_kind": dict(Counter(attempt.outcome for attempt in failed)),
        "lost": len(lost(turns)), "wrong_answers": len(wrong),
        "tracker_store_problems": len(store), "tracker_store_examples": store[:3],
        "outage_seconds": round(window.restored_at - window.fault_at, 2),
        "recovery_seconds": round(max(0.0, last_failure - window.fault_at), 2),
        "answered_again_seconds_after_restore": round(max(
            (turn.attempts[-1].ended for turn in troubled(turns) if turn.answered),
            default=window.restored_at) - window.restored_at, 2),
        "turn_seconds_p50": round(statistics.median(seconds), 3) if seconds else None,
        "turn_seconds_max": round(seconds[-1], 3) if seconds else None,
    }


def outage(stop: Callable[[], None], start: Callable[[], None],
           seconds: float) -> Callable[[Window], None]:
    """A fault that stops a server, waits, and starts it again, marking the window."""
    def fault(window: Window) -> None:
        window.fault_at = time.monotonic()
        stop()
        time.sleep(seconds)
        start()
        window.restored_at = time.monotonic()
    return fault


def assert_nothing_lost(result: dict[str, Any]) -> None:
    assert result["lost"] == 0, result
    assert result["tracker_store_problems"] == 0, result
    assert result["wrong_answers"] == 0, result


def test_a_rasa_replica_killed(faulty: RunningStack, results: dict[str, Any]) -> None:
    stack = faulty.stack

    def kill(window: Window) -> None:
        window.fault_at = time.monotonic()
        stack.kill_replica(0)  # SIGKILL: no clean-up, turns in flight die with it
        window.restored_at = time.monotonic()  # the other replica serves from here

    load, window = under_load(stack.url, kill)
    result = measure(faulty, load, window)
    started = time.monotonic()
    stack.start_replica(0)
    result["replica_restart_seconds"] = round(time.monotonic() - started, 1)
    results["rasa_replica_killed"] = result
    assert_nothing_lost(result)


def test_postgresql_restarted(faulty: RunningStack, servers: Servers,
                              results: dict[str, Any]) -> None:
    restart = outage(lambda: servers.postgres.stop("fast"), servers.postgres.start, 3)
    load, window = under_load(faulty.stack.url, restart)
    result = measure(faulty, load, window)
    results["postgresql_restarted"] = result
    assert_nothing_lost(result)


def test_redis_cut_for_some_seconds(faulty: RunningStack, servers: Servers,
                                    results: dict[str, Any]) -> None:
    # Its data goes with it (nothing saved).
    cut = outage(servers.redis.stop, servers.redis.start, 5)
    load, window = under_load(faulty.stack.url, cut)
    result = measure(faulty, load, window)
    results["redis_cut"] = result
    assert_nothing_lost(result)


def test_case_backends_down_for_some_seconds(faulty: RunningStack,
                                             results: dict[str, Any]) -> None:
    """A personal question while the backends are down gets the apology with the support
    number; once they are back, the normal answer. FAQ turns go on meanwhile."""
    stack = faulty.stack
    person = http_json(f"{stack.backend_url}/v1/person-lookups", {"personnummer": TOLVAN},
                       headers={"Authorization":
                                f"Bearer {stack.secrets.credentials.lookup_token}"})
    metadata = {"test_person_ref": person["person_ref"]}
    apology = expected("utter_backend_unavailable", "sv")
    personal: list[Turn] = []
    stop = threading.Event()

    async def ask_personal() -> None:
        async with aiohttp.ClientSession() as session:
            client = RetryingClient(session)
            sender = f"personal-{uuid.uuid4().hex[:6]}"
            while not stop.is_set():
                personal.append(await client.send(stack.url, sender, PERSONAL_QUESTION,
                                                  metadata))
                await asyncio.sleep(0.5)

    asker = threading.Thread(target=lambda: asyncio.run(ask_personal()))
    asker.start()

    backends_down = outage(stack.stop_backends, stack.start_backends, 8)
    try:
        load, window = under_load(stack.url, backends_down)
    finally:
        stop.set()
        asker.join(timeout=180)
    result = measure(faulty, load, window)

    def kind(turn: Turn) -> str:
        text = "\n\n".join(turn.texts)
        if text in apology:
            return "apology"
        return "normal" if text.startswith(NORMAL_PAYMENT_ANSWER) else "other"

    kinds = [(turn.attempts[0].started, kind(turn)) for turn in personal if turn.answered]
    apologies = [at for at, what in kinds if what == "apology"]
    normal_after = [at for at, what in kinds if what == "normal" and at > window.restored_at]
    result["personal"] = {
        "asked": len(personal), "lost": len(lost(personal)),
        "apologies_with_support_number": len(apologies),
        "other_answers": sum(1 for _, what in kinds if what == "other"),
        "normal_answer_seconds_after_backends_back":
            round(min(normal_after) - window.restored_at, 2) if normal_after else None,
        "normal_before_fault": any(what == "normal" and at < window.fault_at
                                   for at, what in kinds)}
    results["case_backends_down"] = result
    assert_nothing_lost(result)
    assert result["personal"]["lost"] == 0
    assert apologies and all(window.fault_at <= at <= window.restored_at + 5
                             for at in apologies), result["personal"]
    assert result["personal"]["other_answers"] == 0, result["personal"]
    assert normal_after, result["personal"]
