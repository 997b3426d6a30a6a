"""Attack: BankID push bombing with a public personnummer.

The attacker rotates conversation ids (REST senders, fresh SMS numbers) and sends the
victim's personnummer again and again, hoping a worn-down victim approves one push, or at
least that each new start cancels the victim's own waiting order. Against the real
identification action, the BankID simulator, the SQLite vault and start limiter: at most
``per_person`` pushes reach BankID in the window whatever the conversations, a waiting order
is never disturbed (no second start while it waits, and it still confirms for its own
conversation), a global ceiling holds, and nobody on SMS or REST gets a phone authentication
that claims a call. A REST client cannot hand in the caller hash the limit is kept under.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.identification import ActionReceivePersonalNumber
from actions.identity.provider import AuthFlow, AuthRequest, StartedOrder
from actions.identity.rate_limit import StartLimiter
from actions.identity.services import IdentityServices, StartLimitSettings
from actions.identity.simulator import BankIdSimulator
from actions.payments import ActionNextPayment
from common.identity_vault import IdentityVault, VaultSettings
from connectors.base.gate import client_metadata
from tests.unit.fake_backend import demo_backend

VICTIM = "191212121212"


class RecordingSimulator(BankIdSimulator):
    """The simulator; every start that reaches "BankID" is recorded."""

    def __init__(self, confirm_after: float) -> None:
        super().__init__(confirm_after=confirm_after, expire_after=30)
        self.started: list[AuthRequest] = []

    async def start(self, request: AuthRequest) -> StartedOrder:
        self.started.append(request)
        return await super().start(request)


async def _no_wait(seconds: float) -> None:
    return None


def services(tmp_path: Path, provider: BankIdSimulator,
             limits: StartLimitSettings | None = None) -> IdentityServices:
    return IdentityServices(
        provider=provider,
        vault=IdentityVault(VaultSettings(tmp_path / "vault.db", Fernet.generate_key())),
        limiter=StartLimiter(tmp_path / "starts.db"),
        person_key_secret=b"key", limits=limits or StartLimitSettings(),
        wait_seconds=0.0, poll_interval=0.0, sleep=_no_wait)


def number_given(identity: IdentityServices, sender: str, channel: str = "rest",
                 slots: dict[str, Any] | None = None) -> Tracker:
    token = asyncio.run(identity.vault.put(VICTIM))
    latest = {"intent": {"name": "provide_personal_number"}, "metadata": {"pnr_token": token}}
    events = [{"event": "user", "timestamp": 1.0, "input_channel": channel,
               "parse_data": latest}]
    return Tracker(sender, slots or {}, latest, events, False, None, None, "action_listen")


def run(action: Any, tracker: Tracker) -> tuple[list[dict[str, Any]], list[str]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, {}))
    return events, [m["response"] for m in dispatcher.messages]


def test_rotating_conversations_buy_no_more_pushes(tmp_path: Path) -> None:
    # Each push completes at once, so no waiting order blocks the next: only the limit does.
    provider = RecordingSimulator(confirm_after=0)
    identity = services(tmp_path, provider)
    action = ActionReceivePersonalNumber(demo_backend(), identity, environ={})
    refused = 0
    for attempt in range(40):
        channel = ("rest", "twilio_sms", "twilio_voice")[attempt % 3]
        _, said = run(action, number_given(identity, f"attacker-{attempt}", channel))
        refused += said == ["utter_identification_rate_limited"]
    assert len(provider.started) == StartLimitSettings().per_person == 3
    assert refused == 40 - 3


def test_a_waiting_order_is_never_cancelled_by_another_start(tmp_path: Path) -> None:
    provider = RecordingSimulator(confirm_after=3600)  # the victim has not confirmed yet
    identity = services(tmp_path, provider)
    backend = demo_backend()
    action = ActionReceivePersonalNumber(backend, identity, environ={})
    events, said = run(action, number_given(identity, "sms-victim", "twilio_sms"))
    assert said[-1] == "utter_bankid_still_waiting"
    order = next(e["value"] for e in events if e.get("name") == "identification_order")
    for attempt in range(5):
        _, said = run(action, number_given(identity, f"attacker-{attempt}"))
        assert said == ["utter_identification_in_progress"]
    assert len(provider.started) == 1  # not one more start reached BankID
    # The victim confirms: their own conversation is identified, nobody else's.
    provider._confirm_after = 0
    slots = {"identification_order": order, "identity_channel": "twilio_sms"}
    events, said = run(ActionNextPayment(backend, environ={}, identity=identity),
                       number_given(identity, "sms-victim", "twilio_sms", slots))
    assert said[:2] == ["utter_identified", "utter_next_payment"]


def test_the_victim_can_start_again_once_the_order_ended(tmp_path: Path) -> None:
    provider = RecordingSimulator(confirm_after=0)
    identity = services(tmp_path, provider)
    action = ActionReceivePersonalNumber(demo_backend(), identity, environ={})
    assert run(action, number_given(identity, "a"))[1][-1] == "utter_identified"
    assert run(action, number_given(identity, "b"))[1][-1] == "utter_identified"


def test_a_global_ceiling_holds_over_many_people(tmp_path: Path) -> None:
    provider = RecordingSimulator(confirm_after=0)
    identity = services(tmp_path, provider, StartLimitSettings(per_conversation=3,
                                                               per_person=100, everyone=5))
    action = ActionReceivePersonalNumber(demo_backend(), identity, environ={})
    said = [run(action, number_given(identity, f"c-{i}"))[1] for i in range(8)]
    assert len(provider.started) == 5
    assert said[5:] == [["utter_identification_rate_limited"]] * 3


@pytest.mark.parametrize(("channel", "flow"), [("rest", AuthFlow.SAME_DEVICE),
                                               ("twilio_sms", AuthFlow.SAME_DEVICE),
                                               ("twilio_voice", AuthFlow.PHONE)])
def test_only_a_call_gets_a_phone_authentication(tmp_path: Path, channel: str,
                                                 flow: AuthFlow) -> None:
    provider = RecordingSimulator(confirm_after=0)
    identity = services(tmp_path, provider)
    _, said = run(ActionReceivePersonalNumber(demo_backend(), identity, environ={}),
                  number_given(identity, "c", channel))
    (request,) = provider.started
    assert request.flow is flow
    assert request.user_visible_data.startswith("Försäkringskassan")
    # The link to open BankID on the same device is given only where there is no call.
    assert ("utter_open_bankid_link" in said) is (flow is AuthFlow.SAME_DEVICE)


def test_a_rest_client_cannot_choose_the_keys_it_is_limited_under() -> None:
    forged = {"caller_hash": "someone-elses", "pnr_token": "t", "session_person_ref": "tolvan",
              "language": "en", "identity_channel": "twilio_sms"}
    assert client_metadata(forged) == {"language": "en"}
