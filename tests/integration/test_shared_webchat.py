"""The web chat on two replicas (two Sanic + socket.io servers in this process, on free
ports) sharing one Redis, as behind a load balancer: a session's tabs on different replicas
see each other's replies, its messages are taken one at a time in order, and its rate limit
counts on both. Each replica has its own fake bot, as each Rasa replica answers the messages
it received."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from typing import Any

import pytest

from common.shared_state import URL_ENV, SharedState
from connectors.webchat.config import WebChatConfigError, parse_config
from tests.web.harness import FakeBot, client, config, serving


def run(test: Callable[[], Coroutine[Any, Any, None]]) -> None:
    asyncio.run(test())


def test_a_reply_emitted_on_replica_a_reaches_a_tab_connected_to_replica_b(
        shared: SharedState) -> None:
    async def test() -> None:
        bot_a, bot_b = FakeBot(), FakeBot()
        async with serving(config(), bot_a, shared=shared) as url_a, \
                serving(config(), bot_b, shared=shared) as url_b, \
                client(url_a) as tab_a, client(url_b) as tab_b:
            token, _ = await tab_a.start_session()
            same, _ = await tab_b.start_session(token)
            assert same == token
            await tab_a.say("hej från A", session_id=token)
            assert await tab_a.next("bot_uttered") == {"text": "echo: hej från A"}
            # Emitted by replica A to the session's room; tab B's socket lives on replica B.
            assert await tab_b.next("bot_uttered") == {"text": "echo: hej från A"}
            assert await tab_b.next("user_echo") == {"text": "hej från A", "payload": False}
            assert bot_a.texts() == ["hej från A"] and bot_b.texts() == []
            # And the other way round.
            await tab_b.say("hej från B", session_id=token)
            assert await tab_a.next("bot_uttered") == {"text": "echo: hej från B"}
            assert await tab_a.next("user_echo") == {"text": "hej från B", "payload": False}
            assert bot_b.texts() == ["hej från B"]
    run(test)


def test_without_shared_state_the_other_replica_never_hears_it() -> None:
    """The control: the embedded default keeps a room in one process."""
    async def test() -> None:
        async with serving(config(), FakeBot()) as url_a, serving(config(), FakeBot()) as url_b, \
                client(url_a) as tab_a, client(url_b) as tab_b:
            token, _ = await tab_a.start_session()
            await tab_b.start_session(token)
            await tab_a.say("hej", session_id=token)
            assert await tab_a.next("bot_uttered") == {"text": "echo: hej"}
            assert await tab_b.nothing("bot_uttered", wait=1.0)
    run(test)


class TimedBot(FakeBot):
    """Records when each message's turn started (before it replies) and ended."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.started: dict[str, float] = {}
        self.ended: dict[str, float] = {}

    async def __call__(self, message: Any) -> None:
        self.started[message.text] = time.monotonic()
        await super().__call__(message)
        self.ended[message.text] = time.monotonic()


def test_a_sessions_messages_on_two_replicas_are_taken_one_at_a_time_in_order(
        shared: SharedState) -> None:
    async def test() -> None:
        bot_a, bot_b = TimedBot(delays={"långsam": 1.0}), TimedBot()
        async with serving(config(), bot_a, shared=shared) as url_a, \
                serving(config(), bot_b, shared=shared) as url_b, \
                client(url_a) as tab_a, client(url_b) as tab_b:
            token, _ = await tab_a.start_session()
            await tab_b.start_session(token)
            await tab_a.say("långsam", session_id=token)
            await asyncio.sleep(0.3)  # replica A holds the session now
            await tab_b.say("snabb", session_id=token)
            replies = [await tab_b.next("bot_uttered") for _ in range(2)]
            assert replies == [{"text": "echo: långsam"}, {"text": "echo: snabb"}]
            # B took the message only after A's turn was over (and A let go of the session).
            assert bot_b.started["snabb"] >= bot_a.ended["långsam"]
    run(test)


def test_the_rate_limit_counts_a_sessions_messages_on_both_replicas(
        shared: SharedState) -> None:
    async def test() -> None:
        cfg = config(rate_limit={"messages": 3, "per_seconds": 60})
        async with serving(cfg, FakeBot(), shared=shared) as url_a, \
                serving(cfg, FakeBot(), shared=shared) as url_b, \
                client(url_a) as tab_a, client(url_b) as tab_b:
            token, _ = await tab_a.start_session()
            await tab_b.start_session(token)
            for tab, text in ((tab_a, "ett"), (tab_b, "två"), (tab_a, "tre")):
                await tab.say(text, session_id=token)
                # Every reply reaches tab A, the ones from replica B through Redis.
                assert await tab_a.next("bot_uttered") == {"text": f"echo: {text}"}
            await tab_b.say("fyra", session_id=token)
            refused = await tab_b.next("webchat_error")
            assert refused["code"] == "rate_limited" and 0 < refused["retry_after"] <= 20
    run(test)


def test_replicas_must_share_one_session_secret() -> None:
    """Without one, each replica would make its own: a session continued on another
    replica (a reload, a reconnect) would silently start empty."""
    with pytest.raises(WebChatConfigError, match="WEBCHAT_SESSION_SECRET"):
        parse_config({}, environ={URL_ENV: "redis://127.0.0.1:6379/0"})
    assert parse_config({}, environ={URL_ENV: "redis://127.0.0.1:6379/0",
                                     "WEBCHAT_SESSION_SECRET": "x" * 16}).session_secret
