"""The small pieces on their own: redaction, opening hours, password hashes, the phone box, the
wait estimate, settings."""

from __future__ import annotations

import datetime as dt

import pytest

from agentdesk.hours import HoursError, parse_hours
from agentdesk.passwords import hash_password, verify_password
from agentdesk.phone_box import PhoneBox
from agentdesk.queue_estimate import estimated_wait
from agentdesk.redaction import PHONE_REDACTED, PNR_REDACTED, redact
from agentdesk.settings import Settings, SettingsError

TOKENS = {
    "AGENTDESK_ASSISTANT_TOKEN": "a" * 20,
    "AGENTDESK_DELIVERY_TOKEN": "b" * 20,
}


@pytest.mark.parametrize(
    "text",
    [
        "19121212-1212",
        "121212-1212",
        "191212121212",
        "121212+1212",
        "pnr:191212121212!",
        "1912 12 12 1212",
    ],
)
def test_personnummer_shapes_are_redacted(text: str) -> None:
    redacted = redact(f"Mitt nummer {text} tack")
    assert "1212" not in redacted
    assert PNR_REDACTED in redacted


@pytest.mark.parametrize(
    "text", ["+46701234567", "+46 70 123 45 67", "070-123 45 67", "0701234567", "0046701234567"]
)
def test_phone_shapes_are_redacted(text: str) -> None:
    redacted = redact(f"ring {text} nu")
    assert "123" not in redacted
    assert PNR_REDACTED in redacted or PHONE_REDACTED in redacted


@pytest.mark.parametrize(
    "text", ["Jag fick 1 250 kr den 25 mars", "ärende 2026-12-05 kl 14:30", "Hej!"]
)
def test_ordinary_text_is_kept(text: str) -> None:
    assert redact(text) == text


def test_opening_hours() -> None:
    hours = parse_hours("mon-fri 08:00-16:00; sat 10:00-12:00")
    assert hours.is_open(dt.datetime(2026, 12, 7, 9, 0))  # a Monday
    assert not hours.is_open(dt.datetime(2026, 12, 7, 16, 0))
    assert hours.is_open(dt.datetime(2026, 12, 12, 11, 0))  # a Saturday
    assert not hours.is_open(dt.datetime(2026, 12, 13, 11, 0))  # a Sunday
    assert parse_hours(None).is_open(dt.datetime(2026, 12, 13, 3, 0))  # unset: always open


@pytest.mark.parametrize("spec", ["weekdays 8-16", "mon-fri 16:00-08:00", "xyz 08:00-09:00"])
def test_bad_opening_hours_are_refused(spec: str) -> None:
    with pytest.raises(HoursError):
        parse_hours(spec)


def test_password_hashes() -> None:
    stored = hash_password("rätt lösen")
    assert stored.startswith("scrypt$")
    assert "rätt" not in stored
    assert verify_password("rätt lösen", stored)
    assert not verify_password("fel", stored)
    assert not verify_password("rätt lösen", "garbage")
    assert hash_password("rätt lösen") != stored  # salted


def test_phone_box_seals_and_opens_only_with_its_key() -> None:
    sealed = PhoneBox("key one").seal("+46701234567")
    assert "701234567" not in sealed
    assert PhoneBox("key one").open(sealed) == "+46701234567"
    assert PhoneBox("key two").open(sealed) is None


def test_estimated_wait() -> None:
    assert estimated_wait(0, 1, 300) == 0
    assert estimated_wait(1, 0, 300) == 300  # nobody on duty yet: as if one
    assert estimated_wait(3, 2, 300) == 450


def test_settings_need_both_tokens() -> None:
    with pytest.raises(SettingsError, match="AGENTDESK_ASSISTANT_TOKEN"):
        Settings.from_env({"AGENTDESK_DELIVERY_TOKEN": "b" * 20})
    with pytest.raises(SettingsError, match="AGENTDESK_DELIVERY_TOKEN"):
        Settings.from_env({"AGENTDESK_ASSISTANT_TOKEN": "a" * 20})
    assert Settings.from_env(TOKENS).port == 5070


def test_production_refuses_development_keys_and_demo_accounts() -> None:
    production = {**TOKENS, "ASSISTANT_MODE": "production"}
    with pytest.raises(SettingsError, match="AGENTDESK_DATA_KEY"):
        Settings.from_env(production)
    with pytest.raises(SettingsError, match="demo"):
        Settings.from_env({**production, "AGENTDESK_DATA_KEY": "k", "AGENTDESK_DEMO_PASSWORD": "p"})
    settings = Settings.from_env({**production, "AGENTDESK_DATA_KEY": "k"})
    assert settings.secure_cookies is True
