"""The language table (bot/locales.py) and the money formats it gives each channel.

Expected strings are written by hand. Separators, stated once: Swedish web and SMS amounts
group thousands with a plain space (U+0020); Swedish voice with a no-break space (U+00A0);
English with a comma everywhere. No channel uses U+202F. SMS texts are GSM-7.
"""

import pytest

from bot.formatting import fill_placeholders, format_money
from bot.i18n import format_locale
from bot.locales import LANGUAGES, language_of, menu_offers, switch_target
from bot.rendering import GSM7_BASIC, for_sms
from connectors.voice.config import VoiceSettings
from connectors.voice.twiml import speech_language


def money(value: object, code: str, kind: str) -> str:
    entry = language_of(code)
    return format_money(value, entry.babel_locale, entry.money.for_kind(kind))


@pytest.mark.parametrize(
    ("value", "code", "kind", "expected"),
    [
        (12345, "sv", "web", "12 345 kr"),
        (12345, "sv", "sms", "12 345 kr"),
        (12345, "sv", "voice", "12\u00a0345 kronor"),
        (12345.5, "sv", "web", "12 345,50 kr"),
        (1234567, "sv", "voice", "1\u00a0234\u00a0567 kronor"),
        (500, "sv", "voice", "500 kronor"),
        (12345, "en", "web", "SEK 12,345"),
        (12345, "en", "sms", "SEK 12,345"),
        (12345, "en", "voice", "12,345 kronor"),
        (1234.5, "en", "web", "SEK 1,234.50"),
        (0, "en", "sms", "SEK 0"),
    ],
)
def test_money_per_language_and_channel(value: object, code: str, kind: str,
                                        expected: str) -> None:
    assert money(value, code, kind) == expected


def test_swedish_thousands_separator_per_channel() -> None:
    web, sms, voice = (money(12345, "sv", kind) for kind in ("web", "sms", "voice"))
    assert web[2] == " " and sms[2] == " " and voice[2] == "\u00a0"
    for text in (web, sms):
        assert "\u00a0" not in text and "\u202f" not in text


def test_sms_amounts_are_gsm7_and_survive_the_sms_rules() -> None:
    for code in ("sv", "en"):
        text = fill_placeholders("{a:money} {b:money}", {"a": 12345, "b": 1234567.25},
                                 format_locale(code), money=language_of(code).money.sms)
        assert set(text) <= GSM7_BASIC
        assert for_sms(text) == text
    assert "\u00a0" not in GSM7_BASIC  # why SMS cannot have the no-break space


def test_unknown_channel_kind_gets_the_web_format() -> None:
    assert language_of("en").money.for_kind("telegram") == language_of("en").money.web


def test_one_entry_serves_formatting_speech_and_voices() -> None:
    assert [entry.code for entry in LANGUAGES] == ["sv", "en"]
    assert format_locale("sv") == "sv_SE" and format_locale("en") == "en"
    assert speech_language("sv") == "sv-SE" and speech_language("en") == "en-US"
    assert speech_language("xx") == "sv-SE"
    settings = VoiceSettings(enabled=False)
    assert settings.voice_for("sv") == "Polly.Astrid"
    assert settings.voice_for("en") == "Polly.Joanna"
    assert VoiceSettings(enabled=False, voices={"en": "Polly.Amy"}).voice_for("en") == \
        "Polly.Amy"


def test_credentials_name_a_voice_per_table_language() -> None:
    credentials = {"account_sid": "AC" + "0" * 32, "auth_token": "t",
                   "public_base_url": "https://x.example", "conversation_secret": "s" * 16,
                   "voice_en": "Polly.Amy"}
    settings = VoiceSettings.from_credentials(credentials, {})
    assert settings.voice_for("en") == "Polly.Amy"
    assert settings.voice_for("sv") == "Polly.Astrid"
    with pytest.raises(ValueError, match="voice_fi"):
        VoiceSettings.from_credentials({**credentials, "voice_fi": "Polly.X"}, {})


def test_the_language_key_goes_there_and_back() -> None:
    assert switch_target("9", "sv") == "en"
    assert switch_target("9", "en") == "sv"
    assert switch_target("8", "sv") is None
    assert menu_offers("sv") == ["9 for English"]
    assert menu_offers("en") == ["9 för svenska"]
