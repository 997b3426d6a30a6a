"""One identification serves the whole conversation: on REST, SMS and the phone, a payment
question, the personnummer, then two more personal questions, each answered without asking
for the number again. Expected facts are Tolvan's demo data, written out by hand."""

from __future__ import annotations

import uuid

import pytest

from .conftest import Assistant
from .sms_harness import SmsClient, new_phone
from .voice_harness import Call

pytestmark = pytest.mark.e2e

ASKS_FOR_NUMBER = "personnummer"
PAYMENT = "12 345 kr i sjukpenning"
BOTH_CASES = ("sjukpenning", "bostadsbidrag")
ATTACHMENTS = "du kan lägga till bilagor"


def joined(replies: list[str]) -> str:
    return " ".join(replies)


def digits_of_amounts(text: str) -> str:
    """The text without the spaces a channel may put inside amounts ("12 345", "12\u00a0345")."""
    return "".join(text.split())


def test_rest_payment_then_cases_then_attachments_with_one_identification(
        assistant: Assistant) -> None:
    sender = f"e2e-one-{uuid.uuid4().hex[:10]}"
    assert ASKS_FOR_NUMBER in joined(assistant.texts(sender, "när kommer mina pengar?"))
    assert PAYMENT in joined(assistant.texts(sender, "19121212-1212"))
    cases = joined(assistant.texts(sender, "och hur går det med mitt ärende?"))
    assert all(benefit in cases for benefit in BOTH_CASES), cases
    assert ASKS_FOR_NUMBER not in cases
    attachments = joined(assistant.texts(sender, "kan jag lägga till bilagor?"))
    assert ATTACHMENTS in attachments and ASKS_FOR_NUMBER not in attachments, attachments


def test_rest_a_benefit_follow_up_asks_the_last_question_again(assistant: Assistant) -> None:
    sender = f"e2e-one-{uuid.uuid4().hex[:10]}"
    assistant.texts(sender, "kan jag lägga till bilagor till mitt ärende?")
    assistant.texts(sender, "19121212-1212")
    follow_up = joined(assistant.texts(sender, "och bostadsbidraget då?"))
    assert "bostadsbidrag" in follow_up and ATTACHMENTS in follow_up, follow_up
    assert "sjukpenning" not in follow_up  # only the benefit asked about


@pytest.mark.parametrize("spelling", [
    "19121212\u20131212", "19121212\u20111212", "1912 1212 1212", "19121212.1212",
    "\uff11\uff19\uff11\uff12\uff11\uff12\uff11\uff12\uff0d\uff11\uff12\uff11\uff12",
], ids=ascii)
def test_rest_the_number_typed_as_people_type_it_identifies(assistant: Assistant,
                                                            spelling: str) -> None:
    sender = f"e2e-one-{uuid.uuid4().hex[:10]}"
    assistant.texts(sender, "när kommer mina pengar?")
    assert PAYMENT in joined(assistant.texts(sender, f"det är {spelling}"))
    rows = assistant.query("select data from events where sender_id = ?", (sender,))
    leaks = [row[0][:80] for row in rows if any(
        form in row[0] for form in (spelling, "191212121212", "19121212-1212"))]
    assert rows and not leaks, leaks


def test_sms_payment_then_cases_then_attachments_with_one_identification(
        assistant: Assistant) -> None:
    assert assistant.sms is not None
    sms, phone = SmsClient(assistant.base_url, assistant.sms), new_phone()
    assert ASKS_FOR_NUMBER in joined(sms.say(phone, "när kommer mina pengar?"))
    assert "12345kr" in digits_of_amounts(joined(sms.say(phone, "19121212-1212")))
    cases = joined(sms.say(phone, "och hur går det med mitt ärende?"))
    assert all(benefit in cases for benefit in BOTH_CASES), cases
    attachments = joined(sms.say(phone, "kan jag lägga till bilagor?"))
    assert ATTACHMENTS in attachments and ASKS_FOR_NUMBER not in attachments, attachments


def test_phone_payment_then_cases_with_one_identification(assistant: Assistant) -> None:
    assert assistant.voice is not None
    call = Call(assistant.base_url, assistant.voice)
    call.start()
    assert ASKS_FOR_NUMBER in " ".join(call.press("2").says)
    payment = " ".join(call.press("191212121212#").says)
    assert "sjukpenning" in payment and "12345" in digits_of_amounts(payment), payment
    cases = " ".join(call.press("1").says)
    assert all(benefit in cases for benefit in BOTH_CASES), cases
    assert ASKS_FOR_NUMBER not in cases
    attachments = " ".join(call.say("kan jag lägga till bilagor till mitt ärende").says)
    assert "bilagor" in attachments and ASKS_FOR_NUMBER not in attachments, attachments


def test_phone_zero_while_the_number_is_asked_for_offers_the_person(
        assistant: Assistant) -> None:
    assert assistant.voice is not None
    call = Call(assistant.base_url, assistant.voice)
    call.start()
    call.press("2")
    step = call.press("0")
    assert step.dial or step.hangup, step.body  # transferred, or told when we are open
    assert "inte hjälpa till" not in " ".join(step.says)
