"""The short call-back dialogue after "no one can chat just now" (web chat and SMS).

The handoff action leaves an offer in the handoff store (stage ``offered``); the channel
hands each next message here before Rasa. "ja" starts it; the web chat then asks for the
number, SMS uses the sender's own; then a time; then explicit consent ("ja") before the
request goes to the desk (POST /v1/callbacks). Anything but "ja" to the offer drops it and
the message goes to Rasa as usual; "avbryt" or "nej" ends the dialogue at any step.

The messages of the dialogue never reach Rasa: the number stays out of the tracker, and in
the store only encrypted and for the offer's 15 minutes. The channel hands the text over
before its own redaction (a mobile number can pass as a personnummer); what is written as
a personnummer is refused for the number, and the time is redacted before it is kept.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from bot.i18n import N_
from common.agentdesk_client import (
    CallbackRequest,
    DeskChannel,
    DeskClient,
    DeskRefusedError,
    DeskUnavailableError,
)
from common.handoff_store import CallbackOffer, HandoffStore
from common.personal_number import redact
from connectors.twilio.phones import normalise_phone

ASK_PHONE = N_("Vilket telefonnummer ska vi ringa? Skriv numret med riktnummer.")
ASK_TIME = N_("När passar det att vi ringer? Skriv till exempel i morgon förmiddag.")
BAD_PHONE = N_("Det ser inte ut som ett telefonnummer. Skriv numret igen, eller skriv avbryt.")
ASK_CONSENT_WEB = N_("Vi ringer dig på {phone}, {time}. Får vi spara numret för att ringa "
                     "dig? Svara ja för att skicka önskemålet.")
ASK_CONSENT_SMS = N_("Vi ringer dig på det här numret, {time}. Får vi spara numret för att "
                     "ringa dig? Svara ja för att skicka önskemålet.")
CONFIRMED = N_("Tack! Ditt önskemål om att bli uppringd är skickat.")
CANCELLED = N_("Okej, då skickar jag inget önskemål om att bli uppringd.")
FAILED = N_("Förlåt, önskemålet kunde inte skickas. Ring kundcenter på {support_phone}.")

MAX_TIME_CHARS = 100
MAX_PHONE_ATTEMPTS = 2
_SWEDISH_MOBILE_OR_LINE = re.compile(r"^0[1-9][0-9]{6,9}$")
_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
_YES = frozenset({"ja", "ja tack", "japp", "jepp", "gärna", "ok", "okej", "yes", "yes please",
                  "sure", "y", "j"})
_NO = frozenset({"nej", "nej tack", "avbryt", "no", "no thanks", "cancel", "n"})

Translate = Callable[[str, str], str]


def _words(text: str) -> str:
    return re.sub(r"[^\w\s+]", "", text.strip().lower()).strip()


def is_yes(text: str) -> bool:
    return _words(text) in _YES


def is_no(text: str) -> bool:
    return _words(text) in _NO


def phone_number(text: str) -> str | None:
    """The E.164 form of a Swedish or international number, or None.

    Asked for a number, "070-123 45 67" is a phone number even where its digits also pass as
    a ten-digit personnummer (born 2007); what is written as a personnummer (12 digits, or
    the dash or plus after the sixth digit) is refused."""
    compact = normalise_phone(text)
    if (redact(text).valid and not compact.startswith(("0", "+"))) or \
            re.search(r"^\s*\d{6}[-+]\d{4}\s*$", text):
        return None
    if _E164.match(compact):
        return compact
    if _SWEDISH_MOBILE_OR_LINE.match(compact):
        return "+46" + compact[1:]
    return None


class CallbackDialogue:
    def __init__(self, desk: DeskClient, store: HandoffStore, translate: Translate,
                 support_phone: str, clock: Callable[[], float] = time.time) -> None:
        self._desk = desk
        self._store = store
        self._translate = translate
        self._support_phone = support_phone
        self._clock = clock

    def _say(self, offer: CallbackOffer, source: str, **values: str) -> str:
        text = self._translate(offer.language, source)
        for name, value in {"support_phone": self._support_phone, **values}.items():
            text = text.replace("{" + name + "}", value)  # never str.format on user text
        return text

    async def _next(self, offer: CallbackOffer, stage: str, source: str,
                    **changes: object) -> list[str]:
        offer = offer.at(stage, **changes)
        await self._store.save_offer(offer)
        return [self._say(offer, source, phone=offer.phone or "",
                          time=offer.preferred_time or "")]

    async def _end(self, offer: CallbackOffer, source: str) -> list[str]:
        await self._store.clear_offer(offer.conversation_id)
        return [self._say(offer, source)]

    async def step(self, offer: CallbackOffer, text: str,
                   own_phone: str | None = None) -> list[str] | None:
        """The replies, or None when the message is not part of the dialogue (to Rasa)."""
        if offer.stage == "offered":
            if not is_yes(text):
                await self._store.clear_offer(offer.conversation_id)
                return None
            if own_phone:
                return await self._next(offer, "time", ASK_TIME, phone=own_phone)
            return await self._next(offer, "phone", ASK_PHONE)
        if is_no(text):
            return await self._end(offer, CANCELLED)
        if offer.stage == "phone":
            phone = phone_number(text)
            if phone is not None:
                return await self._next(offer, "time", ASK_TIME, phone=phone)
            if offer.attempts + 1 >= MAX_PHONE_ATTEMPTS:
                return await self._end(offer, CANCELLED)
            return await self._next(offer, "phone", BAD_PHONE, attempts=offer.attempts + 1)
        if offer.stage == "time":
            wanted = " ".join(redact(text).text.split())[:MAX_TIME_CHARS]
            consent = ASK_CONSENT_SMS if offer.channel == "sms" else ASK_CONSENT_WEB
            return await self._next(offer, "consent", consent, preferred_time=wanted)
        if offer.stage == "consent" and is_yes(text) and offer.phone:
            return await self._end(offer, await self._send(offer))
        return await self._end(offer, CANCELLED)

    async def _send(self, offer: CallbackOffer) -> str:
        channel: DeskChannel = "sms" if offer.channel == "sms" else "web"
        try:
            await self._desk.request_callback(CallbackRequest(
                channel, offer.language, str(offer.phone), offer.preferred_time or "", True))
        except (DeskRefusedError, DeskUnavailableError):
            return FAILED
        return CONFIRMED
