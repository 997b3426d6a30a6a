from typing import Any

from bot.language import conversation_language

SUPPORTED = frozenset({"sv", "en"})


def user(intent: str = "faq_app", detected: str | None = None, entity: str | None = None,
         metadata: dict[str, Any] | None = None) -> dict[str, Any]:
    entities = [{"entity": "language", "value": entity}] if entity else []
    return {"event": "user", "metadata": metadata or {},
            "parse_data": {"intent": {"name": intent}, "entities": entities,
                           "language": {"code": detected, "confidence": 0.9}}}


def lang(*events: dict[str, Any]) -> str:
    return conversation_language(events, "sv", SUPPORTED)


def test_default_without_any_signal() -> None:
    assert lang() == "sv"
    assert lang(user(detected=None)) == "sv"


def test_an_english_first_message_gets_english_and_it_lasts() -> None:
    assert lang(user(detected="en"), user(detected=None), {"event": "bot"}) == "en"


def test_switch_language_entity_wins_over_the_words_it_is_written_in() -> None:
    assert lang(user(detected="en"),
                user(intent="switch_language", detected="en", entity="sv")) == "sv"


def test_switch_language_without_entity_follows_the_message() -> None:
    assert lang(user(detected="sv"), user(intent="switch_language", detected="en")) == "en"


def test_channel_choice_applies_when_it_changes_only() -> None:
    page_sv = {"language": "sv"}
    # The page says Swedish on every message; the user writing English switches, and
    # the unchanged page language on the next message does not switch back.
    assert lang(user(metadata=page_sv), user(detected="en", metadata=page_sv),
                user(metadata=page_sv)) == "en"
    # A new choice in the channel (the widget's language switch, the IVR menu) applies.
    assert lang(user(metadata=page_sv), user(metadata={"language": "en"})) == "en"


def test_unsupported_languages_are_ignored() -> None:
    assert lang(user(detected="de"), user(intent="switch_language", entity="fr"),
                user(metadata={"language": "ar"})) == "sv"
