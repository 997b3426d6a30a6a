"""The channel on a real server with a plain socket.io client: what it refuses (no session,
another session, malformed input, size and rate limits), what it strips before the bot sees
it (personnummer, metadata) and a failing bot."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from .harness import FakeBot, client, config, run, serving


def test_a_message_before_the_session_is_refused() -> None:
    async def test() -> None:
        bot = FakeBot()
        async with serving(config(), bot) as url, client(url) as tab:
            await tab.say("hej")
            assert (await tab.next("webchat_error"))["code"] == "no_session"
            assert bot.received == []
    run(test)


def test_a_message_for_another_session_is_refused() -> None:
    async def test() -> None:
        bot = FakeBot()
        async with serving(config(), bot) as url, client(url) as one, client(url) as two:
            token_one, _ = await one.start_session()
            await two.start_session()
            await two.say("in i någon annans samtal", session_id=token_one)
            assert (await two.next("webchat_error"))["code"] == "wrong_session"
            assert bot.received == []
    run(test)


@pytest.mark.parametrize("payload", [
    "just a string", ["a", "list"], {"message": 42}, {"message": "   "},
    {"message": "hej", "metadata": "{not json"}, {"message": "hej", "metadata": ["x"]},
    {"message": "hej", "metadata": {"language": "<script>"}},
    {"message": "hej", "session_id": {"nested": True}},
])
def test_malformed_messages_are_refused_and_not_processed(payload: Any) -> None:
    async def test() -> None:
        bot = FakeBot()
        async with serving(config(), bot) as url, client(url) as tab:
            await tab.start_session()
            await tab.sio.emit("user_uttered", payload)
            assert (await tab.next("webchat_error"))["code"] == "bad_request"
            assert bot.received == []
    run(test)


def test_a_malformed_session_request_is_refused() -> None:
    async def test() -> None:
        async with serving(config(), FakeBot()) as url, client(url) as tab:
            await tab.sio.emit("session_request", "not an object")
            assert (await tab.next("webchat_error"))["code"] == "bad_request"
            assert await tab.nothing("session_confirm")
    run(test)


def test_a_message_over_the_size_limit_is_refused_and_not_processed() -> None:
    async def test() -> None:
        bot = FakeBot()
        async with serving(config(max_message_chars=50), bot) as url, client(url) as tab:
            await tab.start_session()
            await tab.say("x" * 51)
            error = await tab.next("webchat_error")
            assert error["code"] == "message_too_long" and "50" in error["detail"]
            await tab.say("x" * 50)
            assert await tab.next("bot_uttered") == {"text": "echo: " + "x" * 50}
            assert bot.texts() == ["x" * 50]
    run(test)


def test_a_frame_far_over_the_limit_is_dropped_by_the_transport() -> None:
    async def test() -> None:
        bot = FakeBot()
        cfg = config(max_message_chars=50)
        async with serving(cfg, bot) as url, client(url) as tab:
            await tab.start_session()
            await tab.say("x" * (cfg.max_frame_bytes + 10))
            await asyncio.sleep(1.0)
            assert bot.received == []
            assert not tab.sio.connected or await tab.nothing("bot_uttered")
    run(test)


def test_the_rate_limit_refuses_messages_past_the_burst_for_that_session_only() -> None:
    async def test() -> None:
        bot = FakeBot()
        cfg = config(rate_limit={"messages": 3, "per_seconds": 60})
        async with serving(cfg, bot) as url, client(url) as tab, client(url) as other:
            await tab.start_session()
            for number in range(4):
                await tab.say(f"meddelande {number}")
            error = await tab.next("webchat_error")
            assert error["code"] == "rate_limited" and error["retry_after"] > 0
            for _ in range(3):
                await tab.next("bot_uttered")
            assert bot.texts() == ["meddelande 0", "meddelande 1", "meddelande 2"]
            await other.start_session()
            await other.say("en annan session")
            assert await other.next("bot_uttered") == {"text": "echo: en annan session"}
    run(test)


def test_repeated_session_requests_are_limited_per_connection() -> None:
    async def test() -> None:
        cfg = config(rate_limit={"messages": 2, "per_seconds": 60})
        async with serving(cfg, FakeBot()) as url, client(url) as tab:
            await tab.start_session()
            await tab.start_session()
            await tab.sio.emit("session_request", {})
            assert (await tab.next("webchat_error"))["code"] == "rate_limited"
    run(test)


def test_a_personnummer_is_replaced_before_the_bot_sees_it() -> None:
    async def test() -> None:
        bot = FakeBot()
        async with serving(config(), bot) as url, client(url) as tab, \
                client(url) as second:
            token, _ = await tab.start_session()
            await second.start_session(token)
            await tab.say("mitt personnummer är 19121212-1212")
            assert await tab.next("bot_uttered") == {"text": "echo: mitt personnummer är "
                                                             "PNR_REDACTED"}
            echo = await second.next("user_echo")
            assert "1212" not in echo["text"]
            assert bot.texts() == ["mitt personnummer är PNR_REDACTED"]
    run(test)


def test_only_the_language_is_taken_from_the_browsers_metadata() -> None:
    async def test() -> None:
        bot = FakeBot()
        async with serving(config(), bot) as url, client(url) as tab:
            await tab.start_session()
            # A forged identity in the metadata must not reach Rasa.
            await tab.say("what is my case status", metadata={
                "language": "en-GB", "test_person_ref": "someone-else", "x": 1})
            await tab.next("bot_uttered")
            await tab.say("som text", metadata='{"language": "sv"}')
            await tab.next("bot_uttered")
            assert [m.metadata for m in bot.received] == [{"language": "en"}, {"language": "sv"}]
    run(test)



def test_a_failing_bot_is_reported_to_the_widget() -> None:
    async def test() -> None:
        async with serving(config(), FakeBot(fail_on="krascha")) as url, client(url) as tab:
            await tab.start_session()
            await tab.say("krascha")
            assert (await tab.next("webchat_error"))["code"] == "unavailable"
            await tab.say("igen")
            assert await tab.next("bot_uttered") == {"text": "echo: igen"}
    run(test)
