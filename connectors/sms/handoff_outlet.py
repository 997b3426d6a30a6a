"""The agent's messages by SMS: to the number the handoff keeps (encrypted, for the handoff's
lifetime; the conversation id alone is an HMAC and names no number), through the channel's
outbound sender, so an opt-out (STOPP) holds for the agent's messages too."""

from __future__ import annotations

from common.handoff_store import HandoffRecord, HandoffStore
from connectors.base.callbacks import Translate
from connectors.base.handoff_relay import AGENT_LABEL, RESUMED
from connectors.sms.outbound import OutboundSender
from connectors.sms.text import shape_phrase


class SmsOutlet:
    def __init__(self, sender: OutboundSender, store: HandoffStore, translate: Translate,
                 max_segments: int) -> None:
        self._sender = sender
        self._store = store
        self._translate = translate
        self._max_segments = max_segments

    async def _send(self, record: HandoffRecord, body: str, purpose: str) -> bool:
        phone = await self._store.contact(record.conversation_id)
        if phone is None:
            return False
        sid = await self._sender.send(phone, shape_phrase(body, self._max_segments), purpose)
        return sid is not None

    async def deliver(self, record: HandoffRecord, text: str) -> bool:
        label = self._translate(record.language, AGENT_LABEL)
        return await self._send(record, f"{label}: {text}", "agent-reply")

    async def resumed(self, record: HandoffRecord) -> None:
        await self._send(record, self._translate(record.language, RESUMED), "handoff-resumed")
