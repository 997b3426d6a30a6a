"""JSON log lines without personal data: the last line of defence behind the channels."""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Iterator

import pytest
from prometheus_client import REGISTRY

from common import structured_logs
from common.structured_logs import PHONE_REDACTED, install, scrub

# A demo person of DESIGN.md section 7 and a mobile number, in the shapes people write them.
PERSONNUMMER = ("19121212-1212", "191212121212", "121212-1212")
PHONES = ("+46701234567", "070-123 45 67", "0046 70 123 45 67")


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """Logging as a process sets it up (a plain handler first), then ours installed over it."""
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


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_message_with_a_personnummer_and_a_phone_number_keeps_neither(
        captured: io.StringIO) -> None:
    before = REGISTRY.get_sample_value("assistant_log_redactions_total",
                                       {"service": "test"}) or 0.0
    for number, phone in zip(PERSONNUMMER, PHONES, strict=True):
        logging.getLogger("connectors.sms.service").warning(
            "sms from %s: 'mitt personnummer är %s'", phone, number)
    records = lines(captured)
    assert len(records) == 3
    output = captured.getvalue()
    for secret in (*PERSONNUMMER, *PHONES, "1212-1212", "701234567", "123 45 67"):
        assert secret not in output
    first = records[0]
    assert first["message"] == (f"sms from {PHONE_REDACTED}: 'mitt personnummer är "
                                f"PNR_REDACTED'")
    assert first["level"] == "warning" and first["service"] == "test"
    assert first["logger"] == "connectors.sms.service" and first["redacted"] is True
    assert str(first["ts"]).endswith("+00:00")
    assert REGISTRY.get_sample_value("assistant_log_redactions_total",
                                     {"service": "test"}) == before + 3


def test_tracebacks_are_scrubbed_too(captured: io.StringIO) -> None:
    try:
        raise ValueError("no person 19121212-1212 at +46701234567")
    except ValueError:
        logging.getLogger("actions").exception("lookup failed")
    (record,) = lines(captured)
    assert record["exc_type"] == "ValueError"
    assert "no person PNR_REDACTED at PHONE_REDACTED" in str(record["exc"])
    assert "19121212" not in captured.getvalue() and "46701234567" not in captured.getvalue()


def test_ordinary_lines_pass_unchanged(captured: io.StringIO) -> None:
    text = ("turn took 0.153 s at 2026-11-28T10:00:00 on 127.0.0.1:5005, "
            "open 08:00-16:00, 12 345 kr")
    logging.getLogger("rasa").info(text)
    (record,) = lines(captured)
    assert record["message"] == text and "redacted" not in record


def test_ours_is_the_only_handler_and_sanic_lines_come_through_it(
        captured: io.StringIO) -> None:
    ours = [handler for handler in logging.getLogger().handlers
            if type(handler).__name__ != "LogCaptureHandler"]  # pytest's own, per test phase
    assert len(ours) == 1 and isinstance(ours[0].formatter, structured_logs.JsonFormatter)
    logging.getLogger("sanic.error").addHandler(logging.StreamHandler(sys.stderr))
    install("test", stream=captured, level="INFO")  # again: idempotent
    assert logging.getLogger("sanic.error").handlers == []
    logging.getLogger("sanic.access").info("", extra={
        "status": 200, "byte": 2, "host": "127.0.0.1:1",
        "request": "GET http://x/webhooks/rest/?to=+46701234567"})
    (record,) = lines(captured)
    assert record["status"] == 200
    assert record["request"] == f"GET http://x/webhooks/rest/?to={PHONE_REDACTED}"


@pytest.mark.parametrize(("value", "json_lines"), [(None, True), ("json", True),
                                                   ("text", False), ("TEXT", False)])
def test_log_format_switch(value: str | None, json_lines: bool) -> None:
    environ = {} if value is None else {"LOG_FORMAT": value}
    assert structured_logs.json_logs_enabled(environ) is json_lines


def test_scrub_is_the_channels_redaction_plus_phone_numbers() -> None:
    assert scrub("19121212-1212") == "PNR_REDACTED"
    assert scrub("ring +46 70 123 45 67") == f"ring {PHONE_REDACTED}"


def test_twilios_request_chatter_is_left_out_but_not_its_warnings(
        captured: io.StringIO) -> None:
    client = logging.getLogger("twilio.async_http_client")
    client.info("POST Request: https://api.twilio.com/2010-04-01/Accounts/AC123/Messages.json")
    client.warning("Twilio answered 429")
    assert [line["message"] for line in lines(captured)] == ["Twilio answered 429"]
    install("test", stream=captured, level="DEBUG")
    client.info("Response Status Code: 201")
    assert lines(captured)[-1]["message"] == "Response Status Code: 201"
    install("test", stream=captured, level="INFO")


def test_a_twilio_id_whose_digits_look_like_a_personnummer_is_not_scrubbed() -> None:
    sid = "AC0d7cf987654321098eff75b82b1b1b45"  # 12 digits in a row, no date among them
    line = f"POST /2010-04-01/Accounts/{sid}/Messages.json for 191212121212"
    assert scrub(line) == f"POST /2010-04-01/Accounts/{sid}/Messages.json for PNR_REDACTED"
    conversation = "sms-aec2f644e198713131313d1836c1aa1d"  # month 13: not a number
    assert scrub(f"sms keyword help in {conversation}") == f"sms keyword help in {conversation}"


def test_a_valid_personnummer_inside_an_id_is_scrubbed_all_the_same() -> None:
    # Tolvan's number glued into an id's shape: a random id holds a valid one very rarely.
    assert scrub("AC0d7cf191212121212eff75b82b1b1b45") == "AC0d7cfPNR_REDACTEDeff75b82b1b1b45"
    assert scrub("pnr191212121212") != "pnr191212121212"  # a word, not a hex id: scrubbed
