"""Attack: replaying captured Twilio webhooks once deduplication has forgotten them. Twilio
signs no timestamp, so a captured request stays validly signed for ever. The attacker
replays a victim's voice step after the call ended (and its first request), and looks in
the phone channel's store file for the spoken answers; an old SMS webhook is replayed with
a new MessageSid-less memory (a MessageSid the channel no longer remembers).

Nothing personal may come back in a response body, and the store may hold no answer in
clear text."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import Assistant
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
