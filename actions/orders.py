"""order_annual_report_basis: a representative orders the basis for the annual report."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.backend_types import Caller
from actions.personal_action import PersonalAction


def idempotency_key(sender_id: str, principal_ref: str, today: dt.date) -> str:
    """The same conversation ordering for the same principal on one day is one order."""
    digest = hashlib.sha256(f"{sender_id}|{principal_ref}|{today.isoformat()}".encode())
    return f"arb-{digest.hexdigest()[:40]}"


class ActionOrderAnnualReportBasis(PersonalAction):
    def name(self) -> str:
        return "action_order_annual_report_basis"

    async def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                     caller: Caller) -> list[dict[str, Any]]:
        profile = await self.backend.profile(caller)
        if not profile.is_representative:
            dispatcher.utter_message(response="utter_order_only_representatives")
            return []
        for principal in profile.representative_for:
            order = await self.backend.order_annual_report_basis(
                caller, principal.person_ref,
                idempotency_key(tracker.sender_id, principal.person_ref, dt.date.today()))
            dispatcher.utter_message(response="utter_order_confirmed",
                                     reference=order.order_ref)
        return []
