"""Personal answers: case status, next payment, attachments, orders.

They need the case backend, which is not connected yet: each action says so and points to
Mina sidor and the support line. The case backend issue replaces the bodies.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

NOT_CONNECTED = "utter_service_not_connected"


class _NotConnected:
    """Shared body; not an Action itself, so the action server does not register it."""

    action_name = ""

    def name(self) -> str:
        return self.action_name

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[dict[str, Any]]:
        dispatcher.utter_message(response=NOT_CONNECTED)
        return []


class ActionCaseStatus(_NotConnected, Action):
    action_name = "action_case_status"


class ActionNextPayment(_NotConnected, Action):
    action_name = "action_next_payment"


class ActionAttachmentOptions(_NotConnected, Action):
    action_name = "action_attachment_options"


class ActionOrderAnnualReportBasis(_NotConnected, Action):
    action_name = "action_order_annual_report_basis"


class ActionReceivePersonalNumber(_NotConnected, Action):
    action_name = "action_receive_personal_number"
