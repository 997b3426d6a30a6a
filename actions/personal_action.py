"""What every personal answer shares: who is asking, on which channel, and failure handling.

Identity: the conversation's ``person_ref`` slot, set by identification (personnummer and
BankID, ``actions.identification``) and cleared after a period of inactivity or "logga ut".
The slot is bound to the input channel that identified the person (``identity_channel``) and
is trusted only for messages that come in on that channel: a message for the same
conversation id from any other channel meets a forgotten identity, never the person's data
(docs/security.md). In the logged-in web chat only the session token of the message's own
connection names the person; a stored identity is never enough there. For tests and demos
only, when the action server runs with ``ASSISTANT_TEST_IDENTITY=on`` (off by default), a
message's metadata ``test_person_ref`` names the person. A channel that is not declared in
common/channels.py gets no personal answer at all. The slot holds an opaque backend
reference, never a personnummer.
"""

from __future__ import annotations

import abc
import logging
import os
from collections.abc import Mapping
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backend_client import BackendSettings, HttpCaseBackend
from actions.backend_types import (
    AccessDeniedError,
    BackendUnavailableError,
    Caller,
    CaseBackend,
    NotFoundError,
    Profile,
)
from actions.identity.flow import (
    IDENTITY_CHANNEL_SLOT,
    ORDER_SLOT,
    PENDING_SLOT,
    PERSON_SLOT,
    follow_order,
    forget_identity,
    identification_expired,
)
from actions.identity.services import IdentityServices, default_services
from actions.slots import BENEFIT_SLOT, LAST_PERSONAL_SLOT
from common.channels import input_kind
from common.metadata import SESSION_PERSON_REF, TEST_PERSON_REF

logger = logging.getLogger(__name__)

TEST_IDENTITY_SWITCH = "ASSISTANT_TEST_IDENTITY"
TEST_IDENTITY_KEY = TEST_PERSON_REF
SESSION_PERSON_KEY = SESSION_PERSON_REF

UTTER_IDENTIFY = "utter_identification_needed"
UTTER_UNAVAILABLE = "utter_backend_unavailable"
UTTER_PROTECTED = "utter_protected_use_mina_sidor"
UTTER_ASK_NUMBER = "utter_ask_personal_number"
# Where the person logs in instead of giving a personnummer: the Mina sidor web chat.
LOGIN_CHANNELS = frozenset({"webchat"})

_shared_backend: HttpCaseBackend | None = None


def default_backend() -> HttpCaseBackend:
    """One client (and connection pool, and breaker) per action-server process."""
    global _shared_backend
    if _shared_backend is None:
        _shared_backend = HttpCaseBackend(BackendSettings.from_env())
    return _shared_backend


def idle_seconds(environ: Mapping[str, str]) -> float:
    """How long an identification lasts without a message (IDENTITY_IDLE_SECONDS)."""
    return float(environ.get("IDENTITY_IDLE_SECONDS", "900"))


def test_identity_enabled(environ: Mapping[str, str]) -> bool:
    return environ.get(TEST_IDENTITY_SWITCH, "").lower() in {"on", "1", "true", "yes"}


def channel_of(tracker: Tracker) -> str:
    """The kind of channel the latest message came in on (web, sms, voice, rest)."""
    kind = input_kind(tracker.get_latest_input_channel())
    if kind is None:
        raise ValueError("undeclared channel")  # callers check declared_input first
    return kind.value


def declared_input(tracker: Tracker) -> bool:
    return input_kind(tracker.get_latest_input_channel()) is not None


def caller_for(tracker: Tracker, person_ref: str) -> Caller:
    """The person, with the channel the latest message came in on."""
    return Caller(person_ref, channel_of(tracker),
                  logged_in_web=tracker.get_latest_input_channel() in LOGIN_CHANNELS)


def bound_person(tracker: Tracker) -> str | None:
    """The stored identification, if this message came in on the channel that made it."""
    ref = tracker.get_slot(PERSON_SLOT)
    input_channel = tracker.get_latest_input_channel()
    if not ref or input_channel in LOGIN_CHANNELS or not declared_input(tracker):
        return None
    if tracker.get_slot(IDENTITY_CHANNEL_SLOT) != input_channel:
        return None
    return str(ref)


def bound_order(tracker: Tracker) -> str | None:
    """The BankID order waiting for confirmation, if it was started on this message's
    channel: only that channel may collect it and be identified by it."""
    order = tracker.get_slot(ORDER_SLOT)
    if not order or tracker.get_slot(IDENTITY_CHANNEL_SLOT) != \
            tracker.get_latest_input_channel():
        return None
    return str(order)


def stale_identity(tracker: Tracker) -> bool:
    """A stored identification or waiting order this message may not use (made on another
    channel, or a web chat's): it is forgotten before anything else happens."""
    return (bool(tracker.get_slot(PERSON_SLOT)) and bound_person(tracker) is None) or \
        (bool(tracker.get_slot(ORDER_SLOT)) and bound_order(tracker) is None)


