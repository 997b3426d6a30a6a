"""ask_next_payment: the next payment (date, amount, benefit) and preliminary later ones."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.backend_types import Caller, Payment
from actions.personal_action import PersonalAction
from actions.slots import BENEFIT_SLOT

# Enough preliminary payments to plan by; the rest are on Mina sidor.
MAX_PRELIMINARY = 3


def split_payments(payments: list[Payment]) -> tuple[Payment | None, list[Payment]]:
    """The next payment, and the preliminary payments after it (by date)."""
    ordered = sorted(payments, key=lambda p: p.pay_date)
    next_payment = next((p for p in ordered if not p.preliminary), None)
    if next_payment is None and ordered:
        next_payment = ordered[0]
    later = [p for p in ordered if p is not next_payment and p.preliminary]
    return next_payment, later[:MAX_PRELIMINARY]


class ActionNextPayment(PersonalAction):
    answers_per_benefit = True

    def name(self) -> str:
        return "action_next_payment"

    async def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                     caller: Caller) -> list[dict[str, Any]]:
        profile = await self.profile_for_details(dispatcher, caller)
        if profile is None:
            return []
        payments = await self.backend.upcoming_payments(caller)
        benefit = tracker.get_slot(BENEFIT_SLOT)
        if benefit:  # "när kommer bostadsbidraget?": that benefit's payments, or none
            payments = [p for p in payments if p.benefit == benefit]
            if not payments:
                dispatcher.utter_message(response="utter_no_planned_payments_of_benefit",
                                         benefit=benefit)
                return []
        next_payment, later = split_payments(payments)
        if next_payment is None:
            dispatcher.utter_message(response="utter_no_planned_payments")
            return []
        dispatcher.utter_message(
            response="utter_next_payment_preliminary" if next_payment.preliminary
            else "utter_next_payment",
            benefit=next_payment.benefit, date=next_payment.pay_date.isoformat(),
            amount=next_payment.amount_kronor)
        if later:
            dispatcher.utter_message(
                response="utter_preliminary_payments",
                payments=[{"amount": p.amount_kronor, "date": p.pay_date.isoformat()}
                          for p in later])
        return []
