"""What the desk's routes write into the conversation itself (Rasa's tracker, under the
conversation's lock, as a turn would): the agent's messages as bot events marked
``sender: agent`` (so the web chat's history shows them after a reload, and a later handoff's
transcript has them), the resume text, and ``ConversationResumed``, after which Rasa
predicts again."""

from __future__ import annotations

from typing import Any, Protocol

from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecuted, BotUttered, ConversationResumed, Event


class ConversationLog(Protocol):
    async def append(self, conversation_id: str, events: list[Event]) -> None: ...


class AgentTrackerLog:
    """Through the running agent (``app.ctx.agent`` in ``rasa run``)."""

    def __init__(self, agent: Any) -> None:
        self._agent = agent

    async def append(self, conversation_id: str, events: list[Event]) -> None:
        processor = self._agent.processor
        async with self._agent.lock_store.lock(conversation_id):
            tracker = await processor.get_tracker(conversation_id)
            for event in events:
                tracker.update(event)
            await processor.save_tracker(tracker)


def agent_said(text: str, label: str) -> BotUttered:
    return BotUttered(None, {"custom": {"text": text, "sender": "agent", "label": label}})


def resumed_events(text: str) -> list[Event]:
    # Listening again: the next message is predicted as after any answer, not after the turns
    # that were kept while a person had the conversation (Rasa predicted nothing for those).
    return [BotUttered(text), ConversationResumed(), ActionExecuted(ACTION_LISTEN_NAME)]
