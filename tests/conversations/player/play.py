"""Plays one conversation on one channel and checks every turn; plays the whole corpus on
every channel in parallel threads, each conversation on the stack of its support mode, and
summarises per channel."""

from __future__ import annotations

import re
import threading
import time
import traceback
from collections import Counter
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from .channels import Driver, Reply, RestDriver, SmsDriver, VoiceDriver, WebDriver
from .corpus import CHANNELS, Conversation, Person, Step, keypad
from .facts import FactContext, PersonData, normalise, resolve
from .stack import Stack
from .tracker import TrackerStore

# The support line's number as the phone dials it (0771-524 524, Försäkringskassan's page).
SUPPORT_DIAL = "+46771524524"
# The opening hours' sentences (the texts' and the phone's closed desk), in both languages:
# never said while the hours are not configured.
HOURS_SAID = ("kundcenter har öppet", "customer centre is open", "vi har öppet",
              "we are open")


# BankID allows one order per personnummer at a time (the simulator too), so conversations
# played in parallel take turns at identifying the same person. The simulator's number that
# never confirms keeps its order open until it expires (30 s, docs/identity.md): the next
# conversation waits that long before it may use the number again.
NEVER_CONFIRMS = "190002020006"
ORDER_EXPIRES_SECONDS = 31.0
# Per stack: each has its own simulator.
_number_locks: dict[tuple[str, str], threading.Lock] = {}
_locks_guard = threading.Lock()


def number_lock(personnummer: str, stack: str = "") -> threading.Lock:
    with _locks_guard:
        return _number_locks.setdefault((stack, keypad(personnummer)), threading.Lock())


def release_later(lock: threading.Lock, personnummer: str) -> None:
    if keypad(personnummer) == NEVER_CONFIRMS:
        threading.Timer(ORDER_EXPIRES_SECONDS, lock.release).start()
    else:
        lock.release()


def whose(typed: str, person: Person | None) -> str:
    """The number BankID is asked about: the person's own when what was typed is (the end
    of) it, e.g. the ten-digit form."""
    digits = keypad(typed)
    if person is not None and len(digits) >= 10 and keypad(person.personnummer).endswith(
            digits[-10:]):
        return person.personnummer
    return typed


@dataclass
class Result:
    conversation: str
    channel: str
    failures: list[str] = field(default_factory=list)
    transcript: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failures


@dataclass(frozen=True)
class Expected:
    names: list[str]
    facts: list[str]
    absent: list[str]


# Where nobody is on a call, BankID is opened by the autostart link that follows the prompt.
SAME_DEVICE_CHANNELS = frozenset({"rest", "sms"})


def with_bankid_link(names: list[str], channel: str) -> list[str]:
    if channel not in SAME_DEVICE_CHANNELS:
        return names
    linked: list[str] = []
    for name in names:
        linked.append(name)
        if name == "utter_confirm_in_bankid":
            linked.append("utter_open_bankid_link")
    return linked


def expand(step: Step, person: Person | None, channel: str) -> Expected:
    names: list[str] = []
    facts, absent = list(step.facts), list(step.absent)
    for name in step.expect:
        if name.startswith("answer:"):
            if person is None:
                raise KeyError(f"{name} needs the conversation's person")
            answer = person.answer(name.split(":", 1)[1], channel)
            names += answer.expect
            facts += answer.facts
            absent += answer.absent
        else:
            names.append(name)
    return Expected(with_bankid_link(names, channel), facts, absent)


def is_subsequence(wanted: Iterable[str], actual: list[str]) -> bool:
    remaining = iter(actual)
    return all(any(name == got for got in remaining) for name in wanted)


def choose(alternatives: str, actual: list[str]) -> str:
    """``a|b``: either will do; the one that was given, else the first."""
    options = alternatives.split("|")
    return next((option for option in options if option in actual), options[0])


def check_transfer(support: str, reply: Reply) -> list[str]:
    """Hours unset: the phone always transfers. Closed (a configured closed day): the closed
    desk's text and <Hangup>, never <Dial>."""
    if support == "closed":
        if reply.dial is not None or not reply.hangup:
            return [f"closed: expected <Hangup> and no <Dial>, got dial {reply.dial} "
                    f"hangup {reply.hangup}"]
        return []
    if reply.dial != SUPPORT_DIAL:
        return [f"hours unset: expected <Dial>{SUPPORT_DIAL}, got {reply.dial}"]
    return []


def check_step(step: Step, reply: Reply, expected: Expected, context: FactContext,
               captured: dict[str, str], channel: str, support: str = "unset") -> list[str]:
    problems = []
    actual = reply.events.responses
    names = [choose(name, actual) for name in expected.names]
    if set(actual) != set(names) or not is_subsequence(names, actual):
        problems.append(f"responses {actual} != expected {expected.names}")
    intents = reply.events.intents
    if step.intent and intents and choose(step.intent, intents[-1:]) != intents[-1]:
        problems.append(f"intent {intents[-1]} != expected {step.intent}")
    text = normalise(" ".join(reply.texts))
    for name, pattern in step.capture.items():
        match = re.search(pattern, " ".join(reply.texts))
        if match is None:
            problems.append(f"nothing matching {pattern!r} to capture as {name}")
        else:
            captured[name] = match.group(0)
    for fact in expected.facts:
        try:
            value = resolve(fact, context)
        except KeyError as error:
            problems.append(f"fact {fact}: {error}")
            continue
        if not any(normalise(option) in text for option in value.split("|")):
            problems.append(f"fact {value!r} missing")
    for fact in expected.absent:
        value = resolve(fact, context)
        if any(normalise(option) in text for option in value.split("|")):
            problems.append(f"{value!r} must not be said")
    if support == "unset":
        problems += [f"hours said while unset: {said!r}" for said in HOURS_SAID if said in text]
    if channel == "voice" and step.transfer:
        problems += check_transfer(support, reply)
    if channel == "voice" and step.hangup and not reply.hangup:
        problems.append("expected <Hangup>")
    return problems


