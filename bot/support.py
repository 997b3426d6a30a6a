"""The support line: its number and opening hours, from configuration.

The number lives in ``bot/support.yml`` (``SUPPORT_PHONE`` overrides it). Opening hours have
no default, because no source states them: ``SUPPORT_HOURS="mon-fri 08:00-16:00"`` (several
ranges separated by ``;``) and ``SUPPORT_HOLIDAYS="2026-12-24,2026-12-25"`` (closed all day)
come from the environment only. Unset (or empty), the hours are unknown: every text gives the
number and no hours, and :meth:`SupportLine.is_open` answers True so that a caller is always
offered the transfer (the line itself tells when it is closed). A malformed value is refused
with a :class:`SupportConfigError` that names the variable, so the assistant fails at start.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml
from babel.dates import format_time, get_day_names

from bot.i18n import N_

DEFAULT_CONFIG = Path(__file__).with_name("support.yml")
CONFIG_KEYS = frozenset({"phone"})
# Said after the number wherever the hours are known ({support_hours_sentence}); nothing when
# they are unknown, so an unchecked value is never said as if it were known.
HOURS_SENTENCE = N_("Kundcenter har öppet {hours}.")
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
    hours: tuple[OpeningHours, ...] = ()  # empty: not configured, unknown
    holidays: frozenset[dt.date] = frozenset()

    @property
    def hours_known(self) -> bool:
        return bool(self.hours)

    def describe_hours(self, locale: str) -> str | None:
        """The opening hours in the locale's words, or None when they are unknown."""
        if not self.hours:
            return None
        return ", ".join(hours.describe(locale) for hours in self.hours)

    def hours_sentence(self, locale: str, translate: Callable[[str], str]) -> str:
        """"Kundcenter har öppet ..." in the conversation's language; "" when unknown."""
        described = self.describe_hours(locale)
        return "" if described is None else translate(HOURS_SENTENCE).format(hours=described)

    def is_open(self, moment: dt.datetime) -> bool:
        """Whether a caller may be transferred now. Unknown hours: always (the citizen gets
        the line, which says itself when it is closed, rather than a guess)."""
        if not self.hours:
            return True
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
    unknown = set(defaults) - CONFIG_KEYS
    if unknown:
        raise SupportConfigError(
            f"{config_path}: unknown keys {sorted(unknown)} (hours and holidays come from "
            "SUPPORT_HOURS and SUPPORT_HOLIDAYS only)")
    phone = str(environ.get("SUPPORT_PHONE") or defaults.get("phone") or "").strip()
    if not re.fullmatch(r"\+?[0-9][0-9 \-]{4,20}", phone):
        raise SupportConfigError(f"SUPPORT_PHONE: {phone!r} is not a phone number")
    hours_spec = (environ.get("SUPPORT_HOURS") or "").strip()
    holidays_spec = (environ.get("SUPPORT_HOLIDAYS") or "").strip()
    if not hours_spec:
        if holidays_spec:
            raise SupportConfigError(
                "SUPPORT_HOLIDAYS is set but SUPPORT_HOURS is not: closed days need opening "
                "hours (e.g. SUPPORT_HOURS='mon-fri 08:00-16:00')")
        return SupportLine(phone=phone)
    try:
        hours = parse_hours(hours_spec)
        holidays = parse_holidays(holidays_spec)
    except SupportConfigError as error:
        name = "SUPPORT_HOLIDAYS" if "holiday" in str(error) else "SUPPORT_HOURS"
        raise SupportConfigError(f"{name}: {error}") from error
    return SupportLine(phone=phone, hours=hours, holidays=holidays)
