"""The channel on a real server with a plain socket.io client (python-socketio), a fake bot
injected as Rasa's message handler: sessions, tabs, reconnection and the order of replies."""

from __future__ import annotations

from .harness import FakeBot, FakeHistory, client, config, run, serving


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
