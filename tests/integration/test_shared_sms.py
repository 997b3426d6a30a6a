"""The SMS channel's state in Redis: the store on its own (two instances, as two processes
have), and the channel on two replicas sharing one Redis, as behind a load balancer in
front of one Twilio number: a MessageSid repeated on both answered once, one sender's
messages taken in order across replicas with the numbered choices of the previous answer, an
opt-out, a status callback and a notice seen by both. Each replica has its own fake Rasa
and fake Twilio."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
from rasa.core.channels.channel import UserMessage

from common.shared_state import RedisHandle, SharedState
from connectors.sms.channel import TwilioSmsInput
from connectors.sms.config import SmsSettings
from connectors.sms.keywords import REPLIES, KeywordKind
from connectors.sms.redis_store import RedisSmsStore
from connectors.sms.state import DEDUPE_RETENTION_SECONDS, NOTICE_STALE_SECONDS, Choice
from connectors.twilio.signed_requests import empty_twiml, messaging_twiml
from tests.unit.sms_fakes import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    FROM_NUMBER,
    PUBLIC_BASE_URL,
    SECRET,
    WEBHOOK_PATH,
    FakeRasa,
    FakeTransport,
    form_body,
    inbound_params,
    sign,
)

from .replicas import replica

T = TypeVar("T")
PREFIX = "/webhooks/twilio_sms"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
SERVICE_TOKEN = "service-token-for-tests"
PHONE = "+46701234567"
BUTTONS = [{"title": "Kom igång", "payload": "/get_started"},
           {"title": "Mitt ärende", "payload": "/ask_case_status"}]


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


# ---- the store ----

def test_a_message_sid_is_claimed_once_across_two_stores(shared: SharedState) -> None:
    a, b = RedisSmsStore(RedisHandle(shared)), RedisSmsStore(RedisHandle(shared))

    async def scenario() -> list[bool]:
        claims = [(a, b)[i % 2].claim_message("SM1", "sms-x") for i in range(10)]
        return list(await asyncio.gather(*claims))
    assert run(scenario()).count(True) == 1


def test_begin_turn_claims_and_reads_the_opt_out_and_choices_in_one_step(
        shared: SharedState, redis_sync: Any) -> None:
    clock = Clock()
    a, b = (RedisSmsStore(RedisHandle(shared), clock) for _ in range(2))
    choices = [Choice("Kom igång", "/get_started"), Choice("Mitt ärende", "/ask_case_status")]

    async def scenario() -> None:
        await a.set_choices("sms-x", choices)
        start = await b.begin_turn("SM1", "sms-x", choices_max_age=60)
        assert (start.first_delivery, start.opted_out, start.choices) == (True, False,
                                                                          tuple(choices))
        assert (await a.begin_turn("SM1", "sms-x", 60)).first_delivery is False
        clock.now += 61
        assert await b.choices("sms-x", max_age=60) == []  # too old to pick from
        await a.set_choices("sms-x", [])
        assert await b.choices("sms-x", max_age=600) == []
        await a.opt_out("sms-x", "stopp")
        assert (await b.begin_turn("SM2", "sms-x", 60)).opted_out is True
        assert await b.is_opted_out("sms-x") and not await b.is_opted_out("sms-y")
        await b.opt_in("sms-x")
        assert not await a.is_opted_out("sms-x")
    run(scenario())
    ttl = redis_sync.ttl(f"{shared.prefix}sms:in:SM1")
    assert DEDUPE_RETENTION_SECONDS - 60 < ttl <= DEDUPE_RETENTION_SECONDS


def test_notices_are_claimed_once_and_a_failed_or_stale_one_again(shared: SharedState) -> None:
    clock = Clock()
    a, b = (RedisSmsStore(RedisHandle(shared), clock) for _ in range(2))

    async def scenario() -> list[bool]:
        claims = list(await asyncio.gather(*((a, b)[i % 2].claim_notice("k1")
                                             for i in range(6))))
        results = [claims.count(True) == 1]
        await a.finish_notice("k1", sent=False)        # failed: may be sent again
        results.append(await b.claim_notice("k1"))
        clock.now += NOTICE_STALE_SECONDS + 1          # claimed, then its process died
        results.append(await a.claim_notice("k1"))
        await b.finish_notice("k1", sent=True)
        clock.now += 10 * NOTICE_STALE_SECONDS
        results.append(not await a.claim_notice("k1"))  # done is done
        await a.finish_notice("never-claimed", sent=True)
        results.append(await b.claim_notice("never-claimed"))
        return results
    assert run(scenario()) == [True] * 5


def test_outbound_status_is_recorded_once_and_updated_anywhere(shared: SharedState) -> None:
    a, b = RedisSmsStore(RedisHandle(shared)), RedisSmsStore(RedisHandle(shared))

    async def scenario() -> None:
        await a.record_outbound("SM9", "sms-x", "late-answer", "accepted")
        await b.record_outbound("SM9", "sms-other", "again", "accepted")  # ignored
        assert await b.outbound_status("SM9") == ("accepted", None)
        assert await b.update_outbound_status("SM9", "undelivered", "30003") == "sms-x"
        assert await a.outbound_status("SM9") == ("undelivered", "30003")
        assert await a.update_outbound_status("SM8", "delivered", None) is None
        assert await a.outbound_status("SM8") is None
    run(scenario())


# ---- the channel on two replicas ----

def settings(tmp_path: Path) -> SmsSettings:
    block = {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN,
             "public_base_url": PUBLIC_BASE_URL, "from_number": FROM_NUMBER,
             "conversation_secret": SECRET, "store_path": str(tmp_path / "sms-not-used.db")}
    return SmsSettings.from_credentials(block, {"ASSISTANT_NOTICES_TOKEN": SERVICE_TOKEN})


class TimedRasa(FakeRasa):
    """Also records when each turn started and finished (monotonic seconds)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.spans: dict[str, tuple[float, float]] = {}

    async def __call__(self, message: UserMessage) -> None:
        started = time.monotonic()
        await super().__call__(message)
        self.spans[message.text or ""] = (started, time.monotonic())


