"""The phone channel on two replicas sharing one Redis, as behind a load balancer that sends
each of Twilio's requests anywhere: a "one moment" redirect answered by the other replica,
retries on both processed once, the call's state and its end seen by both. Each replica has
its own fake Rasa."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import redis
from rasa.core.channels.channel import UserMessage

from common.shared_state import SharedState
from connectors.voice.call import ONE_MOMENT
from connectors.voice.channel import TwilioVoiceInput
from connectors.voice.config import VoiceSettings
from connectors.voice.twiml import Ending, TwimlOptions, VoiceReply, voice_twiml
from tests.unit.sms_fakes import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    PUBLIC_BASE_URL,
    SECRET,
    FakeRasa,
    form_body,
    sign,
)

from .replicas import replica

PREFIX = "/webhooks/twilio_voice"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
CALL_SID = "CA" + "2" * 32


def settings(tmp_path: Path, **changes: Any) -> VoiceSettings:
    block = {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN,
             "public_base_url": PUBLIC_BASE_URL, "conversation_secret": SECRET,
             "store_path": str(tmp_path / "voice-not-used.db"), **changes}
    return VoiceSettings.from_credentials(block, {})


def call_params(**extra: str) -> dict[str, str]:
    return {"AccountSid": ACCOUNT_SID, "CallSid": CALL_SID, "CallStatus": "in-progress",
            "CallerCity": "", "From": "+46701234567", "To": "+46101234567", **extra}


def expected(says: tuple[str, ...], step: int, ending: Ending = Ending.GATHER) -> str:
    path = "collect" if ending is Ending.REDIRECT else "gather"
    return voice_twiml(VoiceReply(says, ending), TwimlOptions(
        language="sv", voice="Polly.Astrid",
        action_url=f"{PUBLIC_BASE_URL}{PREFIX}/{path}?step={step}"))


class TimedRasa(FakeRasa):
    """Also records when each turn finished (monotonic seconds)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.done_at: dict[str, float] = {}

    async def __call__(self, message: UserMessage) -> None:
        await super().__call__(message)
        self.done_at[message.text or ""] = time.monotonic()


class Replicas:
    def __init__(self, session: aiohttp.ClientSession, urls: list[str],
                 rasas: list[TimedRasa]) -> None:
        self.session, self.urls, self.rasas = session, urls, rasas

    async def post(self, replica: int, path: str, params: dict[str, str]) -> tuple[int, str]:
        headers = {**FORM, "X-Twilio-Signature": sign(params, PUBLIC_BASE_URL + path)}
        async with self.session.post(self.urls[replica] + path, data=form_body(params),
                                     headers=headers) as reply:
            return reply.status, await reply.text()

    def texts(self) -> list[list[str]]:
        return [rasa.texts for rasa in self.rasas]


@asynccontextmanager
async def serving(channels: list[TwilioVoiceInput],
                  rasas: list[TimedRasa]) -> AsyncIterator[Replicas]:
    async with AsyncExitStack() as stack:
        urls = [await stack.enter_async_context(replica(channel.blueprint(rasa), PREFIX))
                for channel, rasa in zip(channels, rasas, strict=True)]
        session = await stack.enter_async_context(aiohttp.ClientSession())
        yield Replicas(session, urls, rasas)


def run(tmp_path: Path, shared: SharedState, test: Callable[[Replicas], Awaitable[None]],
        rasas: list[TimedRasa] | None = None, **changes: Any) -> None:
    """Two replicas, each its own channel and fake Rasa, sharing ``shared``."""
    rasas = rasas or [TimedRasa(), TimedRasa()]
    channels = [TwilioVoiceInput(settings(tmp_path, **changes),
                                 clock=lambda: dt.datetime(2026, 12, 23, 10, 0), shared=shared)
                for _ in rasas]

    async def main() -> None:
        async with serving(channels, rasas) as replicas:
            await test(replicas)
    asyncio.run(main())


def test_a_one_moment_redirect_is_answered_by_the_other_replica(
        tmp_path: Path, shared: SharedState) -> None:
    slow = TimedRasa(delays={"/ask_case_status": 0.8})

    async def test(r: Replicas) -> None:
        assert (await r.post(0, f"{PREFIX}/incoming", call_params()))[0] == 200
        # Replica A takes the keypress; the answer is not ready within answer_timeout.
        assert await r.post(0, f"{PREFIX}/gather?step=1", call_params(Digits="1")) == (
            200, expected((ONE_MOMENT,), 1, Ending.REDIRECT))
        # Twilio follows the redirect; the load balancer sends it to replica B, which waits
        # for the answer A stores, instead of answering 404.
        status, body = await r.post(1, f"{PREFIX}/collect?step=1", call_params())
        answered_at = time.monotonic()
        assert (status, body) == (200, expected(("svar på /ask_case_status",), 2))
        assert answered_at >= slow.done_at["/ask_case_status"]
        assert r.texts() == [["/greet", "/ask_case_status"], []]
        # The call goes on on B with the state A left (language, menu, step numbers).
        assert await r.post(1, f"{PREFIX}/gather?step=2", call_params(Digits="2")) == (
            200, expected(("svar på /ask_next_payment",), 3))
        assert r.texts() == [["/greet", "/ask_case_status"], ["/ask_next_payment"]]
    run(tmp_path, shared, test, [slow, TimedRasa()], answer_timeout=0.6)


