"""Attack: take over an identified conversation through the REST channel.

The attacker learns a conversation id (an SMS conversation's ``sms-…`` id from a log line, a web
chat's ``web-…`` id from a shared computer's localStorage, a phone call's ``voice-…``) and posts
to ``/webhooks/rest/webhook`` with that id as ``sender``, asking for the victim's payment, also
as a retry (``message_id``) to get stored replies. Every attempt must be refused before Rasa,
the victim's conversation must hold none of the attacker's messages, and no reply may carry
the victim's data. Against the running processes (tests/security/conftest.py).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

from connectors.sms.conversations import ConversationIds
from tests.e2e.conftest import Assistant
from tests.e2e.sms_harness import SmsClient, new_phone

PAYMENT = "12 345 kr"


def rest(assistant: Assistant, payload: dict[str, Any]) -> tuple[int, str]:
    request = urllib.request.Request(
        f"{assistant.base_url}/webhooks/rest/webhook", data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8")


def rest_events(assistant: Assistant, sender: str) -> int:
    rows = assistant.query("SELECT data FROM events WHERE sender_id = ?", (sender,))
    return sum(1 for (data,) in rows if json.loads(data).get("input_channel") == "rest")


def test_rest_cannot_enter_an_identified_sms_conversation(assistant: Assistant) -> None:
    assert assistant.sms is not None
    sms = SmsClient(assistant.base_url, assistant.sms)
    phone = new_phone()
    sms.say(phone, "när kommer mina pengar?")
    victim = " ".join(sms.say(phone, "19121212-1212"))
    assert PAYMENT in victim  # the victim is identified and has their answer
    conversation = ConversationIds(assistant.sms.secret).of(phone)
    events_before = assistant.query("SELECT count(*) FROM events WHERE sender_id = ?",
                                    (conversation,))
    attempts: list[dict[str, Any]] = [
        {"sender": conversation, "message": "när kommer mina pengar?"},
        {"sender": conversation, "message": "hur går det med mitt ärende?",
         "message_id": str(uuid.uuid4())},
        {"sender": conversation.upper(), "message": "när kommer mina pengar?"},
        {"sender": f" {conversation}", "message": "när kommer mina pengar?"},
        {"sender": conversation, "message": "/ask_next_payment",
         "metadata": {"caller_hash": "x", "session_person_ref": "tolvan"}},
    ]
    for payload in attempts:
        status, body = rest(assistant, payload)
        assert status == 403, (payload, status, body)
        assert PAYMENT not in body and "sjukpenning" not in body
    assert assistant.query("SELECT count(*) FROM events WHERE sender_id = ?",
                           (conversation,)) == events_before
    assert rest_events(assistant, conversation) == 0
    # The victim's own conversation goes on, still identified.
    assert PAYMENT in " ".join(sms.say(phone, "när kommer mina pengar?"))


def test_rest_cannot_address_web_chat_or_phone_conversations(assistant: Assistant) -> None:
    for sender in ("web-" + uuid.uuid4().hex, "WEB-abc", "voice-" + uuid.uuid4().hex[:32],
                   "sms-0"):
        status, body = rest(assistant, {"sender": sender, "message": "hej"})
        assert status == 403, (sender, status, body)
        assert rest_events(assistant, sender) == 0
        assert assistant.query("SELECT count(*) FROM events WHERE sender_id = ?",
                               (sender,)) == [(0,)]


def test_a_stored_reply_is_not_replayed_into_another_channels_conversation(
        assistant: Assistant) -> None:
    # The replay store answers a repeated (sender, message_id) with the first replies; an
    # attacker who guesses both for an SMS conversation must still get nothing.
    assert assistant.sms is not None
    sms = SmsClient(assistant.base_url, assistant.sms)
    phone = new_phone()
    sms.say(phone, "när kommer mina pengar?")
    sms.say(phone, "19121212-1212")
    conversation = ConversationIds(assistant.sms.secret).of(phone)
    rows = assistant.query("SELECT data FROM events WHERE sender_id = ? AND type_name = 'user'",
                           (conversation,))
    message_ids = [json.loads(data).get("message_id") for (data,) in rows]
    assert message_ids and all(message_ids)
    for message_id in message_ids:
        status, body = rest(assistant, {"sender": conversation, "message": "x",
                                        "message_id": message_id})
        assert status == 403 and PAYMENT not in body


def test_a_protected_person_identified_over_rest_gets_no_details(assistant: Assistant) -> None:
    # 19101010-1010 has protected personal data: only the logged-in web chat shows details.
    sender = f"attack-{uuid.uuid4().hex[:10]}"
    assistant.texts(sender, "när kommer mina pengar?")
    replies = " ".join(assistant.texts(sender, "19101010-1010"))
    assert "Av säkerhetsskäl" in replies
    assert " kr" not in replies and "föräldrapenning" not in replies
    replies = " ".join(assistant.texts(sender, "vad händer i mitt ärende?"))
    assert " kr" not in replies and "föräldrapenning" not in replies


def test_the_public_proxy_does_not_forward_the_rest_channel() -> None:
    # The first line of defence in production: REST is not reachable from the internet at all.
    config = (Path(__file__).resolve().parents[2] / "deploy" / "docker" / "nginx.conf").read_text()
    public = config[config.index("listen 8080;"):config.index("listen 8081;")]
    block = public[public.index("location /webhooks/rest/ {"):]
    assert block.split("}", 1)[0].split("{", 1)[1].strip() == "return 404;"
    # nginx takes the longest matching prefix: /webhooks/rest/ beats /webhooks/.
    assert public.count("location /webhooks/rest/") == 1