def driver_for(channel: str, stack: Stack, tracker: TrackerStore,
               conversation: Conversation, person: Person | None) -> Driver:
    if channel == "rest":
        return RestDriver(stack, tracker)
    if channel == "sms":
        return SmsDriver(stack, tracker)
    if channel == "voice":
        return VoiceDriver(stack, tracker)
    number = person.personnummer if channel == "web_logged_in" and person else None
    return WebDriver(stack, tracker, conversation.language, number)


def play(conversation: Conversation, channel: str, stack: Stack,
         persons: dict[str, Person], data: dict[str, PersonData]) -> Result:
    result = Result(conversation.id, channel)
    started = time.monotonic()
    tracker = TrackerStore(stack.tracker_db)
    person = persons[conversation.person] if conversation.person else None
    context = FactContext(conversation.language, channel,
                          data.get(conversation.person or ""), {})
    captured: dict[str, str] = {}
    context.captured = captured
    driver = driver_for(channel, stack, tracker, conversation, person)
    try:
        driver.open()
        for index, step in conversation.steps(channel):
            if step.wait:
                time.sleep(step.wait)
            if step.language:
                context.language = step.language
            said = f"(keys {step.keys})" if step.keys is not None else repr(step.say)
            if step.personnummer is not None and channel != "web_logged_in":
                number = whose(step.personnummer, person)
                lock = number_lock(number, stack.base_url)
                lock.acquire()
                try:
                    reply = driver.send(step)
                finally:
                    release_later(lock, number)
            else:
                reply = driver.send(step)
            result.transcript.append(f"  {index}. user {said}")
            result.transcript.append(f"     names {reply.events.responses} "
                                     f"intent {reply.events.intents}")
            for text in reply.texts:
                result.transcript.append(f"     bot {text!r}")
            expected = expand(step, person, channel)
            for problem in check_step(step, reply, expected, context, captured, channel,
                                      conversation.support):
                result.failures.append(f"turn {index} ({said}): {problem}")
    except Exception as error:  # a broken channel fails the conversation, not the run
        result.failures.append(f"error: {type(error).__name__}: {error}")
        result.transcript.append(traceback.format_exc(limit=3))
    finally:
        try:
            driver.close()
        except Exception as error:
            result.failures.append(f"close: {type(error).__name__}: {error}")
    result.seconds = time.monotonic() - started
    return result


def person_data(stack: Stack, persons: dict[str, Person]) -> dict[str, PersonData]:
    """What the case backend holds for each demo person, over its own API."""
    data = {}
    for key, person in persons.items():
        ref = stack.backend.person_ref(person.personnummer)

        def get(path: str, ref: str = ref) -> Any:
            return stack.backend.get(f"/v1/persons/{ref}{path}", ref)

        data[key] = PersonData.read(get)
    return data


def play_all(stacks: Mapping[str, Stack], conversations: list[Conversation],
             persons: dict[str, Person], workers: int = 6,
             channels: Iterable[str] = CHANNELS) -> list[Result]:
    """Every conversation × channel in one pool of threads, each on its support mode's stack
    (so both stacks' plays are interleaved and the run takes hardly longer)."""
    data = {mode: person_data(stack, persons) for mode, stack in stacks.items()}
    wanted = set(channels)
    jobs = [(c, ch) for c in conversations for ch in c.channels if ch in wanted]
    # The slowest first (idle waits, the never-confirming number's expiry), so that they do
    # not end the run alone.
    def slowness(job: tuple[Conversation, str]) -> float:
        steps = [step for _, step in job[0].steps(job[1])]
        return sum(step.wait for step in steps) + ORDER_EXPIRES_SECONDS * sum(
            1 for step in steps
            if step.personnummer is not None and keypad(step.personnummer) == NEVER_CONFIRMS)

    jobs.sort(key=slowness, reverse=True)
    def run(job: tuple[Conversation, str]) -> Result:
        mode = job[0].support
        return play(job[0], job[1], stacks[mode], persons, data[mode])

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(run, jobs))


def summary(conversations: list[Conversation], results: list[Result], seconds: float) -> str:
    played, passed = Counter(r.channel for r in results), Counter(
        r.channel for r in results if r.ok)
    modes = Counter(c.support for c in conversations)
    lines = [f"Corpus: {len(conversations)} conversations "
             f"({', '.join(f'{n} support {m}' for m, n in sorted(modes.items()))}), "
             f"{sum(len(c.turns) for c in conversations)} turns, "
             f"{len(results)} plays in {seconds:.0f} s"]
    for channel in CHANNELS:
        lines.append(f"  {channel:<14} {passed[channel]:>3} / {played[channel]:>3} passed")
    for result in results:
        if not result.ok:
            lines.append(f"FAILED {result.conversation} on {result.channel}:")
            lines += [f"    {failure}" for failure in result.failures]
    return "\n".join(lines)
