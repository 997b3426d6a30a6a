import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import pytest

from connectors.sms.conversations import ConversationIds
from connectors.sms.outbound import OutboundSender, SendError, TwilioRestTransport
from connectors.sms.store import SmsStore
from tests.fake_twilio import Failure, FakeTwilio

from .sms_fakes import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, SECRET, FakeTransport

T = TypeVar("T")
PHONE = "+46701234567"
CALLBACK = "https://assistant.example.se/webhooks/twilio_sms/status"


class Sleeps(list[float]):
    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


def with_sender(tmp_path: Path, transport: FakeTransport,
                scenario: Callable[[OutboundSender, SmsStore, Sleeps], Awaitable[T]]) -> T:
    async def main() -> T:
        store = SmsStore(tmp_path / "sms.db")
        sleeps = Sleeps()
        sender = OutboundSender(transport, store, ConversationIds(SECRET), CALLBACK,
                                attempts=4, backoff=0.5, sleep=sleeps)
        try:
            return await scenario(sender, store, sleeps)
        finally:
            await store.close()
    return asyncio.run(main())


def test_sends_with_a_status_callback_and_records_the_sid(tmp_path: Path) -> None:
    transport = FakeTransport()

    async def scenario(sender: OutboundSender, store: SmsStore, _: Sleeps) -> None:
        sid = await sender.send(PHONE, "Hej", purpose="notice")
        assert sid is not None and await store.outbound_status(sid) == ("accepted", None)
    with_sender(tmp_path, transport, scenario)
    [sent] = transport.sent
    assert (sent.to, sent.body, sent.status_callback) == (PHONE, "Hej", CALLBACK)


def test_retries_what_may_succeed_later_with_backoff(tmp_path: Path) -> None:
    transport = FakeTransport(failures=[SendError("503", True), SendError("timeout", True)])

    async def scenario(sender: OutboundSender, _: SmsStore, sleeps: Sleeps) -> None:
        assert await sender.send(PHONE, "Hej", purpose="notice") is not None
        assert sleeps == [0.5, 2.0]
    with_sender(tmp_path, transport, scenario)
    assert transport.calls == 3 and len(transport.sent) == 1


def test_gives_up_on_a_permanent_error_and_after_the_last_attempt(tmp_path: Path) -> None:
    permanent = FakeTransport(failures=[SendError("400", False, 21211)])
    flaky = FakeTransport(failures=[SendError("503", True) for _ in range(4)])

    async def scenario(sender: OutboundSender, _: SmsStore, sleeps: Sleeps) -> None:
        assert await sender.send(PHONE, "Hej", purpose="notice") is None
    with_sender(tmp_path, permanent, scenario)
    with_sender(tmp_path, flaky, scenario)
    assert (permanent.calls, flaky.calls) == (1, 4)
    assert not permanent.sent and not flaky.sent


def test_respects_an_opt_out_and_learns_one_from_twilio(tmp_path: Path) -> None:
    transport = FakeTransport(failures=[SendError("400", False, 21610)])
    ids = ConversationIds(SECRET)

    async def scenario(sender: OutboundSender, store: SmsStore, _: Sleeps) -> None:
        assert await sender.send(PHONE, "Hej", purpose="notice") is None
        assert await store.is_opted_out(ids.of(PHONE))
        assert await sender.send(PHONE, "Hej igen", purpose="notice") is None
    with_sender(tmp_path, transport, scenario)
    assert transport.calls == 1  # the second was never attempted


def test_status_callbacks_update_and_an_unsubscribed_failure_opts_out(tmp_path: Path) -> None:
    ids = ConversationIds(SECRET)

    async def scenario(sender: OutboundSender, store: SmsStore, _: Sleeps) -> None:
        first = await sender.send(PHONE, "Hej", purpose="notice")
        assert first is not None
        assert await sender.on_status(first, "delivered", None)
        assert await store.outbound_status(first) == ("delivered", None)
        assert not await sender.on_status("SM" + "f" * 32, "delivered", None)
        assert not await store.is_opted_out(ids.of(PHONE))
        assert await sender.on_status(first, "failed", "21610")
        assert await store.is_opted_out(ids.of(PHONE))
    with_sender(tmp_path, FakeTransport(), scenario)


def rest(scenario: Callable[[TwilioRestTransport, FakeTwilio], Awaitable[None]],
         token: str = AUTH_TOKEN, delay: float = 0.0, timeout: float = 5) -> None:
    async def main() -> None:
        fake = FakeTwilio(ACCOUNT_SID, AUTH_TOKEN, delay=delay)
        await fake.start()
        transport = TwilioRestTransport(ACCOUNT_SID, token, FROM_NUMBER, fake.url,
                                        timeout=timeout)
        try:
            await scenario(transport, fake)
        finally:
            await transport.close()
            await fake.stop()
    asyncio.run(main())


def test_the_twilio_client_posts_the_message_to_the_configured_api() -> None:
    async def scenario(transport: TwilioRestTransport, fake: FakeTwilio) -> None:
        sid = await transport.send(to=PHONE, body="Hej på dig", status_callback=CALLBACK)
        [message] = fake.messages
        assert (message.sid, message.to, message.sender, message.body,
                message.status_callback) == (sid, PHONE, FROM_NUMBER, "Hej på dig", CALLBACK)
    rest(scenario)


@pytest.mark.parametrize(("failure", "retryable", "code"), [
    (Failure(503, 20503), True, 20503), (Failure(429, 20429), True, 20429),
    (Failure(400, 21211), False, 21211)])
def test_twilio_errors_say_whether_to_retry(failure: Failure, retryable: bool,
                                            code: int) -> None:
    async def scenario(transport: TwilioRestTransport, fake: FakeTwilio) -> None:
        fake.failures.append(failure)
        with pytest.raises(SendError) as error:
            await transport.send(to=PHONE, body="Hej", status_callback=CALLBACK)
        assert (error.value.retryable, error.value.code) == (retryable, code)
    rest(scenario)


def test_a_wrong_token_is_not_retried() -> None:
    async def scenario(transport: TwilioRestTransport, fake: FakeTwilio) -> None:
        with pytest.raises(SendError) as error:
            await transport.send(to=PHONE, body="Hej", status_callback=CALLBACK)
        assert not error.value.retryable and not fake.messages
    rest(scenario, token="wrong-token")


def test_an_unreachable_api_is_retryable() -> None:
    async def main() -> None:
        transport = TwilioRestTransport(ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER,
                                        "http://127.0.0.1:9", timeout=2)
        try:
            with pytest.raises(SendError) as error:
                await transport.send(to=PHONE, body="Hej", status_callback=CALLBACK)
            assert error.value.retryable
        finally:
            await transport.close()
    asyncio.run(main())


def test_a_slow_api_times_out_and_may_be_retried() -> None:
    async def scenario(transport: TwilioRestTransport, fake: FakeTwilio) -> None:
        started = asyncio.get_running_loop().time()
        with pytest.raises(SendError) as error:
            await transport.send(to=PHONE, body="Hej", status_callback=CALLBACK)
        assert error.value.retryable
        assert asyncio.get_running_loop().time() - started < 1.0
    rest(scenario, delay=2.0, timeout=0.2)