class Replicas:
    def __init__(self, session: aiohttp.ClientSession, urls: list[str],
                 channels: list[TwilioSmsInput], rasas: list[TimedRasa],
                 transports: list[FakeTransport]) -> None:
        self.session, self.urls, self.channels = session, urls, channels
        self.rasas, self.transports = rasas, transports

    async def post(self, replica: int, path: str, data: bytes,
                   headers: dict[str, str]) -> tuple[int, str]:
        async with self.session.post(self.urls[replica] + path, data=data,
                                     headers=headers) as reply:
            return reply.status, await reply.text()

    async def sms(self, replica: int, params: dict[str, str]) -> tuple[int, str]:
        signature = sign(params, PUBLIC_BASE_URL + WEBHOOK_PATH)
        return await self.post(replica, "/webhook", form_body(params),
                               {**FORM, "X-Twilio-Signature": signature})

    def texts(self) -> list[str]:
        return [text for rasa in self.rasas for text in rasa.texts]


@asynccontextmanager
async def serving(tmp_path: Path, shared: SharedState,
                  rasas: list[TimedRasa]) -> AsyncIterator[Replicas]:
    transports = [FakeTransport() for _ in rasas]
    channels = [TwilioSmsInput(settings(tmp_path), transport, shared=shared)
                for transport in transports]
    async with AsyncExitStack() as stack:
        urls = [await stack.enter_async_context(replica(channel.blueprint(rasa), PREFIX))
                for channel, rasa in zip(channels, rasas, strict=True)]
        session = await stack.enter_async_context(aiohttp.ClientSession())
        yield Replicas(session, [url + PREFIX for url in urls], channels, rasas, transports)


def on_two_replicas(tmp_path: Path, shared: SharedState,
                    test: Callable[[Replicas], Awaitable[None]],
                    rasas: list[TimedRasa] | None = None) -> None:
    async def main() -> None:
        async with serving(tmp_path, shared, rasas or [TimedRasa(), TimedRasa()]) as r:
            await test(r)
    asyncio.run(main())


def test_a_message_sid_delivered_to_both_replicas_is_answered_once(
        tmp_path: Path, shared: SharedState) -> None:
    async def test(r: Replicas) -> None:
        params = inbound_params("Hej", sender=PHONE)
        answers = await asyncio.gather(*(r.sms(i % 2, params) for i in range(6)))
        assert sorted(answers) == sorted([(200, messaging_twiml(["svar på Hej"]))]
                                         + [(200, empty_twiml())] * 5)
        assert r.texts() == ["Hej"]
    on_two_replicas(tmp_path, shared, test)


