"""The loads: closed loop per channel in interleaved rounds, saturation, open loop on a
schedule, and one long conversation. Every turn is checked (benchmarks.harness.questions):
a wrong or missing answer is a failed turn, never a fast one."""

from __future__ import annotations

import asyncio
import itertools
import random
import statistics
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypedDict, TypeVar

import aiohttp
import socketio

from benchmarks.harness.channels import Channel, Conversation, TurnFailedError
from benchmarks.harness.questions import Asked, question
from benchmarks.harness.stats import Summary, Turn, summarise

T = TypeVar("T")
# What a channel's client can raise besides TurnFailedError: refused connections, timeouts,
# socket.io errors. All mean "not answered".
TRANSPORT_ERRORS = (aiohttp.ClientError, asyncio.TimeoutError, ConnectionError,
                    socketio.exceptions.SocketIOError)
OPEN_AT_ONCE = 20  # conversations opened concurrently (untimed) before a load starts


# Which question a conversation asks at a turn number: the FAQ cycle unless a load says.
Pick = Callable[[int], Asked]


async def timed_turn(channel: str, conversation: Conversation, asked: Asked,
                     since: float | None = None) -> Turn:
    """One turn; its latency from ``since`` (a scheduled send time) or from now."""
    started = time.perf_counter() if since is None else since
    try:
        texts = await conversation.ask(asked.text)
    except TurnFailedError as error:
        return Turn(channel, _ms(started), False, str(error)[:300])
    except TRANSPORT_ERRORS as error:
        return Turn(channel, _ms(started), False, f"{type(error).__name__}: {error}"[:300])
    if not asked.answered_by(texts):
        return Turn(channel, _ms(started), False,
                    f"wrong answer to {asked.text!r}: {' | '.join(texts)!r}"[:300])
    return Turn(channel, _ms(started), True)


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


async def _bounded(calls: Sequence[Callable[[], Awaitable[T]]], limit: int) -> list[T]:
    gate = asyncio.Semaphore(limit)

    async def one(call: Callable[[], Awaitable[T]]) -> T:
        async with gate:
            return await call()
    return list(await asyncio.gather(*(one(call) for call in calls)))


async def open_conversations(channel: Channel, count: int) -> list[Conversation | str]:
    """The conversations, or for each one that could not be opened, why."""
    async def one() -> Conversation | str:
        try:
            return await channel.open()
        except (TurnFailedError, *TRANSPORT_ERRORS) as error:
            return f"could not open a conversation: {type(error).__name__}: {error}"[:300]
    return await _bounded([one] * count, OPEN_AT_ONCE)


async def close_all(conversations: Sequence[Conversation | str]) -> None:
    await asyncio.gather(*(c.close() for c in conversations if not isinstance(c, str)),
                         return_exceptions=True)


# ---- closed loop ----
class _HeldLoad:
    """Keeps ``count`` conversations asking until every one of them is past the window."""

    def __init__(self, count: int) -> None:
        self._left = count
        self.released = asyncio.Event()
        if count == 0:
            self.released.set()

    def passed(self) -> None:
        self._left -= 1
        if self._left == 0:
            self.released.set()


async def closed_loop(channel: Channel, conversations: int, seconds: float,
                      first_question: int = 0, pick: Pick = question,
                      ) -> tuple[list[Turn], float]:
    """``conversations`` at once, each asking one question after the other; the turns that
    start within a window of ``seconds`` count, and the load is held until every counted
    turn is answered: a conversation past the window keeps asking (uncounted) until all are
    past it. So every counted turn ran among ``conversations`` others, as "latency at N
    concurrent conversations" means. (A fixed number of turns per conversation does not
    hold it: conversations that finish early leave the rest to run with fewer at once, and
    the more so the less evenly a channel serves them, which flatters an uneven channel.)

    Each conversation first asks one question untimed (only a wrong answer is kept, as a
    failed turn): the session start is then out of the timed turns in every channel alike,
    as it is for voice, whose call starts with the greeting. A conversation stops at its
    first failed turn (a failed call is out of step); every failure, counted or not, is
    kept. Returns the turns and the window's length, so turns/s is counted turns per second.
    """
    opened = await open_conversations(channel, conversations)
    primed: list[Turn] = []
    if not channel.opens_with_a_turn:
        await asyncio.gather(*(_prime(channel.name, c, pick(first_question + index - 1),
                                      primed) for index, c in enumerate(opened)))
    results: list[Turn] = [turn for turn in primed if not turn.correct]
    load = _HeldLoad(len(opened))
    window_end = time.perf_counter() + seconds

    async def converse(index: int, conversation: Conversation | str) -> None:
        if isinstance(conversation, str):
            results.append(Turn(channel.name, 0.0, False, conversation))
            load.passed()
            return
        past = False
        for number in itertools.count():
            counted = time.perf_counter() < window_end
            if not counted and not past:
                past = True
                load.passed()
            if load.released.is_set():
                return
            turn = await timed_turn(channel.name, conversation,
                                    pick(first_question + index + number))
            if counted or not turn.correct:
                results.append(turn)
            if not turn.correct:
                if not past:
                    load.passed()
                return

    await asyncio.gather(*(converse(index, c) for index, c in enumerate(opened)))
    await close_all(opened)
    return results, seconds


