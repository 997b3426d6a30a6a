"""The channel on a real server with a plain socket.io client and an injected authenticator:
the server's identity on every message, sessions bound to a person, login and logout, refused
logins."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.webchat.sessions import AnonymousOnly, AuthenticationError, Identity

from .harness import FakeBot, FakeHistory, client, config, refusal, run, serving


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
