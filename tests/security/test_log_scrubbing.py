"""Attack: get a personnummer, a phone number or a conversation's key into the logs.

The log filter exempts generated ids from its personnummer search, so a number glued to hex
letters passed as an "id", and URL-encoded phone numbers (``%2B46...`` in a logged webhook
body or URL) were not recognised. Conversation ids were logged whole, and a conversation id
is the key to its tracker. Every attempt goes through the processes' real logging set-up
(``common.structured_logs.install``); none may survive, while real ids stay readable."""

from __future__ import annotations

import asyncio
import io
import logging
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from common.log_ids import fingerprint
from common.structured_logs import install
from connectors.sms.conversations import ConversationIds
from connectors.sms.outbound import OutboundSender, SendError
from connectors.sms.store import SmsStore
from tests.unit.sms_fakes import FakeTransport

TOLVAN_DIGITS = "191212121212"  # DESIGN.md's demo person
PHONE_DIGITS = "46701234567"
ATTEMPTS = [
    "191212121212abcd",
    "abcd191212121212",
    "abcdef19121212-1212",
    "deadbeef191212121212deadbeefdead",  # 32 hex: shaped like an HMAC id
    "SMdeadbeef191212121212deadbeefdead",  # shaped like a Twilio SID
    "%2B46701234567",
    "%2b46701234567",
    "%252B46701234567",  # encoded twice
    "%2B46%2070-123%2045%2067",
    "%2B46+70-123+45+67",  # form-encoded spaces
    "From=%2B46701234567&Body=hej",
    "0046701234567",
    "abcdef0046701234567abcdef0123456",
    "\uff0b46701234567",  # full-width plus
]
# Ids as we and Twilio make them; their digits are not a valid personnummer.
REAL_IDS = [
    "sms-3f0a9c2e5b7d41e8a6c09f1d2e3b4a5c",
    "voice-0d7cf987654321098eff75b82b1b1b45",  # 12 digits in a row, but no date in them
    "SM0123456789abcdef0123456789abcdef",
    "CA9f8e7d6c5b4a39281706f5e4d3c2b1a0",
    "123e4567-e89b-12d3-a456-426614174000",
]


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    root.addHandler(logging.StreamHandler(sys.stderr))
    stream = io.StringIO()
    install("test", stream=stream, level="INFO")
    try:
        yield stream
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved[0]:
            root.addHandler(handler)
        root.setLevel(saved[1])


@pytest.mark.parametrize("attempt", ATTEMPTS)
def test_no_number_survives_in_a_logged_line(captured: io.StringIO, attempt: str) -> None:
    logging.getLogger("connectors.sms.service").warning("inbound body %s", attempt)
    output = captured.getvalue()
    assert TOLVAN_DIGITS not in output and "1212-1212" not in output
    assert PHONE_DIGITS not in output and "70-123" not in output and "123 45" not in output
    assert '"redacted": true' in output


def test_a_traceback_with_an_encoded_number_is_scrubbed(captured: io.StringIO) -> None:
    try:
        raise ValueError("bad form To=%2B46701234567&Ref=191212121212abcd")
    except ValueError:
        logging.getLogger("connectors.sms").exception("webhook failed")
    output = captured.getvalue()
    assert PHONE_DIGITS not in output and TOLVAN_DIGITS not in output


@pytest.mark.parametrize("real_id", REAL_IDS)
def test_real_ids_stay_readable(captured: io.StringIO, real_id: str) -> None:
    logging.getLogger("connectors.sms").info("handled %s", real_id)
    output = captured.getvalue()
    assert f"handled {real_id}" in output and '"redacted"' not in output


def test_a_fingerprint_is_never_taken_for_a_personnummer(captured: io.StringIO) -> None:
    # Eight digits in a row once made the scrubber replace a fingerprint (about 2 % of ids).
    ids = ConversationIds("a secret")
    for index in range(2000):
        logging.getLogger("connectors.sms").info("sent to %s",
                                                 fingerprint(ids.of(f"+4670{index:07d}")))
    assert '"redacted"' not in captured.getvalue()
    assert captured.getvalue().count("conv#") == 2000


def test_sms_log_lines_name_a_conversation_by_fingerprint_only(
        captured: io.StringIO, tmp_path: Path) -> None:
    ids = ConversationIds("a secret")
    conversation_id = ids.of("+46701234567")
    transport = FakeTransport(failures=[SendError("Twilio answered 400", retryable=False)])

    async def send_twice() -> None:
        sender = OutboundSender(transport, SmsStore(tmp_path / "sms.db"), ids,
                                "http://localhost/status", sleep=lambda _: asyncio.sleep(0))
        await sender.send("+46701234567", "hej", "reply")  # fails: a warning line
        await sender.send("+46701234567", "hej", "reply")  # accepted: an info line

    asyncio.run(send_twice())
    output = captured.getvalue()
    assert output.count("\n") >= 2
    assert conversation_id not in output
    assert conversation_id.removeprefix("sms-")[:8] not in output  # not even its start
    assert PHONE_DIGITS not in output
