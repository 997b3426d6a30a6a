"""The identification dialogue's steps, shared by the actions (no Rasa actions here).

Slots (all opaque or counters, never a personnummer): ``person_ref``, ``identified_at``,
``identification_order`` (the BankID order waiting for confirmation), ``identification_failures``
and ``pending_action`` (the personal question to answer once identified).

Following an order ends in an :class:`OrderFollowed`; the action that followed it answers the
pending question itself, in the same run. No ``FollowupAction``: after a follow-up no rule
predicts the next step, and the core fallback that then ran used to revert the very turn that
identified the person (docs/dialogue.md).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.backend_types import BackendUnavailableError, CaseBackend, NotFoundError
from actions.identity.provider import IdentityProviderError, Outcome, outcome_of
from actions.identity.services import IdentityServices
from actions.metrics import count_identification

PERSON_SLOT = "person_ref"
IDENTIFIED_AT_SLOT = "identified_at"
ORDER_SLOT = "identification_order"
FAILURES_SLOT = "identification_failures"
PENDING_SLOT = "pending_action"
# The input channel that started the order and made the identification: the only one that
# may use them (actions/personal_action.py, docs/security.md).
IDENTITY_CHANNEL_SLOT = "identity_channel"

_OUTCOME_RESPONSES = {
    Outcome.CANCELLED: "utter_bankid_cancelled",
    Outcome.EXPIRED: "utter_bankid_expired",
    Outcome.FAILED: "utter_bankid_failed",
    Outcome.WRONG_PERSON: "utter_bankid_wrong_person",
}


@dataclass(frozen=True)
class OrderFollowed:
    """The events of following a BankID order, and the person it identified, if it did."""

    events: list[dict[str, Any]] = field(default_factory=list)
    person_ref: str | None = None


def order_key(order_ref: str) -> str:
    """Where the vault keeps the number an order was started for (to compare at the end)."""
    return f"order:{order_ref}"


def forget_identity() -> list[dict[str, Any]]:
    return [SlotSet(PERSON_SLOT, None), SlotSet(IDENTIFIED_AT_SLOT, None),
            SlotSet(ORDER_SLOT, None), SlotSet(PENDING_SLOT, None),
            SlotSet(IDENTITY_CHANNEL_SLOT, None)]


def identification_expired(tracker: Tracker, idle_seconds: float) -> bool:
    """True when the user was silent longer than allowed since they were identified."""
    if not tracker.get_slot(PERSON_SLOT) or tracker.get_slot(IDENTIFIED_AT_SLOT) is None:
        return False
    user_times = [float(e["timestamp"]) for e in tracker.events
                  if e.get("event") == "user" and e.get("timestamp") is not None]
    if len(user_times) < 2:
        return False
    return user_times[-1] - user_times[-2] > idle_seconds


def failed(dispatcher: CollectingDispatcher, tracker: Tracker, response: str,
           services: IdentityServices) -> list[dict[str, Any]]:
    """One more failed attempt: say why, or after too many offer the support line."""
    failures = int(tracker.get_slot(FAILURES_SLOT) or 0) + 1
    if failures >= services.max_failures:
        dispatcher.utter_message(response="utter_identification_support_line")
        return [SlotSet(FAILURES_SLOT, 0), SlotSet(ORDER_SLOT, None),
                SlotSet(PENDING_SLOT, None)]
    dispatcher.utter_message(response=response)
    return [SlotSet(FAILURES_SLOT, failures), SlotSet(ORDER_SLOT, None)]


async def follow_order(dispatcher: CollectingDispatcher, tracker: Tracker, order_ref: str,
                       services: IdentityServices, backend: CaseBackend) -> OrderFollowed:
    """Waits (within the turn's budget) for BankID, then binds the conversation or says why
    not. The caller answers the pending question when a person was identified."""
    deadline = time.monotonic() + services.wait_seconds
    expected = await services.vault.take(order_key(order_ref), keep=True)
    while True:
        try:
            outcome = outcome_of(await services.provider.collect(order_ref), expected or "")
        except IdentityProviderError:
            outcome = Outcome.FAILED
        if outcome is not Outcome.WAITING or time.monotonic() >= deadline:
            break
        await services.sleep(services.poll_interval)
    if outcome is Outcome.WAITING:
        dispatcher.utter_message(response="utter_bankid_still_waiting")
        return OrderFollowed([SlotSet(ORDER_SLOT, order_ref)])
    await services.vault.forget(order_key(order_ref))
    if expected is not None:  # the person may start a new order from any conversation now
        await services.limiter.release(services.person_key(expected), tracker.sender_id)
    count_identification(outcome.value)
    if outcome is not Outcome.CONFIRMED or expected is None:
        return OrderFollowed(failed(dispatcher, tracker,
                                    _OUTCOME_RESPONSES.get(outcome, "utter_bankid_failed"),
                                    services))
    try:
        person_ref = await backend.lookup(expected)
    except NotFoundError:
        dispatcher.utter_message(response="utter_identified_unknown")
        return OrderFollowed([SlotSet(ORDER_SLOT, None), SlotSet(FAILURES_SLOT, 0),
                              SlotSet(PENDING_SLOT, None)])
    except BackendUnavailableError:
        dispatcher.utter_message(response="utter_backend_unavailable")
        return OrderFollowed([SlotSet(ORDER_SLOT, None)])
    dispatcher.utter_message(response="utter_identified")
    return OrderFollowed([SlotSet(PERSON_SLOT, person_ref),
                          SlotSet(IDENTITY_CHANNEL_SLOT, tracker.get_latest_input_channel()),
                          SlotSet(IDENTIFIED_AT_SLOT, time.time()), SlotSet(ORDER_SLOT, None),
                          SlotSet(FAILURES_SLOT, 0), SlotSet(PENDING_SLOT, None)], person_ref)
