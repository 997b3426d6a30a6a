"""Words for what the case backend returns: benefit names, case events, payment lists.

The Swedish phrases are the source texts (extracted by Babel from this file); placeholders
``{benefit:benefit}``, ``{events:events}`` and ``{payments:payments}`` in responses use them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from babel.lists import format_list

from bot.i18n import N_

Translate = Callable[[str], str]

BENEFIT_NAMES = {
    "sjukpenning": N_("sjukpenning"),
    "bostadsbidrag": N_("bostadsbidrag"),
    "aktivitetsstod": N_("aktivitetsstöd"),
    "foraldrapenning": N_("föräldrapenning"),
    "tillfallig_foraldrapenning": N_("tillfällig föräldrapenning"),
    "sjukersattning": N_("sjukersättning"),
    "aktivitetsersattning": N_("aktivitetsersättning"),
    "handikappersattning": N_("handikappersättning"),
    "barnbidrag": N_("barnbidrag"),
    "underhallsstod": N_("underhållsstöd"),
}

EVENT_PHRASES = {
    "application_received": N_("vi fick din ansökan {date}"),
    "medical_certificate_received": N_("vi fick ditt läkarintyg {date}"),
    "complement_requested": N_("vi bad dig komplettera {date}"),
    "complement_received": N_("vi fick din komplettering {date}"),
    "decision_made": N_("vi fattade beslut {date}"),
    "payment_scheduled": N_("en utbetalning planerades {date}"),
}

PAYMENT_PHRASE = N_("{amount} den {date}")

# How many events a status answer mentions: the latest ones say what is happening now.
MAX_EVENTS = 3


def benefit_name(code: Any, translate: Translate) -> str:
    source = BENEFIT_NAMES.get(str(code))
    return translate(source) if source else str(code)


def describe_events(events: Any, locale: str, translate: Translate,
                    format_date: Callable[[Any, str], str]) -> str:
    phrases = []
    for event in list(events or [])[:MAX_EVENTS]:
        template = EVENT_PHRASES.get(str(_field(event, "type")))
        if template:
            phrases.append(translate(template).format(
                date=format_date(_field(event, "occurred_on"), locale)))
    return format_list(phrases, locale=locale) if phrases else ""


def describe_payments(payments: Any, locale: str, translate: Translate,
                      format_money: Callable[[Any, str], str],
                      format_date: Callable[[Any, str], str]) -> str:
    phrases = [translate(PAYMENT_PHRASE).format(
        amount=format_money(_field(p, "amount"), locale),
        date=format_date(_field(p, "date"), locale)) for p in list(payments or [])]
    return format_list(phrases, locale=locale) if phrases else ""


def _field(item: Any, name: str) -> Any:
    if isinstance(item, Mapping):
        return item[name]
    raise TypeError(f"expected a mapping with {name!r}")
