"""Identification by personnummer and BankID with the simulator, a temporary vault and
limiter, and an injected fake case backend."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.identification import ActionLogOut, ActionReceivePersonalNumber
from actions.identity.provider import AuthRequest, AuthStatus, Collected, StartedOrder
from actions.identity.rate_limit import StartLimiter
from actions.identity.services import IdentityServices, StartLimitSettings
from actions.identity.simulator import SIMULATES_CANCEL, SIMULATES_TIMEOUT, BankIdSimulator
from actions.payments import ActionNextPayment
from common.identity_vault import IdentityVault, VaultSettings
from tests.unit.fake_backend import demo_backend

TOLVAN = "191212121212"


async def _no_wait(seconds: float) -> None:
    return None


@pytest.fixture
def services(tmp_path: Path) -> IdentityServices:
    return IdentityServices(
        provider=BankIdSimulator(confirm_after=0, expire_after=30),
        vault=IdentityVault(VaultSettings(tmp_path / "vault.db", Fernet.generate_key())),
        limiter=StartLimiter(tmp_path / "attempts.db"),
        limits=StartLimitSettings(per_conversation=3, per_person=3, everyone=1000),
        person_key_secret=b"test key",
        wait_seconds=0.05, poll_interval=0.01, sleep=_no_wait)


def tracker(slots: dict[str, Any] | None = None, metadata: dict[str, Any] | None = None,
            sender: str = "conversation-1", channel: str = "rest",
            times: tuple[float, ...] = (1000.0,)) -> Tracker:
    slots = dict(slots or {})
    if slots.get("person_ref") or slots.get("identification_order"):
        slots.setdefault("identity_channel", channel)  # made on this channel
    latest = {"intent": {"name": "provide_personal_number"}, "metadata": metadata or {}}
    events = [{"event": "user", "timestamp": t, "input_channel": channel, "parse_data": latest}
              for t in times]
    return Tracker(sender, slots, latest, events, False, None, None, "action_listen")


def run(action: Action, track: Tracker) -> tuple[list[dict[str, Any]], list[str]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, track, {}))
    return events, [m["response"] for m in dispatcher.messages]


def given(services: IdentityServices, number: str) -> dict[str, str]:
    """What the channel does: the number into the vault, the token into the metadata."""
    return {"pnr_token": asyncio.run(services.vault.put(number))}


def test_valid_number_is_confirmed_and_the_pending_question_answered(
        services: IdentityServices) -> None:
    action = ActionReceivePersonalNumber(demo_backend(), services)
    events, said = run(action, tracker({"pending_action": "action_next_payment"},
                                       given(services, TOLVAN)))
    # The waiting question is answered in the same run: no follow-up action for a policy to
    # lose track of (docs/dialogue.md).
    assert said == ["utter_confirm_in_bankid", "utter_open_bankid_link",
                    "utter_identified", "utter_next_payment",
                    "utter_preliminary_payments"]
    assert SlotSet("person_ref", "tolvan") in events
    assert SlotSet("pending_action", None) in events
    assert SlotSet("last_personal_action", "action_next_payment") in events
    assert not any(event.get("event") == "followup" for event in events)


class RecordingSimulator(BankIdSimulator):
    def __init__(self) -> None:
        super().__init__(confirm_after=0)
        self.started: list[str] = []

    async def start(self, request: AuthRequest) -> StartedOrder:
        self.started.append(request.personal_number)
        return await super().start(request)


def test_missing_or_invalid_number_is_asked_again_then_support_line(
        services: IdentityServices) -> None:
    services.provider = recording = RecordingSimulator()
    action = ActionReceivePersonalNumber(demo_backend(), services)
    # What a channel sends for "19121212-1213": the text redacted, no vault token (invalid).
    events, said = run(action, tracker())
    assert said == ["utter_personal_number_invalid"]
    assert SlotSet("identification_failures", 1) in events
    _, said = run(action, tracker({"identification_failures": 2}))
    assert said == ["utter_identification_support_line"]
    assert recording.started == []  # never sent to BankID


def test_a_vault_token_works_once(services: IdentityServices) -> None:
    action = ActionReceivePersonalNumber(demo_backend(), services)
    metadata = given(services, TOLVAN)
    assert run(action, tracker(metadata=metadata))[1][-1] == "utter_identified"
    assert run(action, tracker(metadata=metadata, sender="other"))[1] == [
        "utter_personal_number_invalid"]


def test_cancel_in_the_app(services: IdentityServices) -> None:
    events, said = run(ActionReceivePersonalNumber(demo_backend(), services),
                       tracker(metadata=given(services, SIMULATES_CANCEL)))
    assert said == ["utter_confirm_in_bankid", "utter_open_bankid_link",
                    "utter_bankid_cancelled"]
    assert SlotSet("identification_order", None) in events


def test_still_waiting_keeps_the_order_and_the_next_question_collects_it(
        services: IdentityServices) -> None:
    events, said = run(ActionReceivePersonalNumber(demo_backend(), services),
                       tracker(metadata=given(services, SIMULATES_TIMEOUT)))
    assert said == ["utter_confirm_in_bankid", "utter_open_bankid_link",
                    "utter_bankid_still_waiting"]
    (order,) = [e["value"] for e in events if e.get("name") == "identification_order"]
    assert order
    # The next personal question looks at the same order again (still not confirmed).
    events, said = run(ActionNextPayment(demo_backend(), environ={}, identity=services),
                       tracker({"identification_order": order}))
    assert said == ["utter_bankid_still_waiting"]


class WrongPersonProvider(BankIdSimulator):
    async def collect(self, order_ref: str) -> Collected:
        return Collected(AuthStatus.COMPLETE, None, "191010101010")


def test_confirmed_by_someone_else_is_refused(services: IdentityServices) -> None:
    services.provider = WrongPersonProvider()
    events, said = run(ActionReceivePersonalNumber(demo_backend(), services),
                       tracker(metadata=given(services, TOLVAN)))
    assert said == ["utter_confirm_in_bankid", "utter_open_bankid_link",
                    "utter_bankid_wrong_person"]
    assert not [e for e in events if e.get("name") == "person_ref" and e.get("value")]


def test_starts_are_rate_limited_per_conversation_and_per_caller(
        services: IdentityServices) -> None:
    services.limits = StartLimitSettings(per_conversation=3, per_person=100, everyone=1000)
    action = ActionReceivePersonalNumber(demo_backend(), services)
    for _ in range(3):
        run(action, tracker(metadata=given(services, SIMULATES_CANCEL)))
    assert run(action, tracker(metadata=given(services, TOLVAN)))[1] == [
        "utter_identification_rate_limited"]
    # The same phone (caller) in a new conversation is limited too.
    for index in range(3):
        run(action, tracker(metadata={**given(services, SIMULATES_CANCEL), "caller_hash": "c1"},
                            sender=f"sms-{index}"))
    assert run(action, tracker(metadata={**given(services, TOLVAN), "caller_hash": "c1"},
                               sender="sms-new"))[1] == ["utter_identification_rate_limited"]


def test_already_identified(services: IdentityServices) -> None:
    assert run(ActionReceivePersonalNumber(demo_backend(), services),
               tracker({"person_ref": "tolvan"}))[1] == ["utter_already_identified"]


def test_log_out_forgets_the_person() -> None:
    events, said = run(ActionLogOut(), tracker({"person_ref": "tolvan"}))
    assert said == ["utter_logged_out"]
    assert SlotSet("person_ref", None) in events and SlotSet("identified_at", None) in events


def test_identification_ends_after_inactivity(services: IdentityServices) -> None:
    slots = {"person_ref": "tolvan", "identified_at": 1000.0}
    action = ActionNextPayment(demo_backend(), environ={"IDENTITY_IDLE_SECONDS": "900"},
                               identity=services)
    events, said = run(action, tracker(slots, times=(1000.0, 1000.0 + 901)))
    assert said == ["utter_ask_personal_number"]
    assert SlotSet("person_ref", None) in events
    assert run(action, tracker(slots, times=(1000.0, 1000.0 + 899)))[1][0] == "utter_next_payment"


def test_vault_is_encrypted_one_time_and_expires(tmp_path: Path) -> None:
    now = [0.0]
    vault = IdentityVault(VaultSettings(tmp_path / "v.db", Fernet.generate_key(), 300),
                          clock=lambda: now[0])
    token = vault.put_now(TOLVAN)
    assert TOLVAN.encode() not in (tmp_path / "v.db").read_bytes()
    assert vault.take_now(token) == TOLVAN and vault.take_now(token) is None
    token = vault.put_now(TOLVAN)
    now[0] = 301
    assert vault.take_now(token) is None
    # The same file read with another key yields nothing.
    token = vault.put_now(TOLVAN)
    other = IdentityVault(VaultSettings(tmp_path / "v.db", Fernet.generate_key(), 300),
                          clock=lambda: now[0])
    assert other.take_now(token) is None


def test_a_number_typed_in_the_web_chat_points_to_the_mina_sidor_login(
        services: IdentityServices) -> None:
    # The web chat identifies by the logged-in session, never by a typed number.
    action = ActionReceivePersonalNumber(demo_backend(), services, environ={})
    events, said = run(action, tracker(metadata=given(services, TOLVAN), channel="webchat"))
    assert said == ["utter_identification_needed"] and events == []


def test_another_number_while_an_order_waits_starts_a_new_one(
        services: IdentityServices) -> None:
    services.provider = recording = RecordingSimulator()
    action = ActionReceivePersonalNumber(demo_backend(), services)
    events, said = run(action, tracker(metadata=given(services, SIMULATES_TIMEOUT)))
    assert said[-1] == "utter_bankid_still_waiting"
    (order,) = [e["value"] for e in events if e.get("name") == "identification_order"]
    # The same number again follows the waiting order: no second start.
    _, said = run(action, tracker({"identification_order": order},
                                  given(services, SIMULATES_TIMEOUT)))
    assert said == ["utter_bankid_still_waiting"] and len(recording.started) == 1
    # Another number: the conversation's own order is cancelled and the new one runs.
    events, said = run(action, tracker({"identification_order": order},
                                       given(services, TOLVAN)))
    assert said[-1] == "utter_identified" and recording.started[-1] == TOLVAN
    assert SlotSet("person_ref", "tolvan") in events
    assert asyncio.run(services.provider.collect(order)).hint_code == "cancelled"
