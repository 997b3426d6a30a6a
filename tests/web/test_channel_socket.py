"""The channel on a real server with a plain socket.io client (python-socketio), a fake bot
injected as Rasa's message handler: sessions, tabs, reconnection, limits, origins, identity."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

import aiohttp
import pytest
import socketio

from connectors.webchat.sessions import AnonymousOnly, AuthenticationError, Identity

from .harness import SOCKETIO_PATH, FakeBot, FakeHistory, client, config, refusal, serving


def run(test: Callable[[], Coroutine[Any, Any, None]]) -> None:
    asyncio.run(test())


class FakeLogin:
    """An injected authenticator: "token-A" is person A, "token-B" person B."""

    async def authenticate(self, token: str | None) -> Identity:
        if token is None:
            return Identity()
        if token in {"token-A", "token-B"}:
            ref = token[-1]
            return Identity(f"person:{ref}", {"test_person_ref": f"ref-{ref}"})
        if token == "token-down":
            raise AuthenticationError("auth_unavailable", "backend down")
        raise AuthenticationError("auth_failed", "unknown token")

    async def close(self) -> None:
        return None


def test_session_request_is_confirmed_and_replies_come_to_the_session() -> None:
    async def test() -> None:
        bot = FakeBot()
        async with serving(config(), bot, history=FakeHistory(bot)) as url, \
                client(url) as tab:
            token, history = await tab.start_session()
            assert history == []
            await tab.say("hej", session_id=token, metadata={"language": "sv"})
            assert await tab.next("bot_uttered") == {"text": "echo: hej"}
            message = bot.received[0]
            assert message.input_channel == "webchat"
            assert message.output_channel.name() == "webchat"
            assert message.sender_id.startswith("web-") and message.sender_id not in token[23:]
            assert message.metadata == {"language": "sv"}
    run(test)


def test_buttons_arrive_as_rasa_quick_replies() -> None:
    async def test() -> None:
        bot = FakeBot()
        async with serving(config(), bot) as url, client(url) as tab:
            await tab.start_session()
            await tab.say("buttons")
            assert await tab.next("bot_uttered") == {"text": "Välj", "quick_replies": [
                {"content_type": "text", "title": "Ja", "payload": "/affirm"},
                {"content_type": "text", "title": "Nej", "payload": "/deny"}]}
    run(test)


def test_two_tabs_of_one_session_both_get_the_replies_and_the_other_sees_the_question() -> None:
    async def test() -> None:
        bot = FakeBot()
        async with serving(config(), bot, history=FakeHistory(bot)) as url, \
                client(url) as first, client(url) as second:
            token, _ = await first.start_session()
            same, _ = await second.start_session(token)
            assert same == token
            await first.say("från flik ett", session_id=token)
            assert await first.next("bot_uttered") == {"text": "echo: från flik ett"}
            assert await second.next("bot_uttered") == {"text": "echo: från flik ett"}
            assert await second.next("user_echo") == {"text": "från flik ett", "payload": False}
            assert await first.nothing("user_echo")
            await second.say("från flik två", session_id=token)
            assert await first.next("bot_uttered") == {"text": "echo: från flik två"}
            assert len({m.sender_id for m in bot.received}) == 1
    run(test)


def test_other_sessions_do_not_get_each_others_replies() -> None:
    async def test() -> None:
        bot = FakeBot()
        async with serving(config(), bot) as url, client(url) as one, client(url) as other:
            await one.start_session()
            await other.start_session()
            await one.say("bara till mig")
            assert await one.next("bot_uttered") == {"text": "echo: bara till mig"}
            assert await other.nothing("bot_uttered")
    run(test)


def test_a_reload_or_reconnection_continues_the_session_with_its_history() -> None:
    async def test() -> None:
        bot = FakeBot()
        async with serving(config(), bot, history=FakeHistory(bot)) as url:
            async with client(url) as tab:
                token, _ = await tab.start_session()
                await tab.say("första")
                await tab.next("bot_uttered")
            # The socket is gone (reload, network); a new one presents the kept id.
            async with client(url) as again:
                same, history = await again.start_session(token)
                assert same == token
                assert history == [{"role": "user", "text": "första", "payload": False},
                                   {"role": "bot", "message": {"text": "echo: första"}}]
                await again.say("andra", session_id=token)
                assert await again.next("bot_uttered") == {"text": "echo: andra"}
            assert len({m.sender_id for m in bot.received}) == 1
    run(test)


def test_a_reconnecting_socket_gets_what_was_answered_while_it_was_away() -> None:
    async def test() -> None:
        bot = FakeBot()
        async with serving(config(), bot, history=FakeHistory(bot)) as url, \
                client(url) as staying:
            token, _ = await staying.start_session()
            async with client(url) as leaving:
                await leaving.start_session(token)
            await staying.say("medan du var borta", session_id=token)
            await staying.next("bot_uttered")
            async with client(url) as back:
                _, history = await back.start_session(token)
                assert history[-1] == {"role": "bot",
                                       "message": {"text": "echo: medan du var borta"}}
    run(test)


def test_forged_or_malformed_session_ids_get_a_new_empty_session() -> None:
    async def test() -> None:
        bot = FakeBot()
        async with serving(config(), bot, history=FakeHistory(bot)) as url:
            async with client(url) as tab:
                token, _ = await tab.start_session()
                await tab.say("hemligt")
                await tab.next("bot_uttered")
            nonce, mac = token.split(".")
            forged = f"{nonce}.{'A' * len(mac)}"
            for presented in (forged, "web-" + nonce, "x" * 45, nonce):
                async with client(url) as other:
                    fresh, history = await other.start_session(presented)
                    assert fresh != token and history == []
    run(test)


def test_without_persistence_every_connection_gets_its_own_session() -> None:
    async def test() -> None:
        bot = FakeBot()
        async with serving(config(session_persistence=False), bot,
                           history=FakeHistory(bot)) as url:
            async with client(url) as tab:
                token, _ = await tab.start_session()
                await tab.say("hej")
                await tab.next("bot_uttered")
            async with client(url) as again:
                fresh, history = await again.start_session(token)
                assert fresh != token and history == []
    run(test)


def test_replies_of_a_session_stay_in_the_order_of_the_messages() -> None:
    async def test() -> None:
        # The first message is slow to answer; a later one must not overtake it.
        bot = FakeBot(delays={"ett": 0.4, "två": 0.1, "tre": 0.0})
        async with serving(config(), bot) as url, client(url) as tab:
            await tab.start_session()
            for text in ("ett", "två", "tre"):
                await tab.say(text)
            replies = [(await tab.next("bot_uttered"))["text"] for _ in range(3)]
            assert replies == ["echo: ett", "echo: två", "echo: tre"]
    run(test)


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


def test_the_servers_identity_goes_to_rasa_with_every_message_of_a_logged_in_session() -> None:
    async def test() -> None:
        bot = FakeBot()
        async with serving(config(), bot, FakeLogin()) as url, \
                client(url, auth={"token": "token-A"}) as tab:
            await tab.start_session()
            await tab.say("mitt ärende", metadata={"language": "sv",
                                                   "test_person_ref": "ref-B"})
            await tab.next("bot_uttered")
            assert bot.received[0].metadata == {"language": "sv", "test_person_ref": "ref-A"}
    run(test)


def test_a_session_bound_to_one_person_cannot_be_used_by_another_or_logged_out() -> None:
    async def test() -> None:
        bot = FakeBot()
        async with serving(config(), bot, FakeLogin(), FakeHistory(bot)) as url:
            async with client(url, auth={"token": "token-A"}) as person_a:
                token, _ = await person_a.start_session()
                await person_a.say("A:s fråga")
                await person_a.next("bot_uttered")
            async with client(url, auth={"token": "token-A"}) as a_again:
                same, history = await a_again.start_session(token)
                assert same == token and len(history) == 2
            for auth in ({"token": "token-B"}, None):
                async with client(url, auth=auth) as someone_else:
                    fresh, history = await someone_else.start_session(token)
                    assert fresh != token and history == []
    run(test)


def test_login_in_the_session_request_rebinds_and_an_empty_auth_logs_out() -> None:
    async def test() -> None:
        bot = FakeBot()
        async with serving(config(), bot, FakeLogin()) as url, client(url) as tab:
            anonymous, _ = await tab.start_session()
            person, _ = await tab.start_session(anonymous, auth="token-A")
            assert person != anonymous
            await tab.say("inloggad")
            await tab.next("bot_uttered")
            assert bot.received[-1].metadata == {"test_person_ref": "ref-A"}
            logged_out, _ = await tab.start_session(person, auth="")
            assert logged_out not in {person, anonymous}
            await tab.say("utloggad")
            assert (await tab.next("bot_uttered"))["text"] == "echo: utloggad"
            assert bot.received[-1].metadata == {}
            assert bot.received[-1].sender_id != bot.received[-2].sender_id
    run(test)


@pytest.mark.parametrize(("auth", "code"), [({"token": "token-X"}, "auth_failed"),
                                             ({"token": "token-down"}, "auth_unavailable"),
                                             ("not-an-object", "bad_request")])
def test_a_refused_login_refuses_the_connection(auth: Any, code: str) -> None:
    async def test() -> None:
        bot = FakeBot()
        async with serving(config(), bot, FakeLogin()) as url:
            assert await refusal(url, auth) == {"message": code}
            assert bot.received == []
    run(test)


def test_the_default_accepts_anonymous_visitors_and_refuses_any_token() -> None:
    async def test() -> None:
        async with serving(config(), FakeBot(), AnonymousOnly()) as url:
            async with client(url) as tab:
                await tab.start_session()
            assert await refusal(url, {"token": "anything"}) == {"message": "auth_failed"}
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


async def _handshake(url: str, origin: str | None) -> int:
    headers = {"Origin": origin} if origin else {}
    async with aiohttp.ClientSession() as session, session.get(
            f"{url}{SOCKETIO_PATH}/?EIO=4&transport=polling", headers=headers) as reply:
        return reply.status


def test_pages_from_origins_outside_the_allow_list_are_refused_with_403() -> None:
    async def test() -> None:
        async with serving(config(), FakeBot()) as url:
            assert await _handshake(url, "https://evil.example") == 403
            assert await _handshake(url, "https://www.example.se.evil.example") == 403
            assert await _handshake(url, "https://www.example.se") == 200
            assert await _handshake(url, url) == 200  # the server's own demo page
            assert await _handshake(url, None) == 200  # not a browser page
            sio = socketio.AsyncClient(reconnection=False)
            with pytest.raises(socketio.exceptions.ConnectionError, match="403"):
                await sio.connect(url, socketio_path=SOCKETIO_PATH, transports=["polling"],
                                  headers={"Origin": "https://evil.example"}, wait_timeout=5)
            async with client(url, headers={"Origin": "https://www.example.se"}) as allowed:
                await allowed.start_session()
    run(test)


def test_the_widget_files_settings_and_demo_are_served() -> None:
    async def test() -> None:
        async with serving(config(demo_pages=True), FakeBot()) as url, \
                aiohttp.ClientSession() as http:
            base = f"{url}/webhooks/webchat"
            async with http.get(f"{base}/widget.js") as reply:
                assert reply.status == 200
                assert reply.headers["Content-Type"].startswith("text/javascript")
                assert "MinaSidorChat" in await reply.text()
            async with http.get(f"{base}/widget.css") as reply:
                assert reply.status == 200 and reply.headers["Content-Type"].startswith("text/css")
            async with http.get(f"{base}/config.json") as reply:
                settings = await reply.json()
                assert settings["socketio_path"] == SOCKETIO_PATH
                assert settings["texts"]["sv"]["send"] == "Skicka"
                assert settings["texts"]["en"]["send"] == "Send"
                assert {"code": "en", "name": "English"} in settings["languages"]
            async with http.get(f"{base}/demo/") as reply:
                assert reply.status == 200
                assert "default-src 'self'" in reply.headers["Content-Security-Policy"]
                assert '<script src="../widget.js"' in await reply.text()
            async with http.get(f"{base}/demo/texts.json") as reply:
                assert (await reply.json())["en"]["login_button"] == "Log in"
            async with http.get(f"{base}/../bot/credentials.yml") as reply:
                assert reply.status == 404
    run(test)


def test_the_demo_is_not_served_unless_configured() -> None:
    async def test() -> None:
        async with serving(config(), FakeBot()) as url, aiohttp.ClientSession() as http, \
                http.get(f"{url}/webhooks/webchat/demo/") as reply:
            assert reply.status == 404
    run(test)