def test_the_other_replica_says_one_moment_again_while_the_answer_is_not_ready(
        tmp_path: Path, shared: SharedState) -> None:
    slow = TimedRasa(delays={"/ask_case_status": 1.2})

    async def test(r: Replicas) -> None:
        await r.post(0, f"{PREFIX}/incoming", call_params())
        await r.post(0, f"{PREFIX}/gather?step=1", call_params(Digits="1"))
        assert await r.post(1, f"{PREFIX}/collect?step=1", call_params()) == (
            200, expected((ONE_MOMENT,), 1, Ending.REDIRECT))
        assert await r.post(1, f"{PREFIX}/collect?step=1", call_params()) == (
            200, expected(("svar på /ask_case_status",), 2))
        assert (await r.post(1, f"{PREFIX}/collect?step=7", call_params()))[0] == 404
    # A's answer comes 1.2 s after the keypress: at 0.5 A says "one moment", B's first
    # collect (0.5-1.0 s) says it again, its second (from 1.0 s) gets the answer.
    run(tmp_path, shared, test, [slow, TimedRasa()], answer_timeout=0.5)


def test_a_step_retried_on_both_replicas_is_processed_once(tmp_path: Path,
                                                           shared: SharedState) -> None:
    rasas = [TimedRasa(delays={"/ask_case_status": 0.2}),
             TimedRasa(delays={"/ask_case_status": 0.2})]

    async def test(r: Replicas) -> None:
        greeting = await r.post(0, f"{PREFIX}/incoming", call_params())
        assert await r.post(1, f"{PREFIX}/incoming", call_params()) == greeting
        step = call_params(Digits="1")
        answers = await asyncio.gather(*(r.post(i % 2, f"{PREFIX}/gather?step=1", step)
                                         for i in range(6)))
        assert set(answers) == {(200, expected(("svar på /ask_case_status",), 2))}
        turns = r.texts()[0] + r.texts()[1]
        assert sorted(turns) == ["/ask_case_status", "/greet"]
    run(tmp_path, shared, test, rasas, answer_timeout=2)


def test_a_call_ended_through_one_replica_is_ended_on_the_other(
        tmp_path: Path, shared: SharedState) -> None:
    async def test(r: Replicas) -> None:
        await r.post(0, f"{PREFIX}/incoming", call_params())
        assert (await r.post(1, f"{PREFIX}/status", call_params(CallStatus="completed")))[0] \
            == 204
        assert await r.post(0, f"{PREFIX}/gather?step=1", call_params(Digits="1")) == (
            200, expected((), 2, Ending.HANGUP))
        assert r.texts() == [["/greet"], []]
    run(tmp_path, shared, test)


def test_without_shared_state_the_other_replica_does_not_know_the_call(
        tmp_path: Path) -> None:
    """The control: separate SQLite files, as two hosts would have."""
    async def test(r: Replicas) -> None:
        await r.post(0, f"{PREFIX}/incoming", call_params())
        assert (await r.post(1, f"{PREFIX}/gather?step=1", call_params(Digits="1")))[0] == 404

    channels = [TwilioVoiceInput(settings(tmp_path, store_path=str(tmp_path / f"{name}.db")))
                for name in ("a", "b")]

    async def main() -> None:
        async with serving(channels, [TimedRasa(), TimedRasa()]) as replicas:
            await test(replicas)
    asyncio.run(main())


def test_redis_holds_no_answer_in_clear_text_and_none_after_the_call(
        tmp_path: Path, shared: SharedState, redis_sync: redis.Redis) -> None:
    rasas = [TimedRasa(answers={"/ask_next_payment": [
        {"text": "Din nästa utbetalning är 12 345 kronor."}]}), TimedRasa()]

    def stored() -> str:
        return " ".join(str(redis_sync.get(key)) for key in
                        redis_sync.scan_iter(match=f"{shared.prefix}voice:*")
                        if redis_sync.type(key) == "string")

    async def test(r: Replicas) -> None:
        await r.post(0, f"{PREFIX}/incoming", call_params())
        status, body = await r.post(0, f"{PREFIX}/gather?step=1", call_params(Digits="2"))
        assert status == 200 and "12 345" in body
        assert "12 345" not in stored() and "ask_next_payment" not in stored()
        await r.post(1, f"{PREFIX}/status", call_params(CallStatus="completed"))
        assert not list(redis_sync.scan_iter(match=f"{shared.prefix}voice:step:*"))
        assert not list(redis_sync.scan_iter(match=f"{shared.prefix}voice:call:*"))
        # The captured step, replayed after the end: a hang-up, nothing processed.
        assert await r.post(1, f"{PREFIX}/gather?step=1", call_params(Digits="2")) == (
            200, expected((), 2, Ending.HANGUP))
        assert r.texts() == [["/greet", "/ask_next_payment"], []]
    run(tmp_path, shared, test, rasas)
