"""Attack: phone identity riding on the caller id. The victim identifies in a call; the
attacker calls with the victim's number as a (spoofed) caller id, during the victim's call
and after it, and presses 2 for the next payment. Withheld callers try to share one
conversation (and one rate-limit bucket) through Twilio's "anonymous" placeholder.

Against the real `rasa run`, action server, case backend and BankID simulator, with requests
signed as Twilio signs them. Each attacking call must be asked for a personnummer like any
new caller and hear nothing of the victim's payment."""

from __future__ import annotations

import json

import pytest

from tests.e2e.conftest import Assistant
from tests.e2e.test_voice import DIGITS, identify, spoken
from tests.e2e.voice_harness import Call, Step

pytestmark = pytest.mark.e2e
# Tolvan's next payment as the phone says it (casebackend demo data: 12 345 kr sjukpenning).
PAYMENT_WORDS = ("kronor", "12 345", "12345", "sjukpenning")


def heard(step: Step) -> str:
    return " ".join(step.says)


def assert_no_payment(call: Call) -> None:
    said = " ".join(text for who, text in call.transcript if who == "assistant")
    for word in PAYMENT_WORDS:
        assert word not in said, (word, call.transcript)


def attacker_asks_for_the_payment(assistant: Assistant, caller: str) -> Call:
    assert assistant.voice is not None
    attacker = Call(assistant.base_url, assistant.voice, caller=caller)
    attacker.start()
    asked = attacker.press("2")
    assert asked.says[0] in spoken("utter_ask_personal_number"), asked.says
    assert asked.gather is not None and asked.gather["finishOnKey"] == "#"
    assert_no_payment(attacker)
    return attacker


def voice_conversations(assistant: Assistant) -> set[str]:
    return {row[0] for row in assistant.query(
        "select distinct sender_id from events where sender_id like 'voice-%'")}


def caller_hashes(assistant: Assistant, conversations: set[str]) -> set[str]:
    hashes = set()
    for conversation in conversations:
        for (data,) in assistant.query("select data from events where sender_id = ? and "
                                       "type_name = 'user'", (conversation,)):
            hashes.add(json.loads(data)["metadata"]["caller_hash"])
    return hashes


def test_a_spoofed_caller_id_during_and_after_the_call_gets_no_identification(
        assistant: Assistant) -> None:
    assert assistant.voice is not None
    victim = Call(assistant.base_url, assistant.voice)
    answer = identify(victim, "2", "19121212-1212")
    assert "kronor" in heard(answer)  # the victim is identified and hears the payment
    during = attacker_asks_for_the_payment(assistant, victim.caller)
    assert victim.press("2").says  # the victim's call goes on, still identified
    assert victim.hang_up() == 204
    after = attacker_asks_for_the_payment(assistant, victim.caller)
    # Guessing the menu further does not help either: a personnummer is still needed.
    for attacker in (during, after):
        again = attacker.press("1")
        assert again.says[0] in spoken("utter_personal_number_invalid") | spoken(
            "utter_ask_personal_number"), again.says
        assert_no_payment(attacker)
        attacker.hang_up()


@pytest.mark.parametrize("withheld", ["+266696687", "Anonymous", "+"])
def test_withheld_callers_share_no_conversation_nor_rate_limit(
        assistant: Assistant, withheld: str) -> None:
    assert assistant.voice is not None
    before = voice_conversations(assistant)
    first = Call(assistant.base_url, assistant.voice, caller=withheld)
    first.start()
    first.press("2")
    answer = first.press(DIGITS["19121212-1212"])
    assert answer.says[1] in spoken("utter_identified")
    second = attacker_asks_for_the_payment(assistant, withheld)
    new = voice_conversations(assistant) - before
    assert len(new) == 2, new
    assert len(caller_hashes(assistant, new)) == 2  # a bucket per call, none shared
    for call in (first, second):
        call.hang_up()
