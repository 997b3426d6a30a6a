"""Webhooks posted as Twilio posts them: the same fields, signed with the account's token over
the public URL (the ``twilio`` package's ``RequestValidator``), and the TwiML followed.

Used by ``make sms`` / ``make call`` against the local account, and by the end-to-end tests
against theirs. Requests go to ``rasa_url``; signatures are computed for ``public_base_url``,
which is where Twilio would have sent them (the same address locally).
"""

from __future__ import annotations

import json
import secrets
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

from connectors.local_twilio.twiml import VoiceStep, parse_messages, parse_voice

SMS_PATH = "/webhooks/twilio_sms/webhook"
VOICE_PATH = "/webhooks/twilio_voice/incoming"
VOICE_STATUS_PATH = "/webhooks/twilio_voice/status"


class WebhookError(RuntimeError):
    """The assistant refused a webhook (Twilio would log the status and give up)."""

    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"HTTP {status}: {body[:200]}")
        self.status = status


@dataclass(frozen=True)
class TwilioEndpoint:
    """Where the webhooks go and how they are signed."""

    rasa_url: str
    public_base_url: str
    account_sid: str
    auth_token: str
    assistant_number: str
    caller_number: str
    timeout: float = 30.0

    def post(self, path: str, params: dict[str, str]) -> str:
        """Posts a signed form; the path may carry a query (it is part of what is signed)."""
        url = self.public_base_url + path
        signature = RequestValidator(self.auth_token).compute_signature(url, params)
        request = urllib.request.Request(
            self.rasa_url + path, data=urlencode(list(params.items())).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded",
                     "X-Twilio-Signature": str(signature), "User-Agent": "TwilioProxy/1.1"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return str(response.read().decode("utf-8"))
        except urllib.error.HTTPError as error:
            raise WebhookError(error.code, error.read().decode("utf-8", "replace")) from None

    def local_path(self, url: str) -> str:
        """A TwiML action URL (absolute, on the public address) as a path on Rasa."""
        if url.startswith(self.public_base_url):
            return url[len(self.public_base_url):]
        if url.startswith("/"):
            return url
        raise WebhookError(0, f"TwiML points outside the assistant: {url}")


def new_sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


@dataclass
class SmsClient:
    """One phone sending SMS to the assistant's number."""

    endpoint: TwilioEndpoint

    def send(self, text: str) -> list[str]:
        """The texts of the TwiML answer (empty when the answer follows through the outbox)."""
        sid = new_sid("SM")
        params = {"ToCountry": "SE", "ToState": "", "SmsMessageSid": sid, "NumMedia": "0",
                  "ToCity": "", "FromZip": "", "SmsSid": sid, "FromState": "",
                  "SmsStatus": "received", "FromCity": "", "Body": text, "FromCountry": "SE",
                  "To": self.endpoint.assistant_number, "ToZip": "", "NumSegments": "1",
                  "MessageSid": sid, "AccountSid": self.endpoint.account_sid,
                  "From": self.endpoint.caller_number, "ApiVersion": "2010-04-01"}
        return parse_messages(self.endpoint.post(SMS_PATH, params))


@dataclass
class CallClient:
    """One phone call: every answer is posted to the action the last TwiML named, and
    ``<Redirect>`` is followed as Twilio follows it."""

    endpoint: TwilioEndpoint
    call_sid: str = field(default_factory=lambda: new_sid("CA"))
    last: VoiceStep | None = None
    max_redirects: int = 20

    def params(self, **extra: str) -> dict[str, str]:
        return {"AccountSid": self.endpoint.account_sid, "ApiVersion": "2010-04-01",
                "CallSid": self.call_sid, "CallStatus": "in-progress",
                "Called": self.endpoint.assistant_number, "Caller": self.endpoint.caller_number,
                "CallerCountry": "SE", "Direction": "inbound",
                "From": self.endpoint.caller_number, "To": self.endpoint.assistant_number,
                # The local phone is the caller it says it is: attested as Twilio attests a
                # verified caller id (SHAKEN level A).
                "StirVerstat": "TN-Validation-Passed-A", **extra}

    def _follow(self, path: str, params: dict[str, str]) -> list[VoiceStep]:
        """The steps until the call waits for the caller or ends (each redirect is one)."""
        steps = [parse_voice(self.endpoint.post(path, params))]
        while steps[-1].redirect is not None:
            if len(steps) > self.max_redirects:
                raise WebhookError(0, "too many redirects")
            steps.append(parse_voice(self.endpoint.post(
                self.endpoint.local_path(steps[-1].redirect or ""), self.params())))
        self.last = steps[-1]
        return steps

    def start(self) -> list[VoiceStep]:
        return self._follow(VOICE_PATH, self.params(CallStatus="ringing"))

    def _answer(self, **extra: str) -> list[VoiceStep]:
        if self.last is None or self.last.gather is None:
            raise WebhookError(0, "the call is not waiting for an answer")
        return self._follow(self.endpoint.local_path(self.last.gather.action),
                            self.params(**extra))

    def press(self, digits: str) -> list[VoiceStep]:
        """Keys typed on the keypad (Twilio leaves out the finishing #)."""
        return self._answer(Digits=digits.rstrip("#"))

    def say(self, speech: str) -> list[VoiceStep]:
        """Speech, as Twilio's recogniser would hand it over."""
        return self._answer(SpeechResult=speech, Confidence="0.92")

    def silence(self) -> list[VoiceStep]:
        return self._answer()

    def hang_up(self) -> None:
        self.endpoint.post(VOICE_STATUS_PATH, self.params(CallStatus="completed",
                                                          CallDuration="30"))


def answer(call: CallClient, line: str) -> list[VoiceStep]:
    """A line typed by the caller: only keypad characters are keys, anything else is speech,
    nothing is silence."""
    line = line.strip()
    if not line:
        return call.silence()
    if all(char in "0123456789*#" for char in line):
        return call.press(line)
    return call.say(line)


def outbox_messages(outbox_url: str, to: str, after: int = 0,
                    timeout: float = 5.0) -> list[dict[str, Any]]:
    """Messages the assistant sent to ``to`` through the local outbox, after message ``after``."""
    query = urlencode({"to": to, "after": str(after)})
    with urllib.request.urlopen(f"{outbox_url}/outbox?{query}", timeout=timeout) as response:
        return list(json.loads(response.read())["messages"])
