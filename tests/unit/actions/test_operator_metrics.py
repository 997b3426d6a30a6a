"""The metrics behind the operator's alerts: BankID outcomes, refused Twilio requests and the
turns in flight, read back from the process registry as Prometheus would scrape them."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from prometheus_client import REGISTRY
from rasa.core.channels.channel import UserMessage
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.identification import ActionReceivePersonalNumber
from actions.identity.provider import AuthRequest, IdentityProviderError, StartedOrder
from actions.identity.rate_limit import StartLimiter
from actions.identity.services import IdentityServices, StartLimitSettings
from actions.identity.simulator import SIMULATES_CANCEL, BankIdSimulator
from common.identity_vault import IdentityVault, VaultSettings
from connectors.base.turn_metrics import measured
from connectors.twilio.signed_requests import RequestRejectedError, read_signed_form
from tests.unit.fake_backend import demo_backend


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def _no_wait(seconds: float) -> None:
    return None


@pytest.fixture
def services(tmp_path: Path) -> IdentityServices:
    return IdentityServices(
        provider=BankIdSimulator(confirm_after=0, expire_after=30),
        vault=IdentityVault(VaultSettings(tmp_path / "vault.db", Fernet.generate_key())),
        limiter=StartLimiter(tmp_path / "attempts.db"),
        limits=StartLimitSettings(per_conversation=10, per_person=10, everyone=100),
        wait_seconds=0.05, poll_interval=0.01, sleep=_no_wait)


def identify(services: IdentityServices, number: str) -> None:
    token = asyncio.run(services.vault.put(number))
    latest: dict[str, Any] = {"intent": {"name": "provide_personal_number"},
                              "metadata": {"pnr_token": token}}
    tracker = Tracker("c1", {}, latest, [{"event": "user", "timestamp": 1.0,
                                          "input_channel": "rest", "parse_data": latest}],
                      False, None, None, "action_listen")
    asyncio.run(ActionReceivePersonalNumber(demo_backend(), services).run(
        CollectingDispatcher(), tracker, {}))


def test_each_ended_identification_is_counted_by_outcome(services: IdentityServices) -> None:
    before = {o: sample("assistant_identifications_total", outcome=o)
              for o in ("confirmed", "cancelled")}
    identify(services, "191212121212")
    identify(services, SIMULATES_CANCEL)
    assert sample("assistant_identifications_total", outcome="confirmed") == \
        before["confirmed"] + 1
    assert sample("assistant_identifications_total", outcome="cancelled") == \
        before["cancelled"] + 1


class BrokenProvider(BankIdSimulator):
    async def start(self, request: AuthRequest) -> StartedOrder:
        raise IdentityProviderError("unreachable")


def test_an_order_that_could_not_start_is_counted(services: IdentityServices) -> None:
    services.provider = BrokenProvider()
    before = sample("assistant_identifications_total", outcome="start_failed")
    identify(services, "191212121212")
    assert sample("assistant_identifications_total", outcome="start_failed") == before + 1


def test_a_forged_twilio_signature_is_counted_per_channel() -> None:
    before = sample("assistant_twilio_rejected_requests_total", channel="twilio_sms",
                    reason="signature")
    with pytest.raises(RequestRejectedError):
        read_signed_form(body=b"Body=hej", content_type="application/x-www-form-urlencoded",
                         signature="forged", url="https://a.example/webhooks/twilio_sms/webhook",
                         auth_token="token", channel="twilio_sms")
    assert sample("assistant_twilio_rejected_requests_total", channel="twilio_sms",
                  reason="signature") == before + 1


def test_the_turns_under_way_are_a_gauge() -> None:
    seen: list[float] = []

    async def rasa(message: UserMessage) -> None:
        seen.append(sample("assistant_turns_in_flight", channel="webchat"))

    before = sample("assistant_turns_in_flight", channel="webchat")
    async def turn() -> None:
        await measured("webchat", rasa)(UserMessage("hej"))

    asyncio.run(turn())
    assert seen == [before + 1]
    assert sample("assistant_turns_in_flight", channel="webchat") == before
