"""The benchmark harness: its answer check is strict (and agrees with the domain's texts), its
statistics are right, and a smoke run (`benchmarks/run.py --quick`, real Rasa) produces the
JSON and the plot with every channel answering every question correctly."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from benchmarks.harness.channels import BASELINE, CHANNELS
from benchmarks.harness.loads import (
    closed_loop,
    long_conversation,
    poisson_schedule,
    timed_turn,
)
from benchmarks.harness.personal import TOLVAN, personal_question
from benchmarks.harness.questions import QUESTIONS, Question, normalise, question
from benchmarks.harness.stats import Turn, percentile, summarise
from bot.rendering import for_sms, for_voice

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "current.tar.gz"


def responses() -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for path in sorted((ROOT / "bot" / "domain").glob("*.yml")):
        found.update(yaml.safe_load(path.read_text()).get("responses") or {})
    return found


def test_each_phrase_is_in_every_channel_variant_of_its_answer_and_in_no_other() -> None:
    every = responses()
    for asked in QUESTIONS:
        variants = every[asked.response]
        web = [v["text"] for v in variants if not v.get("channel")]
        voice = [v["text"] for v in variants if v.get("channel") == "voice"] or web
        assert web, asked.response
        for text in web:
            assert asked.answered_by([text]), (asked.phrase, text)
            assert asked.answered_by([for_sms(text)]), (asked.phrase, for_sms(text))
        for text in voice:
            assert asked.answered_by([for_voice(text)]), (asked.phrase, text)
        for name, others in every.items():
            if name == asked.response:
                continue
            for other in others:
                assert asked.phrase not in normalise(str(other.get("text", ""))), \
                    f"{asked.phrase!r} of {asked.response} is also in {name}"


def test_another_questions_answer_or_a_fallback_is_wrong() -> None:
    every = responses()
    for asked in QUESTIONS:
        for other in QUESTIONS:
            if other is not asked:
                texts = [v["text"] for v in every[other.response]]
                assert not asked.answered_by(texts)
        assert not asked.answered_by([])
        assert not asked.answered_by(["Jag förstod inte riktigt. Kan du formulera om?"])


class Scripted:
    def __init__(self, texts: list[str]) -> None:
        self.texts = texts

    async def ask(self, text: str) -> list[str]:
        return self.texts

    async def close(self) -> None:
        return None


def test_a_wrong_answer_is_a_failed_turn_not_a_fast_one() -> None:
    asked = Question("Använder ni kakor?", "utter_faq_cookies", "kakor")
    right = asyncio.run(timed_turn("rest", Scripted(["Vi använder kakor."]), asked))
    wrong = asyncio.run(timed_turn("rest", Scripted(["Hej!"]), asked))
    assert right.correct and right.error is None
    assert not wrong.correct and "wrong answer" in str(wrong.error)
    summary = summarise([right, wrong], seconds=1.0)
    assert (summary["turns"], summary["correct"], summary["failed"]) == (2, 1, 1)
    assert summary["turns_per_s"] == 1.0


class Paced:
    """Answers every question right after ``delay`` seconds and logs when it was asked."""

    def __init__(self, delay: float, log: list[tuple[int, float, float]], number: int,
                 fail_at: int | None = None) -> None:
        self.delay, self.log, self.number, self.fail_at = delay, log, number, fail_at
        self.asked = 0
        self.texts: list[str] = []

    async def ask(self, text: str) -> list[str]:
        self.texts.append(text)
        loop = asyncio.get_running_loop()
        started = loop.time()
        await asyncio.sleep(self.delay)
        self.log.append((self.number, started, loop.time()))
        self.asked += 1
        if self.asked == self.fail_at:
            return ["Jag förstod inte riktigt."]
        return [next(q.phrase for q in QUESTIONS if q.text == text)]

    async def close(self) -> None:
        return None


class PacedChannel:
    name = "paced"
    opens_with_a_turn = False

    def __init__(self, delays: list[float], fail_at: dict[int, int] | None = None) -> None:
        self.delays, self.fail_at = delays, fail_at or {}
        self.log: list[tuple[int, float, float]] = []
        self.opened: list[Paced] = []

    async def open(self) -> Paced:
        number = len(self.opened)
        self.opened.append(Paced(self.delays[number], self.log, number,
                                 self.fail_at.get(number)))
        return self.opened[-1]


def test_the_closed_loop_holds_every_conversation_until_every_counted_turn_is_answered(
        ) -> None:
    # One quick conversation among slow ones: with a fixed number of turns each, it would
    # be done early and leave the others to run with fewer at once.
    channel = PacedChannel([0.002] + [0.03] * 4)
    turns, seconds = asyncio.run(closed_loop(channel, 5, 0.3))
    assert seconds == 0.3
    assert turns and all(turn.correct for turn in turns)
    asked_last = {number: max(end for n, _, end in channel.log if n == number)
                  for number in range(5)}
    primed = 5  # one untimed question each, before the window
    counted = sorted(channel.log[primed:], key=lambda entry: entry[1])[:len(turns)]
    # Every counted turn was answered while all five conversations were still asking.
    assert max(end for _, _, end in counted) <= min(asked_last.values())
    # The quick conversation kept asking (uncounted) past the window for the slow ones.
    quick = [entry for entry in channel.log[primed:] if entry[0] == 0]
    assert len(quick) > len([entry for entry in counted if entry[0] == 0])


def test_only_a_channel_whose_opening_is_no_turn_gets_an_untimed_first_question() -> None:
    plain = PacedChannel([0.005])
    asyncio.run(closed_loop(plain, 1, 0.03, first_question=2))
    greeted = PacedChannel([0.005])
    greeted.opens_with_a_turn = True  # as a call, whose greeting started the session
    asyncio.run(closed_loop(greeted, 1, 0.03, first_question=2))
    assert plain.opened[0].texts[:2] == [question(1).text, question(2).text]
    assert greeted.opened[0].texts[0] == question(2).text


def test_the_long_conversations_last_turns_are_asked_turn_about_with_a_fresh_ones_first(
        ) -> None:
    channel = PacedChannel([0.001, 0.001])
    result = asyncio.run(long_conversation(channel, 8, 3))
    order = [number for number, _, _ in channel.log]
    assert order == [0] * 5 + [1, 0] * 3  # long 1-5, then fresh 1 / long 6, ...
    assert len(result["latencies_ms"]) == 8 and len(result["fresh_latencies_ms"]) == 3
    assert result["failed"] == 0 and result["ratio_last_to_first"] is not None


def test_a_failed_turn_ends_its_conversation_and_is_kept_even_past_the_window() -> None:
    channel = PacedChannel([0.01, 0.01], fail_at={1: 3})
    turns, _ = asyncio.run(closed_loop(channel, 2, 0.2))
    failed = [turn for turn in turns if not turn.correct]
    assert len(failed) == 1 and "wrong answer" in str(failed[0].error)
    assert channel.opened[1].asked == 3  # the primed question, two right, then the failure
    assert channel.opened[0].asked > 3  # the other went on to the end of the window


def test_personal_questions_alternate_and_need_every_fact() -> None:
    status, payment = personal_question(0), personal_question(1)
    assert (status.response, payment.response) == ("utter_case_status", "utter_next_payment")
    assert personal_question(2) is status
    every = responses()
    # The facts' fixed words are the responses' own (the values are Tolvan's demo data).
    assert "Ditt ärende om" in every["utter_case_status"][0]["text"]
    assert "Din nästa utbetalning är" in every["utter_next_payment"][0]["text"]
    both = ["Ditt ärende om sjukpenning: vi fick din ansökan den 1 december 2026.",
            "Ditt ärende om bostadsbidrag: vi har begärt en komplettering den 2 december 2026."]
    assert status.answered_by(both)
    assert not status.answered_by(both[:1])  # one case missing
    assert payment.answered_by(["Din nästa utbetalning är 12 345 kr i sjukpenning den 9 "
                                "december 2026."])
    assert not payment.answered_by(["Din nästa utbetalning är 12345 kr i sjukpenning den 9 "
                                    "december 2026."])
    asks = every["utter_ask_personal_number"][0]["text"]
    assert not status.answered_by([asks]) and not payment.answered_by([asks])
    assert TOLVAN.identified_by is payment


def test_percentiles_and_schedule() -> None:
    assert percentile([1, 2, 3, 4, 5], 0.5) == 3
    assert percentile(list(range(1, 101)), 0.99) == pytest.approx(99.01)
    assert summarise([Turn("x", 5.0, False, "HTTP 500")], 1.0)["p95_ms"] is None
    times = poisson_schedule(10.0, 60.0, seed=8)
    assert 500 < len(times) < 700 and times == sorted(times) and times[-1] < 60
    assert times == poisson_schedule(10.0, 60.0, seed=8)


@pytest.mark.e2e
@pytest.mark.skipif(not MODEL.exists(), reason="needs the trained model (make train)")
def test_quick_run_writes_the_results_and_every_channel_answers_correctly(
        tmp_path: Path) -> None:
    finished = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick", "--no-scaling",
         "--out", str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=900)
    result = json.loads((tmp_path / "suite.json").read_text())
    assert finished.returncode == 0, (finished.stdout[-3000:], finished.stderr[-3000:],
                                      result["correctness"])
    assert result["correctness"] == {"all_answers_correct": True, "failed_turns": {
        key: 0 for key in result["correctness"]["failed_turns"]}}

    closed = result["closed_loop"]["channels"]
    assert list(closed) == [BASELINE, *CHANNELS]
    at_least = result["closed_loop"]["conversations"] * result["closed_loop"]["rounds"]
    for name, part in closed.items():
        summary = part["summary"]
        assert summary["turns"] == summary["correct"] >= at_least, name
        assert 0 < summary["p50_ms"] <= summary["p95_ms"] <= summary["p99_ms"], name
        assert summary["turns_per_s"] > 0, name
        assert part["ratio_to_baseline"]["p50"] > 0, name
    assert closed[BASELINE]["ratio_to_baseline"]["p50"] == 1.0

    for name in (BASELINE, "rest"):
        saturation = result["saturation"]["channels"][name]["summary"]
        assert saturation["correct"] > 0 and saturation["turns_per_s"] > 0
    for phase in ("rest_only", "mixed"):
        overall = result["open_loop"][phase]["overall"]
        assert overall["turns"] > 0 and overall["failed"] == 0
    assert set(result["open_loop"]["mixed"]["per_channel"]) == {BASELINE, *CHANNELS}

    settings = result["meta"]["settings"]
    for store in ("sqlite", "postgresql"):
        length = result["conversation_length"][store]
        assert len(length["latencies_ms"]) == settings["long_turns"], store
        assert len(length["fresh_latencies_ms"]) == settings["long_window"], store
        assert length["ratio_last_to_first"] > 0, store

    processes = result["processes"]
    for name in ("rasa", "action_server"):
        assert processes["memory_after_load"][name]["rss_mib"] > 20, name
    assert processes["model_load"]["start_to_first_answer_s"] > 0
    assert set(result["targets"]) == {
        "voice_ratio_p50", "voice_ratio_p95", "saturation_turns_per_s", "open_loop_p95_ms",
        "conversation_length_ratio_sqlite", "conversation_length_ratio_postgresql",
        "two_replicas_over_one"}
    assert result["scaling"]["status"] == "not run"

    # Personal turns: every one answered with Tolvan's facts, each conversation identified
    # once (personnummer and the BankID simulator) and kept across the rounds.
    personal = result["personal"]
    assert personal["identity"] == "test_ref"
    assert personal["identifications"] == personal["conversations"]
    for name in ("faq", "personal"):
        summary = personal["channels"][name]["summary"]
        assert summary["turns"] == summary["correct"] >= at_least, name
        assert 0 < summary["p50_ms"] <= summary["p95_ms"], name
    assert personal["channels"]["personal"]["ratio_to_faq"]["p50"] > 0
    # Two backend requests per personal turn at least (profile, then cases or payments).
    assert personal["case_backend_handling_ms"]["requests"] >= \
        2 * personal["channels"]["personal"]["summary"]["turns"]
    assert personal["cpu_seconds"]["case_backend"] > 0
    assert result["correctness"]["failed_turns"]["personal.personal"] == 0
    assert (tmp_path / "suite.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
