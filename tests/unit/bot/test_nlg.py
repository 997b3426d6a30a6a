import asyncio
from pathlib import Path
from typing import Any

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot.nlg import LocalizedNLG

DOMAIN = Domain.from_dict({
    "responses": {
        "utter_payment": [
            {"text": "Nästa utbetalning: {amount:money} den {date:date}."},
            {"text": "Du får {amount:money} den {date:date}. Läs på [Mina sidor](https://fk.se/x).",
             "channel": "voice"},
        ],
        "utter_contact": [{"text": "Ring {support_phone}. {support_hours_sentence}",
                           "buttons": [{"title": "Ring mig", "payload": "/human_handoff"}]}],
        "utter_link": [{"text": "Se [Mina sidor](https://www.forsakringskassan.se/mina-sidor)."}],
    }
})


@pytest.fixture
def locales(tmp_path: Path) -> Path:
    catalog = Catalog(locale="en")
    catalog.add("Nästa utbetalning: {amount:money} den {date:date}.",
                "Next payment: {amount:money} on {date:date}.", context="utter_payment")
    catalog.add("Ring {support_phone}. {support_hours_sentence}",
                "Call {support_phone}. {support_hours_sentence}", context="utter_contact")
    catalog.add("Kundcenter har öppet {hours}.", "The customer centre is open {hours}.")
    catalog.add("Ring mig", "Call me", context="utter_contact")
    catalog.add("Svara {number} för {title}.", "Reply {number} for {title}.")
    target = tmp_path / "en" / "LC_MESSAGES"
    target.mkdir(parents=True)
    with (target / "messages.mo").open("wb") as handle:
        write_mo(handle, catalog)
    return tmp_path


@pytest.fixture
def nlg(locales: Path, monkeypatch: pytest.MonkeyPatch) -> LocalizedNLG:
    monkeypatch.setenv("SUPPORT_PHONE", "0771-524 524")
    monkeypatch.setenv("SUPPORT_HOURS", "mon-fri 08:00-16:00")
    config = EndpointConfig(type="bot.nlg.LocalizedNLG", locales_dir=str(locales),
                            default_language="sv")
    return LocalizedNLG(endpoint_config=config, domain=DOMAIN)


def tracker(*languages: str | None) -> DialogueStateTracker:
    events = [UserUttered("x", intent={"name": "faq_app", "confidence": 1.0},
                          parse_data={"intent": {"name": "faq_app"}, "entities": [],
                                      "language": {"code": code, "confidence": 0.9}})
              for code in languages]
    return DialogueStateTracker.from_events("someone", events)


def generate(nlg: LocalizedNLG, name: str, channel: str, *languages: str | None,
             **values: Any) -> dict[str, Any]:
    result = asyncio.run(nlg.generate(name, tracker(*languages), channel, **values))
    assert result is not None
    return result


def test_swedish_by_default_with_swedish_formats(nlg: LocalizedNLG) -> None:
    message = generate(nlg, "utter_payment", "rest", None, amount=12345, date="2026-12-25")
    assert message["text"] == "Nästa utbetalning: 12 345 kr den 25 december 2026."


def test_english_conversation_is_translated_and_formatted_in_english(nlg: LocalizedNLG) -> None:
    message = generate(nlg, "utter_payment", "rest", "en", None, amount=12345,
                       date="2026-12-25")
    assert message["text"] == "Next payment: SEK 12,345 on December 25, 2026."


def test_english_sms_writes_sek_before_the_amount(nlg: LocalizedNLG) -> None:
    message = generate(nlg, "utter_payment", "twilio", "en", None, amount=12345,
                       date="2026-12-25")
    assert message["text"] == "Next payment: SEK 12,345 on December 25, 2026."


def test_swedish_sms_amount_has_a_plain_space(nlg: LocalizedNLG) -> None:
    message = generate(nlg, "utter_payment", "twilio", None, amount=12345, date="2026-12-25")
    assert message["text"] == "Nästa utbetalning: 12 345 kr den 25 december 2026."
    assert "\u00a0" not in message["text"] and "\u202f" not in message["text"]


