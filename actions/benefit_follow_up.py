"""inform_benefit: "och bostadsbidraget då?" asks the last personal question again for the
benefit it names; with no personal question before it, asks what the person wants to know."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backend_types import CaseBackend
from actions.identity.services import IdentityServices
from actions.personal_answers import personal_actions
from actions.slots import BENEFIT_SLOT, LAST_PERSONAL_SLOT


class ActionBenefitFollowUp(Action):
    def __init__(self, backend: CaseBackend | None = None,
                 environ: Mapping[str, str] | None = None,
                 identity: IdentityServices | None = None) -> None:
        self._backend = backend
        self._environ = os.environ if environ is None else environ
        self._identity = identity

    def name(self) -> str:
        return "action_benefit_follow_up"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[dict[str, Any]]:
        benefit = tracker.get_slot(BENEFIT_SLOT)
        if not benefit:  # the benefit was not recognised: nothing to follow up on
            dispatcher.utter_message(response="utter_ask_rephrase")
            return []
        last = personal_actions(self._backend, self._identity, self._environ).get(
            str(tracker.get_slot(LAST_PERSONAL_SLOT)))
        if last is None or not last.answers_per_benefit:
            dispatcher.utter_message(response="utter_ask_benefit_topic", benefit=benefit)
            return []
        return await last.run(dispatcher, tracker, domain)
