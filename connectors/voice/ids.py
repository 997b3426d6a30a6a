"""Opaque ids of a call (HMAC with the configured secret): the conversation and the
rate-limit key. The number itself is never stored.

The conversation is keyed by the CallSid, never by the calling number: a caller id can be
spoofed, so an identification made in one call must not be shared by another call that
presents the same number, during it or after it. The number is only the rate-limit key, so
that many calls from one number share one budget of identification attempts; a withheld
number (Twilio's "Anonymous", "+266696687" and the like, or anything not E.164) is no
number at all and gets a key of its own call (never one bucket for every anonymous caller).
"""

from __future__ import annotations

import hashlib
import hmac
import re

from connectors.twilio.phones import normalise_phone

CONVERSATION_PREFIX = "voice-"
_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
# Twilio's stand-ins for a withheld caller id: the words, and the words spelt on a keypad
# (ANONYMOUS, RESTRICTED, BLOCKED, UNAVAILABLE, UNKNOWN, PRIVATE).
WITHHELD = frozenset({
    "anonymous", "restricted", "blocked", "unavailable", "unknown", "private",
    "+266696687", "+7378742833", "+2562533", "+86282452253", "+8656696", "+7748283",
})


def presented_number(caller: str) -> str | None:
    """The caller's E.164 number, or None when it is withheld or not a number."""
    phone = normalise_phone(caller)
    if phone.lower() in WITHHELD or not _E164.match(phone):
        return None
    return phone


class CallerIds:
    """Opaque ids of a call (HMAC with the configured secret)."""

    def __init__(self, secret: str) -> None:
        self._key = secret.encode("utf-8")

    def _digest(self, label: str, value: str) -> str:
        return hmac.new(self._key, f"{label}:{value}".encode(), hashlib.sha256).hexdigest()

    def conversation(self, call_sid: str) -> str:
        """One conversation per call: whatever the caller id says."""
        return CONVERSATION_PREFIX + self._digest("call", call_sid)[:32]

    def caller_hash(self, caller: str, call_sid: str) -> str:
        """The rate-limit key: the presented number, or this call alone when withheld."""
        phone = presented_number(caller)
        if phone is None:
            return self._digest("rate-call", call_sid)[:32]
        return self._digest("rate", phone)[:32]
