"""Handing the conversation to a person at the agent desk (web chat and SMS).

``action_human_handoff`` ("prata med en person", and "ja" to the offer after two
misunderstandings): asks the desk whether anyone can take the chat, opens the handoff with
the conversation so far, tells the citizen their place in the queue and the wait, records
the handoff in the shared store (the channels forward the citizen's next messages to the
desk) and pauses the conversation: Rasa keeps recording messages but the bot says nothing
until the desk resumes it. A closed desk, a full queue or a desk that does not answer: the
support line with its hours, and (closed or full) the offer of a call-back, which the
channel's short dialogue takes from there. No desk configured, the phone, REST: the
support line as before (the phone transfers the call itself, connectors/voice).

What the desk learns about the person: whether they are identified, and their given name
only when identified and not under protected identity. When the profile cannot be read the
name is left out and the person counted as protected (fail closed).
"""

from __future__ import annotations

import abc
import logging
import math
import os
import time
from collections.abc import Callable, Mapping
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backend_types import (
    AccessDeniedError,
    BackendUnavailableError,
    CaseBackend,
    NotFoundError,
)
from actions.handoff_transcript import transcript_of
from actions.identity.flow import identification_expired
from actions.personal_action import caller_of, default_backend, idle_seconds
from common.agentdesk_client import (
    DESK_LANGUAGES,
    DeskChannel,
    DeskClient,
    DeskRefusedError,
    DeskUnavailableError,
    HandoffRequest,
    desk_from_env,
)
from common.channels import ChannelKind, input_kind
from common.conversation_language import conversation_language
from common.handoff_store import CallbackOffer, HandoffRecord, HandoffStore, open_handoff_store

logger = logging.getLogger(__name__)

HUMAN_HANDOFF = "action_human_handoff"
OFFER_HANDOFF = "action_offer_handoff"
UTTER_SUPPORT_LINE = "utter_handoff"
UTTER_QUEUED = "utter_handoff_queued"
UTTER_DESK_CLOSED = "utter_handoff_desk_closed"
UTTER_OFFER_PERSON = "utter_fallback_offer_person"
UTTER_FALLBACK_SUPPORT_LINE = "utter_fallback_handoff"
OFFERED = "offered"  # the first stage of a call-back offer (connectors/base/callbacks.py)
_DESK_CHANNELS: dict[ChannelKind, DeskChannel] = {ChannelKind.WEB: "web",
                                                   ChannelKind.SMS: "sms"}


class DeskServices:
    """The desk client and the handoff store, made on first use (one per process)."""

    def __init__(self, desk: DeskClient | None = None, store: HandoffStore | None = None,
                 environ: Mapping[str, str] | None = None) -> None:
        self._environ = os.environ if environ is None else environ
        self._desk, self._desk_made = desk, desk is not None
        self._store = store

    @property
    def desk(self) -> DeskClient | None:
        if not self._desk_made:
            self._desk, self._desk_made = desk_from_env(self._environ), True
        return self._desk

    @property
    def store(self) -> HandoffStore:
        if self._store is None:
            self._store = open_handoff_store(self._environ)
        return self._store


_shared_services: DeskServices | None = None


def default_desk_services() -> DeskServices:
    global _shared_services
    if _shared_services is None:
        _shared_services = DeskServices()
    return _shared_services


def desk_channel(tracker: Tracker) -> DeskChannel | None:
    kind = input_kind(tracker.get_latest_input_channel())
    return None if kind is None else _DESK_CHANNELS.get(kind)


def wait_minutes(seconds: int) -> int:
    return max(1, math.ceil(seconds / 60))


class _DeskAction(Action, abc.ABC):
    """Abstract, so that the action server does not register it as an action."""

    @abc.abstractmethod
    def name(self) -> str: ...

    def __init__(self, services: DeskServices | None = None,
                 backend: CaseBackend | None = None,
                 environ: Mapping[str, str] | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self._services = services
        self._backend = backend
        self._environ = os.environ if environ is None else environ
        self._clock = clock

    @property
    def services(self) -> DeskServices:
        return self._services if self._services is not None else default_desk_services()

    @property
    def backend(self) -> CaseBackend:
        return self._backend if self._backend is not None else default_backend()


class ActionOfferHandoff(_DeskAction):
    """The second misunderstanding in a row: a person offered where the desk can take it."""

    def name(self) -> str:
        return OFFER_HANDOFF

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[dict[str, Any]]:
        if desk_channel(tracker) is not None and self.services.desk is not None:
            dispatcher.utter_message(response=UTTER_OFFER_PERSON)
        else:
            dispatcher.utter_message(response=UTTER_FALLBACK_SUPPORT_LINE)
        return []


class ActionHumanHandoff(_DeskAction):
    def name(self) -> str:
        return HUMAN_HANDOFF

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[dict[str, Any]]:
        channel, desk = desk_channel(tracker), self.services.desk
        if channel is None or desk is None:
            dispatcher.utter_message(response=UTTER_SUPPORT_LINE)
            return []
        language = conversation_language(tracker.events, "sv", DESK_LANGUAGES)
        try:
            availability = await desk.availability(channel)
            if not availability.accepts_handoffs:
                raise DeskRefusedError("closed" if not availability.open else "full")
            request = await self._request(tracker, channel, language)
            ticket = await desk.open_handoff(request)
        except DeskRefusedError as refused:
            logger.info("handoff refused by the desk (%s)", refused.reason)
            await self.services.store.save_offer(CallbackOffer(
                tracker.sender_id, channel, language, OFFERED, self._clock()))
            dispatcher.utter_message(response=UTTER_DESK_CLOSED)
            return []
        except DeskUnavailableError as error:
            logger.warning("handoff: the desk is unavailable (%s)", error)
            dispatcher.utter_message(response=UTTER_SUPPORT_LINE)
            return []
        await self.services.store.open(HandoffRecord(
            tracker.sender_id, ticket.handoff_id, channel, language, self._clock()))
        dispatcher.utter_message(response=UTTER_QUEUED, position=ticket.position,
                                 wait_minutes=wait_minutes(ticket.estimated_wait_seconds))
        return [ConversationPaused()]

    async def _request(self, tracker: Tracker, channel: DeskChannel,
                       language: str) -> HandoffRequest:
        identified, name, protected = await self._who(tracker)
        return HandoffRequest(conversation_id=tracker.sender_id, channel=channel,
                              language=language, identified=identified,
                              display_name=None if protected else name,
                              protected_identity=protected,
                              transcript=transcript_of(tracker.events))

    async def _who(self, tracker: Tracker) -> tuple[bool, str | None, bool]:
        """(identified, given name, protected identity) as far as the desk may know."""
        caller, from_test_path = caller_of(tracker, self._environ)
        if caller is None or (not from_test_path and identification_expired(
                tracker, idle_seconds(self._environ))):
            return False, None, False
        try:
            profile = await self.backend.profile(caller)
        except (BackendUnavailableError, NotFoundError, AccessDeniedError) as error:
            logger.info("handoff: profile unavailable (%s); no name sent",
                        type(error).__name__)
            return True, None, True
        if profile.protected_identity:
            return True, None, True
        return True, profile.given_name or None, False
