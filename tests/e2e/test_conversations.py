"""Whole conversations through the real Rasa server, action server and SQLite tracker store."""

from __future__ import annotations

import uuid

import pytest

from .conftest import Assistant
from .texts import expected

pytestmark = pytest.mark.e2e


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


def test_personal_question_without_identity_asks_who_it_is(assistant: Assistant) -> None:
    replies = assistant.texts(new_sender(), "när kommer mina pengar?")
    assert replies == [next(iter(expected("utter_ask_personal_number", "sv")))]


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
    rows = assistant.query("select type_name from events where sender_id = ?", (sender,))
    assert ("user",) in rows and ("bot",) in rows


def test_two_messages_in_a_row_it_cannot_help_with_offer_the_support_line(
        assistant: Assistant) -> None:
    sender = new_sender()
    first = assistant.texts(sender, "vad blir det för väder i morgon?")
    assert first and first[0] in expected("utter_out_of_scope", "sv")
    second = assistant.texts(sender, "vem vann melodifestivalen i fjol?")
    assert second == sorted(expected("utter_fallback_handoff", "sv"))[:1]
    assert "0771-524 524" in second[0]


def test_the_pages_attachment_question_gets_the_general_answer_and_an_offer(
        assistant: Assistant) -> None:
    sender = new_sender()
    replies = assistant.texts(sender,
                              "Jag vill skicka in bilagor till er digitalt. Kan jag göra det?")
    assert replies[0] in expected("utter_faq_attachments", "sv")
    assert replies[1] in expected("utter_offer_case_check", "sv")
    assert "personnummer" not in " ".join(replies)
    # Accepting the offer looks at the case, which needs to know who is asking.
    assert assistant.texts(sender, "ja") == [
        next(iter(expected("utter_ask_personal_number", "sv")))]
