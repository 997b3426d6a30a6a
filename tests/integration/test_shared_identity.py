"""Identification state in Redis, seen by two action servers (two instances, each with its
own Redis client, as two processes would have): the BankID simulator's orders, the identity
vault and the start limiter; and the whole identification begun on one action server and
finished on the other."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

import pytest
import redis
from cryptography.fernet import Fernet
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.identification import ActionReceivePersonalNumber
from actions.identity.provider import AuthFlow, AuthRequest, AuthStatus, IdentityProviderError
from actions.identity.rate_limit import RedisStartLimiter, StartLimit
from actions.identity.services import IdentityServices
from actions.identity.simulator import SIMULATES_TIMEOUT, BankIdSimulator, RedisOrders
from actions.payments import ActionNextPayment
from common.identity_vault import RedisIdentityVault, VaultSettings
from common.shared_state import PREFIX_ENV, URL_ENV, RedisHandle, SharedState
from tests.unit.fake_backend import demo_backend

T = TypeVar("T")
PHONE_TOLVAN = AuthRequest("191212121212", AuthFlow.PHONE, "Försäkringskassan")
PHONE_SIMULATES_TIMEOUT = AuthRequest(SIMULATES_TIMEOUT, AuthFlow.PHONE, "Försäkringskassan")
TOLVAN = "191212121212"
KEY = Fernet.generate_key()


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def everything_stored(client: redis.Redis, shared: SharedState) -> str:
    """Every key and string/hash value under the test's prefix, as one text."""
    parts: list[str] = []
    for key in client.scan_iter(match=f"{shared.prefix}*"):
        parts.append(key)
        kind = client.type(key)
        if kind == "string":
            parts.append(str(client.get(key)))
        elif kind == "hash":
            parts.extend(str(v) for v in client.hgetall(key).values())
    return "\n".join(parts)


def simulator(shared: SharedState, clock: Clock) -> BankIdSimulator:
    """One action server's simulator, with its own Redis client."""
    return BankIdSimulator(confirm_after=2, expire_after=30, clock=clock,
                           orders=RedisOrders(RedisHandle(shared), KEY))


def vault_settings(key: bytes = KEY, ttl_seconds: float = 300.0) -> VaultSettings:
    return VaultSettings(Path("not-used-with-redis.db"), key, ttl_seconds)


def test_an_order_started_on_one_action_server_is_collected_on_another(
        shared: SharedState, redis_sync: redis.Redis) -> None:
    clock = Clock()
    a, b = simulator(shared, clock), simulator(shared, clock)

    async def scenario() -> None:
        order = (await a.start(PHONE_TOLVAN)).order_ref
        assert (await b.collect(order)).status is AuthStatus.PENDING
        # Still waiting: neither server may start a second order for the number.
        for server in (a, b):
            with pytest.raises(IdentityProviderError, match="alreadyInProgress"):
                await server.start(PHONE_TOLVAN)
        clock.now += 2.5
        collected = await b.collect(order)
        assert (collected.status, collected.personal_number) == (AuthStatus.COMPLETE, TOLVAN)
        # Completed on B: A may start the next one at once (as BankID).
        again = (await a.start(PHONE_TOLVAN)).order_ref
        await b.cancel(again)
        assert (await a.collect(again)).hint_code == "cancelled"
        with pytest.raises(IdentityProviderError, match="invalidParameters"):
            await b.collect("no-such-order")
    run(scenario())
    stored = everything_stored(redis_sync, shared)
    assert stored and TOLVAN not in stored  # the number is encrypted and indexed by HMAC


def test_a_waiting_order_expires_for_every_server(shared: SharedState) -> None:
    clock = Clock()
    a, b = simulator(shared, clock), simulator(shared, clock)

    async def scenario() -> None:
        order = (await a.start(PHONE_SIMULATES_TIMEOUT)).order_ref
        clock.now += 31
        assert (await b.collect(order)).hint_code == "expiredTransaction"
    run(scenario())


def test_a_vault_entry_put_by_one_replica_is_taken_once_by_another(
        shared: SharedState, redis_sync: redis.Redis) -> None:
    settings = vault_settings()
    channel = RedisIdentityVault(settings, RedisHandle(shared))
    servers = [RedisIdentityVault(settings, RedisHandle(shared)) for _ in range(2)]

    async def scenario() -> None:
        token = await channel.put(TOLVAN)
        assert TOLVAN not in everything_stored(redis_sync, shared)
        # Both action servers race for it; exactly one gets it, and never again.
        taken = await asyncio.gather(*(servers[i % 2].take(token) for i in range(10)))
        assert taken.count(TOLVAN) == 1 and taken.count(None) == 9
        assert await servers[0].take(token) is None and await channel.take(token) is None
        # keep=True reads without taking; forget removes.
        await channel.put(TOLVAN, token="order:abc")
        assert await servers[0].take("order:abc", keep=True) == TOLVAN
        assert await servers[1].take("order:abc", keep=True) == TOLVAN
        await servers[1].forget("order:abc")
        assert await servers[0].take("order:abc") is None
        # Another key reads nothing.
        token = await channel.put(TOLVAN)
        other = RedisIdentityVault(vault_settings(Fernet.generate_key()), RedisHandle(shared))
        assert await other.take(token) is None
    run(scenario())


