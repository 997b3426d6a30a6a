"""Fakes for the SMS channel's tests, injected (never patched in)."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from rasa.core.channels.channel import UserMessage
from twilio.request_validator import RequestValidator

from connectors.sms.outbound import SendError

AUTH_TOKEN = "unit-test-auth-token-0123456789ab"
ACCOUNT_SID = "AC" + "0" * 32
FROM_NUMBER = "+46700000000"
SECRET = "unit-test-conversation-secret"
PUBLIC_BASE_URL = "https://assistant.example.se"
WEBHOOK_PATH = "/webhooks/twilio_sms/webhook"


def message_sid() -> str:
    return "SM" + secrets.token_hex(16)


def inbound_params(body: str, sender: str = "+46701234567", **extra: str) -> dict[str, str]:
    """The fields Twilio posts for an incoming SMS (a representative subset)."""
    params = {"ToCountry": "SE", "SmsMessageSid": "", "NumMedia": "0", "MessageSid": "",
              "AccountSid": ACCOUNT_SID, "From": sender, "To": FROM_NUMBER, "Body": body,
              "NumSegments": "1", "ApiVersion": "2010-04-01", "FromCity": ""}
    params["MessageSid"] = params["SmsMessageSid"] = message_sid()
    params.update(extra)
    return params


def sign(params: Mapping[str, str], url: str, token: str = AUTH_TOKEN) -> str:
    """Signs a request the way Twilio does (the library's own algorithm)."""
    return str(RequestValidator(token).compute_signature(url, dict(params)))


def form_body(params: Mapping[str, str]) -> bytes:
    return urlencode(list(params.items())).encode("utf-8")


@dataclass
class Sent:
    to: str
    body: str
    status_callback: str


@dataclass
class FakeTransport:
    """Records what would go to Twilio; ``failures`` are raised first, in order."""

    failures: list[SendError] = field(default_factory=list)
    sent: list[Sent] = field(default_factory=list)
    calls: int = 0
    closed: bool = False

    async def send(self, *, to: str, body: str, status_callback: str) -> str:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(Sent(to, body, status_callback))
        return message_sid()

    async def close(self) -> None:
        self.closed = True


@dataclass
class FakeRasa:
    """Stands in for Rasa's on_new_message: answers from a script, records what it got."""

    answers: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    delays: dict[str, float] = field(default_factory=dict)
    received: list[UserMessage] = field(default_factory=list)
    finished: list[str] = field(default_factory=list)
    fail_on: set[str] = field(default_factory=set)

    async def __call__(self, message: UserMessage) -> None:
        self.received.append(message)
        text = message.text or ""
        await asyncio.sleep(self.delays.get(text, 0))
        if text in self.fail_on:
            raise RuntimeError("the model broke")
        for answer in self.answers.get(text, [{"text": f"svar på {text}"}]):
            await message.output_channel.send_response(message.sender_id, dict(answer))
        self.finished.append(text)

    @property
    def texts(self) -> list[str]:
        return [m.text or "" for m in self.received]
