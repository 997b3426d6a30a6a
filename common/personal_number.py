"""Swedish personal identity numbers: recognise, validate and redact them.

Accepts 12 or 10 digits, with or without the hyphen, and "+" for people aged 100 or more
(10-digit form). Validates the Luhn check digit and the date; samordningsnummer (day + 60)
are valid too. Channels call ``redact`` on every message before Rasa sees it, so a
personnummer never reaches the tracker store or the logs: it is replaced by ``PNR_REDACTED``,
the token the NLU is trained on. The log scrubber calls the same ``redact``.

Numbers are found as people type them, not only as forms print them: any dash (en dash,
non-breaking hyphen, minus sign, full-width hyphen), spaces of any kind or a dot between the
groups ("1912 1212 1212", "191212 12 12", "19121212.1212"), and full-width or other Unicode
decimal digits. ``normalise`` maps those characters one for one, so a match in the normalised
text is the same span of the original.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field

REDACTED = "PNR_REDACTED"
COORDINATION_OFFSET = 60

# Characters phones' keyboards and word processors put where a '-' was meant.
_DASHES = frozenset("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d\u00ad")
_DOTS = frozenset("\uff0e\u3002\u2024")
_PLUSES = frozenset("\uff0b\u207a")

# Runs of digit groups (in the normalised text); each group is a maximal digit sequence and
# groups are joined by a short separator: spaces, or one '-', '+' or '.' with spaces around.
_RUN = re.compile(r"\d+(?:(?: {0,2}[-+.] {0,2}| {1,2})\d+)*")
_GROUP = re.compile(r"\d+")
# Where the date ends and the four last digits begin, by length of the whole number.
_DATE_DIGITS = {12: 8, 10: 6}
# Lengths of an unbroken digit run taken as a mistyped personnummer.
_NEAR_MISS_DIGITS = frozenset({8, 9, 11, 13})


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


def normalise(text: str) -> str:
    """The text with every digit as an ASCII digit, every dash as '-', every space as ' ' and
    full-width dots and pluses as ASCII: one character for one, so spans stay the same."""
    out = []
    for char in text:
        if char.isascii():
            out.append(char)
        elif char.isdecimal():
            out.append(str(unicodedata.decimal(char)))
        elif char in _DASHES:
            out.append("-")
        elif char.isspace() or unicodedata.category(char) == "Zs":
            out.append(" ")
        elif char in _DOTS:
            out.append(".")
        elif char in _PLUSES:
            out.append("+")
        else:
            out.append(char)
    return "".join(out)


@dataclass(frozen=True)
class _Candidate:
    start: int
    end: int
    digits: str
    plus: bool  # '+' between date and the last four digits (aged 100 or more)


def _candidates(normalised: str) -> Iterator[_Candidate]:
    """Spans shaped like a personnummer: 12 or 10 digits in whole groups, any separator
    between groups, and a group boundary where the date ends if there is any separator.
    '0771-524 524' has none there, so the support line is not mistaken for one."""
    for run in _RUN.finditer(normalised):
        groups = [(g.start() + run.start(), g.end() + run.start(), g.group())
                  for g in _GROUP.finditer(run.group())]
        international = run.start() > 0 and normalised[run.start() - 1] == "+"  # +46...
        if len(groups) == 1 and len(groups[0][2]) in _NEAR_MISS_DIGITS and not international:
            # A number one or two digits off, or a birth date alone ("19400404"): an attempt
            # at a personnummer, personal data too, and answered as an invalid number.
            start, end, digits = groups[0]
            yield _Candidate(start, end, digits, False)
            continue
        index = 0
        while index < len(groups):
            found = _window_at(normalised, groups, index)
            if found is None:
                index += 1
                continue
            candidate, index = found
            yield candidate


def _window_at(text: str, groups: list[tuple[int, int, str]],
               first: int) -> tuple[_Candidate, int] | None:
    """The longest personnummer-shaped window of whole groups starting at ``first``, and the
    index of the group after it."""
    for length in (12, 10):
        count, last, joins = 0, first, []
        while last < len(groups) and count < length:
            if last > first:
                joins.append(count)
            count += len(groups[last][2])
            last += 1
        if count != length or (joins and _DATE_DIGITS[length] not in joins):
            continue
        window = groups[first:last]
        separators = text[window[0][1]:window[-1][0]]
        digits = "".join(group[2] for group in window)
        return _Candidate(window[0][0], window[-1][1], digits, "+" in separators), last
    return None


def parse(text: str, today: dt.date | None = None) -> PersonalNumber | None:
    """A valid personnummer or samordningsnummer written alone (spaces allowed), else None."""
    normalised = normalise(text)
    stripped = normalised.strip()
    offset = len(normalised) - len(normalised.lstrip())
    for candidate in _candidates(normalised):
        if candidate.start == offset and candidate.end == offset + len(stripped):
            return _validate(candidate, today or dt.date.today())
    return None


def _validate(candidate: _Candidate, today: dt.date) -> PersonalNumber | None:
    if len(candidate.digits) not in _DATE_DIGITS:
        return None
    date_part = candidate.digits[:_DATE_DIGITS[len(candidate.digits)]]
    tail = candidate.digits[len(date_part):]
    separator = "+" if candidate.plus else None
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
    parts, last = [], 0
    for candidate in _candidates(normalise(text)):
        number = _validate(candidate, day)
        if number is not None:
            valid.append(number)
        else:
            invalid += 1
        parts += [text[last:candidate.start], REDACTED]
        last = candidate.end
    parts.append(text[last:])
    return Redaction("".join(parts), valid, invalid)


def holds_valid_number(digits: str, today: dt.date | None = None) -> bool:
    """Whether any 12 or 10 consecutive digits of an unbroken digit run are a valid
    personnummer: how the log scrubber looks inside a generated id, where a number glued to
    hex letters would otherwise pass as part of the id."""
    day = today or dt.date.today()
    return any(_validate(_Candidate(0, length, digits[start:start + length], False), day)
               is not None
               for length in _DATE_DIGITS for start in range(len(digits) - length + 1))
