"""What the SMS tests look at besides the answers: the tracker's events of a conversation, the
messages the fake Twilio REST API was asked to send, and a notice posted as the case backend
posts it."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from connectors.sms.conversations import ConversationIds

from ..conftest import Assistant
from ..sms_harness import NOTICES_PATH, SmsClient, new_message_sid, new_phone


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
