"""Whole conversations through the real Rasa server, action server and SQLite tracker store."""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml
from babel.support import Translations

from bot.formatting import fill_placeholders
from bot.support import load_support_line

from .conftest import Assistant

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
SUPPORT = load_support_line()


def _domain_texts() -> dict[str, list[dict[str, Any]]]:
    responses: dict[str, list[dict[str, Any]]] = {}
    for path in (ROOT / "bot" / "domain").glob("*.yml"):
        responses.update((yaml.safe_load(path.read_text()) or {}).get("responses") or {})
    return responses


RESPONSES = _domain_texts()
ENGLISH = Translations.load(str(ROOT / "locales"), ["en"])


def expected(name: str, language: str) -> set[str]:
    """What the response says on the web in that language, built from the source texts."""
    locale, catalog = ("sv_SE", None) if language == "sv" else ("en", ENGLISH)
    values = {"support_phone": SUPPORT.phone, "support_hours": SUPPORT.describe_hours(locale)}
    texts = set()
    for variation in RESPONSES[name]:
        if variation.get("channel"):
            continue
        text = variation["text"]
        if catalog is not None:
            text = catalog.pgettext(name, text)
        texts.add(fill_placeholders(text, values, locale))
    return texts


def new_sender() -> str:
    return f"e2e-{uuid.uuid4().hex[:10]}"


def test_protected_identity_question_in_swedish(assistant: Assistant) -> None:
    replies = assistant.texts(new_sender(),
                              "Jag har skyddad identitet, kan jag använda Mina sidor?")
    assert replies and replies[0] in expected("utter_faq_protected_identity", "sv")


def test_attachments_question_in_english_gets_english(assistant: Assistant) -> None:
    replies = assistant.texts(new_sender(), "Can I send attachments digitally?")
    assert replies and replies[0] in expected("utter_faq_attachments", "en")


def test_weather_gets_what_the_assistant_can_help_with(assistant: Assistant) -> None:
    replies = assistant.texts(new_sender(), "Vad blir det för väder i Stockholm i helgen?")
    assert replies and replies[0] in expected("utter_out_of_scope", "sv")


def test_english_lasts_for_the_conversation(assistant: Assistant) -> None:
    sender = new_sender()
    assert assistant.texts(sender, "How do I get started with Mina sidor?")[0] in expected(
        "utter_get_started", "en")
    # "ok" says nothing about language: the conversation stays in English.
    assert assistant.texts(sender, "ok")[0] in expected("utter_how_can_i_help", "en")
    # Asking for Swedish switches, and the confirmation is already in Swedish.
    assert assistant.texts(sender, "på svenska tack")[0] in expected(
        "utter_language_switched", "sv")
    assert assistant.texts(sender, "what cookies do you use")[0] in expected(
        "utter_faq_cookies", "en")


def test_personal_question_without_identity_asks_to_log_in(assistant: Assistant) -> None:
    replies = assistant.texts(new_sender(), "när kommer mina pengar?")
    assert replies == [next(iter(expected("utter_identification_needed", "sv")))]


BAD_INPUT = [
    "",
    "a" * 10_000,
    "hjälp " * 1_700,
    "😀🙏🎉",
    "hej can you help me med min sjukpenning please",
    "مرحبا، أحتاج مساعدة في التأمين",
    "Здравствуйте, мне нужна помощь",
    "https://www.forsakringskassan.se/privatperson",
    "   \n\t  ",
    "{amount:money} {{}} %s \x00",
]


@pytest.mark.parametrize("text", BAD_INPUT, ids=lambda t: repr(t[:20]))
def test_odd_input_gets_a_sensible_answer(assistant: Assistant, text: str) -> None:
    sender = new_sender()
    replies = assistant.send(sender, text)
    assert replies, "no reply at all"
    assert all(m.get("text", "").strip() for m in replies), replies
    assert not any("{" in m.get("text", "") for m in replies), replies
    # The conversation still works afterwards.
    assert assistant.texts(sender, "vad är ett förmånsintyg?")[0] in expected(
        "utter_faq_benefit_certificate", "sv")


def test_conversations_are_kept_in_the_sqlite_tracker_store(assistant: Assistant) -> None:
    sender = new_sender()
    assistant.texts(sender, "hej")
    with sqlite3.connect(assistant.tracker_db) as db:
        rows = db.execute("select type_name from events where sender_id = ?",
                          (sender,)).fetchall()
    assert ("user",) in rows and ("bot",) in rows
