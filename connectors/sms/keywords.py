"""SMS keywords: STOPP/STOP, STARTA/START and HJÄLP/HELP, answered in the keyword's language.

A keyword is the whole message (case, spaces and a trailing "." or "!" aside): "stopp" is one,
"stoppa min ansökan" is a question for the assistant. The words are each language's entry in
``bot/locales.py``; the English opt-out and opt-in words are Twilio's defaults, so our opt-out
state agrees with what Twilio itself enforces on a number with its standard opt-out handling.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from bot.i18n import N_
from bot.locales import LANGUAGES


class KeywordKind(str, Enum):
    STOP = "stop"
    START = "start"
    HELP = "help"


@dataclass(frozen=True)
class Keyword:
    kind: KeywordKind
    word: str
    language: str


def _keywords() -> dict[str, tuple[KeywordKind, str]]:
    """Every language's keywords (bot/locales.py), each word with its kind and language."""
    found: dict[str, tuple[KeywordKind, str]] = {}
    for language in LANGUAGES:
        words = language.sms_keywords
        for kind, listed in ((KeywordKind.STOP, words.stop), (KeywordKind.START, words.start),
                             (KeywordKind.HELP, words.help)):
            for word in listed:
                if word in found:
                    raise ValueError(f"SMS keyword {word!r} is listed twice in bot/locales.py")
                found[word] = (kind, language.code)
    return found


_KEYWORDS = _keywords()

REPLIES = {
    KeywordKind.STOP: N_("Du får inga fler sms från Försäkringskassans assistent. "
                         "Svara STARTA om du vill få sms igen."),
    KeywordKind.START: N_("Välkommen tillbaka! Du får sms från oss igen. "
                          "Vad kan jag hjälpa dig med?"),
    KeywordKind.HELP: N_("Det här är Försäkringskassans digitala assistent för Mina sidor. "
                         "Skriv din fråga så svarar jag. Svara STOPP om du inte vill få fler "
                         "sms. Kundcenter: {support_phone}."),
}

_CHOICE = re.compile(r"^\s*(\d{1,2})\s*[.)]?\s*$")


def keyword_of(text: str) -> Keyword | None:
    word = text.strip().rstrip(".!").strip().casefold()
    found = _KEYWORDS.get(word)
    return Keyword(found[0], word, found[1]) if found else None


def choice_number(text: str) -> int | None:
    """The number of a numbered-choice reply ("1", " 2.", "3)"), else None."""
    match = _CHOICE.match(text)
    return int(match.group(1)) if match else None
