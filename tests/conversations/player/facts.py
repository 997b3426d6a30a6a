"""Facts an answer must carry, resolved from the case backend's own API and written out with
this module's hand-written Swedish and English formatting (never bot/formatting.py: a
rendering bug must not cancel itself out).

References: ``$payment.next.amount|date|benefit`` (the next payment that is not preliminary,
else the first), ``$case.<benefit>.benefit|decision_by`` (an open case) and
``$captured.<name>`` (a value an earlier turn's answer gave, e.g. an order reference).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

MONTHS_SV = ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti",
             "september", "oktober", "november", "december")
MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December")
BENEFITS = {
    "sjukpenning": ("sjukpenning", "sickness benefit"),
    "bostadsbidrag": ("bostadsbidrag", "housing allowance"),
    "foraldrapenning": ("föräldrapenning", "parental benefit"),
    "sjukersattning": ("sjukersättning", "sickness compensation"),
    "tillfallig_foraldrapenning": ("tillfällig föräldrapenning", "temporary parental benefit"),
    "aktivitetsstod": ("aktivitetsstöd", "activity support"),
}
SPACES = re.compile(r"[\s\u00a0\u202f\u2007\u2009]+")


def normalise(text: str) -> str:
    """One spelling for comparing: every kind of space is one space, case folded."""
    return SPACES.sub(" ", text).strip().casefold()


def money(kronor: float, language: str, channel: str) -> str:
    """Kronor as a reader of that language writes them ("a|b": either spelling)."""
    whole = round(kronor)
    if language == "en":
        grouped = f"{whole:,}"
        return f"{grouped} kronor" if channel == "voice" else f"SEK {grouped}"
    grouped = f"{whole:,}".replace(",", " ")
    if channel == "voice":  # spoken whole or in groups: both read out the same
        return f"{whole} kronor|{grouped} kronor"
    return f"{grouped} kr"


def date(iso: str, language: str) -> str:
    day = dt.date.fromisoformat(iso)
    if language == "en":
        return f"{MONTHS_EN[day.month - 1]} {day.day}, {day.year}"
    return f"{day.day} {MONTHS_SV[day.month - 1]} {day.year}"


def benefit(code: str, language: str) -> str:
    names = BENEFITS[code]
    return names[1] if language == "en" else names[0]


@dataclass
class PersonData:
    """What the case backend holds about one demo person, read once per run."""

    profile: dict[str, Any]
    cases: list[dict[str, Any]]
    payments: list[dict[str, Any]]

    @classmethod
    def read(cls, get: Callable[[str], Any]) -> PersonData:
        return cls(get(""), get("/cases?status=open")["items"], get("/payments")["items"])

    def next_payment(self) -> dict[str, Any]:
        payments = sorted(self.payments, key=lambda p: str(p["pay_date"]))
        if not payments:
            raise KeyError("no payments")
        return next((p for p in payments if not p["preliminary"]), payments[0])

    def case(self, code: str) -> dict[str, Any]:
        for case in self.cases:
            if case["benefit"] == code:
                return case
        raise KeyError(f"no open {code} case")


@dataclass
class FactContext:
    language: str
    channel: str
    person: PersonData | None
    captured: Mapping[str, str] = field(default_factory=dict)


def resolve(fact: str, context: FactContext) -> str:
    if not fact.startswith("$"):
        return fact
    parts = fact[1:].split(".")
    if parts[0] == "captured":
        return context.captured[parts[1]]
    person = context.person
    if person is None:
        raise KeyError(f"{fact} needs a person")
    language, channel = context.language, context.channel
    if parts[:2] == ["payment", "next"]:
        payment = person.next_payment()
        field_name = parts[2]
        if field_name == "amount":
            return money(payment["amount_ore"] / 100, language, channel)
        if field_name == "date":
            return date(payment["pay_date"], language)
        if field_name == "benefit":
            return benefit(payment["benefit"], language)
    if parts[0] == "case":
        case = person.case(parts[1])
        if parts[2] == "benefit":
            return benefit(case["benefit"], language)
        if parts[2] == "decision_by":
            return date(case["expected_decision_by"], language)
    raise KeyError(f"unknown fact reference {fact}")
