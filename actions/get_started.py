"""get_started: the general steps, tailored when the person is known."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backend_types import BackendUnavailableError, Caller, NotFoundError
from actions.personal_action import PersonalAction, caller_of

GENERAL = "utter_get_started"


class ActionGetStarted(PersonalAction):
    def name(self) -> str:
        return "action_get_started"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[dict[str, Any]]:
        # Unlike the other personal answers, an unknown person gets the general steps.
        caller, _ = caller_of(tracker, self._environ)
        if caller is None:
            dispatcher.utter_message(response=GENERAL)
            return []
        return await super().run(dispatcher, tracker, domain)

    async def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                     caller: Caller) -> list[dict[str, Any]]:
        try:
            profile = await self.backend.profile(caller)
        except (BackendUnavailableError, NotFoundError):
            # The general steps help just as well when the backend is away.
            dispatcher.utter_message(response=GENERAL)
            return []
        if profile.is_representative:
            dispatcher.utter_message(response="utter_get_started_representative")
        elif not profile.has_used_mina_sidor:
            dispatcher.utter_message(response="utter_get_started_first_time")
        else:
            dispatcher.utter_message(response=GENERAL)
        return []
