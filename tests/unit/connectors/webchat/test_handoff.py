"""The web chat with the agent desk: while a person has the chat the citizen's messages go to
the desk (redacted) and the bot says nothing; the agent's messages reach the session's room
marked as a person's; the call-back dialogue asks for a number. socket.io is faked (it only
records emits), the desk is a fake on a loopback port."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet
from rasa.core.channels.channel import UserMessage

from common.agentdesk_client import DeskSettings, HttpDeskClient
from common.handoff_store import CallbackOffer, HandoffRecord, Sealer, SqliteHandoffStore
from connectors.base.callbacks import ASK_PHONE, ASK_TIME, BAD_PHONE, CONFIRMED
from connectors.base.handoff_relay import HandoffRelay
from connectors.webchat.config import parse_config
from connectors.webchat.handoff_outlet import WebChatOutlet
from connectors.webchat.sessions import AnonymousOnly, SessionIds
from connectors.webchat.socket_events import ChatEvents
from tests.fake_agentdesk import FakeDesk


@dataclass
class FakeSio:
    emitted: list[tuple[str, Any, str | None]] = field(default_factory=list)

    def on(self, *_: Any) -> None:
        return None

    async def emit(self, event: str, data: Any, to: str | None = None,
                   room: str | None = None, skip_sid: str | None = None) -> None:
        self.emitted.append((event, data, room or to))

    async def enter_room(self, *_: Any) -> None:
        return None

    async def leave_room(self, *_: Any) -> None:
        return None

    def bot_texts(self) -> list[str]:
        return [data.get("text", "") for event, data, _ in self.emitted
                if event == "bot_uttered"]


class NoHistory:
    async def load(self, sender_id: str) -> list[Any]:
        return []


@dataclass
class Chat:
    sio: FakeSio
    events: ChatEvents
    store: SqliteHandoffStore
    rasa: list[UserMessage]
    room: str = ""

    async def say(self, text: str) -> None:
        await self.events.user_uttered("sid-1", {"message": text})


def run(tmp_path: Path, scenario: Callable[[Chat, FakeDesk], Awaitable[None]]) -> None:
    async def main() -> None:
        async with FakeDesk() as desk:
            sio = FakeSio()
            store = SqliteHandoffStore(tmp_path / "h.db", Sealer(Fernet.generate_key()))
            client = HttpDeskClient(DeskSettings(desk.url, desk.token, timeout=1.0))
            relay = HandoffRelay(client, store, lambda _l, source: source, "0771-524 524")
            received: list[UserMessage] = []

            async def rasa(message: UserMessage) -> None:
                received.append(message)
            config = parse_config({"session_secret": "s" * 32}, {})
            events = ChatEvents(sio, config, AnonymousOnly(), SessionIds(b"s" * 32),
                                NoHistory(), rasa, handoffs=relay)
            await events.connect("sid-1", {"REMOTE_ADDR": "127.0.0.1"})
            await events.session_request("sid-1", {})
            session = events._connections["sid-1"].session
            assert session is not None
            try:
                await scenario(Chat(sio, events, store, received, session.sender_id), desk)
            finally:
                await client.close()
                await store.close()
    asyncio.run(main())


def test_a_person_gets_the_messages_and_the_bot_stays_quiet(tmp_path: Path) -> None:
    async def scenario(chat: Chat, desk: FakeDesk) -> None:
        await chat.store.open(HandoffRecord(chat.room, "h-3", "web", "sv", 1e10))
        await chat.say("Jag heter Tolvan, 19121212-1212")
        [(handoff_id, body)] = desk.messages
        assert handoff_id == "h-3" and body["text"] == "Jag heter Tolvan, PNR_REDACTED"
        assert [m.text for m in chat.rasa] == ["Jag heter Tolvan, PNR_REDACTED"]
        assert ("handoff_state", {"active": True}, chat.room) in chat.sio.emitted
        assert chat.sio.bot_texts() == []
    run(tmp_path, scenario)


def test_without_a_handoff_the_chat_is_as_before(tmp_path: Path) -> None:
    async def scenario(chat: Chat, desk: FakeDesk) -> None:
        await chat.say("hur loggar jag in")
        assert [m.text for m in chat.rasa] == ["hur loggar jag in"] and desk.messages == []
    run(tmp_path, scenario)


def test_the_agents_message_reaches_the_room_as_a_persons(tmp_path: Path) -> None:
    async def scenario(chat: Chat, desk: FakeDesk) -> None:
        outlet = WebChatOutlet(chat.events.room_emitter(), lambda _l, source: source)
        record = HandoffRecord(chat.room, "h-3", "web", "sv", 1e10)
        assert await outlet.deliver(record, "Hej! Jag tittar på ditt ärende.")
        assert ("bot_uttered", {"text": "Hej! Jag tittar på ditt ärende.", "sender": "agent",
                                "label": "Handläggare"}, chat.room) in chat.sio.emitted
        await outlet.resumed(record)
        assert chat.sio.emitted[-1] == ("bot_uttered", {
            "text": "Nu svarar den digitala assistenten igen."}, chat.room)
    run(tmp_path, scenario)


def test_the_call_back_dialogue_asks_for_a_number_that_never_reaches_rasa(
        tmp_path: Path) -> None:
    async def scenario(chat: Chat, desk: FakeDesk) -> None:
        await chat.store.save_offer(CallbackOffer(chat.room, "web", "sv", "offered", 0.0))
        await chat.say("ja tack")
        await chat.say("121212-1212")  # written as a personnummer: not a phone number
        await chat.say("070-123 45 67")
        await chat.say("på fredag")
        await chat.say("Ja")
        texts = chat.sio.bot_texts()
        assert texts[:3] == [ASK_PHONE, BAD_PHONE, ASK_TIME]
        assert texts[3].startswith("Vi ringer dig på +46701234567, på fredag.")
        assert texts[4] == CONFIRMED
        assert desk.callbacks == [{"channel": "web", "language": "sv",
                                   "phone": "+46701234567", "preferred_time": "på fredag",
                                   "consent": True}]
        assert chat.rasa == []
    run(tmp_path, scenario)
