"""What every personal answer shares: who is asking, on which channel, and failure handling.

Identity: the conversation's ``person_ref`` slot (set by identification, issue 4). Until
then, and only when the action server runs with ``ASSISTANT_TEST_IDENTITY=on`` (off by
default, for tests and demos), a message's metadata ``test_person_ref`` names the person.
The slot holds an opaque backend reference, never a personnummer.
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
)
from bot.rendering import channel_kind

logger = logging.getLogger(__name__)

PERSON_SLOT = "person_ref"
TEST_IDENTITY_SWITCH = "ASSISTANT_TEST_IDENTITY"
TEST_IDENTITY_KEY = "test_person_ref"

UTTER_IDENTIFY = "utter_identification_needed"
UTTER_UNAVAILABLE = "utter_backend_unavailable"
UTTER_PROTECTED = "utter_protected_use_mina_sidor"

_shared_backend: HttpCaseBackend | None = None


def default_backend() -> HttpCaseBackend:
    """One client (and connection pool, and breaker) per action-server process."""
    global _shared_backend
    if _shared_backend is None:
        _shared_backend = HttpCaseBackend(BackendSettings.from_env())
    return _shared_backend


def test_identity_enabled(environ: Mapping[str, str]) -> bool:
    return environ.get(TEST_IDENTITY_SWITCH, "").lower() in {"on", "1", "true", "yes"}


def caller_of(tracker: Tracker, environ: Mapping[str, str]) -> tuple[Caller | None, bool]:
    """The identified person and channel; the flag says the ref came from the test path."""
    channel = channel_kind(tracker.get_latest_input_channel()).value
    ref = tracker.get_slot(PERSON_SLOT)
    if ref:
        return Caller(str(ref), channel), False
    if test_identity_enabled(environ):
        metadata = tracker.latest_message.get("metadata") or {}
        test_ref = metadata.get(TEST_IDENTITY_KEY)
        if isinstance(test_ref, str) and test_ref:
            return Caller(test_ref, channel), True
    return None, False


class PersonalAction(Action, abc.ABC):
    """Base of the actions that read or write the identified person's data."""

    def __init__(self, backend: CaseBackend | None = None,
                 environ: Mapping[str, str] | None = None) -> None:
        self._backend = backend
        self._environ = os.environ if environ is None else environ

    @property
    def backend(self) -> CaseBackend:
        return self._backend if self._backend is not None else default_backend()

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[dict[str, Any]]:
        caller, from_test_path = caller_of(tracker, self._environ)
        if caller is None:
            dispatcher.utter_message(response=UTTER_IDENTIFY)
            return []
        events: list[dict[str, Any]] = [SlotSet(PERSON_SLOT, caller.person_ref)] \
            if from_test_path else []
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
        return events

    @abc.abstractmethod
    async def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                     caller: Caller) -> list[dict[str, Any]]:
        """Answers for an identified caller; raises the backend's errors."""


def protected_on_this_channel(protected_identity: bool, caller: Caller) -> bool:
    """Protected persons get details only in the (logged-in) web chat."""
    return protected_identity and caller.channel != "web"