def caller_of(tracker: Tracker, environ: Mapping[str, str]) -> tuple[Caller | None, bool]:
    """The identified person and channel; the flag says the ref came from the message
    (the web chat's verified session, or the test path) and should be kept in the slot."""
    if not declared_input(tracker):
        return None, False
    input_channel = tracker.get_latest_input_channel()
    metadata = tracker.latest_message.get("metadata") or {}
    session_ref = metadata.get(SESSION_PERSON_KEY)
    if input_channel in LOGIN_CHANNELS and isinstance(session_ref, str) and session_ref:
        # Set by the web chat channel from a verified session token, never by the browser.
        return caller_for(tracker, session_ref), True
    ref = bound_person(tracker)
    if ref:
        return caller_for(tracker, ref), False
    if test_identity_enabled(environ):
        test_ref = metadata.get(TEST_IDENTITY_KEY)
        if isinstance(test_ref, str) and test_ref:
            return caller_for(tracker, test_ref), True
    return None, False


def remembered(tracker: Tracker, person_ref: str) -> list[dict[str, Any]]:
    """The slots that keep an identity that came with the message, bound to its channel."""
    return [SlotSet(PERSON_SLOT, person_ref),
            SlotSet(IDENTITY_CHANNEL_SLOT, tracker.get_latest_input_channel())]


class PersonalAction(Action, abc.ABC):
    """Base of the actions that read or write the identified person's data."""

    # Whether "och bostadsbidraget då?" after this answer asks the same for that benefit.
    answers_per_benefit = False

    def __init__(self, backend: CaseBackend | None = None,
                 environ: Mapping[str, str] | None = None,
                 identity: IdentityServices | None = None) -> None:
        self._backend = backend
        self._environ = os.environ if environ is None else environ
        self._identity = identity

    @property
    def backend(self) -> CaseBackend:
        return self._backend if self._backend is not None else default_backend()

    @property
    def identity(self) -> IdentityServices:
        return self._identity if self._identity is not None else default_services()

    async def identify(self, dispatcher: CollectingDispatcher,
                       tracker: Tracker) -> list[dict[str, Any]]:
        """No identified person yet: log in on the web, otherwise personnummer and BankID."""
        if tracker.get_latest_input_channel() in LOGIN_CHANNELS or not declared_input(tracker):
            dispatcher.utter_message(response=UTTER_IDENTIFY)
            return []
        order = bound_order(tracker)
        if order:  # a BankID order is waiting: this question is answered once it is confirmed
            followed = await follow_order(dispatcher, tracker, str(order), self.identity,
                                          self.backend)
            events = [SlotSet(PENDING_SLOT, self.name()), *followed.events]
            if followed.person_ref is None:
                return events
            return events + await self.answer_identified(
                dispatcher, tracker, caller_for(tracker, followed.person_ref))
        dispatcher.utter_message(response=UTTER_ASK_NUMBER)
        return [SlotSet(PENDING_SLOT, self.name())]

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        if stale_identity(tracker):
            events += forget_identity()
        caller, from_test_path = caller_of(tracker, self._environ)
        if caller is not None and not from_test_path and identification_expired(
                tracker, idle_seconds(self._environ)):
            events += forget_identity()
            caller = None
        if caller is None:
            return events + await self.identify(dispatcher, tracker)
        if from_test_path:
            events += remembered(tracker, caller.person_ref)
        return events + await self.answer_identified(dispatcher, tracker, caller)

    async def answer_identified(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                caller: Caller) -> list[dict[str, Any]]:
        """The answer for a known caller, with the backend's failures answered too; also how
        identification answers the question that was waiting for it."""
        events: list[dict[str, Any]] = []
        try:
            events += await self.answer(dispatcher, tracker, caller)
        except BackendUnavailableError as error:
            logger.warning("%s: backend unavailable (%s)", self.name(), type(error).__name__)
            dispatcher.utter_message(response=UTTER_UNAVAILABLE)
        except AccessDeniedError as error:
            # The backend enforces the same rules; its refusal is answered like ours.
            dispatcher.utter_message(
                response=UTTER_PROTECTED if error.reason == "protected-identity"
                else UTTER_IDENTIFY)
        except NotFoundError:
            dispatcher.utter_message(response=UTTER_IDENTIFY)
        # A benefit named in this question scopes this answer only; the next question names
        # its own, and "och bostadsbidraget då?" repeats this one for another.
        events.append(SlotSet(BENEFIT_SLOT, None))
        if self.answers_per_benefit:
            events.append(SlotSet(LAST_PERSONAL_SLOT, self.name()))
        return events

    async def profile_for_details(self, dispatcher: CollectingDispatcher,
                                  caller: Caller) -> Profile | None:
        """The caller's profile, or None (already answered) when their case details may not
        be given on this channel: protected persons get them only in the web chat."""
        profile = await self.backend.profile(caller)
        if protected_on_this_channel(profile.protected_identity, caller):
            dispatcher.utter_message(response=UTTER_PROTECTED)
            return None
        return profile

    @abc.abstractmethod
    async def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                     caller: Caller) -> list[dict[str, Any]]:
        """Answers for an identified caller; raises the backend's errors."""


def protected_on_this_channel(protected_identity: bool, caller: Caller) -> bool:
    """Protected persons get details only in the logged-in web chat; every other channel,
    REST and unknown ones included, is restricted (fail closed)."""
    return protected_identity and not (caller.channel == "web" and caller.logged_in_web)