async def _prime(channel: str, conversation: Conversation | str, asked: Asked,
                 into: list[Turn]) -> None:
    if not isinstance(conversation, str):
        into.append(await timed_turn(channel, conversation, asked))


@dataclass
class Collected:
    turns: list[Turn] = field(default_factory=list)
    seconds: float = 0.0

    def add(self, turns: list[Turn], seconds: float) -> None:
        self.turns += turns
        self.seconds += seconds

    def summary(self) -> Summary:
        return summarise(self.turns, self.seconds)


async def interleaved(channels: dict[str, Channel], conversations: int, seconds: float,
                      rounds: int, warmup_seconds: float = 2.0,
                      picks: Mapping[str, Pick] | None = None) -> dict[str, Collected]:
    """Every channel (the baseline among them) for ``seconds`` in each round, the order
    rotated per round, so drift on a shared machine hits all of them alike. A warm-up round
    is not counted. ``picks`` gives a channel other questions than the FAQ cycle."""
    chosen = picks or {}
    for name, channel in channels.items():
        await closed_loop(channel, conversations, warmup_seconds,
                          pick=chosen.get(name, question))
    collected = {name: Collected() for name in channels}
    names = list(channels)
    for index in range(rounds):
        order = names[index % len(names):] + names[:index % len(names)]
        for name in order:
            collected[name].add(*await closed_loop(channels[name], conversations, seconds,
                                                   first_question=index,
                                                   pick=chosen.get(name, question)))
    return collected


# ---- saturation ----
class Saturation(TypedDict):
    channel: str
    clients: int
    summary: Summary


async def _back_to_back(channel: Channel, clients: int,
                        seconds: float) -> tuple[list[Turn], float]:
    opened = await open_conversations(channel, clients)
    results: list[Turn] = []
    deadline = time.perf_counter() + seconds

    async def client(index: int, conversation: Conversation | str) -> None:
        number = index
        while time.perf_counter() < deadline:
            if isinstance(conversation, str):
                results.append(Turn(channel.name, 0.0, False, conversation))
                return
            results.append(await timed_turn(channel.name, conversation, question(number)))
            number += 1

    started = time.perf_counter()
    await asyncio.gather(*(client(index, c) for index, c in enumerate(opened)))
    elapsed = time.perf_counter() - started
    await close_all(opened)
    return results, elapsed


async def saturate(channel: Channel, clients: int, seconds: float) -> Saturation:
    """``clients`` conversations sending back to back for ``seconds``: turns per second
    (correct answers over the wall clock until the last turn started in time is answered)."""
    return Saturation(channel=channel.name, clients=clients,
                      summary=summarise(*await _back_to_back(channel, clients, seconds)))


async def saturation_rounds(channels: Sequence[Channel], clients: int, seconds: float,
                            rounds: int) -> dict[str, Saturation]:
    """Each channel ``seconds`` in all, in ``rounds`` alternating slices."""
    collected = {channel.name: Collected() for channel in channels}
    for index in range(rounds):
        for channel in (channels if index % 2 == 0 else list(reversed(channels))):
            collected[channel.name].add(*await _back_to_back(channel, clients,
                                                             seconds / rounds))
    return {name: Saturation(channel=name, clients=clients, summary=part.summary())
            for name, part in collected.items()}


# ---- open loop ----
class OpenLoop(TypedDict):
    offered_turns_per_s: float
    conversations: int
    seconds: float
    schedule: str
    overall: Summary
    per_channel: dict[str, Summary]
    send_lag_ms_p99: float  # how late the client itself started sends (its own overload)


def poisson_schedule(rate: float, seconds: float, seed: int) -> list[float]:
    """Send times (seconds from the start) of a Poisson process of ``rate`` per second."""
    rng = random.Random(seed)
    times: list[float] = []
    now = rng.expovariate(rate)
    while now < seconds:
        times.append(now)
        now += rng.expovariate(rate)
    return times


