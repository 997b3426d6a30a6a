"""The core fallback: what runs when no rule or story says what to do next.

Rasa's own ``action_default_fallback`` reverts the user's turn (``UserUtteranceReverted``),
which once undid the very turn that identified a person. This one reverts nothing: if the
user's message got no answer yet it asks them to rephrase, otherwise it stays silent, and a
rule then listens (docs/dialogue.md).
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

CORE_FALLBACK = "action_core_fallback"


def answered_this_turn(tracker: Tracker) -> bool:
    """True when the bot has already said something since the user's latest message."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return False
        if event.get("event") == "bot":
            return True
    return False


class ActionCoreFallback(Action):
    def name(self) -> str:
        return CORE_FALLBACK

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[dict[str, Any]]:
        if not answered_this_turn(tracker):
            dispatcher.utter_message(response="utter_ask_rephrase")
        return []
