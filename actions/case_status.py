"""ask_case_status: what has happened in the person's open cases, and when a decision comes."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.backend_types import Caller, Case
from actions.personal_action import PersonalAction


def event_values(case: Case) -> list[dict[str, str]]:
    return [{"type": e.type, "occurred_on": e.occurred_on.isoformat()} for e in case.events]


def cases_asked_about(cases: list[Case], benefit: str | None) -> list[Case]:
    """The case the user named, if there is one; otherwise all of them."""
    named = [case for case in cases if benefit and case.benefit == benefit]
    return named or cases


class ActionCaseStatus(PersonalAction):
    answers_per_benefit = True

    def name(self) -> str:
        return "action_case_status"

    async def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                     caller: Caller) -> list[dict[str, Any]]:
        profile = await self.profile_for_details(dispatcher, caller)
        if profile is None:
            return []
        cases = await self.backend.open_cases(caller)
        if not cases:
            dispatcher.utter_message(response="utter_representative_cannot_follow_cases"
                                     if profile.is_representative else "utter_no_open_cases")
            return []
        for case in cases_asked_about(cases, tracker.get_slot("benefit")):
            dispatcher.utter_message(response="utter_case_status", benefit=case.benefit,
                                     events=event_values(case))
            if case.expected_decision_by and not case.decided:
                dispatcher.utter_message(response="utter_case_decision_expected",
                                         date=case.expected_decision_by.isoformat())
        return []
