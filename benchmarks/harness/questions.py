"""The FAQ questions the benchmark asks, and how an answer is judged right.

Only FAQ questions: no action server and no case backend take part in a turn. Each question
names the response that must answer it and a phrase that response has in every channel's
variant (web text, the voice variant, and after SMS's GSM-7 shaping) and no other FAQ
response has; tests/bench checks that against bot/domain/faq.yml, so a changed answer text
fails there instead of silently making every turn "wrong".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


class Asked(Protocol):
    """What a timed turn asks and how it judges the answer (FAQ or personal question)."""

    @property
    def text(self) -> str: ...

    def answered_by(self, texts: Sequence[str]) -> bool: ...


@dataclass(frozen=True)
class Question:
    text: str
    response: str  # the utter_ that answers it
    phrase: str  # in every variant of that response, in no other FAQ response

    def answered_by(self, texts: Sequence[str]) -> bool:
        return self.phrase in normalise(" ".join(texts))


_SPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    return _SPACE.sub(" ", text).casefold()


QUESTIONS: tuple[Question, ...] = (
    Question("Vad kan jag göra på Mina sidor?", "utter_faq_mina_sidor_overview",
             "hur mycket du får"),
    Question("Kan jag skicka bilagor digitalt?", "utter_faq_attachments", "i efterhand"),
    Question("Var hittar jag mitt förmånsintyg?", "utter_faq_benefit_certificate",
             "du kan visa det för att få rabatter"),
    Question("Använder ni kakor?", "utter_faq_cookies", "kakor"),
    Question("Jag har skyddad identitet, kan jag använda Mina sidor?",
             "utter_faq_protected_identity", "om du eller ditt barn har skyddade"),
    Question("Kan jag få post digitalt i stället för brev?", "utter_faq_digital_mail",
             "digital brevlåda"),
    Question("Hur får jag sms när något händer i mitt ärende?", "utter_faq_notifications",
             "det kan till exempel vara att"),
    Question("Min webbläsare är gammal, fungerar sidan ändå?", "utter_faq_old_browser",
             "äldre modell"),
)


def question(number: int) -> Question:
    """The questions in a fixed cycle: conversation c's turn t asks question(c + t)."""
    return QUESTIONS[number % len(QUESTIONS)]
