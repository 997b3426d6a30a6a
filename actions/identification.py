"""provide_personal_number and log_out: identification by personnummer and BankID.

The channel has already replaced the number with PNR_REDACTED and left it in the identity
vault under a one-time token (message metadata ``pnr_token``); this action takes it out,
starts BankID (the flow that fits the channel: actions/identity/provider.py), waits for it
within the turn's budget and binds the conversation, on this channel only, to the person's
opaque reference. Invalid numbers are asked for again and never
sent to BankID; after a bounded number of failures the support line is offered.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backend_types import CaseBackend
from actions.identity.flow import (
    IDENTITY_CHANNEL_SLOT,
    PENDING_SLOT,
    failed,
    follow_order,
    forget_identity,
    identification_expired,
    order_key,
)
from actions.identity.provider import (
    AuthFlow,
    AuthRequest,
    IdentityProviderError,
    autostart_link,
)
from actions.identity.services import IdentityServices, default_services
from actions.identity.visible_data import visible_data
from actions.metrics import count_identification
from actions.personal_action import (
    LOGIN_CHANNELS,
    UTTER_IDENTIFY,
    bound_order,
    bound_person,
    caller_for,
    caller_of,
    declared_input,
    default_backend,
    idle_seconds,
    stale_identity,
)
from actions.personal_answers import personal_actions
from common.channels import ChannelKind, input_kind
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
        if tracker.get_latest_input_channel() in LOGIN_CHANNELS or not declared_input(tracker):
            # The web chat identifies by the Mina sidor login, never by a typed number; an
            # undeclared channel not at all.
            logged_in = caller_of(tracker, self._environ)[0] is not None
            dispatcher.utter_message(response="utter_already_identified" if logged_in
                                     else UTTER_IDENTIFY)
            return []
        if stale_identity(tracker):
            events += forget_identity()
        elif bound_person(tracker):
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
        waiting = None if events else bound_order(tracker)
        if waiting is not None:
            ordered_for = await services.vault.take(order_key(waiting), keep=True)
            if ordered_for != number:
                # The person typed another number: this conversation's own order gives way.
                await self._give_up(tracker, waiting, ordered_for, services)
                waiting = None
        if waiting is not None:
            # The same number again while its order is open: a new start would cancel it.
            order_ref = waiting
        else:
            started, start_events = await self._start(dispatcher, tracker, number, services)
            if started is None:
                return events + start_events
            order_ref = started
            events.append(SlotSet(IDENTITY_CHANNEL_SLOT, tracker.get_latest_input_channel()))
        followed = await follow_order(dispatcher, tracker, order_ref, services, backend)
        events += followed.events
        pending = personal_actions(backend, services, self._environ).get(
            str(tracker.get_slot(PENDING_SLOT)))
        if followed.person_ref is not None and pending is not None:
            # The question that was waiting is answered in this run (docs/dialogue.md).
            events += await pending.answer_identified(
                dispatcher, tracker, caller_for(tracker, followed.person_ref))
        return events

    @staticmethod
    async def _give_up(tracker: Tracker, order_ref: str, previous: str | None,
                       services: IdentityServices) -> None:
        """Ends this conversation's waiting order (a new number was typed), and the claim of
        ``previous``, the number it was for."""
        with contextlib.suppress(IdentityProviderError):  # already over at BankID
            await services.provider.cancel(order_ref)
        await services.vault.forget(order_key(order_ref))
        if previous is not None:
            await services.limiter.release(services.person_key(previous), tracker.sender_id)

    async def _start(self, dispatcher: CollectingDispatcher, tracker: Tracker, number: str,
                     services: IdentityServices) -> tuple[str | None, list[dict[str, Any]]]:
        """Starts a BankID order for ``number``: its reference, or None and the events of a
        refused or failed start (the user has been told why)."""
        metadata: Mapping[str, Any] = tracker.latest_message.get("metadata") or {}
        caller_hash = metadata.get(CALLER_HASH_KEY)
        person = services.person_key(number)
        holder = tracker.sender_id
        if not await services.limiter.claim(person, holder, services.provider.order_lifetime):
            # Another conversation waits for this person's confirmation: never cancel it.
            count_identification("in_progress_elsewhere")
            dispatcher.utter_message(response="utter_identification_in_progress")
            return None, [SlotSet(PENDING_SLOT, None)]
        limits = services.start_limits(holder, caller_hash if isinstance(caller_hash, str)
                                       else None, number)
        if not await services.limiter.try_start(limits):
            await services.limiter.release(person, holder)
            dispatcher.utter_message(response="utter_identification_rate_limited")
            return None, [SlotSet(PENDING_SLOT, None)]
        kind = input_kind(tracker.get_latest_input_channel())
        flow = AuthFlow.PHONE if kind is ChannelKind.VOICE else AuthFlow.SAME_DEVICE
        try:
            started = await services.provider.start(
                AuthRequest(number, flow, visible_data(kind)))
        except IdentityProviderError:
            await services.limiter.release(person, holder)
            count_identification("start_failed")
            return None, failed(dispatcher, tracker, "utter_bankid_failed", services)
        await services.vault.put(number, token=order_key(started.order_ref))
        dispatcher.utter_message(response="utter_confirm_in_bankid")
        if started.auto_start_token:
            dispatcher.utter_message(response="utter_open_bankid_link",
                                     bankid_link=autostart_link(started.auto_start_token))
        return started.order_ref, []


class ActionLogOut(Action):
    def name(self) -> str:
        return "action_log_out"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[dict[str, Any]]:
        dispatcher.utter_message(response="utter_logged_out")
        return forget_identity()
