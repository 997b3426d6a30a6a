"""provide_personal_number and log_out: identification by personnummer and BankID.

The channel has already replaced the number with PNR_REDACTED and left it in the identity
vault under a one-time token (message metadata ``pnr_token``); this action takes it out,
starts a BankID phone authentication, waits for it within the turn's budget and binds the
conversation to the person's opaque reference. Invalid numbers are asked for again and never
sent to BankID; after a bounded number of failures the support line is offered.
"""

from __future__ import annotations

import os
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
    identification_expired,
    order_key,
)
from actions.identity.provider import IdentityProviderError
from actions.identity.services import IdentityServices, default_services
from actions.metrics import count_identification
from actions.personal_action import (
    LOGIN_CHANNELS,
    UTTER_IDENTIFY,
    caller_for,
    caller_of,
    default_backend,
    idle_seconds,
)
from actions.personal_answers import personal_actions
from common.identity_vault import METADATA_KEY
from common.metadata import CALLER_HASH

CALLER_HASH_KEY = CALLER_HASH


class ActionReceivePersonalNumber(Action):
    def __init__(self, backend: CaseBackend | None = None,
                 identity: IdentityServices | None = None,
                 environ: Mapping[str, str] | None = None) -> None:
        self._backend = backend
        self._identity = identity
        self._environ = os.environ if environ is None else environ

    def name(self) -> str:
        return "action_receive_personal_number"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[dict[str, Any]]:
        services = self._identity or default_services()
        backend = self._backend or default_backend()
        events: list[dict[str, Any]] = []
        if tracker.get_latest_input_channel() in LOGIN_CHANNELS:
            # The web chat identifies by the Mina sidor login, never by a typed number.
            logged_in = caller_of(tracker, self._environ)[0] is not None
            dispatcher.utter_message(response="utter_already_identified" if logged_in
                                     else UTTER_IDENTIFY)
            return []
        if tracker.get_slot(PERSON_SLOT):
            if not identification_expired(tracker, idle_seconds(self._environ)):
                dispatcher.utter_message(response="utter_already_identified")
                return []
            events += forget_identity()
        metadata: Mapping[str, Any] = tracker.latest_message.get("metadata") or {}
        token = metadata.get(METADATA_KEY)
        number = await services.vault.take(token) if isinstance(token, str) else None
        if number is None:
            return events + failed(dispatcher, tracker, "utter_personal_number_invalid",
                                   services)
        keys = [f"conversation:{tracker.sender_id}"]
        if isinstance(metadata.get(CALLER_HASH_KEY), str):
            keys.append(f"caller:{metadata[CALLER_HASH_KEY]}")
        if not await services.limiter.try_start(keys):
            dispatcher.utter_message(response="utter_identification_rate_limited")
            return [*events, SlotSet(PENDING_SLOT, None)]
        try:
            order_ref = await services.provider.start_phone_auth(number, "user")
        except IdentityProviderError:
            count_identification("start_failed")
            return events + failed(dispatcher, tracker, "utter_bankid_failed", services)
        await services.vault.put(number, token=order_key(order_ref))
        dispatcher.utter_message(response="utter_confirm_in_bankid")
        followed = await follow_order(dispatcher, tracker, order_ref, services, backend)
        events += followed.events
        pending = personal_actions(backend, services, self._environ).get(
            str(tracker.get_slot(PENDING_SLOT)))
        if followed.person_ref is not None and pending is not None:
            # The question that was waiting is answered in this run (docs/dialogue.md).
            events += await pending.answer_identified(
                dispatcher, tracker, caller_for(tracker, followed.person_ref))
        return events


class ActionLogOut(Action):
    def name(self) -> str:
        return "action_log_out"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[dict[str, Any]]:
        dispatcher.utter_message(response="utter_logged_out")
        return forget_identity()
