"""A call's opaque ids: the conversation is the call's own, whatever number it presents; the
rate-limit key is the number's, except for a withheld number (the call's own key)."""

from __future__ import annotations

import pytest

from connectors.voice.ids import CallerIds, presented_number

IDS = CallerIds("s" * 32)
VICTIM = "+46701234567"


def test_two_calls_from_one_number_are_two_conversations() -> None:
    first, second = IDS.conversation("CA" + "1" * 32), IDS.conversation("CA" + "2" * 32)
    assert first != second
    assert first.startswith("voice-") and len(first) == len("voice-") + 32
    assert IDS.conversation("CA" + "1" * 32) == first  # every request of a call
    assert VICTIM[1:] not in first


def test_calls_from_one_number_share_the_rate_limit_key() -> None:
    assert IDS.caller_hash(VICTIM, "CA1") == IDS.caller_hash("+46 70-123 45 67", "CA2")
    assert IDS.caller_hash(VICTIM, "CA1") != IDS.caller_hash("+46701234568", "CA1")


@pytest.mark.parametrize("withheld", ["", "+", "Anonymous", "anonymous", "Restricted",
                                      "Unknown", "Blocked", "+266696687", "+7378742833",
                                      "+2562533", "+86282452253", "+8656696", "46701234567",
                                      "client:alice", "+0701234567"])
def test_a_withheld_number_gets_the_calls_own_rate_limit_key(withheld: str) -> None:
    assert presented_number(withheld) is None
    assert IDS.caller_hash(withheld, "CA1") != IDS.caller_hash(withheld, "CA2")
    assert IDS.caller_hash(withheld, "CA1") == IDS.caller_hash(withheld, "CA1")


def test_a_presented_number() -> None:
    assert presented_number("+46 70-123 45 67") == VICTIM
    assert presented_number("+447700900123") == "+447700900123"
