"""What the assistant should say over SMS, written out by hand from bot/domain/*.yml and the
English catalog as an SMS must read (numbered choices, three segments at most), so a rendering
bug cannot cancel out of its own expectation. A person's case and payment answers depend on the
case backend's data: they are built from the domain's texts and the catalogs
(tests/e2e/texts.py) and checked against the hand-written facts here."""

from __future__ import annotations

import itertools
import re

from bot.rendering import render_for_channel
from common.channels import ChannelKind
from connectors.sms.text import compose_reply

from ..test_personal import ATTA, ELVA, FYRA, TIO, TOLVAN
from ..texts import ENGLISH, SUPPORT

MONEY = re.compile(r"\d kr\b")
NAMES = {TOLVAN: "tolvan", TIO: "tio", ELVA: "elva", FYRA: "fyra", ATTA: "atta"}


def translate(language: str, text: str, context: str | None = None) -> str:
    if language == "sv":
        return text
    return str(ENGLISH.pgettext(context, text) if context else ENGLISH.gettext(text))


def sms_replies(language: str, *web_replies: set[str]) -> set[str]:
    """Every SMS the channel may make of a turn whose web texts are ``web_replies``."""
    read_more = translate(language, "Läs mer på forsakringskassan.se.")
    bodies = set()
    for combination in itertools.product(*web_replies):
        messages = [render_for_channel({"text": text}, ChannelKind.SMS,
                                       lambda t: translate(language, t))
                    for text in combination]
        bodies.add(compose_reply(messages, 3, read_more).body)
    return bodies


# The fixed answers, written out from bot/domain/*.yml and the English catalog as an SMS must
# read them: buttons become numbered choices ("Svara 1 för ...", "Reply 1 for ...").
GREETING = ("Hej! Jag är Försäkringskassans digitala assistent för Mina sidor. "
            "Vad kan jag hjälpa dig med?\n"
            "Svara 1 för Kom igång med Mina sidor.\n"
            "Svara 2 för Status i mitt ärende.\n"
            "Svara 3 för Min nästa utbetalning.")
GREETING_EN = ("Hi! I am Försäkringskassan's digital assistant for Mina sidor. "
               "How can I help you?\n"
               "Reply 1 for Get started with Mina sidor.\n"
               "Reply 2 for Status of my case.\n"
               "Reply 3 for My next payment.")
PROTECTED = ("Av säkerhetsskäl lämnar jag inga uppgifter om ärenden här. Logga in på Mina sidor "
             "på forsakringskassan.se för att se dina uppgifter.")
WELCOME = "Varsågod! Fråga gärna igen om det är något mer."
BENEFIT_CERTIFICATE = (
    "Om du har sjukersättning, aktivitetsersättning eller handikappersättning finns ditt "
    "förmånsintyg på Mina sidor. Du kan visa det för att få rabatter från vissa företag.")
COOKIES = (
    "På forsakringskassan.se använder vi kakor (cookies) för att webbplatsen ska fungera så bra "
    "som möjligt för dig. Vi använder också kakor för webbanalys för att göra webbplatsen "
    "bättre. Du väljer själv om du godkänner kakor för webbanalys: du kan godkänna alla kakor "
    "eller bara nödvändiga kakor. Mer finns på sidan Så här använder Försäkringskassan kakor.")
ATTACHMENTS_EN = (
    "Yes, but only in the e-services that have that function. In Ansök om bostadsbidrag, for "
    "example, you can send digital attachments. You do that directly in the e-service. In some "
    "e-services you can add digital attachments afterwards, as long as your case is open. Then "
    "you see the link Lägg till bilagor till din ansökan (add attachments) under Ärenden on "
    "Mina sidor.")

# The start of each person's payment answer, from the case backend's demo data
# (casebackend/src/casebackend/demo/data.py): an amount in SMS has a plain space.
NO_PAYMENTS = "Du har inga planerade utbetalningar från oss just nu."
NEXT_PAYMENT = {TOLVAN: "Din nästa utbetalning är 12 345 kr i sjukpenning den ",
                FYRA: "Din nästa utbetalning är 11 432 kr i sjukersättning den ",
                ELVA: NO_PAYMENTS, ATTA: NO_PAYMENTS}

# Each person's case status as an SMS, in order, from the demo data (dates left out: they
# follow today): one paragraph per answer, separated by an empty line.
CASE_STATUS = {
    TOLVAN: ("Ditt ärende om bostadsbidrag: vi bad dig komplettera ",
             " 2026 och vi fick din ansökan ", " 2026.\n\n",
             "Ditt ärende om sjukpenning: vi fick ditt läkarintyg ",
             " 2026 och vi fick din ansökan ", " 2026.\n\n",
             "Du kan räkna med ett beslut senast "),
    FYRA: ("Ditt ärende om sjukersättning: vi fattade beslut ",),
    ELVA: ("Du har inga egna öppna ärenden. Som ställföreträdare kan du inte följa din huvudmans "
           "ärenden, varken här eller på Mina sidor. Har du frågor om ett ärende kan du ringa "
           "0771-524 524.",),
    ATTA: ("Du har inga öppna ärenden hos oss just nu. På Mina sidor ser du alla dina ärenden.",),
}


def in_order(text: str, parts: tuple[str, ...]) -> bool:
    """``text`` starts with the first part and holds the others after it, in order."""
    position = 0
    for part in parts:
        found = text.find(part, position)
        if found < 0 or (position == 0 and found != 0):
            return False
        position = found + len(part)
    return True


def phrase(source: str, language: str = "sv") -> str:
    return translate(language, source).replace("{support_phone}", SUPPORT.phone)
