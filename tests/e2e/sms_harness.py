"""The SMS channel in the end-to-end stack: its test configuration, a fake Twilio REST API on
loopback, and a client that posts webhooks signed the way Twilio signs them.

Rasa is reached on 127.0.0.1 while requests are signed for ``PUBLIC_BASE_URL``, as behind a
proxy: the channel must check signatures against its configured public address.
"""

from __future__ import annotations

import secrets
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from xml.etree import ElementTree

from twilio.request_validator import RequestValidator

from tests.fake_twilio import FakeTwilio, FakeTwilioThread

CHANNEL_KEY = "connectors.sms.TwilioSmsInput"
PUBLIC_BASE_URL = "https://assistant.example.se"
WEBHOOK_PATH = "/webhooks/twilio_sms/webhook"
NOTICES_PATH = "/webhooks/twilio_sms/notices"
FROM_NUMBER = "+46700000000"


@dataclass
class SmsTestSetup:
    """Made before Rasa starts (its URL goes into the credentials), stopped after."""

    store_path: Path
    account_sid: str = field(default_factory=lambda: "AC" + secrets.token_hex(16))
    auth_token: str = field(default_factory=lambda: secrets.token_hex(16))
    secret: str = field(default_factory=lambda: secrets.token_hex(16))
    thread: FakeTwilioThread | None = None
    fake: FakeTwilio | None = None

    def start(self) -> SmsTestSetup:
        self.thread = FakeTwilioThread(FakeTwilio(self.account_sid, self.auth_token,
                                                  public_base_url=PUBLIC_BASE_URL))
        self.fake = self.thread.start()
        return self

    def stop(self) -> None:
        if self.thread is not None:
            self.thread.stop()

    def credentials(self) -> dict[str, Any]:
        assert self.fake is not None
        return {CHANNEL_KEY: {
            "account_sid": self.account_sid, "auth_token": self.auth_token,
            "public_base_url": PUBLIC_BASE_URL, "from_number": FROM_NUMBER,
            "conversation_secret": self.secret, "store_path": str(self.store_path),
            "api_base_url": self.fake.url,
            # Test only: lets a test bind the conversation to a demo person.
            "test_identity_header": True,
        }}

    def connect(self, rasa_url: str) -> None:
        """Status callbacks from the fake reach Rasa where a proxy would forward them."""
        assert self.fake is not None
        self.fake.local_base_url = rasa_url


@dataclass
class SmsReply:
    status: int
    messages: list[str]
    body: str


def new_message_sid() -> str:
    return "SM" + secrets.token_hex(16)


def new_phone() -> str:
    return "+4670" + "".join(secrets.choice("0123456789") for _ in range(7))


class SmsClient:
    """Posts signed SMS webhooks to the running Rasa, like Twilio."""

    def __init__(self, rasa_url: str, setup: SmsTestSetup) -> None:
        self.rasa_url = rasa_url
        self.setup = setup
        self.validator = RequestValidator(setup.auth_token)
        # SIDs of the REST messages `say` returned as a turn's (personal) answer.
        self.rest_answers: set[str] = set()

    def params(self, body: str, sender: str, message_sid: str | None = None,
               **extra: str) -> dict[str, str]:
        sid = message_sid or new_message_sid()
        params = {"ToCountry": "SE", "ToState": "", "SmsMessageSid": sid, "NumMedia": "0",
                  "ToCity": "", "FromZip": "", "SmsSid": sid, "FromState": "",
                  "SmsStatus": "received", "FromCity": "", "Body": body, "FromCountry": "SE",
                  "To": FROM_NUMBER, "ToZip": "", "NumSegments": "1", "MessageSid": sid,
                  "AccountSid": self.setup.account_sid, "From": sender,
                  "ApiVersion": "2010-04-01"}
        params.update(extra)
        return params

    def sign(self, params: dict[str, str], path: str = WEBHOOK_PATH) -> str:
        return str(self.validator.compute_signature(PUBLIC_BASE_URL + path, params))

    def post(self, params: dict[str, str] | None = None, *, raw: bytes | None = None,
             signature: str | None = None, content_type: str =
             "application/x-www-form-urlencoded", person_ref: str | None = None,
             path: str = WEBHOOK_PATH, timeout: float = 60) -> SmsReply:
        data = raw if raw is not None else urlencode(list((params or {}).items())).encode()
        headers = {"Content-Type": content_type}
        if signature is None and params is not None:
            signature = self.sign(params, path)
        if signature is not None:
            headers["X-Twilio-Signature"] = signature
        if person_ref:
            headers["X-Test-Person-Ref"] = person_ref
        request = urllib.request.Request(self.rasa_url + path, data=data, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                status, body = response.status, response.read().decode("utf-8")
        except urllib.error.HTTPError as error:
            status, body = error.code, error.read().decode("utf-8")
        messages = []
        if status == 200 and body.startswith("<?xml"):
            messages = [m.text or "" for m in ElementTree.fromstring(body).iter("Message")]
        return SmsReply(status, messages, body)

    def sent_to(self, phone: str) -> list[str]:
        """What went to ``phone`` through the REST API (the fake Twilio)."""
        return [m.body for m in self._messages_to(phone)]

    def _messages_to(self, phone: str) -> list[Any]:
        assert self.setup.fake is not None
        return [m for m in list(self.setup.fake.messages) if m.to == phone]

    def say(self, sender: str, text: str, person_ref: str | None = None) -> list[str]:
        """The answer to one message: in the webhook's TwiML, or (a personal answer) sent
        through the REST API to the sender's number before the webhook returned."""
        before = len(self._messages_to(sender))
        reply = self.post(self.params(text, sender), person_ref=person_ref)
        assert reply.status == 200, reply.body
        by_rest = self._messages_to(sender)[before:]
        self.rest_answers |= {m.sid for m in by_rest}
        return [*reply.messages, *(m.body for m in by_rest)]

    def wait_for(self, condition: Any, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            time.sleep(0.05)
        raise AssertionError("condition not met in time")
