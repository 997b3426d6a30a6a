"""The phone channel in the end-to-end stack: its test configuration and a client that posts
call webhooks signed the way Twilio signs them (over the public URL, as behind a proxy), and
reads the TwiML back."""

from __future__ import annotations

import secrets
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from xml.etree import ElementTree

from twilio.request_validator import RequestValidator

from .sms_harness import FROM_NUMBER, PUBLIC_BASE_URL, SmsTestSetup

CHANNEL_KEY = "connectors.voice.TwilioVoiceInput"
PREFIX = "/webhooks/twilio_voice"
VOICE_NUMBER = "+46101234567"


@dataclass
class VoiceTestSetup:
    store_path: Path
    sms: SmsTestSetup
    secret: str = field(default_factory=lambda: secrets.token_hex(16))

    def credentials(self) -> dict[str, Any]:
        assert self.sms.fake is not None
        # Same Twilio account as the SMS channel; the getting-started SMS goes through it.
        return {CHANNEL_KEY: {
            "account_sid": self.sms.account_sid, "auth_token": self.sms.auth_token,
            "public_base_url": PUBLIC_BASE_URL, "conversation_secret": self.secret,
            "store_path": str(self.store_path), "sms_from_number": FROM_NUMBER,
            "sms_conversation_secret": self.sms.secret,
            "sms_store_path": str(self.sms.store_path), "api_base_url": self.sms.fake.url,
        }}


@dataclass
class Step:
    status: int
    body: str
    says: list[str] = field(default_factory=list)
    gather: dict[str, str] | None = None  # the Gather's attributes
    dial: str | None = None
    hangup: bool = False
    redirect: str | None = None

    @property
    def next_path(self) -> str:
        url = self.redirect or (self.gather or {}).get("action", "")
        assert url.startswith(PUBLIC_BASE_URL), self.body
        return url[len(PUBLIC_BASE_URL):]


def parse_step(status: int, body: str) -> Step:
    step = Step(status, body)
    if status != 200:
        return step
    root = ElementTree.fromstring(body)
    step.says = [say.text or "" for say in root.iter("Say")]
    gather = root.find("Gather")
    step.gather = dict(gather.attrib) if gather is not None else None
    dial = root.find("Dial")
    step.dial = dial.text if dial is not None else None
    step.hangup = root.find("Hangup") is not None
    redirect = root.find("Redirect")
    step.redirect = redirect.text if redirect is not None else None
    return step


def new_caller() -> str:
    return "+4670" + "".join(secrets.choice("0123456789") for _ in range(7))


class Call:
    """One phone call: each answer posts to the action the last TwiML named."""

    def __init__(self, rasa_url: str, setup: VoiceTestSetup, caller: str | None = None,
                 attestation: str | None = None) -> None:
        self.rasa_url = rasa_url
        self.setup = setup
        self.caller = caller or new_caller()
        # Twilio's StirVerstat (SHAKEN attestation of the caller id), when the call has one.
        self.attestation = attestation
        self.call_sid = "CA" + secrets.token_hex(16)
        self.validator = RequestValidator(setup.sms.auth_token)
        self.last: Step | None = None
        self.transcript: list[tuple[str, str]] = []

    def params(self, **extra: str) -> dict[str, str]:
        return {"AccountSid": self.setup.sms.account_sid, "ApiVersion": "2010-04-01",
                "CallSid": self.call_sid, "CallStatus": "in-progress", "Called": VOICE_NUMBER,
                "CallerCity": "", "CallerCountry": "SE", "Direction": "inbound",
                "From": self.caller, "To": VOICE_NUMBER,
                **({"StirVerstat": self.attestation} if self.attestation else {}), **extra}

    def post(self, path: str, params: dict[str, str], signature: str | None = None,
             timeout: float = 30) -> Step:
        if signature is None:
            signature = str(self.validator.compute_signature(PUBLIC_BASE_URL + path, params))
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if signature:
            headers["X-Twilio-Signature"] = signature
        request = urllib.request.Request(self.rasa_url + path,
                                         data=urlencode(list(params.items())).encode(),
                                         headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                status, body = response.status, response.read().decode("utf-8")
        except urllib.error.HTTPError as error:
            status, body = error.code, error.read().decode("utf-8")
        return parse_step(status, body)

    def _follow(self, step: Step) -> Step:
        # "One moment": Twilio follows the Redirect to collect the answer.
        while step.status == 200 and step.redirect:
            self.transcript.append(("assistant", " ".join(step.says)))
            step = self.post(step.next_path, self.params())
        assert step.status == 200, step.body
        self.transcript.append(("assistant", " | ".join(step.says) + self._ending(step)))
        self.last = step
        return step

    @staticmethod
    def _ending(step: Step) -> str:
        if step.dial:
            return f" [Dial {step.dial}]"
        if step.hangup:
            return " [Hangup]"
        return ""

    def start(self) -> Step:
        return self._follow(self.post(f"{PREFIX}/incoming", self.params()))

    def press(self, digits: str) -> Step:
        assert self.last is not None
        self.transcript.append(("caller", f"(keypad) {digits}"))
        return self._follow(self.post(self.last.next_path, self.params(Digits=digits)))

    def say(self, speech: str) -> Step:
        assert self.last is not None
        self.transcript.append(("caller", f"(speech) {speech}"))
        return self._follow(self.post(self.last.next_path, self.params(
            SpeechResult=speech, Confidence="0.9")))

    def silence(self) -> Step:
        assert self.last is not None
        self.transcript.append(("caller", "(silence)"))
        return self._follow(self.post(self.last.next_path, self.params()))

    def hang_up(self) -> int:
        return self.post(f"{PREFIX}/status", self.params(CallStatus="completed")).status
