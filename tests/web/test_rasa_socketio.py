"""A plain socket.io client that is not ours (python-socketio's AsyncClient) against the
real `rasa run` with the web chat channel, the action server and the case backend: Rasa's
protocol (session_request → session_confirm, user_uttered → bot_uttered), answers in both
languages, the test login, history from the tracker store, two tabs, nothing personal in
the tracker."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, cast

import aiohttp
import pytest

from tests.e2e.test_personal import expected_case_status
from tests.e2e.texts import expected

from .harness import Client, client
from .stack import WebStack

if TYPE_CHECKING:
    from tests.e2e.test_personal import Conversation

pytestmark = pytest.mark.e2e

TOLVAN = "19121212-1212"


def run(test: Callable[[], Coroutine[Any, Any, None]]) -> None:
    asyncio.run(test())


async def replies(tab: Client, first_timeout: float = 60, quiet: float = 2.0) -> list[Any]:
    """Every bot_uttered of one turn: the first may take a while, the rest follow closely."""
    messages = [await tab.next("bot_uttered", first_timeout)]
    while True:
        try:
            messages.append(await tab.next("bot_uttered", quiet))
        except asyncio.TimeoutError:
            return messages


def assert_answers(messages: list[Any], wanted: list[set[str]]) -> None:
    """Each wanted response arrives as one bot_uttered per paragraph, in order."""
    texts = [m["text"] for m in messages]
    position = 0
    for options in wanted:
        for option in options:
            parts = [p for p in option.strip().split("\n\n") if p.strip()]
            if texts[position:position + len(parts)] == parts:
                position += len(parts)
                break
        else:
            raise AssertionError(f"{texts[position:]!r} does not start with any of {options!r}")
    assert position == len(texts), f"unexpected extra messages: {texts[position:]!r}"


class StackBackend:
    """What tests/e2e's expected_case_status needs: the backend's own view of a person."""

    def __init__(self, stack: WebStack, personnummer: str) -> None:
        self.stack = stack
        self.ref = stack.backend.person_ref(personnummer)

    def backend(self, path: str) -> Any:
        return self.stack.backend.get(f"/v1/persons/{self.ref}{path}", self.ref)


def tracker_rows(stack: WebStack, sender_id_prefix: str = "web-") -> list[str]:
    with sqlite3.connect(stack.workdir / "tracker.db") as db:
        return [row[0] for row in db.execute(
            "SELECT data FROM events WHERE sender_id LIKE ?", (sender_id_prefix + "%",))]


def test_rasas_protocol_answers_a_faq_in_swedish(web_stack: WebStack) -> None:
    async def test() -> None:
        async with client(web_stack.base_url) as tab:
            await tab.sio.emit("session_request", {"session_id": None})
            session_id = await tab.next("session_confirm")
            assert isinstance(session_id, str) and session_id
            await tab.sio.emit("user_uttered", {
                "message": "Kan jag skicka bilagor digitalt?", "session_id": session_id,
                "metadata": {"language": "sv"}})
            # The general answer, then the offer to look at the case.
            assert_answers(await replies(tab), [expected("utter_faq_attachments", "sv"),
                                                expected("utter_offer_case_check", "sv")])
    run(test)


def test_the_page_language_gives_english_answers_and_buttons(web_stack: WebStack) -> None:
    async def test() -> None:
        async with client(web_stack.base_url) as tab:
            await tab.start_session()
            await tab.say("/greet", metadata={"language": "en"})
            greeting = await replies(tab)
            assert greeting[-1]["quick_replies"][0] == {
                "content_type": "text", "title": "Get started with Mina sidor",
                "payload": "/get_started"}
            await tab.say("how do I send attachments", metadata={"language": "en"})
            assert_answers(await replies(tab), [expected("utter_faq_attachments", "en"),
                                                expected("utter_offer_case_check", "en")])
    run(test)


def test_a_personal_question_without_login_says_how_to_log_in(web_stack: WebStack) -> None:
    async def test() -> None:
        async with client(web_stack.base_url) as tab:
            await tab.start_session()
            await tab.say("hur går det med mitt ärende?", metadata={"language": "sv"})
            assert_answers(await replies(tab), [expected("utter_identification_needed", "sv")])
    run(test)


def test_the_test_login_gives_the_persons_case_status_and_nothing_personal_is_kept(
        web_stack: WebStack) -> None:
    person = StackBackend(web_stack, TOLVAN)

    async def test() -> None:
        async with client(web_stack.base_url, auth={"token": demo_token(web_stack, TOLVAN)}) as tab:
            await tab.start_session()
            await tab.say("hur går det med mitt ärende?", metadata={"language": "sv"})
            # Duck-typed: expected_case_status reads only .backend(path).
            assert_answers(await replies(tab),
                           expected_case_status(cast("Conversation", person)))
            # Typed by mistake: replaced before Rasa sees it (whatever the bot answers).
            await tab.say(f"mitt personnummer är {TOLVAN}", metadata={"language": "sv"})
            for _ in range(60):
                if any("PNR_REDACTED" in row for row in tracker_rows(web_stack)):
                    break
                await asyncio.sleep(0.5)
    run(test)
    rows = tracker_rows(web_stack)
    assert any("PNR_REDACTED" in row for row in rows)
    assert rows and any(person.ref in row for row in rows)
    for row in rows:
        assert "19121212" not in row and "121212-1212" not in row and "1212-1212" not in row


def test_a_reload_gets_the_history_from_the_tracker_store(web_stack: WebStack) -> None:
    async def test() -> None:
        async with client(web_stack.base_url) as tab:
            token, _ = await tab.start_session()
            await tab.say("/greet", metadata={"language": "sv"})
            greeting = await replies(tab)
            await tab.say("/get_started", metadata={"language": "sv"})
            answer = await replies(tab)
        async with client(web_stack.base_url) as reloaded:
            same, history = await reloaded.start_session(token)
            assert same == token
            title = greeting[-1]["quick_replies"][0]["title"]
            assert history == [
                {"role": "user", "text": "/greet", "payload": True},
                *({"role": "bot", "message": m} for m in greeting),
                {"role": "user", "text": title, "payload": False},
                *({"role": "bot", "message": m} for m in answer),
            ]
    run(test)


def test_two_tabs_of_a_session_both_get_rasas_replies(web_stack: WebStack) -> None:
    async def test() -> None:
        async with client(web_stack.base_url) as first, client(web_stack.base_url) as second:
            token, _ = await first.start_session()
            await second.start_session(token)
            await first.say("vad är ett förmånsintyg", metadata={"language": "sv"})
            wanted = [expected("utter_faq_benefit_certificate", "sv")]
            assert_answers(await replies(first), wanted)
            assert_answers(await replies(second, first_timeout=5), wanted)
            assert (await second.next("user_echo"))["text"] == "vad är ett förmånsintyg"
    run(test)


def test_a_logged_out_visitor_cannot_continue_a_persons_session(web_stack: WebStack) -> None:
    async def test() -> None:
        async with client(web_stack.base_url, auth={"token": demo_token(web_stack, TOLVAN)}) as tab:
            token, _ = await tab.start_session()
            await tab.say("när kommer mina pengar?", metadata={"language": "sv"})
            await replies(tab)
        async with client(web_stack.base_url) as anonymous:
            fresh, history = await anonymous.start_session(token)
            assert fresh != token and history == []
    run(test)


def test_tokens_are_minted_for_demo_persons_only_and_others_are_refused(
        web_stack: WebStack) -> None:
    from .harness import refusal

    with pytest.raises(urllib.error.HTTPError) as not_demo:
        demo_token(web_stack, "19000101-0008")
    assert not_demo.value.code == 404

    async def test() -> None:
        assert await refusal(web_stack.base_url, {"token": "test-login:19121212-1212"}) == {
            "message": "auth_failed"}
    run(test)


def demo_token(web_stack: WebStack, personnummer: str) -> str:
    """What the demo page's test login does: ask the server for a session token (JWT)."""
    url = (f"{web_stack.base_url}/webhooks/webchat/demo/session-token?"
           f"{urllib.parse.urlencode({'person': personnummer})}")
    with urllib.request.urlopen(url, timeout=10) as answer:
        return str(json.loads(answer.read())["token"])


def test_rasa_serves_the_widget_and_refuses_foreign_pages(web_stack: WebStack) -> None:
    async def test() -> None:
        base = f"{web_stack.base_url}/webhooks/webchat"
        async with aiohttp.ClientSession() as http:
            for path in ("/widget.js", "/widget.css", "/vendor/socket.io.min.js",
                         "/config.json", "/demo/"):
                async with http.get(base + path) as reply:
                    assert reply.status == 200, path
            async with http.get(f"{base}/socket.io/?EIO=4&transport=polling",
                                headers={"Origin": "https://evil.example"}) as reply:
                assert reply.status == 403
            async with http.get(f"{base}/socket.io/?EIO=4&transport=polling",
                                headers={"Origin": "http://allowed.example"}) as reply:
                assert reply.status == 200
    run(test)
