"""A personnummer never reaches Rasa: a channel replaces it before the message is handled.

The NLU model knows the placeholder (``provide_personal_number`` is trained on
``PNR_REDACTED``). Any 10- or 12-digit run shaped like one is replaced, Luhn-valid or not:
a mistyped number is just as personal, and a phone number caught as well loses nothing.
"""

from __future__ import annotations

from connectors.personal_number import REDACTED, redact

PLACEHOLDER = REDACTED


def redact_personal_numbers(text: str) -> str:
    """The text with every personnummer-shaped number replaced (one rule for all channels)."""
    return redact(text).text