def test_voice_says_kronor_after_a_grouped_number(nlg: LocalizedNLG) -> None:
    swedish = generate(nlg, "utter_payment", "twilio_voice", None, amount=12345,
                       date="2027-01-03")
    assert swedish["text"] == "Du får 12\u00a0345 kronor den 3 januari 2027. Läs på Mina sidor."
    english = generate(nlg, "utter_payment", "twilio_voice", "en", None, amount=12345,
                       date="2027-01-03")
    # No English voice variation in the test catalog: the Swedish source, English formats.
    assert english["text"] == "Du får 12,345 kronor den January 3, 2027. Läs på Mina sidor."


def test_a_catalog_without_a_table_entry_is_refused(locales: Path) -> None:
    (locales / "fi" / "LC_MESSAGES").mkdir(parents=True)
    (locales / "fi" / "LC_MESSAGES" / "messages.mo").write_bytes(
        (locales / "en" / "LC_MESSAGES" / "messages.mo").read_bytes())
    config = EndpointConfig(type="bot.nlg.LocalizedNLG", locales_dir=str(locales))
    with pytest.raises(ValueError, match="no entry in"):
        LocalizedNLG(endpoint_config=config, domain=DOMAIN)


def test_configured_support_line_fills_every_response(nlg: LocalizedNLG) -> None:
    message = generate(nlg, "utter_contact", "rest", "en")
    assert message["text"] == \
        "Call 0771-524 524. The customer centre is open Monday-Friday 8:00 AM-4:00 PM."
    assert message["buttons"] == [{"title": "Call me", "payload": "/human_handoff"}]
    assert generate(nlg, "utter_contact", "rest", None)["text"] == \
        "Ring 0771-524 524. Kundcenter har öppet måndag-fredag 08:00-16:00."


def test_unset_hours_give_the_number_and_no_hours(
        locales: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SUPPORT_HOURS", raising=False)
    monkeypatch.delenv("SUPPORT_HOLIDAYS", raising=False)
    config = EndpointConfig(type="bot.nlg.LocalizedNLG", locales_dir=str(locales),
                            default_language="sv")
    unset = LocalizedNLG(endpoint_config=config, domain=DOMAIN)
    assert generate(unset, "utter_contact", "rest", None)["text"] == "Ring 0771-524 524."
    assert generate(unset, "utter_contact", "rest", "en")["text"] == "Call 0771-524 524."


def test_voice_gets_its_own_variation_without_links(nlg: LocalizedNLG) -> None:
    message = generate(nlg, "utter_payment", "twilio_voice", None, amount=500,
                       date="2027-01-03")
    assert message["text"] == "Du får 500 kronor den 3 januari 2027. Läs på Mina sidor."


def test_sms_numbers_translated_choices(nlg: LocalizedNLG) -> None:
    message = generate(nlg, "utter_contact", "twilio", "en")
    assert message["text"].endswith("\nReply 1 for Call me.")


def test_untranslated_text_falls_back_to_swedish_source(nlg: LocalizedNLG) -> None:
    message = generate(nlg, "utter_link", "rest", "en")
    assert message["text"] == "Se [Mina sidor](https://www.forsakringskassan.se/mina-sidor)."


def test_missing_value_never_leaks_a_placeholder(nlg: LocalizedNLG) -> None:
    message = generate(nlg, "utter_payment", "rest", None, amount=100)
    assert "{" not in message["text"]
    assert message["text"].startswith("Nästa utbetalning: 100 kr den")


def test_unknown_response_gives_none(nlg: LocalizedNLG) -> None:
    assert asyncio.run(nlg.generate("utter_nothing", tracker(), "rest")) is None


def test_default_language_must_have_a_catalog(locales: Path) -> None:
    config = EndpointConfig(type="bot.nlg.LocalizedNLG", locales_dir=str(locales),
                            default_language="fi")
    with pytest.raises(ValueError, match="default_language"):
        LocalizedNLG(endpoint_config=config, domain=DOMAIN)


def test_unformattable_value_is_left_out_not_crashed(nlg: LocalizedNLG) -> None:
    message = generate(nlg, "utter_payment", "rest", None, amount="lots", date="2026-12-25")
    assert message["text"] == "Nästa utbetalning: den 25 december 2026."
