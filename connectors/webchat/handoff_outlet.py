"""The agent's messages in the web chat: a ``bot_uttered`` to the session's room (every tab,
every replica through the socket.io manager) marked ``"sender": "agent"`` with the label
"Handläggare", which the widget shows and announces; ``handoff_state`` tells the widget a
person has the chat (it then shows no typing indicator of the assistant's own)."""

from __future__ import annotations

from typing import Any

from common.handoff_store import HandoffRecord
from connectors.base.callbacks import Translate
from connectors.base.handoff_relay import AGENT_LABEL, RESUMED
from connectors.webchat.output import BOT_EVENT, Emitter

HANDOFF_STATE_EVENT = "handoff_state"
AGENT_SENDER = "agent"


def agent_message(text: str, label: str) -> dict[str, Any]:
    return {"text": text, "sender": AGENT_SENDER, "label": label}


class WebChatOutlet:
    def __init__(self, emit: Emitter, translate: Translate) -> None:
        self._emit = emit
        self._translate = translate

    def label(self, language: str) -> str:
        return self._translate(language, AGENT_LABEL)

    async def deliver(self, record: HandoffRecord, text: str) -> bool:
        room = record.conversation_id
        await self._emit(HANDOFF_STATE_EVENT, {"active": True}, room)
        await self._emit(BOT_EVENT, agent_message(text, self.label(record.language)), room)
        return True

    async def resumed(self, record: HandoffRecord) -> None:
        room = record.conversation_id
        await self._emit(HANDOFF_STATE_EVENT, {"active": False}, room)
        await self._emit(BOT_EVENT, {"text": self._translate(record.language, RESUMED)}, room)
