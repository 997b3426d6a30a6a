"""The questions of Försäkringskassan's page "Om Mina sidor", asked word for word on REST, SMS
and the phone, in Swedish and English, get the page's answer with all its facts.

The facts are written here by hand from docs/sources/om-mina-sidor.txt, not taken from the
domain, the catalog or the source map: a lost or changed fact fails here on its own. The
assistant runs with SUPPORT_HOURS unset (the test environment sets none), so no answer may
state opening hours.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

import pytest

from .conftest import Assistant
from .sms_harness import SmsClient, new_phone
from .voice_harness import Call

pytestmark = pytest.mark.e2e

# Anything that looks like a stated opening time or opening hours.
# ("ditt ärende är öppet" / "your case is open" are facts of the page, not hours.)
HOURS = re.compile(r"\b\d{1,2}[:.]\d{2}\b|har öppet|is open (?:on )?\w+day|\b[AP]M\b",
                   re.IGNORECASE)


@dataclass(frozen=True)
class PageQuestion:
    name: str
    sv: str
    en: str
    # Facts every channel says (SMS and voice are shorter; these are the page's key facts).
    facts_sv: tuple[str, ...]
    facts_en: tuple[str, ...]
    # Further facts of the page the web answer also gives.
    web_sv: tuple[str, ...] = ()
    web_en: tuple[str, ...] = ()


QUESTIONS = [
    PageQuestion(
        "overview", "Vad kan jag göra på Mina sidor?", "What can I do on Mina sidor?",
        ("ansöka och anmäla om de flesta ersättningar", "vad som hänt i ditt ärende",
         "när pengarna kommer och hur mycket du får", "preliminära framtida utbetalningar",
         "ändra dina uppgifter", "sms eller mejl", "post digitalt", "förmånsintyg",
         "rabatter från vissa företag",
         "sjukersättning, aktivitetsersättning eller handikappersättning"),
        ("apply and report for most benefits", "what has happened in your case",
         "when the money comes and how much you get", "preliminary future payments",
         "change your details", "SMS or e-mail", "mail digitally", "benefit certificate",
         "discounts from some companies"),
        ("dina personliga sidor", "sjukpenning, bostadsbidrag, aktivitetsstöd och "
         "föräldrapenning", "läkarintyg", "beslut", "konto", "ny inkomst", "komplettera",
         "pappersutskick", "de flesta brev"),
        ("your personal pages", "sjukpenning", "medical certificate", "decision", "account",
         "new income", "most letters", "sjukersättning", "aktivitetsersättning",
         "handikappersättning")),
    PageQuestion(
        "help", "Kan jag få hjälp att använda Mina sidor?", "Can I get help using Mina sidor?",
        ("kundcenter", "0771-524 524", "om du behöver hjälp att komma igång med e-tjänsterna"),
        ("customer centre", "0771-524 524", "if you need help getting started with the "
         "e-services")),
    PageQuestion(
        "protected", "Jag har skyddade personuppgifter. Kan jag använda Mina sidor?",
        "I have protected personal data. Can I use Mina sidor?",
        ("du eller ditt barn", "logga in på Mina sidor",
         "se utbetalningar och händelser i dina ärenden", "ett antal av våra e-tjänster"),
        ("you or your child", "log in to Mina sidor", "see payments and events in your cases",
         "a number of our e-services")),
    PageQuestion(
        "attachments", "Jag vill skicka in bilagor till er digitalt. Kan jag göra det?",
        "I want to send attachments to you digitally. Can I do that?",
        ("bara i de e-tjänster som har den funktionen", "Ansök om bostadsbidrag",
         "direkt i e-tjänsten", "i efterhand", "så länge ditt ärende är öppet",
         "Lägg till bilagor till din ansökan", "under Ärenden"),
        ("only in the e-services that have that function", "Ansök om bostadsbidrag",
         "directly in the e-service", "afterwards", "as long as your case is open",
         "Lägg till bilagor till din ansökan", "Ärenden")),
    PageQuestion(
        "representative",
        "Jag är ställföreträdare för en annan person. Kan jag använda Mina sidor?",
        "I am a legal representative for another person. Can I use Mina sidor?",
        ("avgränsad del", "kopia på ditt förordnande registrerad hos oss sedan tidigare",
         "ställföreträdare i rullistan", "personnummer", "bank-id",
         "ansöka om vissa ersättningar digitalt", "kvittens",
         "inte följa ärendet för din huvudman", "underlag inför årsredovisningen"),
        ("limited part", "copy of your appointment", "registered with us beforehand",
         "drop-down list", "personal identity number", "BankID", "some benefits digitally",
         "receipt", "cannot follow your principal's case", "basis for the annual report"),
        ("utformad utifrån ditt uppdrag",), ("designed for your assignment",)),
]
IDS = [q.name for q in QUESTIONS]


def assert_facts(answer: str, facts: tuple[str, ...]) -> None:
    missing = [fact for fact in facts if fact.casefold() not in answer.casefold()]
    assert not missing, f"missing {missing} in {answer!r}"
    assert not HOURS.search(answer), f"opening hours stated while unset: {answer!r}"


def sender() -> str:
    return f"e2e-page-{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="module")
def sms(assistant: Assistant) -> SmsClient:
    assert assistant.sms is not None
    return SmsClient(assistant.base_url, assistant.sms)


@pytest.mark.parametrize("question", QUESTIONS, ids=IDS)
def test_rest_swedish(assistant: Assistant, question: PageQuestion) -> None:
    answer = " ".join(assistant.texts(sender(), question.sv))
    assert_facts(answer, question.facts_sv + question.web_sv)


@pytest.mark.parametrize("question", QUESTIONS, ids=IDS)
def test_rest_english(assistant: Assistant, question: PageQuestion) -> None:
    answer = " ".join(assistant.texts(sender(), question.en))
    assert_facts(answer, question.facts_en + question.web_en)


@pytest.mark.parametrize("question", QUESTIONS, ids=IDS)
def test_sms_swedish_and_english(sms: SmsClient, question: PageQuestion) -> None:
    for text, facts in ((question.sv, question.facts_sv), (question.en, question.facts_en)):
        replies = sms.say(new_phone(), text)
        assert len(replies) == 1, replies
        # Not cut for length (a cut answer ends with the "read more" line instead).
        assert "Läs mer på" not in replies[0] and "Read more at" not in replies[0], replies[0]
        assert_facts(replies[0], facts)


@pytest.mark.parametrize("question", QUESTIONS, ids=IDS)
def test_phone_swedish(assistant: Assistant, question: PageQuestion) -> None:
    assert assistant.voice is not None
    call = Call(assistant.base_url, assistant.voice)
    call.start()
    answer = call.say(question.sv)
    assert_facts(" ".join(answer.says), question.facts_sv)
    assert call.hang_up() == 204


@pytest.mark.parametrize("question", QUESTIONS, ids=IDS)
def test_phone_english(assistant: Assistant, question: PageQuestion) -> None:
    assert assistant.voice is not None
    call = Call(assistant.base_url, assistant.voice)
    call.start()
    call.press("9")
    answer = call.say(question.en)
    assert_facts(" ".join(answer.says), question.facts_en)
    assert call.hang_up() == 204


FOLLOW_UPS = [
    ("kan jag skicka läkarintyget digitalt?", ("bara i de e-tjänster som har den funktionen",
                                                "Lägg till bilagor till din ansökan")),
    ("kan jag få hjälp att komma igång?", ("0771-524 524", "komma igång med e-tjänsterna")),
    ("can I send the medical certificate digitally?",
     ("only in the e-services that have that function",)),
]


@pytest.mark.parametrize(("text", "facts"), FOLLOW_UPS, ids=lambda v: str(v)[:30])
def test_paraphrases_get_the_pages_answer(assistant: Assistant, text: str,
                                          facts: tuple[str, ...]) -> None:
    assert_facts(" ".join(assistant.texts(sender(), text)), facts)
