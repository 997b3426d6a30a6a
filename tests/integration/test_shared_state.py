"""The one setting (ASSISTANT_REDIS_URL / ASSISTANT_REDIS_PREFIX), and the per-key lock every
replica takes before a conversation's turn (web chat sessions, SMS senders): one holder at a
time, first come first served across instances, and a holder that died lets go."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine
from typing import Any, TypeVar

import pytest
import redis

from common.shared_state import (
    DEFAULT_PREFIX,
    LockUnavailableError,
    RedisHandle,
    RedisLocks,
    SharedState,
    SharedStateConfigError,
    handle_from_env,
)
from tests.e2e.conftest import free_port

T = TypeVar("T")


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)


def test_unset_means_the_embedded_default_and_a_bad_setting_is_refused() -> None:
    assert SharedState.from_env({}) == SharedState() and not SharedState().enabled
    assert handle_from_env({}) is None
    shared = SharedState.from_env({"ASSISTANT_REDIS_URL": "redis://:secret@db:6379/2"})
    assert shared.enabled and shared.prefix == DEFAULT_PREFIX
    assert "secret" not in shared.describe() and "db:6379/2" in shared.describe()
    assert SharedState.from_env({"ASSISTANT_REDIS_URL": "unix:///run/redis.sock",
                                 "ASSISTANT_REDIS_PREFIX": "stage:"}).prefix == "stage:"
    with pytest.raises(SharedStateConfigError, match="ASSISTANT_REDIS_URL"):
        SharedState.from_env({"ASSISTANT_REDIS_URL": "http://db:6379"})
    with pytest.raises(SharedStateConfigError, match="ASSISTANT_REDIS_PREFIX"):
        SharedState.from_env({"ASSISTANT_REDIS_URL": "redis://db", "ASSISTANT_REDIS_PREFIX":
                              "has space"})


def test_no_connection_is_made_outside_an_event_loop(shared: SharedState) -> None:
    handle = RedisHandle(shared)
    with pytest.raises(RuntimeError):
        handle.client()

    async def ping() -> bool:
        try:
            return bool(await handle.client().ping())
        finally:
            await handle.close()
    assert run(ping()) is True


def test_turns_on_two_instances_are_taken_one_at_a_time_first_come_first_served(
        shared: SharedState) -> None:
    a, b = RedisLocks(RedisHandle(shared), "t"), RedisLocks(RedisHandle(shared), "t")
    entered: list[int] = []
    inside = 0

    async def turn(number: int) -> None:
        nonlocal inside
        async with (a, b)[number % 2].hold("conversation-1"):
            inside += 1
            assert inside == 1
            entered.append(number)
            await asyncio.sleep(0.02)
            inside -= 1

    async def scenario() -> None:
        turns = []
        for number in range(8):
            turns.append(asyncio.create_task(turn(number)))
            await asyncio.sleep(0.01)  # each asks after the one before
        await asyncio.gather(*turns)
    run(scenario())
    assert entered == list(range(8))


def test_other_keys_are_not_held_up(shared: SharedState) -> None:
    locks = RedisLocks(RedisHandle(shared), "t")

    async def scenario() -> float:
        async with locks.hold("busy"):
            started = time.monotonic()
            async with locks.hold("free"):
                return time.monotonic() - started
    assert run(scenario()) < 0.5


def test_a_holder_that_died_lets_go_within_its_lease(shared: SharedState,
                                                    redis_sync: redis.Redis) -> None:
    base = f"{shared.prefix}lock:t:conversation-1"
    # What a replica killed while holding the lock leaves: its ticket, whose lease runs out.
    redis_sync.set(f"{base}:next", 1)
    redis_sync.zadd(f"{base}:queue", {"1": 1})
    redis_sync.set(f"{base}:live:1", "1", px=400)
    locks = RedisLocks(RedisHandle(shared), "t")

    async def scenario() -> float:
        started = time.monotonic()
        async with locks.hold("conversation-1"):
            return time.monotonic() - started
    waited = run(scenario())
    assert 0.2 < waited < 2.0


def test_a_long_turn_keeps_its_lock_past_the_lease(shared: SharedState) -> None:
    a = RedisLocks(RedisHandle(shared), "t", lease_seconds=0.6)
    b = RedisLocks(RedisHandle(shared), "t", lease_seconds=0.6)
    events: list[str] = []

    async def long_turn() -> None:
        async with a.hold("k"):
            events.append("a in")
            await asyncio.sleep(1.5)  # more than two leases: renewed while held
            events.append("a out")

    async def next_turn() -> None:
        await asyncio.sleep(0.1)
        async with b.hold("k"):
            events.append("b in")

    async def scenario() -> None:
        await asyncio.gather(long_turn(), next_turn())
    run(scenario())
    assert events == ["a in", "a out", "b in"]


def test_waiting_too_long_or_no_redis_is_an_error_and_leaves_no_ticket(
        shared: SharedState) -> None:
    holder = RedisLocks(RedisHandle(shared), "t")
    impatient = RedisLocks(RedisHandle(shared), "t", wait_seconds=0.2)
    nowhere = RedisLocks(RedisHandle(SharedState(f"redis://127.0.0.1:{free_port()}/0")), "t")

    async def scenario() -> float:
        async with holder.hold("k"):
            with pytest.raises(LockUnavailableError, match="waited"):
                async with impatient.hold("k"):
                    pass
        with pytest.raises(LockUnavailableError, match="ConnectionError"):
            async with nowhere.hold("k"):
                pass
        started = time.monotonic()
        async with impatient.hold("k"):  # the timed-out ticket does not block anyone
            return time.monotonic() - started
    assert run(scenario()) < 0.2
