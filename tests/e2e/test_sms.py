"""The SMS channel against the real `rasa run`, action server and case backend.

Webhooks are posted the way Twilio posts them (form body, signature over the public URL);
outbound messages go to a fake Twilio REST API on loopback, which answers with status
callbacks. The fixed answers are written out by hand below, as an SMS must read (numbered
choices, three segments at most), so a rendering bug cannot cancel out of its own expectation.
A person's case and payment answers depend on the case backend's data: they are built from
the domain's texts and the catalogs (tests/e2e/texts.py) and checked against hand-written facts.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from bot.rendering import render_for_channel
from common.channels import ChannelKind
from connectors.sms.conversations import ConversationIds
from connectors.sms.keywords import REPLIES, KeywordKind
from connectors.sms.notices import EVENT_TEXTS, OPT_OUT_HINT, PROTECTED_TEXT
from connectors.sms.service import EMPTY_MESSAGE, MEDIA_ONLY, TOO_LONG
from connectors.sms.text import compose_reply

from .conftest import Assistant
from .sms_harness import NOTICES_PATH, SmsClient, SmsTestSetup, new_message_sid, new_phone
from .test_personal import (
    ATTA,
    ELVA,
    FYRA,
    PERSONS,
    TIO,
    TOLVAN,
    Conversation,
    expected_case_status,
    expected_payments,
)
from .texts import ENGLISH, SUPPORT

pytestmark = pytest.mark.e2e
MONEY = re.compile(r"\d kr\b")
NAMES = {TOLVAN: "tolvan", TIO: "tio", ELVA: "elva", FYRA: "fyra", ATTA: "atta"}


# ---- what the assistant should say over SMS ----
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


# ---- fixtures and helpers ----
@pytest.fixture(scope="module")
def sms(assistant: Assistant) -> SmsClient:
    assert assistant.sms is not None
    return SmsClient(assistant.base_url, assistant.sms)


def setup_of(sms: SmsClient) -> SmsTestSetup:
    return sms.setup


def tracker_events(assistant: Assistant, conversation_id: str) -> list[dict[str, Any]]:
    rows = assistant.query("SELECT data FROM events WHERE sender_id = ? ORDER BY id",
                           (conversation_id,))
    return [json.loads(row[0]) for row in rows]


def user_texts(assistant: Assistant, conversation_id: str) -> list[str]:
    return [e.get("text") or "" for e in tracker_events(assistant, conversation_id)
            if e.get("event") == "user"]


def conversation_id(sms: SmsClient, phone: str) -> str:
    return ConversationIds(sms.setup.secret).of(phone)


def messages_to(sms: SmsClient, phone: str) -> list[str]:
    assert sms.setup.fake is not None
    return [m.body for m in sms.setup.fake.messages if m.to == phone]


def notice(sms: SmsClient, token: str, **changes: Any) -> tuple[int, dict[str, Any]]:
    body = {"phone": new_phone(), "event": "payment_scheduled", "protected_identity": False,
            "sms_notifications": True, "idempotency_key": new_message_sid(), **changes}
    request = urllib.request.Request(
        sms.rasa_url + NOTICES_PATH, data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


# ---- a scripted conversation for each demo person ----
@pytest.mark.parametrize("personnummer", PERSONS, ids=lambda p: NAMES[p])
def test_scripted_sms_conversation(assistant: Assistant, sms: SmsClient,
                                   personnummer: str) -> None:
    person = Conversation(assistant, personnummer)
    phone = new_phone()
    protected = bool(person.backend("")["protected_identity"])

    def say(text: str) -> list[str]:
        return sms.say(phone, text, person_ref=person.ref)

    greeting = say("Hej")
    assert greeting == [GREETING]
    assert greeting[0].endswith("Svara 3 för Min nästa utbetalning.")
    status = say("2")  # "Status i mitt ärende"
    if protected:
        assert status == [PROTECTED]
    else:
        assert status[0] in sms_replies("sv", *expected_case_status(person))
        assert in_order(status[0], CASE_STATUS[personnummer])
    say("Hej")
    payment = say("3")  # "Min nästa utbetalning"
    if protected:
        assert payment == [PROTECTED]
        assert not MONEY.search(payment[0]) and "preliminär" not in payment[0]
    else:
        assert payment[0] in sms_replies("sv", *expected_payments(person, "sv"))
        assert payment[0].startswith(NEXT_PAYMENT[personnummer])
    assert say("tack!") == [WELCOME]
    # The choices reached Rasa as the buttons' payloads; the phone number did not.
    cid = conversation_id(sms, phone)
    assert user_texts(assistant, cid) == ["Hej", "/ask_case_status", "Hej",
                                          "/ask_next_payment", "tack!"]
    assert all(phone[1:] not in json.dumps(e) for e in tracker_events(assistant, cid))


def test_tio_gets_no_case_details_over_sms(assistant: Assistant, sms: SmsClient) -> None:
    tio = Conversation(assistant, TIO)
    phone = new_phone()
    for question in ("hur går det med mitt ärende?", "när kommer mina pengar?",
                     "kan jag lägga till en bilaga till min ansökan nu?"):
        assert sms.say(phone, question, person_ref=tio.ref) == [PROTECTED]
    # Over REST neither: only the logged-in web chat gives them (fail closed; the web chat
    # side is played by the conversation corpus, tests/conversations/corpus/protected.yml).
    rest = assistant.texts(f"rest-{new_message_sid()}", "när kommer mina pengar?",
                           {"test_person_ref": tio.ref})
    assert rest == [PROTECTED]
    assert not MONEY.search(rest[0])


def test_an_english_sms_conversation(assistant: Assistant, sms: SmsClient) -> None:
    tolvan = Conversation(assistant, TOLVAN)
    phone = "+447700900123"  # a foreign number is answered like any other
    greeting = sms.say(phone, "Hello! Can you help me?", person_ref=tolvan.ref)
    assert greeting == [GREETING_EN]
    payment = sms.say(phone, "3", person_ref=tolvan.ref)
    assert payment[0] in sms_replies("en", *expected_payments(tolvan, "en"))
    assert sms.say(phone, "HJÄLP") == [phrase(REPLIES[KeywordKind.HELP], "sv")]


# ---- what must show: forged, duplicated ----
def test_a_forged_signature_is_403_and_nothing_reaches_rasa(assistant: Assistant,
                                                            sms: SmsClient) -> None:
    phone = new_phone()
    params = sms.params("Hej", phone)
    forged = SmsClient(sms.rasa_url, SmsTestSetup(sms.setup.store_path))  # another token
    for signature in (forged.sign(params), "", sms.sign({**params, "Body": "Hej då"}),
                      sms.sign(params, "/webhooks/twilio_sms/other")):
        reply = sms.post(params, signature=signature)
        assert reply.status == 403 and "signature" in reply.body
    # Signed for the local address instead of the public one (a proxy set-up mistake).
    local = str(sms.validator.compute_signature(sms.rasa_url + "/webhooks/twilio_sms/webhook",
                                                params))
    assert sms.post(params, signature=local).status == 403
    assert tracker_events(assistant, conversation_id(sms, phone)) == []
    # The same message, genuinely signed, is then handled.
    assert sms.post(params).messages == [GREETING]


def test_a_duplicated_delivery_gets_one_answer(assistant: Assistant, sms: SmsClient) -> None:
    phone = new_phone()
    params = sms.params("Vad är ett förmånsintyg?", phone)
    first, again = sms.post(params), sms.post(params)
    assert first.messages == [BENEFIT_CERTIFICATE]
    assert again.status == 200 and again.messages == []
    assert again.body == '<?xml version="1.0" encoding="UTF-8"?><Response />'
    # Delivered twice at the same moment: still one answer.
    params = sms.params("tack", phone)
    replies: list[list[str]] = []
    threads = [threading.Thread(target=lambda: replies.append(sms.post(params).messages))
               for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(len(r) for r in replies) == [0, 0, 1]
    assert user_texts(assistant, conversation_id(sms, phone)) == [
        "Vad är ett förmånsintyg?", "tack"]


def test_messages_arriving_together_are_answered_in_order(assistant: Assistant,
                                                          sms: SmsClient) -> None:
    phone = new_phone()
    texts = ["Vad är ett förmånsintyg?", "Hur använder ni kakor?", "tack"]
    answers: dict[str, list[str]] = {}

    def send(text: str) -> None:
        answers[text] = sms.say(phone, text)
    threads = []
    for text in texts:
        threads.append(threading.Thread(target=send, args=(text,)))
        threads[-1].start()
        time.sleep(0.03)  # they arrive in this order, well before the first is answered
    for thread in threads:
        thread.join()
    assert user_texts(assistant, conversation_id(sms, phone)) == texts
    assert answers[texts[0]] == [BENEFIT_CERTIFICATE]
    assert answers[texts[1]] == [COOKIES]
    assert answers[texts[2]] == [WELCOME]


# ---- bad and odd input ----
@pytest.mark.parametrize("drop", ["From", "MessageSid", "Body", "AccountSid"])
def test_a_missing_field_is_400(assistant: Assistant, sms: SmsClient, drop: str) -> None:
    phone = new_phone()
    params = {k: v for k, v in sms.params("Hej", phone).items() if k != drop}
    reply = sms.post(params)
    assert reply.status == 400 and drop in reply.body
    assert tracker_events(assistant, conversation_id(sms, phone)) == []


def test_malformed_requests_are_rejected(assistant: Assistant, sms: SmsClient) -> None:
    phone = new_phone()
    bad_sid = sms.params("Hej", phone, MessageSid="SM-not-a-sid")
    assert sms.post(bad_sid).status == 400
    bad_media = sms.params("Hej", phone, NumMedia="-1")
    assert sms.post(bad_media).status == 400
    assert sms.post(raw=b"Body=%ff&From=x", signature="x").status == 400
    assert sms.post(raw=b'{"Body": "Hej"}', signature="x",
                    content_type="application/json").status == 415
    assert tracker_events(assistant, conversation_id(sms, phone)) == []


def test_a_huge_body(assistant: Assistant, sms: SmsClient) -> None:
    phone = new_phone()
    oversized = sms.params("x" * 70_000, phone)
    assert sms.post(oversized).status == 413
    too_long = sms.say(phone, "hjälp med min ansökan " * 80)  # over Twilio's 1600 characters
    assert too_long == [phrase(TOO_LONG)]
    assert tracker_events(assistant, conversation_id(sms, phone)) == []


def test_media_only_and_empty_messages(assistant: Assistant, sms: SmsClient) -> None:
    phone = new_phone()
    media = sms.params("", phone, NumMedia="1", MediaContentType0="image/jpeg",
                       MediaUrl0="https://api.twilio.com/2010-04-01/Accounts/x/Media/y")
    assert sms.post(media).messages == [phrase(MEDIA_ONLY)]
    assert sms.say(phone, "") == [phrase(EMPTY_MESSAGE)]
    assert user_texts(assistant, conversation_id(sms, phone)) == []
    # In an English conversation the answer is English.
    # (the general answer, then the offer to look at the case)
    answer = sms.say(phone, "Can I send attachments digitally?")[0]
    assert answer.startswith(ATTACHMENTS_EN)
    assert "Would you like me to look at your case?" in answer
    assert sms.post(sms.params("", phone, NumMedia="2")).messages == [
        phrase(MEDIA_ONLY, "en")]


def test_a_sender_that_cannot_be_answered(assistant: Assistant, sms: SmsClient) -> None:
    for sender in ("FKASSA", "72400"):
        reply = sms.post(sms.params("Hej", sender))
        assert reply.status == 200 and reply.messages == []
        assert tracker_events(assistant, conversation_id(sms, sender)) == []


def test_a_personal_number_never_reaches_the_tracker(assistant: Assistant,
                                                     sms: SmsClient) -> None:
    phone = new_phone()
    # What is answered belongs to identification (tests/e2e/test_identification.py);
    # what Rasa stores is checked here.
    sms.say(phone, "mitt personnummer är 19121212-1212")
    assert user_texts(assistant, conversation_id(sms, phone)) == [
        "mitt personnummer är PNR_REDACTED"]
    # Handed to identification as an opaque one-time token (common.identity_vault).
    [event] = [e for e in tracker_events(assistant, conversation_id(sms, phone))
               if e.get("event") == "user"]
    assert event["metadata"]["pnr_token"] and "1212" not in json.dumps(event["metadata"])
    assert not assistant.query("SELECT 1 FROM events WHERE data LIKE ?", ("%1212-1212%",))


# ---- keywords and opt-out ----
def test_stopp_is_kept_and_respected(assistant: Assistant, sms: SmsClient) -> None:
    phone = new_phone()
    assert sms.say(phone, "Hej") == [GREETING]
    assert sms.say(phone, "STOPP") == [phrase(REPLIES[KeywordKind.STOP])]
    assert sms.say(phone, "Hej igen") == []
    status, body = notice(sms, assistant.backend.credentials.notices_token, phone=phone)
    assert (status, body) == (202, {"status": "opted_out"})
    assert sms.say(phone, "hjälp") == [phrase(REPLIES[KeywordKind.HELP])]
    assert sms.say(phone, "STARTA") == [phrase(REPLIES[KeywordKind.START])]
    assert sms.say(phone, "tack") == [WELCOME]
    assert sms.say(phone, "stop") == [phrase(REPLIES[KeywordKind.STOP], "en")]
    assert messages_to(sms, phone) == []
    assert user_texts(assistant, conversation_id(sms, phone)) == ["Hej", "tack"]


# ---- proactive notices ----
def test_a_notice_is_sent_once_with_delivery_status(assistant: Assistant,
                                                    sms: SmsClient) -> None:
    phone = new_phone()
    key = f"case-1:payment:{new_message_sid()}"
    token = assistant.backend.credentials.notices_token
    first = notice(sms, token, phone=phone, idempotency_key=key)
    again = notice(sms, token, phone=phone, idempotency_key=key)
    assert first == (202, {"status": "accepted"}) and again == (202, {"status": "duplicate"})
    sms.wait_for(lambda: messages_to(sms, phone))
    assert messages_to(sms, phone) == [
        f"{EVENT_TEXTS['payment_scheduled']} {OPT_OUT_HINT}"]
    fake = sms.setup.fake
    assert fake is not None
    [sent] = [m for m in fake.messages if m.to == phone]
    # Twilio's status callbacks reach the channel through the public address and are accepted.
    sms.wait_for(lambda: sum(1 for c in fake.callbacks if c[0] == sent.sid) == 2)
    assert [c[1:] for c in fake.callbacks if c[0] == sent.sid] == [("sent", 204),
                                                                   ("delivered", 204)]


def test_notices_respect_choice_and_protected_identity(assistant: Assistant,
                                                       sms: SmsClient) -> None:
    token = assistant.backend.credentials.notices_token
    off = new_phone()
    assert notice(sms, token, phone=off, sms_notifications=False) == (
        202, {"status": "sms_notifications_off"})
    protected = new_phone()
    assert notice(sms, token, phone=protected, event="complement_requested",
                  protected_identity=True)[0] == 202
    english = new_phone()
    assert notice(sms, token, phone=english, event="complement_requested", language="en")[0] \
        == 202
    sms.wait_for(lambda: messages_to(sms, protected) and messages_to(sms, english))
    assert messages_to(sms, protected) == [f"{PROTECTED_TEXT} {OPT_OUT_HINT}"]
    assert messages_to(sms, english) == [
        f"{translate('en', EVENT_TEXTS['complement_requested'])} "
        f"{translate('en', OPT_OUT_HINT)}"]
    assert messages_to(sms, off) == []


def test_notices_need_the_notifiers_token(assistant: Assistant, sms: SmsClient) -> None:
    assert notice(sms, "not-the-token")[0] == 401
    assert notice(sms, "")[0] == 401
    # The assistant's own tokens to the case backend do not open it.
    assert notice(sms, assistant.backend.credentials.actions_token)[0] == 401
    assert notice(sms, assistant.backend.credentials.lookup_token)[0] == 401


@pytest.fixture(autouse=True)
def _no_stray_messages(sms: SmsClient) -> Iterator[None]:
    """Nothing is sent through the REST API except what a test asked for (notices) and the
    personal answers, which go only that way (read by `SmsClient.say` as the turn ended)."""
    fake = sms.setup.fake
    assert fake is not None
    before = len(fake.messages)
    yield
    late = [m for m in fake.messages[before:] if "Försäkringskassan:" not in m.body
            and m.sid not in sms.rest_answers]
    assert not late, "an answer went out by REST: the webhook's budget was exceeded"
