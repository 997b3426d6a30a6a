"""The SMS webhook against the real `rasa run`: forged signatures, duplicated and concurrent
deliveries, bad and odd input, and a personnummer that never reaches the tracker."""

from __future__ import annotations

import json
import threading
import time

import pytest

from connectors.sms.service import EMPTY_MESSAGE, MEDIA_ONLY, TOO_LONG

from ..conftest import Assistant
from ..sms_harness import SmsClient, SmsTestSetup, new_phone
from .expected import ATTACHMENTS_EN, BENEFIT_CERTIFICATE, COOKIES, GREETING, WELCOME, phrase
from .observed import conversation_id, tracker_events, user_texts

pytestmark = pytest.mark.e2e



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
