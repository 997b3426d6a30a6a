"""provide_personal_number and log_out: identification by personnummer and BankID.

The channel has already replaced the number with PNR_REDACTED and left it in the identity
vault under a one-time token (message metadata ``pnr_token``); this action takes it out,
starts a BankID phone authentication, waits for it within the turn's budget and binds the
conversation to the person's opaque reference. Invalid numbers are asked for again and never
sent to BankID; after a bounded number of failures the support line is offered.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backend_types import CaseBackend
from actions.identity.flow import (
    PENDING_SLOT,
    PERSON_SLOT,
    failed,
    follow_order,
    forget_identity,
    order_key,
)
from actions.identity.provider import IdentityProviderError
from actions.identity.services import IdentityServices, default_services
from actions.metrics import count_identification
from actions.personal_action import default_backend
from connectors.identity_vault import METADATA_KEY

CALLER_HASH_KEY = "caller_hash"


class ActionReceivePersonalNumber(Action):
    def __init__(self, backend: CaseBackend | None = None,
                 identity: IdentityServices | None = None) -> None:
        self._backend = backend
        self._identity = identity

    def name(self) -> str:
        return "action_receive_personal_number"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[dict[str, Any]]:
        services = self._identity or default_services()
        backend = self._backend or default_backend()
        if tracker.get_slot(PERSON_SLOT):
            dispatcher.utter_message(response="utter_already_identified")
            return []
        metadata: Mapping[str, Any] = tracker.latest_message.get("metadata") or {}
        token = metadata.get(METADATA_KEY)
        number = await services.vault.take(token) if isinstance(token, str) else None
        if number is None:
            return failed(dispatcher, tracker, "utter_personal_number_invalid", services)
        keys = [f"conversation:{tracker.sender_id}"]
        if isinstance(metadata.get(CALLER_HASH_KEY), str):
            keys.append(f"caller:{metadata[CALLER_HASH_KEY]}")
        if not await services.limiter.try_start(keys):
            dispatcher.utter_message(response="utter_identification_rate_limited")
            return [SlotSet(PENDING_SLOT, None)]
        try:
            order_ref = await services.provider.start_phone_auth(number, "user")
        except IdentityProviderError:
            count_identification("start_failed")
            return failed(dispatcher, tracker, "utter_bankid_failed", services)
        await services.vault.put(number, token=order_key(order_ref))
        dispatcher.utter_message(response="utter_confirm_in_bankid")
        pending = tracker.get_slot(PENDING_SLOT)
        return await follow_order(dispatcher, tracker, order_ref, services, backend,
                                  pending=str(pending) if pending else None)


class ActionLogOut(Action):
    def name(self) -> str:
        return "action_log_out"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[dict[str, Any]]:
        dispatcher.utter_message(response="utter_logged_out")
        return forget_identity()
