"""The corpus of whole conversations (corpus/*.yml), played on every channel it applies to
through the real processes (tests/conversations/player), one stack per support mode (hours
unset, the line closed), then a scan of everything the processes of every stack left behind
for the personnummer in any spelling the corpus typed."""

from __future__ import annotations

import json
import re
import sqlite3
import time
import unicodedata
from collections.abc import Iterator, Mapping

import pytest

from .player.corpus import Conversation, load_corpus, load_persons
from .player.play import Result, play_all, summary
from .player.stack import Stack, running_stacks

pytestmark = pytest.mark.e2e

# Every number the corpus types: the demo persons and the simulator's two test numbers.
NUMBERS = ("191212121212", "191010101010", "191111111116", "194004040400", "200808080808",
           "190001010008", "190002020006")
SEPARATOR = r"[\s\u2010-\u2015\-.]?"


def number_pattern(digits: str) -> re.Pattern[str]:
    """The twelve- or ten-digit form with any separator between any digits."""
    def spelled(part: str) -> str:
        return SEPARATOR.join(part)
    return re.compile(rf"(?<!\d)(?:{spelled(digits)}|{spelled(digits[2:])})(?!\d)")


PATTERNS = [number_pattern(n) for n in NUMBERS]


@pytest.fixture(scope="module")
def corpus() -> list[Conversation]:
    return load_corpus()


@pytest.fixture(scope="module")
def stacks(tmp_path_factory: pytest.TempPathFactory,
           corpus: list[Conversation]) -> Iterator[Mapping[str, Stack]]:
    modes = {c.support for c in corpus}
    with running_stacks(tmp_path_factory.mktemp("corpus"), modes) as running:
        yield running


@pytest.fixture(scope="module")
def played(stacks: Mapping[str, Stack], corpus: list[Conversation],
           pytestconfig: pytest.Config) -> list[Result]:
    started = time.monotonic()
    results = play_all(stacks, corpus, load_persons())
    report = summary(corpus, results, time.monotonic() - started)
    with pytestconfig.pluginmanager.getplugin("capturemanager").global_and_fixture_disabled():
        print("\n" + report)
    return results


def test_the_corpus_is_large_enough(corpus: list[Conversation]) -> None:
    assert len(corpus) >= 60
    assert all(len(c.turns) >= 4 for c in corpus), [c.id for c in corpus if len(c.turns) < 4]
    closed = [c for c in corpus if c.support == "closed"]
    assert len(closed) >= 4
    assert {"rest", "sms", "voice", "web"} <= {ch for c in closed for ch in c.channels}


def test_every_conversation_passes_on_every_channel_it_applies_to(
        played: list[Result]) -> None:
    failed = [r for r in played if not r.ok]
    details = "\n".join(f"{r.conversation} on {r.channel}:\n  " + "\n  ".join(r.failures)
                        + "\n" + "\n".join(r.transcript) for r in failed)
    assert not failed, f"{len(failed)} of {len(played)} plays failed:\n{details}"


def _texts(stack: Stack) -> Iterator[tuple[str, str]]:
    with sqlite3.connect(stack.tracker_db) as db:
        for (data,) in db.execute("SELECT data FROM events"):
            # Rasa writes JSON with \\u escapes: compare the characters themselves.
            yield "tracker", json.dumps(json.loads(data), ensure_ascii=False)
    for path in [*stack.logs, *sorted(stack.workdir.glob("*.db"))]:
        if path != stack.tracker_db and path.exists():
            yield path.name, path.read_bytes().decode("utf-8", errors="replace")


def test_no_personnummer_in_any_spelling_is_left_behind(
        played: list[Result], stacks: Mapping[str, Stack]) -> None:
    found = []
    scanned = [(f"{mode}/{where}", text) for mode, stack in stacks.items()
               for where, text in _texts(stack)]
    assert {where.split("/")[0] for where, _ in scanned} == set(stacks)
    for where, text in scanned:
        plain = unicodedata.normalize("NFKC", text)
        for pattern in PATTERNS:
            for match in pattern.finditer(plain):
                found.append(f"{where}: {match.group(0)!r}")
    assert not found, found[:20]

