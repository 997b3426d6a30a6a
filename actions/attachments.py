"""ask_attachment_options: can attachments be added to the person's open case now?"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.backend_types import Caller
from actions.case_status import cases_asked_about
from actions.personal_action import PersonalAction


class ActionAttachmentOptions(PersonalAction):
    answers_per_benefit = True

    def name(self) -> str:
        return "action_attachment_options"

    async def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                     caller: Caller) -> list[dict[str, Any]]:
        profile = await self.profile_for_details(dispatcher, caller)
        if profile is None:
            return []
        cases = await self.backend.open_cases(caller)
        if not cases:
            dispatcher.utter_message(response="utter_attachments_no_open_case")
            return []
        for case in cases_asked_about(cases, tracker.get_slot("benefit")):
            dispatcher.utter_message(
                response="utter_attachments_possible" if case.accepts_attachments
                else "utter_attachments_not_possible", benefit=case.benefit)
        return []
