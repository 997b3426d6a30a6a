"""Opening hours of the desk: ``AGENTDESK_HOURS="mon-fri 08:00-16:00"`` (several ranges
separated by ``;``), the same format as the assistant's SUPPORT_HOURS. Unset: always open."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_RANGE = re.compile(
    r"^\s*(?P<first>[a-z]{3})(?:-(?P<last>[a-z]{3}))?\s+"
    r"(?P<open>\d{1,2}:\d{2})-(?P<close>\d{1,2}:\d{2})\s*$"
)


class HoursError(ValueError):
    """The opening hours cannot be read; the message says why."""


@dataclass(frozen=True)
class OpeningRange:
    first_day: int  # 0 = Monday
    last_day: int
    opens: dt.time
    closes: dt.time

    def is_open(self, moment: dt.datetime) -> bool:
        return (
            self.first_day <= moment.weekday() <= self.last_day
            and self.opens <= moment.time() < self.closes
        )


@dataclass(frozen=True)
class OpeningHours:
    text: str | None
    ranges: tuple[OpeningRange, ...]

    def is_open(self, moment: dt.datetime) -> bool:
        """``moment`` in the desk's local time zone. No ranges: always open (the demo)."""
        return not self.ranges or any(part.is_open(moment) for part in self.ranges)


def _time(text: str) -> dt.time:
    hour, minute = (int(part) for part in text.split(":"))
    try:
        return dt.time(hour, minute)
    except ValueError as error:
        raise HoursError(f"bad time {text!r}: {error}") from error


def parse_hours(spec: str | None) -> OpeningHours:
    if not spec or not spec.strip():
        return OpeningHours(text=None, ranges=())
    ranges = []
    for part in filter(None, (piece.strip() for piece in spec.lower().split(";"))):
        match = _RANGE.match(part)
        if not match:
            raise HoursError(f"opening hours {part!r} are not like 'mon-fri 08:00-16:00'")
        first, last = match["first"], match["last"] or match["first"]
        if first not in WEEKDAYS or last not in WEEKDAYS:
            raise HoursError(f"unknown weekday in {part!r}; use {', '.join(WEEKDAYS)}")
        opening = OpeningRange(
            WEEKDAYS.index(first),
            WEEKDAYS.index(last),
            _time(match["open"]),
            _time(match["close"]),
        )
        if opening.first_day > opening.last_day or opening.opens >= opening.closes:
            raise HoursError(f"empty opening range {part!r}")
        ranges.append(opening)
    return OpeningHours(text=spec.strip(), ranges=tuple(ranges))
