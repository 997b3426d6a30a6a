"""Attack: use an identification made on one channel from another channel, or from a channel
nobody declared.

The conversation id is the same; only the input channel differs (Rasa sets it from the
connector a message came through, so an attacker can pick the id but never the channel). A
stored identification must be forgotten, the case backend never asked, and nothing personal
said. The real action classes run with the fake case backend, which records every call.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.case_status import ActionCaseStatus
from actions.identification import ActionReceivePersonalNumber
from actions.identity.rate_limit import StartLimiter
from actions.identity.services import IdentityServices
from actions.identity.simulator import BankIdSimulator
from actions.payments import ActionNextPayment
from common.identity_vault import IdentityVault, VaultSettings
from tests.unit.fake_backend import demo_backend

IDENTIFIED_ON_SMS = {"person_ref": "tolvan", "identity_channel": "twilio_sms",
                     "identified_at": 1000.0}


def message(channel: str, slots: dict[str, Any], metadata: dict[str, Any] | None = None,
            sender: str = "sms-0123456789abcdef0123456789abcdef") -> Tracker:
    latest = {"intent": {"name": "ask_next_payment"}, "metadata": metadata or {}}
    events = [{"event": "user", "timestamp": 1000.0, "input_channel": "twilio_sms",
               "parse_data": latest},
              {"event": "user", "timestamp": 1001.0, "input_channel": channel,
               "parse_data": latest}]
    return Tracker(sender, slots, latest, events, False, None, None, "action_listen")


def run(action: Any, tracker: Tracker) -> tuple[list[dict[str, Any]], list[str]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, {}))
    return events, [m.get("response") or m.get("text") for m in dispatcher.messages]


@pytest.mark.parametrize("channel", ["rest", "twilio_voice", "webchat", "socketio", "cmdline"])
@pytest.mark.parametrize("action_class", [ActionNextPayment, ActionCaseStatus])
def test_an_sms_identification_is_not_used_on_any_other_channel(
        channel: str, action_class: type) -> None:
    backend = demo_backend()
    events, said = run(action_class(backend, environ={}), message(channel, IDENTIFIED_ON_SMS))
    assert backend.calls == []
    assert said in (["utter_ask_personal_number"], ["utter_identification_needed"])
    assert {"event": "slot", "timestamp": None, "name": "person_ref", "value": None} in events


def test_the_same_identification_still_serves_its_own_channel() -> None:
    backend = demo_backend()
    _, said = run(ActionNextPayment(backend, environ={}), message("twilio_sms", IDENTIFIED_ON_SMS))
    assert said[0] == "utter_next_payment"
    assert [name for name, _ in backend.calls][-1] == "upcoming_payments"


def test_an_identification_without_its_channel_is_not_trusted() -> None:
    # A slot written before identifications were bound (or by anything else) proves nothing.
    backend = demo_backend()
    _, said = run(ActionNextPayment(backend, environ={}),
                  message("twilio_sms", {"person_ref": "tolvan"}))
    assert said == ["utter_ask_personal_number"] and backend.calls == []


def test_a_waiting_order_cannot_be_collected_from_another_channel() -> None:
    # An order started on SMS must not identify a REST caller when it is confirmed.
    backend = demo_backend()
    slots = {"identification_order": "order-1", "identity_channel": "twilio_sms"}
    events, said = run(ActionNextPayment(backend, environ={}), message("rest", slots))
    assert said == ["utter_ask_personal_number"] and backend.calls == []
    assert {"event": "slot", "timestamp": None, "name": "identification_order",
            "value": None} in events


def test_a_web_chat_message_without_its_session_gets_nothing_from_a_stored_identity() -> None:
    # The shared computer: the web chat's id is known, but the message has no session ref.
    backend = demo_backend()
    slots = {"person_ref": "tolvan", "identity_channel": "webchat"}
    _, said = run(ActionNextPayment(backend, environ={}),
                  message("webchat", slots, sender="web-abc"))
    assert said == ["utter_identification_needed"] and backend.calls == []


def test_already_identified_elsewhere_is_not_already_identified_here(tmp_path: Path) -> None:
    backend = demo_backend()
    services = IdentityServices(
        provider=BankIdSimulator(confirm_after=0),
        vault=IdentityVault(VaultSettings(tmp_path / "vault.db", Fernet.generate_key())),
        limiter=StartLimiter(tmp_path / "starts.db"))
    _, said = run(ActionReceivePersonalNumber(backend, services, environ={}),
                  message("rest", IDENTIFIED_ON_SMS))
    # Not "utter_already_identified": the REST caller is asked to prove it (no token: invalid).
    assert said == ["utter_personal_number_invalid"]
