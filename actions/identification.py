"""provide_personal_number: identification by personnummer and BankID is issue 4.

Until then the assistant says how to see personal information (Mina sidor) instead.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.personal_action import UTTER_IDENTIFY


class ActionReceivePersonalNumber(Action):
    def name(self) -> str:
        return "action_receive_personal_number"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[dict[str, Any]]:
        dispatcher.utter_message(response=UTTER_IDENTIFY)
        return []
