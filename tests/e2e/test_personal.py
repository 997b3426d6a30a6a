"""Personal answers for each demo person, through Rasa, the action server and the backend.

The expected texts come from the domain's source texts filled with what the backend holds
(read by the test directly over the backend's API), so a wrong value, format, response or
language fails the test.
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import pytest

from .conftest import Assistant
from .texts import expected

pytestmark = pytest.mark.e2e

TOLVAN, TIO, ELVA, FYRA, ATTA = ("19121212-1212", "19101010-1010", "19111111-1116",
                                 "19400404-0400", "20080808-0808")
PERSONS = [TOLVAN, TIO, ELVA, FYRA, ATTA]
ASK = {
    "case_status": "hur går det med mitt ärende?",
    "next_payment": "när kommer mina pengar?",
    "attachments": "kan jag lägga till en bilaga till min ansökan nu?",
    "get_started": "hur kommer jag igång med mina sidor?",
    "order": "jag vill beställa underlag för årsräkningen till min huvudman",
}
MAX_EVENTS = 3
MAX_PRELIMINARY = 3


class Conversation:
    def __init__(self, assistant: Assistant, personnummer: str) -> None:
        self.assistant = assistant
        self.sender = f"e2e-{uuid.uuid4().hex[:10]}"
        self.ref = assistant.backend.person_ref(personnummer)

    def say(self, text: str) -> list[str]:
        # The test-only identity path: the person's opaque reference, never the number.
        return self.assistant.texts(self.sender, text, {"test_person_ref": self.ref})

    def backend(self, path: str) -> Any:
        return self.assistant.backend.get(f"/v1/persons/{self.ref}{path}", self.ref)


def protected(conversation: Conversation) -> bool:
    return bool(conversation.backend("")["protected_identity"])


# Over REST, as on every channel but the logged-in web chat, a person with protected
# personal data gets no case details (fail closed).
PROTECTED = "utter_protected_use_mina_sidor"


def expected_case_status(conversation: Conversation) -> list[set[str]]:
    profile = conversation.backend("")
    if profile["protected_identity"]:
        return [expected(PROTECTED, "sv")]
    cases = conversation.backend("/cases?status=open")["items"]
    if not cases:
        return [expected("utter_representative_cannot_follow_cases" if
                         profile["representative_for"] else "utter_no_open_cases", "sv")]
    replies = []
    for case in cases:
        events = [{"type": e["type"], "occurred_on": e["occurred_on"]} for e in case["events"]]
        replies.append(expected("utter_case_status", "sv", benefit=case["benefit"],
                                events=events[:MAX_EVENTS]))
        decided = any(e["type"] == "decision_made" for e in events)
        if case["expected_decision_by"] and not decided:
            replies.append(expected("utter_case_decision_expected", "sv",
                                    date=case["expected_decision_by"]))
    return replies


def expected_payments(conversation: Conversation, language: str) -> list[set[str]]:
    if protected(conversation):
        return [expected(PROTECTED, language)]
    payments = sorted(conversation.backend("/payments")["items"], key=lambda p: p["pay_date"])
    if not payments:
        return [expected("utter_no_planned_payments", language)]
    first = next((p for p in payments if not p["preliminary"]), payments[0])
    name = "utter_next_payment_preliminary" if first["preliminary"] else "utter_next_payment"
    replies = [expected(name, language, benefit=first["benefit"], date=first["pay_date"],
                        amount=first["amount_ore"] / 100)]
    later = [{"amount": p["amount_ore"] / 100, "date": p["pay_date"]}
             for p in payments if p is not first and p["preliminary"]][:MAX_PRELIMINARY]
    if later:
        replies.append(expected("utter_preliminary_payments", language, payments=later))
    return replies


def expected_attachments(conversation: Conversation) -> list[set[str]]:
    if protected(conversation):
        return [expected(PROTECTED, "sv")]
    cases = conversation.backend("/cases?status=open")["items"]
    if not cases:
        return [expected("utter_attachments_no_open_case", "sv")]
    return [expected("utter_attachments_possible" if case["accepts_attachments"]
                     else "utter_attachments_not_possible", "sv", benefit=case["benefit"])
            for case in cases]


def expected_get_started(conversation: Conversation) -> list[set[str]]:
    profile = conversation.backend("")
    if profile["representative_for"]:
        return [expected("utter_get_started_representative", "sv")]
    if not profile["has_used_mina_sidor"]:
        return [expected("utter_get_started_first_time", "sv")]
    return [expected("utter_get_started", "sv")]


def assert_replies(replies: list[str], wanted: list[set[str]]) -> None:
    assert len(replies) == len(wanted), replies
    for reply, options in zip(replies, wanted, strict=True):
        assert reply in options, f"{reply!r} not in {options!r}"


@pytest.mark.parametrize("personnummer", PERSONS)
def test_case_status(assistant: Assistant, personnummer: str) -> None:
    conversation = Conversation(assistant, personnummer)
    assert_replies(conversation.say(ASK["case_status"]), expected_case_status(conversation))


@pytest.mark.parametrize("personnummer", PERSONS)
def test_next_payment(assistant: Assistant, personnummer: str) -> None:
    conversation = Conversation(assistant, personnummer)
    assert_replies(conversation.say(ASK["next_payment"]),
                   expected_payments(conversation, "sv"))


@pytest.mark.parametrize("personnummer", PERSONS)
def test_attachment_options(assistant: Assistant, personnummer: str) -> None:
    conversation = Conversation(assistant, personnummer)
    assert_replies(conversation.say(ASK["attachments"]), expected_attachments(conversation))


@pytest.mark.parametrize("personnummer", PERSONS)
def test_get_started_is_tailored(assistant: Assistant, personnummer: str) -> None:
    conversation = Conversation(assistant, personnummer)
    assert_replies(conversation.say(ASK["get_started"]), expected_get_started(conversation))


@pytest.mark.parametrize("personnummer", PERSONS)
def test_order_annual_report_basis(assistant: Assistant, personnummer: str) -> None:
    conversation = Conversation(assistant, personnummer)
    replies = conversation.say(ASK["order"])
    if conversation.backend("")["representative_for"]:
        assert len(replies) == 1
        match = re.search(r"Referensnummer: (AR-\d{4}-\d{6})\.$", replies[0])
        assert match and replies[0] in expected("utter_order_confirmed", "sv",
                                                reference=match.group(1))
        # Ordering again in the same conversation is the same order.
        assert conversation.say(ASK["order"]) == replies
    else:
        assert_replies(replies, [expected("utter_order_only_representatives", "sv")])


def test_tolvans_next_payment_in_swedish_and_in_english(assistant: Assistant) -> None:
    swedish = Conversation(assistant, TOLVAN)
    replies = swedish.say("när kommer mina pengar?")
    assert_replies(replies, expected_payments(swedish, "sv"))
    # Written by hand (Tolvan's demo sickness benefit), not by the formatter: a plain space.
    assert re.fullmatch(r"Din nästa utbetalning är 12 345 kr i sjukpenning den "
                        r"\d{1,2} [a-z]+ \d{4}\.", replies[0]), replies[0]
    english = Conversation(assistant, TOLVAN)
    replies = english.say("When will I get my money?")
    assert_replies(replies, expected_payments(english, "en"))
    assert re.fullmatch(r"Your next payment is SEK 12,345 in sickness benefit on "
                        r"[A-Z][a-z]+ \d{1,2}, \d{4}\.", replies[0]), replies[0]
    assert re.fullmatch(r"Preliminary payments after that: SEK 12,345 on [A-Z][a-z]+ "
                        r"\d{1,2}, \d{4} and SEK 12,345 on [A-Z][a-z]+ \d{1,2}, \d{4}\.",
                        replies[1]), replies[1]
    assert not any(space in "".join(replies) for space in "\u00a0\u202f")


def test_backend_stopped_mid_conversation_then_back(assistant: Assistant) -> None:
    conversation = Conversation(assistant, TOLVAN)
    wanted = expected_payments(conversation, "sv")
    assert_replies(conversation.say(ASK["next_payment"]), wanted)
    assistant.backend.stop()
    try:
        replies = conversation.say(ASK["next_payment"])
        assert_replies(replies, [expected("utter_backend_unavailable", "sv")])
        assert "0771-524 524" in replies[0]
    finally:
        assistant.backend.start()
    time.sleep(1.2)  # the action server's circuit breaker lets a probe through after 1 s
    assert_replies(conversation.say(ASK["next_payment"]), wanted)
