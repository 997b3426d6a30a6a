"""Voice-only rules: amounts read as one number, holidays close the support line."""

import datetime as dt

import pytest

from bot.rendering import ChannelKind, render_for_channel, spoken_amounts
from bot.support import SupportConfigError, load_support_line, parse_holidays


def test_amounts_are_read_as_one_number_in_kronor() -> None:
    same = lambda text: text  # noqa: E731
    assert spoken_amounts("Du får 12 345 kr den 25 december.", same) == \
        "Du får 12345 kronor den 25 december."
    assert spoken_amounts("1 234,50 kr och 500 kr.", same) == "1234,50 kronor och 500 kronor"
    assert spoken_amounts("You get SEK12,345 and SEK 1,234.50.", same) == \
        "You get 12345 kronor and 1234.50 kronor."
    assert spoken_amounts("Ring 0771-524 524.", same) == "Ring 0771-524 524."


def test_voice_rendering_has_spoken_amounts_and_a_keypad_menu() -> None:
    message = {"text": "**Nästa:** 12 345 kr, se [Mina sidor](https://www.fk.se/x) 😀",
               "buttons": [{"title": "Ja", "payload": "/affirm"}]}
    out = render_for_channel(message, ChannelKind.VOICE, lambda text: text)
    assert out["text"] == "Nästa: 12345 kronor, se Mina sidor Tryck 1 för Ja."


def test_holidays_close_the_line_all_day() -> None:
    line = load_support_line({"SUPPORT_HOURS": "mon-sun 08:00-16:00",
                              "SUPPORT_HOLIDAYS": "2026-12-24,2026-12-25"})
    assert not line.is_open(dt.datetime(2026, 12, 24, 10))
    assert line.is_open(dt.datetime(2026, 12, 23, 10))
    assert parse_holidays([dt.date(2026, 1, 6)]) == frozenset({dt.date(2026, 1, 6)})
    assert load_support_line({}).holidays == frozenset()
    with pytest.raises(SupportConfigError, match="holiday"):
        parse_holidays("24 december")
