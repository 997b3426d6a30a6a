"""Swedish personal identity numbers: recognise, validate and redact them.

Accepts 12 or 10 digits, with or without the hyphen, and "+" for people aged 100 or more
(10-digit form). Validates the Luhn check digit and the date; samordningsnummer (day + 60)
are valid too. Channels call ``redact`` on every message before Rasa sees it, so a
personnummer never reaches the tracker store or the logs: it is replaced by ``PNR_REDACTED``,
the token the NLU is trained on.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

REDACTED = "PNR_REDACTED"

# Candidates: 6 or 8 date digits, an optional separator, 4 digits; not inside a longer number.
_CANDIDATE = re.compile(r"(?<![\d])(\d{8}|\d{6})\s?([-+])?\s?(\d{4})(?![\d])")
COORDINATION_OFFSET = 60


@dataclass(frozen=True)
class PersonalNumber:
    """A validated number in the 12-digit form, 'YYYYMMDDNNNC'."""

    digits: str
    coordination: bool

    def __str__(self) -> str:  # never logged, but keep its form plain if printed by mistake
        return f"{self.digits[:8]}-{self.digits[8:]}"

    @property
    def birth_date(self) -> dt.date:
        day = int(self.digits[6:8]) - (COORDINATION_OFFSET if self.coordination else 0)
        return dt.date(int(self.digits[:4]), int(self.digits[4:6]), day)


def luhn_valid(ten_digits: str) -> bool:
    total = 0
    for index, char in enumerate(ten_digits):
        value = int(char) * (2 if index % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def _date_of(yyyymmdd: str) -> tuple[dt.date, bool] | None:
    year, month, day = int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8])
    coordination = day > COORDINATION_OFFSET
    try:
        return dt.date(year, month, day - COORDINATION_OFFSET if coordination else day), \
            coordination
    except ValueError:
        return None


def _full_year(yymmdd: str, plus: bool, today: dt.date) -> str:
    """The century a 10-digit number means: the latest one not in the future; '+' adds 100."""
    year = 2000 + int(yymmdd[:2])
    if year > today.year or (year == today.year and yymmdd[2:] > today.strftime("%m%d")):
        year -= 100
    if plus:
        year -= 100
    return f"{year:04d}{yymmdd[2:]}"


def parse(text: str, today: dt.date | None = None) -> PersonalNumber | None:
    """A valid personnummer or samordningsnummer written alone (spaces allowed), else None."""
    match = _CANDIDATE.fullmatch(text.strip())
    return _validate(match, today or dt.date.today()) if match else None


def _validate(match: re.Match[str], today: dt.date) -> PersonalNumber | None:
    date_part, separator, tail = match.group(1), match.group(2), match.group(3)
    if len(date_part) == 8:
        if separator == "+":
            return None  # '+' belongs to the 10-digit form only
        full = date_part
    else:
        full = _full_year(date_part, separator == "+", today)
    parsed = _date_of(full)
    if parsed is None or not luhn_valid(full[2:] + tail):
        return None
    birth, coordination = parsed
    if birth > today:
        return None
    return PersonalNumber(full + tail, coordination)


@dataclass(frozen=True)
class Redaction:
    text: str
    valid: list[PersonalNumber] = field(default_factory=list)
    invalid_count: int = 0

    @property
    def found(self) -> bool:
        return bool(self.valid) or self.invalid_count > 0


def redact(text: str, today: dt.date | None = None) -> Redaction:
    """Replaces every number shaped like a personnummer, valid or not: a mistyped number is
    personal data too, and so is a 10-digit phone number caught on the way (0808080808 is
    both a phone number and a 10-digit personnummer). Returns the valid ones."""
    day = today or dt.date.today()
    valid: list[PersonalNumber] = []
    invalid = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal invalid
        number = _validate(match, day)
        if number is not None:
            valid.append(number)
        else:
            invalid += 1
        return REDACTED

    return Redaction(_CANDIDATE.sub(replace, text), valid, invalid)