def test_one_senders_messages_on_two_replicas_go_in_order_with_the_offered_choices(
        tmp_path: Path, shared: SharedState) -> None:
    slow = TimedRasa(delays={"Hej": 0.6}, answers={"Hej": [
        {"text": "Hej!\nSvara 1 för Kom igång.\nSvara 2 för Mitt ärende.", "buttons": BUTTONS}]})
    other = TimedRasa()

    async def test(r: Replicas) -> None:
        first = asyncio.create_task(r.sms(0, inbound_params("Hej", sender=PHONE)))
        await asyncio.sleep(0.2)  # replica A is in the middle of the turn
        # The reply "2" reaches replica B before A has answered "Hej": it waits for A's
        # turn, and then picks from the choices A's answer offered.
        assert await r.sms(1, inbound_params("2", sender=PHONE)) == (
            200, messaging_twiml(["svar på /ask_case_status"]))
        assert (await first)[0] == 200
        assert slow.texts == ["Hej"] and other.texts == ["/ask_case_status"]
        assert other.spans["/ask_case_status"][0] >= slow.spans["Hej"][1]
        # Another sender is not held up behind this one.
        assert await r.sms(1, inbound_params("Hallå", sender="+46709999999")) == (
            200, messaging_twiml(["svar på Hallå"]))
    on_two_replicas(tmp_path, shared, test, [slow, other])


def test_an_opt_out_on_one_replica_holds_on_the_other(tmp_path: Path,
                                                      shared: SharedState) -> None:
    async def test(r: Replicas) -> None:
        assert await r.sms(0, inbound_params("STOPP", sender=PHONE)) == (
            200, messaging_twiml([REPLIES[KeywordKind.STOP]]))
        assert await r.sms(1, inbound_params("Hej", sender=PHONE)) == (200, empty_twiml())
        assert await r.channels[1].sender.send(PHONE, "Nyhet", purpose="test") is None
        assert r.texts() == [] and r.transports[1].sent == []
        assert (await r.sms(1, inbound_params("STARTA", sender=PHONE)))[0] == 200
        assert await r.sms(0, inbound_params("Hej", sender=PHONE)) == (
            200, messaging_twiml(["svar på Hej"]))
    on_two_replicas(tmp_path, shared, test)


def test_a_status_callback_for_one_replicas_message_is_recorded_by_the_other(
        tmp_path: Path, shared: SharedState) -> None:
    async def test(r: Replicas) -> None:
        sid = await r.channels[0].sender.send(PHONE, "Hej", purpose="test")
        assert sid is not None
        params = {"MessageSid": sid, "AccountSid": ACCOUNT_SID, "MessageStatus": "undelivered",
                  "ErrorCode": "21610", "To": PHONE}
        signature = sign(params, f"{PUBLIC_BASE_URL}{PREFIX}/status")
        assert (await r.post(1, "/status", form_body(params),
                             {**FORM, "X-Twilio-Signature": signature}))[0] == 204
        assert await r.channels[0].store.outbound_status(sid) == ("undelivered", "21610")
        # Twilio's "unsubscribed" error became an opt-out, for both replicas.
        assert await r.channels[0].sender.send(PHONE, "Hej igen", purpose="test") is None
    on_two_replicas(tmp_path, shared, test)


def test_a_notice_posted_to_both_replicas_is_sent_once(tmp_path: Path,
                                                       shared: SharedState) -> None:
    notice = (b'{"phone": "+46701234567", "event": "payment_scheduled", '
              b'"protected_identity": false, "sms_notifications": true, '
              b'"idempotency_key": "k-shared"}')
    auth = {"Authorization": f"Bearer {SERVICE_TOKEN}", "Content-Type": "application/json"}

    async def test(r: Replicas) -> None:
        answers = await asyncio.gather(*(r.post(i % 2, "/notices", notice, auth)
                                         for i in range(4)))
        assert sorted(answers) == [(202, '{"status":"accepted"}')] + \
            [(202, '{"status":"duplicate"}')] * 3
        for channel in r.channels:
            await channel.tasks.drain(5)
        assert [s.to for t in r.transports for s in t.sent] == [PHONE]
    on_two_replicas(tmp_path, shared, test)
