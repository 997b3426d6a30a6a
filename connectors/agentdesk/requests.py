"""The desk's requests to the assistant, checked before anything acts on them: the delivery
token (constant-time), the size, and each field of the JSON body (docs: the contract)."""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from common.channels import reserved_prefix

MAX_TEXT_BYTES = 4096
MAX_BODY_BYTES = 32768  # the text (JSON may escape each character in 6 bytes) and the ids
MAX_ID_CHARS = 200
OUTCOMES = frozenset({"resolved", "handed_back", "no_answer"})
HANDOFF_CHANNELS = frozenset({"webchat", "twilio_sms"})


class RejectedError(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class Delivery:
    conversation_id: str
    handoff_id: str
    text: str
    message_id: str


@dataclass(frozen=True)
class Resume:
    conversation_id: str
    handoff_id: str
    outcome: str


def authorised(header: str | None, token: str) -> bool:
    scheme, _, presented = (header or "").partition(" ")
    return bool(token) and scheme.lower() == "bearer" and hmac.compare_digest(
        presented.strip().encode("utf-8"), token.encode("utf-8"))


def _body(raw: bytes) -> Mapping[str, Any]:
    if len(raw) > MAX_BODY_BYTES:
        raise RejectedError(413, f"the body is over {MAX_BODY_BYTES} bytes")
    try:
        body = json.loads(raw or b"")
    except (ValueError, UnicodeDecodeError):
        raise RejectedError(400, "the body must be JSON") from None
    if not isinstance(body, Mapping):
        raise RejectedError(400, "the body must be a JSON object")
    return body


def _id(body: Mapping[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_ID_CHARS:
        raise RejectedError(400, f"{name} must be a string of 1-{MAX_ID_CHARS} characters")
    return value.strip()


def _conversation(body: Mapping[str, Any]) -> str:
    conversation_id = _id(body, "conversation_id")
    owner = reserved_prefix(conversation_id)
    if owner is None or owner.name not in HANDOFF_CHANNELS:
        raise RejectedError(400, "conversation_id must be a web chat or SMS conversation")
    return conversation_id


def parse_delivery(raw: bytes) -> Delivery:
    body = _body(raw)
    if body.get("sender") != "agent":
        raise RejectedError(400, 'sender must be "agent"')
    text = body.get("text")
    if not isinstance(text, str) or not text.strip():
        raise RejectedError(400, "text must be a non-empty string")
    if len(text.encode("utf-8")) > MAX_TEXT_BYTES:
        raise RejectedError(413, f"text is over {MAX_TEXT_BYTES} bytes")
    return Delivery(_conversation(body), _id(body, "handoff_id"), text.strip(),
                    _id(body, "message_id"))


def parse_resume(raw: bytes) -> Resume:
    body = _body(raw)
    outcome = body.get("outcome")
    if outcome not in OUTCOMES:
        raise RejectedError(400, f"outcome must be one of {sorted(OUTCOMES)}")
    return Resume(_conversation(body), _id(body, "handoff_id"), str(outcome))
