"""One client per channel, each speaking that channel's real protocol to a running Rasa.

- REST (the bare baseline and the project's channel): a JSON post, the answer in the reply.
- SMS: a form post signed as Twilio signs it, the answer in the TwiML ``<Message>`` elements.
- Voice: the call's ``/incoming`` post once (the greeting, not timed), then per turn a signed
  Gather post with a SpeechResult, following any "one moment" ``<Redirect>`` until the answer
  comes, so a slow answer counts in full.
- Web chat: a python-socketio client: connect, ``session_request``, then per turn
  ``user_uttered`` and the ``bot_uttered`` bubbles of the answer. The socket.io protocol has
  no end-of-turn event; the answer's number of bubbles comes from the baseline's answer to
  the same question (one bubble per paragraph, as the channel splits them). Long-polling
  transport, as tests/web: python-engineio's WebSocket client needs aiohttp >= 3.10 and Rasa
  3.6 pins 3.9 (browsers use WebSockets; polling costs the client a request per answer).

A conversation is opened untimed; ``ask`` is the timed turn and raises TurnFailedError with a
reason when the channel does not answer as it should.
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
import xml.etree.ElementTree as ElementTree
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlencode, urlsplit

import aiohttp
import socketio
from twilio.request_validator import RequestValidator

from benchmarks.harness.server import TwilioAccount

BASELINE = "bare_rest"
CHANNELS = ("rest", "sms", "voice", "webchat")  # measured beside the baseline
FORM = "application/x-www-form-urlencoded"
SOCKETIO_PATH = "/webhooks/webchat/socket.io"
VOICE_PREFIX = "/webhooks/twilio_voice"
SMS_WEBHOOK = "/webhooks/twilio_sms/webhook"
MAX_REDIRECTS = 5
TURN_TIMEOUT = 30.0


class TurnFailedError(Exception):
    """The channel did not answer (status, timeout, empty or unreadable answer)."""


class Conversation(Protocol):
    async def ask(self, text: str) -> list[str]: ...

    async def close(self) -> None: ...


class Channel(Protocol):
    name: str
    # Opening a conversation already made its first Rasa turn (voice: the greeting), which
    # started the session: the closed loop then asks no untimed question before timing.
    opens_with_a_turn: bool

    async def open(self) -> Conversation: ...


def paragraphs(text: str) -> int:
    """Bubbles the web chat makes of one text (connectors/webchat/output.py)."""
    return max(1, sum(1 for part in text.strip().split("\n\n") if part.strip()))


# ---- REST ----
@dataclass
class RestConversation:
    http: aiohttp.ClientSession
    url: str
    sender: str

    async def ask(self, text: str) -> list[str]:
        async with self.http.post(self.url, json={"sender": self.sender,
                                                  "message": text}) as reply:
            if reply.status != 200:
                raise TurnFailedError(f"HTTP {reply.status}")
            body = await reply.json()
        if not isinstance(body, list):
            raise TurnFailedError(f"not a list of messages: {str(body)[:200]}")
        return [str(message["text"]) for message in body
                if isinstance(message, dict) and message.get("text")]

    async def close(self) -> None:
        return None


@dataclass
class RestChannel:
    """Rasa's REST contract at ``/webhooks/<webhook>/webhook``: bare_rest (the baseline) or
    rest (the project's channel); ``name`` labels the results (the webhook by default)."""

    name: str
    base_url: str
    http: aiohttp.ClientSession
    webhook: str = ""
    opens_with_a_turn: bool = False
    run_id: str = field(default_factory=lambda: secrets.token_hex(3))
    _numbers: itertools.count[int] = field(default_factory=itertools.count)

    async def open(self) -> RestConversation:
        sender = f"bench-{self.name}-{self.run_id}-{next(self._numbers)}"
        return RestConversation(
            self.http, f"{self.base_url}/webhooks/{self.webhook or self.name}/webhook",
            sender)


# ---- Twilio ----
def _signed_post_args(account: TwilioAccount, path: str,
                      params: Mapping[str, str]) -> dict[str, Any]:
    signature = RequestValidator(account.auth_token).compute_signature(
        account.public_base_url + path, dict(params))
    return {"data": urlencode(params),
            "headers": {"X-Twilio-Signature": signature, "Content-Type": FORM}}


def _twiml(body: str) -> ElementTree.Element:
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError as error:
        raise TurnFailedError(f"not TwiML: {body[:200]!r}") from error
    if root.tag != "Response":
        raise TurnFailedError(f"not a TwiML Response: {body[:200]!r}")
    return root


def _phone(prefix: str, number: int) -> str:
    return f"+4673{prefix}{number:04d}"


@dataclass
class SmsConversation:
    http: aiohttp.ClientSession
    base_url: str
    account: TwilioAccount
    sender: str

    async def ask(self, text: str) -> list[str]:
        sid = "SM" + secrets.token_hex(16)
        params = {"MessageSid": sid, "SmsMessageSid": sid, "SmsSid": sid,
                  "AccountSid": self.account.account_sid, "From": self.sender,
                  "To": "+46700000000", "Body": text, "NumMedia": "0", "NumSegments": "1",
                  "ApiVersion": "2010-04-01"}
        async with self.http.post(self.base_url + SMS_WEBHOOK,
                                  **_signed_post_args(self.account, SMS_WEBHOOK,
                                                      params)) as reply:
            body = await reply.text()
            if reply.status != 200:
                raise TurnFailedError(f"HTTP {reply.status}: {body[:200]}")
        texts = ["".join(message.itertext()) for message in _twiml(body).iter("Message")]
        if not any(texts):
            raise TurnFailedError("no <Message> in the TwiML (the answer was late)")
        return texts

    async def close(self) -> None:
        return None


@dataclass
class SmsChannel:
    base_url: str
    http: aiohttp.ClientSession
    account: TwilioAccount
    name: str = "sms"
    opens_with_a_turn: bool = False
    prefix: str = field(default_factory=lambda: f"{secrets.randbelow(1000):03d}")
    _numbers: itertools.count[int] = field(default_factory=itertools.count)

    async def open(self) -> SmsConversation:
        return SmsConversation(self.http, self.base_url, self.account,
                               _phone(self.prefix, next(self._numbers)))


@dataclass
class VoiceCall:
    http: aiohttp.ClientSession
    base_url: str
    account: TwilioAccount
    caller: str
    call_sid: str = field(default_factory=lambda: "CA" + secrets.token_hex(16))
    next_path: str | None = f"{VOICE_PREFIX}/incoming"
    broken: str = ""  # why the call is out of step

    async def _post(self, **extra: str) -> tuple[list[str], bool]:
        """The Says of one TwiML answer, and whether it was a "one moment" Redirect."""
        if self.next_path is None:
            raise TurnFailedError("the call has ended")
        params = {"AccountSid": self.account.account_sid, "CallSid": self.call_sid,
                  "From": self.caller, "To": "+46101234567", "CallStatus": "in-progress",
                  "ApiVersion": "2010-04-01", **extra}
        async with self.http.post(self.base_url + self.next_path,
                                  **_signed_post_args(self.account, self.next_path,
                                                      params)) as reply:
            body = await reply.text()
            if reply.status != 200:
                raise TurnFailedError(f"HTTP {reply.status}: {body[:200]}")
        root = _twiml(body)
        says = ["".join(say.itertext()) for say in root.iter("Say")]
        gather, redirect = root.find("Gather"), root.find("Redirect")
        if gather is not None:
            self.next_path = self._local(gather.get("action", ""))
        elif redirect is not None:
            self.next_path = self._local(redirect.text or "")
        else:  # Hangup or Dial: nothing more to say in this call
            self.next_path = None
        return says, redirect is not None

    def _local(self, url: str) -> str:
        if not url.startswith(self.account.public_base_url):
            raise TurnFailedError(f"the TwiML points elsewhere: {url!r}")
        parts = urlsplit(url)
        return parts.path + (f"?{parts.query}" if parts.query else "")

    async def greet(self) -> None:
        says, _ = await self._post()
        if not says or self.next_path is None:
            raise TurnFailedError("no greeting")

    async def ask(self, text: str) -> list[str]:
        if self.broken:
            raise TurnFailedError(f"call out of step since a failed turn ({self.broken})")
        try:
            says, waiting = await self._post(SpeechResult=text, Confidence="0.92")
            for _ in range(MAX_REDIRECTS):
                if not waiting:
                    return says
                more, waiting = await self._post()  # Twilio collecting the answer
                says += more
            raise TurnFailedError(f"still no answer after {MAX_REDIRECTS} redirects")
        except BaseException as error:
            # The call's next step is unknown now: its later turns fail rather than read
            # a late answer as theirs.
            self.broken = type(error).__name__
            raise

    async def close(self) -> None:
        return None


@dataclass
class VoiceChannel:
    base_url: str
    http: aiohttp.ClientSession
    account: TwilioAccount
    name: str = "voice"
    opens_with_a_turn: bool = True  # the call's greeting
    prefix: str = field(default_factory=lambda: f"{secrets.randbelow(1000):03d}")
    _numbers: itertools.count[int] = field(default_factory=itertools.count)

    async def open(self) -> VoiceCall:
        call = VoiceCall(self.http, self.base_url, self.account,
                         _phone(self.prefix, next(self._numbers)))
        await call.greet()
        return call


# ---- web chat ----
class WebChatConversation:
    def __init__(self, base_url: str, bubbles: Mapping[str, int]) -> None:
        self.base_url = base_url
        self.bubbles = bubbles
        self.sio = socketio.AsyncClient(reconnection=False)
        self.events: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        self.session_id = ""
        self.broken = ""  # why the conversation is out of step
        for event in ("session_confirm", "session_history", "bot_uttered", "webchat_error",
                      "disconnect"):
            self.sio.on(event, self._collector(event))

    def _collector(self, event: str) -> Any:
        async def collect(data: Any = None) -> None:
            self.events.put_nowait((event, data))
        return collect

    async def _next(self, *wanted: str) -> Any:
        while True:
            event, data = await asyncio.wait_for(self.events.get(), TURN_TIMEOUT)
            if event == "webchat_error":
                raise TurnFailedError(f"webchat_error {data!r}")
            if event == "disconnect":
                raise TurnFailedError(f"socket.io disconnected ({data!r})")
            if event in wanted:
                return data

    async def start(self) -> None:
        await self.sio.connect(self.base_url, socketio_path=SOCKETIO_PATH,
                               transports=["polling"], wait_timeout=TURN_TIMEOUT)
        await self.sio.emit("session_request", {"session_id": None})
        self.session_id = str(await self._next("session_confirm"))
        await self._next("session_history")

    async def ask(self, text: str) -> list[str]:
        if self.broken:
            raise TurnFailedError(f"conversation out of step since a failed turn "
                                  f"({self.broken})")
        texts: list[str] = []
        try:
            await self.sio.emit("user_uttered", {"message": text,
                                                 "session_id": self.session_id,
                                                 "metadata": {"language": "sv"}})
            while len(texts) < self.bubbles.get(text, 1):
                bubble = await self._next("bot_uttered")
                texts.append(str(bubble.get("text", "")) if isinstance(bubble, dict) else "")
        except asyncio.TimeoutError:
            self.broken = "timeout"
            raise TurnFailedError(f"{len(texts)} bubbles in {TURN_TIMEOUT} s (socket.io "
                                  f"{'connected' if self.sio.connected else 'disconnected'})"
                                  ) from None
        except BaseException as error:
            # A late bubble would be read as the next turn's answer: no next turn.
            self.broken = type(error).__name__
            raise
        return texts

    async def close(self) -> None:
        if self.sio.eio.state == "connected":
            # engine.io CLOSE at once, not after the pending long-poll's next ping.
            await self.sio.eio.disconnect(abort=True)


@dataclass
class WebChatChannel:
    base_url: str
    bubbles: Mapping[str, int]  # question → bubbles in its answer
    name: str = "webchat"
    opens_with_a_turn: bool = False

    async def open(self) -> WebChatConversation:
        conversation = WebChatConversation(self.base_url, self.bubbles)
        try:
            await conversation.start()
        except BaseException:
            await conversation.close()
            raise
        return conversation


def http_session(connections: int = 0) -> aiohttp.ClientSession:
    """One pool for all clients; ``connections=0`` leaves the pool unbounded."""
    return aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TURN_TIMEOUT),
                                 connector=aiohttp.TCPConnector(limit=connections))


def all_channels(base_url: str, http: aiohttp.ClientSession, account: TwilioAccount,
                 bubbles: Mapping[str, int]) -> dict[str, Channel]:
    """The baseline first, then the channels in CHANNELS order."""
    return {BASELINE: RestChannel(BASELINE, base_url, http),
            "rest": RestChannel("rest", base_url, http),
            "sms": SmsChannel(base_url, http, account),
            "voice": VoiceChannel(base_url, http, account),
            "webchat": WebChatChannel(base_url, bubbles)}