def test_a_vault_entry_expires_by_its_time_to_live(shared: SharedState,
                                                   redis_sync: redis.Redis) -> None:
    settings = vault_settings(ttl_seconds=0.3)
    vault = RedisIdentityVault(settings, RedisHandle(shared))

    async def scenario() -> None:
        token = await vault.put(TOLVAN)
        assert 0 < redis_sync.pttl(f"{shared.prefix}vault:{token}") <= 300
        await asyncio.sleep(0.45)
        assert await vault.take(token) is None
    run(scenario())


def test_identification_starts_are_counted_across_action_servers(shared: SharedState) -> None:
    clock = Clock()
    a, b = (RedisStartLimiter(RedisHandle(shared), window_seconds=900, clock=clock)
            for _ in range(2))

    async def scenario() -> list[bool]:
        results = [await a.try_start(three("conversation:1", "caller:x")),
                   await b.try_start(three("conversation:2", "caller:x")),
                   await a.try_start(three("conversation:3", "caller:x")),
                   await b.try_start(three("conversation:4", "caller:x")),  # caller:x is full
                   await b.try_start(three("conversation:4"))]  # refused: not counted
        clock.now += 901
        results.append(await a.try_start(three("conversation:5", "caller:x")))
        # Each key has its own limit: one start under "everyone:1", whoever asks.
        for server in (a, b):
            results.append(await server.try_start([StartLimit("everyone:1", 1),
                                                   *three(f"conversation:{id(server)}")]))
        return results
    assert run(scenario()) == [True, True, True, False, True, True, True, False]


def test_concurrent_starts_on_two_servers_never_pass_the_limit(shared: SharedState) -> None:
    a, b = (RedisStartLimiter(RedisHandle(shared)) for _ in range(2))

    async def scenario() -> list[bool]:
        return list(await asyncio.gather(*((a, b)[i % 2].try_start(three("caller:y"))
                                           for i in range(12))))
    assert run(scenario()).count(True) == 3


def test_one_waiting_order_per_person_across_action_servers(shared: SharedState) -> None:
    a, b = (RedisStartLimiter(RedisHandle(shared)) for _ in range(2))

    async def scenario() -> list[bool]:
        claims = list(await asyncio.gather(*((a, b)[i % 2].claim("person:p", f"conv-{i}", 60)
                                             for i in range(10))))
        winner = f"conv-{claims.index(True)}"
        await b.release("person:p", "conv-other")  # not the holder: changes nothing
        after_wrong_release = await a.claim("person:p", "conv-late", 60)
        await b.release("person:p", winner)
        return [*claims, after_wrong_release, await a.claim("person:p", "conv-late", 60)]
    results = run(scenario())
    assert results[:10].count(True) == 1
    assert results[10:] == [False, True]


def three(*keys: str) -> list[StartLimit]:
    return [StartLimit(key, 3) for key in keys]


def _tracker(slots: dict[str, Any], metadata: dict[str, Any]) -> Tracker:
    latest = {"intent": {"name": "provide_personal_number"}, "metadata": metadata}
    events = [{"event": "user", "timestamp": 1000.0, "input_channel": "twilio_voice",
               "parse_data": latest}]
    if slots.get("identification_order"):
        slots = {**slots, "identity_channel": "twilio_voice"}  # the order's own channel
    return Tracker("voice-x", slots, latest, events, False, None, None, "action_listen")


def test_an_identification_begun_on_one_action_server_ends_on_the_other(
        shared: SharedState) -> None:
    """As configured from the environment: the number is put by the channel, BankID is
    started on server A (not yet confirmed within its turn), and the next question, routed to
    server B, collects the confirmation and answers."""
    environ = {URL_ENV: str(shared.url), PREFIX_ENV: shared.prefix,
               "IDENTITY_VAULT_KEY": KEY.decode(), "BANKID_SIMULATOR_CONFIRM_SECONDS": "0.4",
               "IDENTITY_VAULT_PATH": "/nonexistent/vault.db"}  # Redis: no file is made
    server_a, server_b = (IdentityServices.from_env(environ) for _ in range(2))
    for server in (server_a, server_b):
        server.wait_seconds, server.poll_interval = 0.05, 0.01
    backend = demo_backend()

    async def scenario() -> tuple[list[str], list[dict[str, Any]], list[str]]:
        token = await server_b.vault.put(TOLVAN)  # the channel's hand-over
        dispatcher = CollectingDispatcher()
        events = await ActionReceivePersonalNumber(backend, server_a).run(
            dispatcher, _tracker({}, {"pnr_token": token}), {})
        first = [m["response"] for m in dispatcher.messages]
        (order,) = [e["value"] for e in events if e.get("name") == "identification_order"]
        await asyncio.sleep(0.5)
        dispatcher = CollectingDispatcher()
        events = await ActionNextPayment(backend, environ={}, identity=server_b).run(
            dispatcher, _tracker({"identification_order": order}, {}), {})
        return first, events, [m["response"] for m in dispatcher.messages]

    first, events, said = run(scenario())
    assert first == ["utter_confirm_in_bankid", "utter_bankid_still_waiting"]
    # Identified on the other replica, and the question answered in the same run.
    assert said[:2] == ["utter_identified", "utter_next_payment"]
    assert SlotSet("person_ref", "tolvan") in events
    assert not any(event.get("event") == "followup" for event in events)