async def open_loop(channels: Sequence[Channel], rate: float, conversations: int,
                    seconds: float, seed: int = 8) -> OpenLoop:
    """Turns sent on a schedule (Poisson, ``rate`` per second) whatever the answers do,
    spread over ``conversations`` (shared out over ``channels`` in turn). A turn's latency
    runs from its scheduled send time, so a slow server is not excused by a client that
    waited for it (coordinated omission). Turns of one conversation stay in order: one
    scheduled while its predecessor is unanswered waits, and that wait counts."""
    owners = [channels[index % len(channels)] for index in range(conversations)]
    pools = {channel.name: await open_conversations(
        channel, sum(1 for owner in owners if owner is channel)) for channel in channels}
    ordered = [pools[owner.name].pop() for owner in owners]
    locks = [asyncio.Lock() for _ in ordered]
    schedule = poisson_schedule(rate, seconds, seed)
    results: list[Turn] = []
    lags: list[float] = []

    async def send(number: int, scheduled: float) -> None:
        slot = number % conversations
        conversation, name = ordered[slot], owners[slot].name
        async with locks[slot]:
            if isinstance(conversation, str):
                results.append(Turn(name, 0.0, False, conversation))
                return
            results.append(await timed_turn(name, conversation, question(number),
                                            since=scheduled))

    tasks: list[asyncio.Task[None]] = []
    start = time.perf_counter()
    for number, offset in enumerate(schedule):
        delay = start + offset - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        lags.append(max(0.0, -delay) * 1000)
        tasks.append(asyncio.create_task(send(number, start + offset)))
    await asyncio.gather(*tasks)
    await close_all(ordered)
    per_channel = {channel.name: summarise([t for t in results if t.channel == channel.name],
                                           seconds) for channel in channels}
    return OpenLoop(offered_turns_per_s=rate, conversations=conversations, seconds=seconds,
                    schedule=f"Poisson, seed {seed}, {len(schedule)} sends",
                    overall=summarise(results, seconds), per_channel=per_channel,
                    send_lag_ms_p99=round(sorted(lags)[int(0.99 * (len(lags) - 1))], 1)
                    if lags else 0.0)


# ---- one long conversation ----
class LongConversation(TypedDict):
    channel: str
    turns: int
    window: int
    first_turns_median_ms: float | None
    last_turns_median_ms: float | None
    ratio_last_to_first: float | None
    failed: int
    failures: list[str]
    latencies_ms: list[float]  # every turn in order (failed ones too), for the plot
    fresh_latencies_ms: list[float]  # the fresh conversation's turns, asked beside the last


async def long_conversation(channel: Channel, turns: int, window: int) -> LongConversation:
    """One conversation, ``turns`` turns in a row: the median of its last ``window`` turns
    against the median of a fresh conversation's first ``window`` turns. The two are asked
    turn about (fresh 1, long ``turns - window + 1``, fresh 2, ...), so both medians are
    taken at the same time: a shared machine's drift over the run does not enter the ratio.
    ``latencies_ms`` is the long conversation's every turn, for the plot."""
    conversation = await channel.open()
    fresh = await channel.open()
    results: list[Turn] = []
    first_turns: list[Turn] = []
    try:
        for number in range(turns - window):
            results.append(await timed_turn(channel.name, conversation, question(number)))
        for number in range(window):
            first_turns.append(await timed_turn(channel.name, fresh, question(number)))
            results.append(await timed_turn(channel.name, conversation,
                                            question(turns - window + number)))
    finally:
        await conversation.close()
        await fresh.close()
    failed = [turn for turn in [*results, *first_turns] if not turn.correct]
    first = [turn.latency_ms for turn in first_turns if turn.correct]
    last = [turn.latency_ms for turn in results[-window:] if turn.correct]
    first_median = statistics.median(first) if first else None
    last_median = statistics.median(last) if last else None
    return LongConversation(
        channel=channel.name, turns=turns, window=window,
        first_turns_median_ms=_round(first_median), last_turns_median_ms=_round(last_median),
        ratio_last_to_first=round(last_median / first_median, 3)
        if first_median and last_median else None,
        failed=len(failed), failures=[str(turn.error) for turn in failed[:5]],
        latencies_ms=[round(turn.latency_ms, 1) for turn in results],
        fresh_latencies_ms=[round(turn.latency_ms, 1) for turn in first_turns])


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)

