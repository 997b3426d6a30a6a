"""Locale-aware formatting of the raw values that actions pass to responses.

Responses name a format in the placeholder, e.g. ``{amount:money}``, ``{date:date}``,
``{count:number}``, ``{count:plural:one=ett ärende|other=# ärenden}``, and for the case
backend's values ``{benefit:benefit}``, ``{events:events}``, ``{payments:payments}``
(``bot.case_terms``); actions pass raw values only (codes, numbers, ISO dates), never text.
"""

from __future__ import annotations

import datetime as dt
import string
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, get_group_symbol

from bot import case_terms
from bot.locales import MoneyFormat, by_babel_locale

CURRENCY = "SEK"

# Counts and dates use plain spaces where Babel puts no-break ones: GSM-7 safe for SMS and
# searchable. Money has its own separator per language and channel (bot/locales.py).
_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " "})


def _plain(text: str) -> str:
    return text.translate(_SPACES)


def _as_decimal(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise TypeError("a boolean is not an amount")
    if isinstance(value, float):
        return Decimal(str(value))
    return Decimal(value)


def format_money(value: Any, locale: str, money: MoneyFormat | None = None) -> str:
    """Kronor amount in ``money``'s format (default: the locale's web format, or Babel's
    currency format for a locale outside the table); whole kronor show no decimals."""
    amount = _as_decimal(value)
    if money is None:
        entry = by_babel_locale(locale)
        if entry is None:
            return _plain(format_currency(amount, CURRENCY, locale=locale))
        money = entry.money.web
    whole = amount == amount.to_integral_value()
    number = format_decimal(amount, format="#,##0" if whole else "#,##0.00", locale=locale)
    if money.group is not None:
        number = number.replace(get_group_symbol(locale), money.group)
    return money.template.format(amount=number)


def parse_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    raise TypeError(f"not a date: {type(value).__name__}")


def format_long_date(value: Any, locale: str) -> str:
    """'25 december 2026' in Swedish, the locale's long date elsewhere."""
    return _plain(format_date(parse_date(value), format="long", locale=locale))


def format_number(value: Any, locale: str) -> str:
    return _plain(format_decimal(_as_decimal(value), locale=locale))


def select_plural(count: Any, forms_spec: str, locale: str) -> str:
    """Picks the CLDR plural category of ``count`` from 'one=...|other=...'; '#' is the number."""
    forms: dict[str, str] = {}
    for part in forms_spec.split("|"):
        category, sep, text = part.partition("=")
        if not sep:
            raise ValueError(f"plural form without category: {part!r}")
        forms[category.strip()] = text
    category = Locale.parse(locale).plural_form(_as_decimal(count))
    chosen = forms.get(category, forms.get("other"))
    if chosen is None:
        raise ValueError(f"plural forms lack 'other': {forms_spec!r}")
    return chosen.replace("#", format_number(count, locale))


_FORMATTERS: dict[str, Callable[[Any, str], str]] = {
    "date": format_long_date,
    "number": format_number,
}


class MissingValueError(KeyError):
    """A placeholder in a response has no value."""


_MISSING = object()


def _untranslated(text: str) -> str:
    return text


class _LocaleFormatter(string.Formatter):
    def __init__(self, locale: str, lenient: bool, translate: Callable[[str], str],
                 money: MoneyFormat | None) -> None:
        self._locale = locale
        self._money = money
        self._lenient = lenient
        self._translate = translate

    def format_field(self, value: Any, format_spec: str) -> str:
        if value is _MISSING:
            return ""
        try:
            return self._format(value, format_spec)
        except (TypeError, ValueError, ArithmeticError):
            if self._lenient:
                return ""
            raise

    def _format(self, value: Any, format_spec: str) -> str:
        kind, _, rest = format_spec.partition(":")
        if kind == "plural":
            return select_plural(value, rest, self._locale)
        if kind == "money":
            return format_money(value, self._locale, self._money)
        if kind in _FORMATTERS:
            return _FORMATTERS[kind](value, self._locale)
        if kind == "benefit":
            return case_terms.benefit_name(value, self._translate)
        if kind == "events":
            return case_terms.describe_events(value, self._locale, self._translate,
                                              format_long_date)
        if kind == "payments":
            return case_terms.describe_payments(value, self._locale, self._translate,
                                                self._format_money, format_long_date)
        if kind:
            raise ValueError(f"unknown placeholder format {kind!r}")
        return str(value)

    def _format_money(self, value: Any, locale: str) -> str:
        return format_money(value, locale, self._money)

    def get_value(self, key: int | str, args: Any, kwargs: Mapping[str, Any]) -> Any:
        if isinstance(key, str) and key in kwargs and kwargs[key] is not None:
            return kwargs[key]
        if self._lenient:
            return _MISSING
        raise MissingValueError(key)


def fill_placeholders(text: str, values: Mapping[str, Any], locale: str,
                      lenient: bool = False,
                      translate: Callable[[str], str] = _untranslated,
                      money: MoneyFormat | None = None) -> str:
    """Fills ``{name}`` / ``{name:format}`` placeholders, formatting values for ``locale``
    and amounts in ``money`` (the channel's format, see ``format_money``).

    Strict by default (a missing or unformattable value raises); ``lenient`` leaves such
    placeholders empty, for the last line of defence in the NLG.
    """
    return _LocaleFormatter(locale, lenient, translate, money).vformat(text, (), values)


def placeholder_names(text: str) -> set[str]:
    """The placeholder names a text uses, e.g. for checking that translations keep them."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}
