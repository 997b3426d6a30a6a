"""The desk's own check for personal numbers in a text: the assistant redacts before it sends,
and the desk redacts again before it stores, so a slip on one side never reaches a page.

Deliberately broad: anything shaped like a personnummer or samordningsnummer (10 or 12 digits,
with or without a separator) and anything shaped like a phone number is replaced. A desk that
hides a harmless number now and then is better than one that shows a person's.
"""

from __future__ import annotations

import re

PNR_REDACTED = "[personnummer borttaget]"
PHONE_REDACTED = "[telefonnummer borttaget]"

# 19121212-1212, 121212-1212, 191212121212, 121212+1212, 1912 12 12 1212.
_PERSONNUMMER = re.compile(r"(?<![\d])(?:\d{2})?\d{2}\s?\d{2}\s?\d{2}\s?[-+]?\s?\d{4}(?![\d])")
# +46 70 123 45 67, 0046701234567, 070-123 45 67, 08-123 456 78 (7-12 digits after the
# prefix, with single spaces or hyphens between groups).
_PHONE = re.compile(
    r"(?<![\w+])(?:\+|00)[1-9](?:[ -]?\d){6,13}(?!\d)|(?<![\w.])0\d(?:[ -]?\d){5,10}(?!\d)"
)
# Whatever digit run is still long enough to be either, glued to letters or not.
_LONG_DIGITS = re.compile(r"\d(?:[ -]?\d){9,}")


def redact(text: str) -> str:
    text = _PERSONNUMMER.sub(PNR_REDACTED, text)
    text = _PHONE.sub(PHONE_REDACTED, text)
    return _LONG_DIGITS.sub(PNR_REDACTED, text)
