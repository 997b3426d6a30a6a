import datetime as dt

import pytest

from bot.formatting import (
    MissingValueError,
    fill_placeholders,
    format_long_date,
    format_money,
    placeholder_names,
    select_plural,
)


@pytest.mark.parametrize(
    ("amount", "locale", "expected"),
    [
        (12345, "sv_SE", "12 345 kr"),
        ("12345", "sv_SE", "12 345 kr"),
        (12345.5, "sv_SE", "12 345,50 kr"),
        (0, "sv_SE", "0 kr"),
        (12345, "en", "SEK 12,345"),
        (1234567.25, "en", "SEK 1,234,567.25"),
        (12345, "de", "12.345,00 SEK"),  # outside the table: Babel's currency format
    ],
)
def test_money_is_formatted_per_locale_without_decimals_for_whole_kronor(
    amount: object, locale: str, expected: str
) -> None:
    assert format_money(amount, locale) == expected


def test_money_rejects_booleans() -> None:
    with pytest.raises(TypeError):
        format_money(True, "sv_SE")


@pytest.mark.parametrize(
    ("value", "locale", "expected"),
    [
        ("2026-12-25", "sv_SE", "25 december 2026"),
        (dt.date(2026, 12, 25), "en", "December 25, 2026"),
        (dt.datetime(2027, 1, 3, 10, 0), "sv_SE", "3 januari 2027"),
        ("2026-05-01T00:00:00Z", "sv_SE", "1 maj 2026"),
    ],
)
def test_dates_are_long_dates_in_the_locale(value: object, locale: str, expected: str) -> None:
    assert format_long_date(value, locale) == expected


@pytest.mark.parametrize(("count", "expected"), [(1, "ett ärende"), (2, "2 ärenden"),
                                                 (1000, "1 000 ärenden")])
def test_plural_form_follows_the_count(count: int, expected: str) -> None:
    assert select_plural(count, "one=ett ärende|other=# ärenden", "sv_SE") == expected


def test_fill_formats_each_placeholder_by_its_kind() -> None:
    text = "Du får {amount:money} den {date:date} för {benefit}."
    values = {"amount": 12345, "date": "2026-12-25", "benefit": "sjukpenning"}
    assert fill_placeholders(text, values, "sv_SE") == (
        "Du får 12 345 kr den 25 december 2026 för sjukpenning.")


def test_fill_raises_for_a_missing_value() -> None:
    with pytest.raises(MissingValueError):
        fill_placeholders("{amount:money}", {}, "sv_SE")


def test_unknown_format_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown placeholder format"):
        fill_placeholders("{x:shout}", {"x": 1}, "sv_SE")


def test_placeholder_names_ignore_formats() -> None:
    assert placeholder_names("{a:money} och {b} {c:plural:one=x|other=#}") == {"a", "b", "c"}
