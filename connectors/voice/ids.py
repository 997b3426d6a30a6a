"""Opaque ids from the caller's number: the conversation and the rate-limit key (HMAC with
the configured secret); the number itself is never stored."""

from __future__ import annotations

import hashlib
import hmac

from connectors.twilio.phones import normalise_phone

CONVERSATION_PREFIX = "voice-"


class CallerIds:
    """Opaque ids from the caller's number (HMAC with the configured secret)."""

    def __init__(self, secret: str) -> None:
        self._key = secret.encode("utf-8")

    def _digest(self, label: str, value: str) -> str:
        return hmac.new(self._key, f"{label}:{value}".encode(), hashlib.sha256).hexdigest()

    def conversation(self, caller: str, call_sid: str) -> str:
        phone = normalise_phone(caller)
        # A withheld number gets a conversation of its own call only.
        source = ("caller", phone) if phone.startswith("+") else ("call", call_sid)
        return CONVERSATION_PREFIX + self._digest(*source)[:32]

    def caller_hash(self, caller: str) -> str:
        return self._digest("rate", normalise_phone(caller))[:32]
