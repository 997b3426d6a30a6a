"""Swedish personnummer: validation, normalisation to 12 digits, and the keyed hash we store.

Accepted forms: YYYYMMDDNNNC, YYYYMMDD-NNNC, YYMMDDNNNC, YYMMDD-NNNC and YYMMDD+NNNC (the plus
marks a person aged 100 or more). Samordningsnummer (day + 60) are accepted too. The number is
checked with the Luhn algorithm over its last ten digits and must be a real, past date.
Error messages never contain the number.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import date

# [0-9], not \d: other scripts' digits are not part of a personnummer.
_FORM = re.compile(r"(?P<century>[0-9]{2})?(?P<date>[0-9]{6})(?P<sep>[-+]?)(?P<serial>[0-9]{4})")
COORDINATION_DAY_OFFSET = 60


class InvalidPersonnummer(ValueError):
    """The text is not a valid personnummer; the message says why without repeating it."""


def normalise(text: str, today: date) -> str:
    """Return the 12-digit form (YYYYMMDDNNNC) or raise InvalidPersonnummer."""
    match = _FORM.fullmatch(text.strip())
    if match is None:
        raise InvalidPersonnummer(
            "must be 10 or 12 digits, optionally with '-' or '+' before the last four"
        )
    six = match["date"]
    serial = match["serial"]
    if not _luhn_valid(six + serial):
        raise InvalidPersonnummer("the check digit does not match")
    if match["century"] is not None:
        if match["sep"] == "+":
            raise InvalidPersonnummer("'+' is only used with the 10-digit form")
        year = int(match["century"] + six[:2])
    else:
        year = _infer_year(six, plus=match["sep"] == "+", today=today)
    full = f"{year:04d}{six[2:]}{serial}"
    _check_date(full[:8], today)
    return full


def _infer_year(six: str, *, plus: bool, today: date) -> int:
    # The latest birthday on or before today whose year ends in YY ('-' or none: under 100);
    # '+' means a hundred years earlier (100 or older).
    yy, month, day = int(six[:2]), int(six[2:4]), int(six[4:6]) % COORDINATION_DAY_OFFSET
    year = today.year - (today.year - yy) % 100
    if year == today.year and (month, day) > (today.month, today.day):
        year -= 100
    return year - 100 if plus else year


def _luhn_valid(ten_digits: str) -> bool:
    total = 0
    for index, char in enumerate(ten_digits):
        product = int(char) * (2 if index % 2 == 0 else 1)
        total += product - 9 if product > 9 else product
    return total % 10 == 0


def _check_date(yyyymmdd: str, today: date) -> None:
    year, month, day = int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8])
    if day > COORDINATION_DAY_OFFSET:
        day -= COORDINATION_DAY_OFFSET
    try:
        born = date(year, month, day)
    except ValueError:
        raise InvalidPersonnummer("the date of birth is not a valid date") from None
    if born > today:
        raise InvalidPersonnummer("the date of birth is in the future")


def keyed_hash(normalised: str, key: bytes) -> str:
    """HMAC-SHA256 of the 12-digit form: lookups work, a leaked table reveals no numbers."""
    return hmac.new(key, normalised.encode("ascii"), hashlib.sha256).hexdigest()
