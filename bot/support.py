"""The support line: its number and opening hours, from configuration.

Defaults live in ``bot/support.yml``; ``SUPPORT_PHONE`` and ``SUPPORT_HOURS`` override them
(``SUPPORT_HOURS="mon-fri 08:00-16:00"``, several ranges separated by ``;``).
Holidays (closed all day) are a list of ISO dates: ``holidays:`` in the file, or
``SUPPORT_HOLIDAYS="2026-12-24,2026-12-25"``.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml
from babel.dates import format_time, get_day_names

DEFAULT_CONFIG = Path(__file__).with_name("support.yml")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_RANGE = re.compile(
    r"^\s*(?P<first>[a-z]{3})(?:-(?P<last>[a-z]{3}))?\s+"
    r"(?P<open>\d{1,2}:\d{2})-(?P<close>\d{1,2}:\d{2})\s*$"
)


class SupportConfigError(ValueError):
    """The support line configuration cannot be used."""


@dataclass(frozen=True)
class OpeningHours:
    first_day: int  # 0 = Monday
    last_day: int
    opens: dt.time
    closes: dt.time

    def describe(self, locale: str) -> str:
        names = get_day_names("wide", locale=locale)
        days = names[self.first_day]
        if self.last_day != self.first_day:
            days = f"{days}-{names[self.last_day]}"
        opens = format_time(self.opens, format="short", locale=locale)
        closes = format_time(self.closes, format="short", locale=locale)
        return f"{days} {opens}-{closes}".replace("\u202f", " ").replace("\u00a0", " ")

    def is_open(self, moment: dt.datetime) -> bool:
        return (self.first_day <= moment.weekday() <= self.last_day
                and self.opens <= moment.time() < self.closes)


@dataclass(frozen=True)
class SupportLine:
    phone: str
    hours: tuple[OpeningHours, ...]
    holidays: frozenset[dt.date] = frozenset()

    def describe_hours(self, locale: str) -> str:
        return ", ".join(hours.describe(locale) for hours in self.hours)

    def is_open(self, moment: dt.datetime) -> bool:
        if moment.date() in self.holidays:
            return False
        return any(hours.is_open(moment) for hours in self.hours)


def _parse_time(text: str) -> dt.time:
    hour, minute = (int(part) for part in text.split(":"))
    try:
        return dt.time(hour, minute)
    except ValueError as error:
        raise SupportConfigError(f"bad time {text!r}: {error}") from error


def parse_hours(spec: str) -> tuple[OpeningHours, ...]:
    ranges = []
    for part in filter(None, (p.strip() for p in spec.lower().split(";"))):
        match = _RANGE.match(part)
        if not match:
            raise SupportConfigError(
                f"opening hours {part!r} are not like 'mon-fri 08:00-16:00'")
        first, last = match["first"], match["last"] or match["first"]
        if first not in WEEKDAYS or last not in WEEKDAYS:
            raise SupportConfigError(f"unknown weekday in {part!r}; use {', '.join(WEEKDAYS)}")
        opening = OpeningHours(WEEKDAYS.index(first), WEEKDAYS.index(last),
                               _parse_time(match["open"]), _parse_time(match["close"]))
        if opening.first_day > opening.last_day or opening.opens >= opening.closes:
            raise SupportConfigError(f"empty opening range {part!r}")
        ranges.append(opening)
    if not ranges:
        raise SupportConfigError("no opening hours configured")
    return tuple(ranges)


def parse_holidays(spec: object) -> frozenset[dt.date]:
    """ISO dates, as a YAML list or a text separated by commas or spaces."""
    if spec is None or spec == "":
        return frozenset()
    items = spec if isinstance(spec, list) else re.split(r"[,\s]+", str(spec).strip())
    days = set()
    for item in items:
        if isinstance(item, dt.date):
            days.add(item)
            continue
        try:
            days.add(dt.date.fromisoformat(str(item).strip()))
        except ValueError as error:
            raise SupportConfigError(f"holiday {item!r} is not a date like 2026-12-24") \
                from error
    return frozenset(days)


def load_support_line(
    environ: Mapping[str, str] | None = None, config_path: Path = DEFAULT_CONFIG
) -> SupportLine:
    environ = os.environ if environ is None else environ
    defaults = yaml.safe_load(config_path.read_text(encoding="utf-8")) or {}
    phone = str(environ.get("SUPPORT_PHONE") or defaults.get("phone") or "").strip()
    if not re.fullmatch(r"\+?[0-9][0-9 \-]{4,20}", phone):
        raise SupportConfigError(f"support phone {phone!r} is not a phone number")
    hours = environ.get("SUPPORT_HOURS") or str(defaults.get("hours") or "")
    holidays = environ.get("SUPPORT_HOLIDAYS") or defaults.get("holidays")
    return SupportLine(phone=phone, hours=parse_hours(hours), holidays=parse_holidays(holidays))
