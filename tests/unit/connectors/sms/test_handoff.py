"""SMS with the agent desk: forwarding while a person has the conversation, keeping the number
for the agent's replies, and the call-back dialogue; a fake desk on a loopback port."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet
from rasa.core.channels.channel import UserMessage

from common.agentdesk_client import DeskSettings, HttpDeskClient
from common.handoff_store import CallbackOffer, HandoffRecord, Sealer, SqliteHandoffStore
from connectors.base.callbacks import ASK_CONSENT_SMS, ASK_TIME, CANCELLED, CONFIRMED
from connectors.base.handoff_relay import NOT_DELIVERED, HandoffRelay
from connectors.base.tasks import BackgroundTasks
from connectors.sms.conversations import ConversationIds
from connectors.sms.inbound import InboundSms
from connectors.sms.outbound import OutboundSender
from connectors.sms.service import SmsConversationService, SmsLimits
from connectors.sms.store import SmsStore
from tests.fake_agentdesk import FakeDesk
from tests.unit.sms_fakes import SECRET, FakeRasa, FakeTransport, message_sid

PHONE = "+46701234567"
SUPPORT = "0771-524 524"
IDS = ConversationIds(SECRET)
CONVERSATION = IDS.of(PHONE)


def same(_language: str, source: str) -> str:
    return source


class Setup:
    def __init__(self, tmp_path: Path, desk: FakeDesk) -> None:
        self.store = SmsStore(tmp_path / "sms.db")
        self.handoffs = SqliteHandoffStore(tmp_path / "handoffs.db",
                                           Sealer(Fernet.generate_key()))
        self.client = HttpDeskClient(DeskSettings(desk.url, desk.token, timeout=1.0))
        self.relay = HandoffRelay(self.client, self.handoffs, same, SUPPORT)
        self.tasks = BackgroundTasks()
        self.rasa = FakeRasa()
        sender = OutboundSender(FakeTransport(), self.store, IDS, "https://x/status")
        self.service = SmsConversationService(
            store=self.store, ids=IDS, sender=sender, tasks=self.tasks, translate=same,
            support_phone=SUPPORT, limits=SmsLimits(reply_timeout=5.0),
            handoffs=self.relay)

    async def send(self, body: str) -> list[str]:
        async def language_of(_: str) -> str:
            return "sv"
        return await self.service.receive(InboundSms(message_sid(), PHONE, body, 0),
                                          self.rasa, {}, language_of)

    async def close(self) -> None:
        await self.tasks.drain(5)
        await self.client.close()
        await self.store.close()
        await self.handoffs.close()


def run(tmp_path: Path, scenario: Callable[[Setup, FakeDesk], Awaitable[None]],
        **desk_options: Any) -> None:
    async def main() -> None:
        async with FakeDesk(**desk_options) as desk:
            setup = Setup(tmp_path, desk)
            try:
                await scenario(setup, desk)
            finally:
                await setup.close()
    asyncio.run(main())


def test_while_a_person_has_it_messages_go_to_the_desk_redacted(tmp_path: Path) -> None:
    async def scenario(s: Setup, desk: FakeDesk) -> None:
        await s.handoffs.open(HandoffRecord(CONVERSATION, "h-7", "sms", "sv", 0.0 + 1e10))
        assert await s.send("mitt nummer är 19121212-1212, när kommer pengarna?") == []
        [(handoff_id, body)] = desk.messages
        assert handoff_id == "h-7"
        assert body["text"] == "mitt nummer är PNR_REDACTED, när kommer pengarna?"
        assert "1212" not in body["text"] and body["message_id"]
        # Rasa records the message (and, paused, answers nothing): redacted there too.
        assert s.rasa.texts == ["mitt nummer är PNR_REDACTED, när kommer pengarna?"]
        assert await s.send("1") == []  # a person gets "1", not a numbered choice
        assert desk.messages[-1][1]["text"] == "1"
        assert desk.messages[0][1]["message_id"] != desk.messages[1][1]["message_id"]
    run(tmp_path, scenario)


def test_a_desk_that_does_not_take_the_message_is_said_so(tmp_path: Path) -> None:
    async def scenario(s: Setup, desk: FakeDesk) -> None:
        await s.handoffs.open(HandoffRecord(CONVERSATION, "h-7", "sms", "sv", 1e10))
        desk.down = True
        [reply] = await s.send("hallå?")
        assert reply == NOT_DELIVERED.replace("{support_phone}", SUPPORT)
    run(tmp_path, scenario)


def test_the_turn_that_opens_a_handoff_keeps_the_number(tmp_path: Path) -> None:
    async def scenario(s: Setup, desk: FakeDesk) -> None:
        async def handoff_action(message: UserMessage) -> None:
            # What action_human_handoff does in the action server, within Rasa's turn.
            await s.handoffs.open(HandoffRecord(message.sender_id, "h-1", "sms", "sv", 1e10))
        assert await s.handoffs.contact(CONVERSATION) is None
        await s.service.receive(InboundSms(message_sid(), PHONE, "prata med en person", 0),
                                handoff_action, {}, lambda _: asyncio.sleep(0, "sv"))
        assert await s.handoffs.contact(CONVERSATION) == PHONE
        raw = (s.handoffs._path).read_bytes()  # the file holds no readable number
        assert PHONE.encode() not in raw and b"701234567" not in raw
    run(tmp_path, scenario)


def test_a_call_back_is_asked_for_with_the_senders_number_and_consent(tmp_path: Path) -> None:
    async def scenario(s: Setup, desk: FakeDesk) -> None:
        await s.handoffs.save_offer(CallbackOffer(CONVERSATION, "sms", "sv", "offered",
                                                  0.0))
        assert await s.send("Ja") == [ASK_TIME]
        assert await s.send("i morgon förmiddag") == [
            ASK_CONSENT_SMS.replace("{time}", "i morgon förmiddag")]
        assert desk.callbacks == []  # nothing before the consent
        assert await s.send("ja") == [CONFIRMED]
        assert desk.callbacks == [{"channel": "sms", "language": "sv", "phone": PHONE,
                                   "preferred_time": "i morgon förmiddag", "consent": True}]
        assert s.rasa.received == []  # the dialogue never reached Rasa
        assert await s.handoffs.offer(CONVERSATION) is None
    run(tmp_path, scenario)


def test_no_consent_sends_nothing(tmp_path: Path) -> None:
    async def scenario(s: Setup, desk: FakeDesk) -> None:
        await s.handoffs.save_offer(CallbackOffer(CONVERSATION, "sms", "sv", "offered", 0.0))
        await s.send("ja")
        await s.send("efter lunch")
        assert await s.send("vet inte") == [CANCELLED]
        assert desk.callbacks == []
    run(tmp_path, scenario)


def test_another_question_instead_of_ja_drops_the_offer(tmp_path: Path) -> None:
    async def scenario(s: Setup, desk: FakeDesk) -> None:
        await s.handoffs.save_offer(CallbackOffer(CONVERSATION, "sms", "sv", "offered", 0.0))
        assert await s.send("vad är mina sidor") == ["svar på vad är mina sidor"]
        assert await s.handoffs.offer(CONVERSATION) is None and desk.callbacks == []
    run(tmp_path, scenario)
