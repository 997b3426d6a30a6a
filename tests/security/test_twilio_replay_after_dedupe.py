"""Attack: replaying captured Twilio webhooks once deduplication has forgotten them. Twilio
signs no timestamp, so a captured request stays validly signed for ever. The attacker
replays a victim's voice step after the call ended (and its first request), and looks in
the phone channel's store file for the spoken answers; an old SMS webhook is replayed with
its MessageSid forgotten (as after the seven days the channel remembers one).

Nothing personal may come back in a response body, and the store may hold no answer in
clear text."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.e2e.conftest import Assistant
from tests.e2e.sms_harness import SmsClient, new_message_sid, new_phone
from tests.e2e.test_voice import DIGITS, spoken
from tests.e2e.voice_harness import PREFIX, Call

pytestmark = pytest.mark.e2e
# Tolvan's next payment as the phone says it (casebackend demo data: 12 345 kr sjukpenning).
PAYMENT_WORDS = ("kronor", "12 345", "sjukpenning")
HANG_UP = '<?xml version="1.0" encoding="UTF-8"?><Response><Hangup /></Response>'


def voice_user_turns(assistant: Assistant) -> int:
    rows = assistant.query("select count(*) from events where type_name = 'user' and "
                           "sender_id like 'voice-%'")
    return int(rows[0][0])


def store_bytes(path: Path) -> bytes:
    files = [path, path.with_name(path.name + "-wal")]
    return b"".join(file.read_bytes() for file in files if file.exists())


def test_a_voice_step_replayed_after_the_call_gets_a_hang_up_and_nothing_personal(
        assistant: Assistant) -> None:
    assert assistant.voice is not None
    victim = Call(assistant.base_url, assistant.voice)
    victim.start()
    asked = victim.press("2")
    assert asked.says[0] in spoken("utter_ask_personal_number")
    # What an attacker captured: the signed request that brought the payment.
    path, params = asked.next_path, victim.params(Digits=DIGITS["19121212-1212"])
    answer = victim.post(path, params)
    assert answer.status == 200 and "kronor" in answer.body
    raw = store_bytes(assistant.voice.store_path)
    assert raw and all(word.encode() not in raw for word in PAYMENT_WORDS)
    assert victim.hang_up() == 204
    turns = voice_user_turns(assistant)
    for replayed_path, replayed in ((path, params),
                                    (f"{PREFIX}/incoming", victim.params()),
                                    (f"{PREFIX}/collect?step=3", victim.params())):
        replay = victim.post(replayed_path, replayed)
        assert (replay.status, replay.body) == (200, HANG_UP), replay.body
    assert voice_user_turns(assistant) == turns  # nothing reached Rasa
    raw = store_bytes(assistant.voice.store_path)
    assert all(word.encode() not in raw for word in PAYMENT_WORDS)


EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response />'
# Tolvan's next payment as an SMS says it (casebackend demo data).
SMS_PAYMENT = "Din nästa utbetalning är 12 345 kr i sjukpenning den "


def test_a_replayed_sms_webhook_gets_no_personal_data_in_its_response(
        assistant: Assistant) -> None:
    assert assistant.sms is not None
    sms = SmsClient(assistant.base_url, assistant.sms)
    victim = new_phone()
    sms.say(victim, "när kommer mina pengar?")
    identified = sms.say(victim, "19121212-1212")
    assert any(SMS_PAYMENT in text for text in identified), identified
    # What an attacker captured: the victim's signed question, and the webhook's response.
    params = sms.params("när kommer mina pengar?", victim, new_message_sid())
    captured = sms.post(params)
    assert (captured.status, captured.body) == (200, EMPTY_TWIML)
    assert SMS_PAYMENT in sms.sent_to(victim)[-1]  # the answer went to the victim's phone
    # Time passes: the channel forgets the MessageSid (its seven days of deduplication).
    with sqlite3.connect(assistant.sms.store_path) as store:
        forgotten = store.execute("delete from inbound_messages where message_sid = ?",
                                  (params["MessageSid"],))
        assert forgotten.rowcount == 1
    sent_before = len(sms.sent_to(victim))
    replay = sms.post(params)
    assert (replay.status, replay.body) == (200, EMPTY_TWIML)
    for word in ("12 345", " kr", "sjukpenning", "utbetalning"):
        assert word not in replay.body
    # Processed again, but its answer went only to the victim's own number.
    assert len(sms.sent_to(victim)) == sent_before + 1
