"""The languages the assistant speaks, one entry each: the single table that formatting, the
NLG and the phone channel read (docs/languages.md).

No Rasa, Sanic or Babel imports: the Rasa process, its channels and the action server all
import it. Adding a language is its catalog (``locales/<code>/``), its NLU data and one entry
in ``LANGUAGES``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MoneyFormat:
    """How an amount of kronor is written: ``template`` places the number, ``group`` separates
    thousands (``None``: the Babel locale's own symbol)."""

    template: str
    group: str | None = None


@dataclass(frozen=True)
class Money:
    """The money format per channel kind (``bot.rendering.ChannelKind`` values)."""

    web: MoneyFormat
    sms: MoneyFormat
    voice: MoneyFormat

    def for_kind(self, kind: str) -> MoneyFormat:
        return {"web": self.web, "sms": self.sms, "voice": self.voice}.get(kind, self.web)


@dataclass(frozen=True)
class SmsKeywords:
    """Whole-message SMS keywords that opt out, opt back in or ask for help; the reply is in
    the keyword's language (connectors/sms/keywords.py)."""

    stop: tuple[str, ...]
    start: tuple[str, ...]
    help: tuple[str, ...]


@dataclass(frozen=True)
class Language:
    code: str              # the conversation language: catalog directory, NLU metadata
    babel_locale: str      # numbers, dates and times
    speech: str            # Twilio's <Gather> (recognition) and <Say> language
    twilio_voice: str      # the <Say> voice; credentials.yml's voice_<code> overrides it
    # Keypad key that switches a call to this language; in the language itself the same key
    # returns to the source language. The source language has none.
    switch_key: str | None
    # How the phone menu offers the language, in the language itself ("for English").
    menu_offer: str
    money: Money
    sms_keywords: SmsKeywords


# Swedish groups thousands with a space. Web and SMS use a plain one: SMS must stay GSM-7
# (U+00A0 is not in it) and the same text reads, searches and copies alike on every screen.
# The phone gets the no-break space (CLDR's Swedish group symbol) so that "12 345" is one
# number to the speech engine, not "12" and "345".
SWEDISH = Language(
    code="sv", babel_locale="sv_SE", speech="sv-SE", twilio_voice="Polly.Astrid",
    switch_key=None, menu_offer="för svenska",
    money=Money(web=MoneyFormat("{amount} kr", group=" "),
                sms=MoneyFormat("{amount} kr", group=" "),
                voice=MoneyFormat("{amount} kronor", group="\u00a0")),
    sms_keywords=SmsKeywords(stop=("stopp", "stoppa"), start=("starta",),
                             help=("hjälp", "hjalp")),
)
# English writes the currency code before the amount with a space ("SEK 12,345") and says
# "12,345 kronor" on the phone.
ENGLISH = Language(
    code="en", babel_locale="en", speech="en-US", twilio_voice="Polly.Joanna",
    switch_key="9", menu_offer="for English",
    money=Money(web=MoneyFormat("SEK {amount}"), sms=MoneyFormat("SEK {amount}"),
                voice=MoneyFormat("{amount} kronor")),
    # Twilio's default opt-out and opt-in words: our state agrees with what Twilio enforces.
    sms_keywords=SmsKeywords(stop=("stop", "stopall", "unsubscribe", "cancel", "end", "quit"),
                             start=("start", "unstop"), help=("help", "info")),
)

SOURCE = SWEDISH
LANGUAGES: tuple[Language, ...] = (SWEDISH, ENGLISH)
_BY_CODE = {language.code: language for language in LANGUAGES}


def language_of(code: str) -> Language:
    """The table entry for a conversation language; the source language for an unknown one."""
    return _BY_CODE.get(code, SOURCE)


def by_babel_locale(locale: str) -> Language | None:
    return next((entry for entry in LANGUAGES if entry.babel_locale == locale), None)


def switch_target(key: str, current: str) -> str | None:
    """The language a keypad key switches a call in ``current`` to, or None for no switch."""
    entry = next((e for e in LANGUAGES if e.switch_key is not None and e.switch_key == key),
                 None)
    if entry is None:
        return None
    return SOURCE.code if entry.code == current else entry.code


def menu_offers(current: str) -> list[str]:
    """The phone menu's language choices: the other languages from the source language,
    the way back to it from any other ("9 för svenska")."""
    here = language_of(current)
    if here is SOURCE:
        return [f"{entry.switch_key} {entry.menu_offer}" for entry in LANGUAGES
                if entry.switch_key is not None]
    return [f"{here.switch_key} {SOURCE.menu_offer}"]
