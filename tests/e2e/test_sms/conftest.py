"""The SMS client on the session's assistant (tests/e2e/conftest.py), and the check after every
SMS test that nothing went out by the REST API that the test did not ask for."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ..conftest import Assistant
from ..sms_harness import SmsClient


@pytest.fixture(scope="module")
def sms(assistant: Assistant) -> SmsClient:
    assert assistant.sms is not None
    return SmsClient(assistant.base_url, assistant.sms)


@pytest.fixture(autouse=True)
def _no_stray_messages(sms: SmsClient) -> Iterator[None]:
    """Nothing is sent through the REST API except what a test asked for (notices) and the
    personal answers, which go only that way (read by `SmsClient.say` as the turn ended)."""
    fake = sms.setup.fake
    assert fake is not None
    before = len(fake.messages)
    yield
    late = [m for m in fake.messages[before:] if "Försäkringskassan:" not in m.body
            and m.sid not in sms.rest_answers]
    assert not late, "an answer went out by REST: the webhook's budget was exceeded"
