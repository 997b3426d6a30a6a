"""TwiML for the phone channel: pure functions from a decided reply to the XML Twilio reads.

Every answer is one of: speak and listen again (``<Gather>`` with speech and keypad), speak
and hang up, speak and transfer (``<Dial>``), or "one moment" and come back (``<Redirect>``).
The ``<Say>`` goes inside the ``<Gather>`` so a caller can answer before it has finished.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from twilio.twiml.voice_response import VoiceResponse

from bot.locales import language_of

# Domain words the recogniser should expect (benefit names, Mina sidor, bilagor).
HINTS = ("Mina sidor", "bilagor", "bilaga", "BankID", "sjukpenning", "bostadsbidrag",
         "aktivitetsstöd", "föräldrapenning", "tillfällig föräldrapenning", "sjukersättning",
         "aktivitetsersättning", "handikappersättning", "barnbidrag", "underhållsstöd",
         "förmånsintyg", "ställföreträdare", "personnummer", "utbetalning", "ärende")


class Ending(str, Enum):
    GATHER = "gather"      # listen for speech or a key
    NUMBER = "number"      # listen for a personnummer typed on the keypad, ending with #
    HANGUP = "hangup"
    DIAL = "dial"
    REDIRECT = "redirect"  # the answer is not ready: come back to collect it


@dataclass(frozen=True)
class VoiceReply:
    says: tuple[str, ...]
    ending: Ending = Ending.GATHER
    dial_number: str = ""


@dataclass(frozen=True)
class TwimlOptions:
    language: str
    voice: str
    action_url: str  # where the Gather posts (or the Redirect goes)
    speech_timeout: int = 2
    gather_timeout: int = 6
    hints: tuple[str, ...] = field(default=HINTS)


def speech_language(language: str) -> str:
    """Twilio's speech language for a conversation language (bot/locales.py)."""
    return language_of(language).speech


def voice_twiml(reply: VoiceReply, options: TwimlOptions) -> str:
    response = VoiceResponse()
    language = speech_language(options.language)
    texts = [text for text in reply.says if text.strip()]
    if reply.ending in (Ending.GATHER, Ending.NUMBER):
        extra: dict[str, object] = (
            {"finish_on_key": "#", "num_digits": 13} if reply.ending is Ending.NUMBER
            else {"num_digits": 1})
        gather = response.gather(
            input="dtmf speech", language=language, action=options.action_url,
            method="POST", action_on_empty_result=True,
            speech_timeout=str(options.speech_timeout), timeout=options.gather_timeout,
            hints=",".join(options.hints), **extra)
        for text in texts:
            gather.say(text, voice=options.voice, language=language)
        return str(response)
    for text in texts:
        response.say(text, voice=options.voice, language=language)
    if reply.ending is Ending.DIAL:
        response.dial(reply.dial_number)
    elif reply.ending is Ending.REDIRECT:
        response.redirect(options.action_url, method="POST")
    else:
        response.hangup()
    return str(response)
