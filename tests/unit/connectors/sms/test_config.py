from pathlib import Path
from typing import Any

import pytest

from connectors.sms.config import SmsConfigError, SmsSettings
from tests.unit.sms_fakes import ACCOUNT_SID

ENV = {"TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": "token",
       "SMS_PUBLIC_BASE_URL": "https://assistant.example.se/", "TWILIO_SMS_FROM": "+46700000000",
       "SMS_CONVERSATION_SECRET": "s" * 32, "ASSISTANT_NOTICES_TOKEN": "service"}
BLOCK = {"account_sid": "${TWILIO_ACCOUNT_SID}", "auth_token": "${TWILIO_AUTH_TOKEN}",
         "public_base_url": "${SMS_PUBLIC_BASE_URL}", "from_number": "${TWILIO_SMS_FROM}",
         "conversation_secret": "${SMS_CONVERSATION_SECRET}", "store_path": "var/sms.db"}


def test_values_come_from_the_environment() -> None:
    settings = SmsSettings.from_credentials(BLOCK, ENV)
    assert settings.enabled and settings.account_sid == ACCOUNT_SID
    assert settings.public_base_url == "https://assistant.example.se"
    assert settings.url("/webhooks/twilio_sms/status") == \
        "https://assistant.example.se/webhooks/twilio_sms/status"
    assert settings.store_path == Path("var/sms.db") and not settings.test_identity_header
    assert settings.api_base_url == "https://api.twilio.com"
    assert settings.notices_token == "service"


def test_nothing_set_is_off_not_an_error() -> None:
    settings = SmsSettings.from_credentials(BLOCK, {})
    assert not settings.enabled
    assert not SmsSettings.from_credentials(None, {}).enabled


@pytest.mark.parametrize(("change", "message"), [
    ({"auth_token": ""}, "auth_token not set"),
    ({"account_sid": "AC123"}, "account_sid must look like"),
    ({"from_number": "0700000000"}, "from_number must be an E.164"),
    ({"conversation_secret": "short"}, "at least 16"),
    ({"public_base_url": "assistant.example.se"}, "public_base_url must be an http"),
    ({"api_base_url": "ftp://x"}, "api_base_url must be an http"),
    ({"test_identity_header": "maybe"}, "test_identity_header must be true or false"),
    ({"reply_timeout": 20}, "reply_timeout must be between"),
    ({"max_segmnets": 3}, "unknown setting"),
])
def test_bad_configuration_fails_with_a_clear_message(change: dict[str, Any],
                                                      message: str) -> None:
    with pytest.raises(SmsConfigError, match=message):
        SmsSettings.from_credentials({**BLOCK, **change}, ENV)


def test_the_test_identity_option_must_be_asked_for() -> None:
    assert SmsSettings.from_credentials({**BLOCK, "test_identity_header": True},
                                        ENV).test_identity_header
