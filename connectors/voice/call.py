"""One phone call, step by step: what the caller said or pressed becomes a Rasa turn or a
channel decision (menu, re-prompt, transfer, goodbye, the getting-started SMS).

No Sanic and no TwiML here: Rasa is reached through an injected ``Turn`` and the answer is a
:class:`VoiceReply` for ``connectors.voice.twiml``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.i18n import N_, format_locale
from bot.locales import SOURCE, menu_offers, switch_target
from bot.metrics import VOICE_OFFER_PERSON, VOICE_TRANSFER, VOICE_TRANSFER_CLOSED, count_handoff
from bot.support import SupportLine
from common.metadata import CALLER_HASH, LANGUAGE
from connectors.voice.store import CallState
from connectors.voice.twiml import Ending, VoiceReply

logger = logging.getLogger(__name__)

# {languages}: the other languages' keys from bot/locales.py ("9 for English").
MENU = N_("Tryck 1 för status i ditt ärende, 2 för din nästa utbetalning, 3 för att komma "
          "igång med Mina sidor, {languages}, eller 0 för att prata med en person. Du kan "
          "också säga vad du vill ha hjälp med.")
REPROMPT = N_("Jag hörde inget. Säg vad du vill ha hjälp med, eller tryck en siffra.")
UNKNOWN_KEY = N_("Den siffran finns inte i menyn.")
NUMBER_REMINDER = N_("Knappa in ditt personnummer när du vill och avsluta med fyrkant, eller "
                     "tryck 0 för att prata med en person.")
OFFER_PERSON = N_("Vill du prata med en person? Tryck 0, så kopplar jag dig till "
                  "kundservice.")
GOODBYE = N_("Tack för att du ringde Försäkringskassan. Hej då!")
TRANSFERRING = N_("Jag kopplar dig nu till kundservice. Vänta kvar.")
CLOSED = N_("Kundservice har stängt just nu. Vi har öppet {hours}. Du kan också använda Mina "
            "sidor på forsakringskassan.se. Tack för att du ringde, hej då!")
ONE_MOMENT = N_("Ett ögonblick.")
FAILED = N_("Förlåt, något gick fel hos mig. Försök igen om en stund eller ring "
            "{support_phone}.")
SMS_OFFER = N_("Vill du få stegen och webbadressen i ett sms? Tryck 1 för ja.")
SMS_SENT = N_("Jag har skickat ett sms med stegen till numret du ringer från.")
SMS_NOT_SENT = N_("Jag kan tyvärr inte skicka något sms till det här numret. Stegen finns på "
                  "forsakringskassan.se.")
# The steps rest on the page "Om Mina sidor" and forsakringskassan.se (docs/answers.md).
SMS_STEPS = N_("Kom igång med Mina sidor: 1. Skaffa en e-legitimation, till exempel bank-id. "
               "2. Gå till Mina sidor på https://www.forsakringskassan.se och identifiera dig "
               "med bank-id. 3. Där kan du ansöka, följa ditt ärende och se dina utbetalningar. "
               "Ring kundcenter på {support_phone} om du behöver hjälp att komma igång med "
               "e-tjänsterna.")

# The greeting's keypad menu, mapped to intents (the language keys of bot/locales.py and 0
# are handled by the channel).
MENU_KEYS = {"1": "/ask_case_status", "2": "/ask_next_payment", "3": "/get_started"}
PERSON_KEY, SMS_YES_KEY = "0", "1"
# Answers that ask for the personnummer (again): the next Gather takes twelve digits and #.
NUMBER_PROMPTS = {"utter_ask_personal_number", "utter_personal_number_invalid",
                  "utter_bankid_cancelled", "utter_bankid_expired", "utter_bankid_failed",
                  "utter_bankid_wrong_person", "utter_bankid_still_waiting"}
# Answers after which no personnummer is awaited any longer.
IDENTIFICATION_ENDS = {"utter_identified", "utter_identified_unknown",
                       "utter_identification_support_line", "utter_identification_rate_limited",
                       "utter_already_identified", "utter_logged_out"}
PROTECTED_UTTER = "utter_protected_use_mina_sidor"
FALLBACK_INTENTS = {"nlu_fallback"}
# Swedish mobile numbers: 07x with x in 0, 2, 3, 6, 9 (+4670..., +4672...).
MOBILE = ("+4670", "+4672", "+4673", "+4676", "+4679")
# Twilio's StirVerstat for a call whose originating carrier vouches, with SHAKEN full
# attestation, that the caller may use the number: the only caller id an SMS may go to.
FULL_ATTESTATION = "TN-Validation-Passed-A"


@dataclass(frozen=True)
class TurnResult:
    texts: list[str]
    buttons: list[str] = field(default_factory=list)  # payloads, in the order spoken
    intent: str | None = None
    utter_actions: list[str] = field(default_factory=list)
    language: str = SOURCE.code


class Turn(Protocol):
    async def __call__(self, conversation_id: str, text: str,
                       metadata: Mapping[str, Any]) -> TurnResult: ...


class SmsSend(Protocol):
    async def __call__(self, phone: str, body: str) -> bool: ...


Translate = Callable[[str, str], str]
Redact = Callable[[str], Awaitable[tuple[str, dict[str, Any]]]]
Clock = Callable[[], dt.datetime]


def is_mobile(phone: str) -> bool:
    return phone.startswith(MOBILE) and len(phone) == 12


@dataclass(frozen=True)
class CallInput:
    call_sid: str
    caller: str
    speech: str = ""
    digits: str = ""
    attestation: str = ""  # StirVerstat, on the call's first request


def is_attested(call: CallInput) -> bool:
    return call.attestation == FULL_ATTESTATION


class VoiceCallService:
    def __init__(self, *, turn: Turn, translate: Translate, redact: Redact,
                 support: SupportLine, transfer_number: str, clock: Clock,
                 max_reprompts: int, caller_hash: Callable[[str, str], str],
                 send_sms: SmsSend | None = None) -> None:
        self._turn = turn
        self._translate = translate
        self._redact = redact
        self._support = support
        self._transfer_number = transfer_number
        self._clock = clock
        self._max_reprompts = max_reprompts
        self._caller_hash = caller_hash
        self._send_sms = send_sms

    def phrase(self, language: str, source: str, **values: str) -> str:
        text = self._translate(language, source)
        values.setdefault("support_phone", self._support.phone)
        for name, value in values.items():
            text = text.replace("{" + name + "}", value)
        return text

    def menu(self, language: str) -> str:
        return self.phrase(language, MENU, languages=", ".join(menu_offers(language)))

    async def greet(self, call: CallInput, state: CallState) -> VoiceReply:
        state.attested = is_attested(call)
        result = await self._rasa(call, state, "/greet", {})
        return VoiceReply((*result.texts, self.menu(state.language)))

    async def answer(self, call: CallInput, state: CallState) -> VoiceReply:
        digits, speech = call.digits.strip(), call.speech.strip()
        if not digits and not speech:
            return self._miss(state, [self.phrase(state.language, REPROMPT)])
        extra: dict[str, Any] = {}
        if digits == PERSON_KEY:  # everywhere, also while a personnummer is asked for
            return self._transfer(state)
        awaiting_number = state.mode == "number"
        # While a personnummer is asked for, one key (then #) is still a menu choice: no
        # personnummer has one digit.
        menu_key = bool(digits) and (not awaiting_number or len(digits) == 1)
        if menu_key:
            if state.mode == "offer_sms" and digits == SMS_YES_KEY:
                return await self._sms(call, state)
            number = int(digits) if digits.isdigit() else 0
            if 1 <= number <= len(state.choices):
                text = state.choices[number - 1]
            elif (language := switch_target(digits, state.language)) is not None:
                text = "/switch_language" + json.dumps({"language": language})
                extra = {"language": language}
            elif digits in MENU_KEYS:
                text = MENU_KEYS[digits]
            else:
                return self._miss(state, [self.phrase(state.language, UNKNOWN_KEY),
                                          self.menu(state.language)])
        else:
            text = digits or speech
        result = await self._rasa(call, state, text, extra)
        if result.intent == "human_handoff":
            return self._transfer(state)
        if result.intent == "goodbye":
            state.mode = "closed"
            return VoiceReply(tuple(result.texts), Ending.HANGUP)
        if state.mode == "offer_sms" and result.intent == "affirm":
            return await self._sms(call, state)
        if result.intent in FALLBACK_INTENTS:
            return self._miss(state, result.texts)
        state.misses = 0
        state.choices = list(result.buttons)
        state.protected = state.protected or PROTECTED_UTTER in result.utter_actions
        says = list(result.texts)
        said = set(result.utter_actions)
        if NUMBER_PROMPTS & said:
            state.mode = "number"
            return VoiceReply(tuple(says), Ending.NUMBER)
        if awaiting_number and not menu_key and not said & IDENTIFICATION_ENDS \
                and not result.buttons:
            # A question asked while the number is awaited is answered; the number may still
            # come (the question that needed it is still pending).
            return VoiceReply((*says, self.phrase(state.language, NUMBER_REMINDER)),
                              Ending.NUMBER)
        state.mode = "menu"
        if result.intent == "get_started" and self._can_sms(call, state):
            state.mode = "offer_sms"
            says.append(self.phrase(state.language, SMS_OFFER))
        return VoiceReply(tuple(says))

    def silence_limit_reached(self, state: CallState) -> bool:
        return state.misses > self._max_reprompts + 1

    def one_moment(self, language: str) -> VoiceReply:
        return VoiceReply((self.phrase(language, ONE_MOMENT),), Ending.REDIRECT)

    def failed(self, state: CallState) -> VoiceReply:
        return VoiceReply((self.phrase(state.language, FAILED),))

    async def _rasa(self, call: CallInput, state: CallState, text: str,
                    extra: Mapping[str, Any]) -> TurnResult:
        # A personnummer never reaches Rasa (DESIGN section 6): vault token instead.
        text, identity = await self._redact(text)
        metadata = {LANGUAGE: state.language,
                    CALLER_HASH: self._caller_hash(call.caller, call.call_sid),
                    **extra, **identity}
        result = await self._turn(state.conversation_id, text, metadata)
        state.language = result.language
        return result

    def _miss(self, state: CallState, says: list[str]) -> VoiceReply:
        """Bounded: re-prompt, then offer a person, then a polite goodbye."""
        state.misses += 1
        mode = state.mode if state.mode in {"number", "menu", "offer_sms"} else "menu"
        if state.misses <= self._max_reprompts:
            return VoiceReply(tuple(says), Ending.NUMBER if mode == "number" else
                              Ending.GATHER)
        if state.misses == self._max_reprompts + 1:
            state.mode = "offer_person"
            count_handoff(VOICE_OFFER_PERSON)
            return VoiceReply((self.phrase(state.language, OFFER_PERSON),))
        state.mode = "closed"
        return VoiceReply((self.phrase(state.language, GOODBYE),), Ending.HANGUP)

    def _transfer(self, state: CallState) -> VoiceReply:
        """Transfer while the line is open. Unknown hours count as open (bot.support): the
        caller always gets the line, which says itself when it is closed."""
        state.mode = "closed"
        if self._support.is_open(self._clock()):
            count_handoff(VOICE_TRANSFER)
            return VoiceReply((self.phrase(state.language, TRANSFERRING),), Ending.DIAL,
                              self._transfer_number)
        count_handoff(VOICE_TRANSFER_CLOSED)
        # The same locale as the NLG's hours: "9:00 AM" in English on every channel. Reached
        # only with configured hours: unknown hours always transfer.
        hours = self._support.describe_hours(format_locale(state.language)) or ""
        return VoiceReply((self.phrase(state.language, CLOSED, hours=hours),), Ending.HANGUP)

    def _can_sms(self, call: CallInput, state: CallState) -> bool:
        """Only to a mobile whose caller id the network attested: a spoofed caller id must
        not make us text someone else. Otherwise the getting-started answer, which names
        forsakringskassan.se, is all the caller hears."""
        return self._send_sms is not None and not state.protected and state.attested \
            and is_mobile(call.caller)

    async def _sms(self, call: CallInput, state: CallState) -> VoiceReply:
        state.mode = "menu"
        sent = False
        if self._send_sms is not None and self._can_sms(call, state):
            body = self.phrase(state.language, SMS_STEPS)
            sent = await self._send_sms(call.caller, body)
        source = SMS_SENT if sent else SMS_NOT_SENT
        return VoiceReply((self.phrase(state.language, source),
                           self.menu(state.language)))
