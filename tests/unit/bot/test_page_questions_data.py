"""The page's own questions are training examples of their FAQ intents, word for word, and the
attachments boundary has examples on both sides (docs/nlu.md, docs/answers.md)."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.shared.nlu.training_data.loading import load_data

NLU = Path("bot/data/nlu")


def examples(language: str) -> dict[str, set[str]]:
    by_intent: dict[str, set[str]] = {}
    for message in load_data(str(NLU / language)).intent_examples:
        by_intent.setdefault(str(message.get("intent")), set()).add(str(message.get("text")))
    return by_intent


PAGE_QUESTIONS = {
    "sv": {
        "faq_mina_sidor_overview": "Vad kan jag göra på Mina sidor?",
        "faq_contact": "Kan jag få hjälp att använda Mina sidor?",
        "faq_protected_identity": "Jag har skyddade personuppgifter. Kan jag använda Mina sidor?",
        "faq_attachments": "Jag vill skicka in bilagor till er digitalt. Kan jag göra det?",
        "faq_representative":
            "Jag är ställföreträdare för en annan person. Kan jag använda Mina sidor?",
    },
    "en": {
        "faq_mina_sidor_overview": "What can I do on Mina sidor?",
        "faq_contact": "Can I get help using Mina sidor?",
        "faq_protected_identity": "I have protected personal data. Can I use Mina sidor?",
        "faq_attachments": "I want to send attachments to you digitally. Can I do that?",
        "faq_representative":
            "I am a legal representative for another person. Can I use Mina sidor?",
    },
}
BOUNDARY = {
    "sv": {"faq_attachments": ["kan jag skicka läkarintyget digitalt?",
                               "kan jag lägga till bilagor i efterhand"],
           "ask_attachment_options": ["kan jag lägga till en bilaga i mitt öppna ärende nu",
                                      "mitt ärende är öppet, kan jag skicka läkarintyget dit nu"]},
    "en": {"faq_attachments": ["can I send the medical certificate digitally?",
                               "can i add attachments later"],
           "ask_attachment_options": ["can I add an attachment to my open case now"]},
}


@pytest.mark.parametrize("language", ["sv", "en"])
def test_the_pages_questions_are_examples_of_their_intents(language: str) -> None:
    data = examples(language)
    for intent, question in PAGE_QUESTIONS[language].items():
        assert question in data[intent], (intent, question)


@pytest.mark.parametrize("language", ["sv", "en"])
def test_the_attachments_boundary_has_examples_on_both_sides(language: str) -> None:
    data = examples(language)
    for intent, texts in BOUNDARY[language].items():
        for text in texts:
            assert text in data[intent], (intent, text)
