"""What one Rasa turn said on the phone: the texts and buttons (Rasa's collector), and the
response names and the NLG's turn facts, which Rasa's collector would drop."""

from __future__ import annotations

from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel

from bot.nlg import TURN_FACTS_KEY

CHANNEL_NAME = "twilio_voice"


class VoiceCollector(CollectingOutputChannel):
    """Collects the turn's messages; its name makes the NLG render them for voice. Rasa's
    collector keeps only text and buttons, so the response names and the NLG's turn facts
    are kept here as each message passes."""

    def __init__(self) -> None:
        super().__init__()
        self.utter_actions: list[str] = []
        self.turn_facts: list[dict[str, Any]] = []

    @classmethod
    def name(cls) -> str:
        return CHANNEL_NAME

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        self.utter_actions.append(str(message.get("utter_action") or ""))
        facts = message.get(TURN_FACTS_KEY)
        if isinstance(facts, dict):
            self.turn_facts.append(facts)
        await super().send_response(recipient_id, message)


def last_turn_facts(collector: VoiceCollector) -> tuple[str | None, str] | None:
    """The turn's intent and language as the NLG recorded them on its last message."""
    for facts in reversed(collector.turn_facts):
        if isinstance(facts.get("language"), str):
            intent = facts.get("intent")
            return (intent if isinstance(intent, str) else None), facts["language"]
    return None
