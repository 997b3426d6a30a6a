"""A personnummer never reaches Rasa: a channel replaces it before the message is handled.

The NLU model knows the placeholder (``provide_personal_number`` is trained on
``PNR_REDACTED``). Any 10- or 12-digit run shaped like one is replaced, Luhn-valid or not:
a mistyped number is just as personal, and a phone number caught as well loses nothing.
"""

from __future__ import annotations

import re

PLACEHOLDER = "PNR_REDACTED"
_PNR = re.compile(r"(?<!\d)(?:\d{6}|\d{8})[-+ ]?\d{4}(?!\d)")


def redact_personal_numbers(text: str) -> str:
    return _PNR.sub(PLACEHOLDER, text)
