"""A REST message retried with the same message_id is answered from the tracker, not run again."""

from __future__ import annotations

import asyncio
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.lock_store import InMemoryLockStore
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, UserUttered

from connectors.rest.once import handle_once, replies_to

BUTTONS = [{"title": "Ja", "payload": "/affirm"}]


def conversation() -> list[Event]:
    return [ActionExecuted("action_listen"),
            UserUttered("hej", message_id="m1"),
            BotUttered("Hej!"),
            BotUttered("Vad kan jag hjälpa till med?", {"buttons": BUTTONS}),
            ActionExecuted("action_listen"),
            UserUttered("tack", message_id="m2"),
            BotUttered("Varsågod.")]


def test_the_replies_are_the_bot_messages_up_to_the_next_user_message() -> None:
    replies = replies_to(conversation(), "m1")
    assert [reply.text for reply in replies or []] == ["Hej!", "Vad kan jag hjälpa till med?"]
    assert [reply.text for reply in replies_to(conversation(), "m2") or []] == ["Varsågod."]


def test_an_unknown_message_id_has_no_replies() -> None:
    assert replies_to(conversation(), "m3") is None
    assert replies_to([], "m1") is None


def test_a_handled_message_without_answer_has_empty_replies() -> None:
    assert replies_to([UserUttered("…", message_id="m1")], "m1") == []


class FakeTrackerStore:
    def __init__(self, events: list[Event] | None) -> None:
        self.events = events

    async def retrieve(self, sender_id: str) -> Any:
        if self.events is None:
            return None
        return type("Tracker", (), {"events": list(self.events)})()


class FakeAgent:
    def __init__(self, events: list[Event] | None) -> None:
        self.lock_store = InMemoryLockStore()
        self.tracker_store = FakeTrackerStore(events)


def message(message_id: str) -> UserMessage:
    return UserMessage("hej", CollectingOutputChannel(), "anna", message_id=message_id)


def test_a_retry_of_a_handled_message_gets_the_same_replies_and_is_not_run() -> None:
    ran: list[str] = []

    async def on_new_message(msg: UserMessage) -> None:
        ran.append(msg.text or "")

    retry = message("m1")
    asyncio.run(handle_once(FakeAgent(conversation()), retry, on_new_message))
    assert ran == []
    assert retry.output_channel.messages == [
        {"recipient_id": "anna", "text": "Hej!"},
        {"recipient_id": "anna", "text": "Vad kan jag hjälpa till med?", "buttons": BUTTONS}]


def test_a_new_message_is_run() -> None:
    ran: list[str] = []

    async def on_new_message(msg: UserMessage) -> None:
        ran.append(msg.message_id or "")

    for events in (conversation(), None):
        asyncio.run(handle_once(FakeAgent(events), message("m3"), on_new_message))
    assert ran == ["m3", "m3"]


def test_attempts_of_one_message_wait_for_each_other() -> None:
    """The second attempt starts while the first runs; it answers from what the first stored."""
    events = conversation()[:1]
    agent = FakeAgent(events)
    ran: list[str] = []

    async def on_new_message(msg: UserMessage) -> None:
        ran.append(msg.message_id or "")
        await asyncio.sleep(0.05)
        events.extend([UserUttered("hej", message_id=msg.message_id), BotUttered("Hej!")])
        msg.output_channel.messages.append({"recipient_id": "anna", "text": "Hej!"})

    async def run() -> tuple[UserMessage, UserMessage]:
        first, second = message("m9"), message("m9")
        await asyncio.gather(handle_once(agent, first, on_new_message),
                             handle_once(agent, second, on_new_message))
        return first, second

    first, second = asyncio.run(run())
    assert ran == ["m9"]
    assert first.output_channel.messages == second.output_channel.messages == [
        {"recipient_id": "anna", "text": "Hej!"}]
