"""Voice-only rules: a spoken text and keypad menu, holidays close the support line."""

import datetime as dt

import pytest

from bot.rendering import render_for_channel
from bot.support import SupportConfigError, load_support_line, parse_holidays
from common.channels import ChannelKind


def test_voice_rendering_is_plain_speech_and_a_keypad_menu() -> None:
    # Amounts arrive spoken from the NLG ("12 345 kronor", with a no-break space): kept.
    message = {"text": "**Nästa:** 12\u00a0345 kronor, se [Mina sidor](https://www.fk.se/x) 😀",
               "buttons": [{"title": "Ja", "payload": "/affirm"}]}
    out = render_for_channel(message, ChannelKind.VOICE, lambda text: text)
    assert out["text"] == "Nästa: 12\u00a0345 kronor, se Mina sidor Tryck 1 för Ja."


def test_holidays_close_the_line_all_day() -> None:
    line = load_support_line({"SUPPORT_HOURS": "mon-sun 08:00-16:00",
                              "SUPPORT_HOLIDAYS": "2026-12-24,2026-12-25"})
    assert not line.is_open(dt.datetime(2026, 12, 24, 10))
    assert line.is_open(dt.datetime(2026, 12, 23, 10))
    assert parse_holidays([dt.date(2026, 1, 6)]) == frozenset({dt.date(2026, 1, 6)})
    assert load_support_line({}).holidays == frozenset()
    with pytest.raises(SupportConfigError, match="holiday"):
        parse_holidays("24 december")
