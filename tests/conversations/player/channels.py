"""One driver per channel, each speaking the channel's real protocol to the running Rasa:
REST (JSON), SMS (form posts signed as Twilio signs, numbered choices), the phone (signed
webhooks, keypad and speech, following the TwiML's Gather/Redirect actions) and the web chat
(socket.io, anonymous or logged in with a session token minted by the test login)."""

from __future__ import annotations

import asyncio
import json
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from typing import Any, Protocol

from connectors.sms.conversations import ConversationIds
from connectors.voice.ids import CallerIds
from connectors.webchat.sessions import SENDER_PREFIX
from tests.e2e.conftest import http_json
from tests.e2e.sms_harness import SmsClient, new_phone
from tests.e2e.voice_harness import Call
from tests.web.harness import Client

from .corpus import Step
from .stack import Stack
from .tracker import TrackerStore, TurnEvents


@dataclass
class Reply:
    texts: list[str]
    events: TurnEvents
    dial: str | None = None
    hangup: bool = False
    raw: list[Any] = field(default_factory=list)


class Driver(Protocol):
    sender_id: str

    def open(self) -> None: ...

    def send(self, step: Step) -> Reply: ...

    def close(self) -> None: ...


class RestDriver:
    def __init__(self, stack: Stack, tracker: TrackerStore) -> None:
        self.stack, self.tracker = stack, tracker
        self.sender_id = f"corpus-{uuid.uuid4().hex[:12]}"

    def open(self) -> None:
        return None

    def send(self, step: Step) -> Reply:
        before = self.tracker.count(self.sender_id)
        body = http_json(f"{self.stack.base_url}/webhooks/rest/webhook",
                         {"sender": self.sender_id, "message": step.say or ""}, timeout=60)
        events = self.tracker.turn(self.sender_id, before, needs_user=True)
        return Reply([str(m.get("text") or "") for m in body], events, raw=list(body))

    def close(self) -> None:
        return None


class SmsDriver:
    def __init__(self, stack: Stack, tracker: TrackerStore) -> None:
        self.stack, self.tracker = stack, tracker
        self.client = SmsClient(stack.base_url, stack.sms)
        self.phone = new_phone()
        self.sender_id = ConversationIds(stack.sms.secret).of(self.phone)

    def open(self) -> None:
        return None

    def _outbound(self) -> list[str]:
        fake = self.stack.sms.fake
        assert fake is not None
        return [m.body for m in list(fake.messages) if m.to == self.phone]

    def send(self, step: Step) -> Reply:
        before = self.tracker.count(self.sender_id)
        sent_before = len(self._outbound())
        reply = self.client.post(self.client.params(step.say or "", self.phone))
        assert reply.status == 200, reply.body
        events = self.tracker.turn(self.sender_id, before, needs_user=True)
        # A personal answer, or one later than the channel's reply timeout, comes through
        # the REST API.
        by_rest = self._outbound()[sent_before:]
        return Reply([*reply.messages, *by_rest], events)

    def close(self) -> None:
        return None


class VoiceDriver:
    def __init__(self, stack: Stack, tracker: TrackerStore) -> None:
        self.stack, self.tracker = stack, tracker
        self.call = Call(stack.base_url, stack.voice)
        self.sender_id = CallerIds(stack.voice.secret).conversation(self.call.call_sid)
        self.greeting: list[str] = []

    def open(self) -> None:
        self.greeting = self.call.start().says

    def send(self, step: Step) -> Reply:
        before = self.tracker.count(self.sender_id)
        last = self.call.last
        if last is not None and (last.hangup or last.gather is None):
            raise AssertionError("the call has already ended")
        if step.keys is not None:
            answer = self.call.press(self._keys_taken(step.keys))
        else:
            answer = self.call.say(step.say or "")
        events = self.tracker.turn(self.sender_id, before, needs_user=False, timeout=10)
        return Reply(list(answer.says), events, dial=answer.dial, hangup=answer.hangup)

    def _keys_taken(self, keys: str) -> str:
        """What Twilio passes on: a <Gather numDigits="n"> stops after n keys."""
        gather = (self.call.last.gather if self.call.last else None) or {}
        limit = gather.get("numDigits")
        return keys[:int(limit)] if limit else keys

    def close(self) -> None:
        self.call.hang_up()


def demo_token(base_url: str, personnummer: str) -> str:
    """What the demo page's test login does: ask the server for a session token (JWT)."""
    query = urllib.parse.urlencode({"person": personnummer})
    with urllib.request.urlopen(f"{base_url}/webhooks/webchat/demo/session-token?{query}",
                                timeout=10) as answer:
        return str(json.loads(answer.read())["token"])


class WebDriver:
    """The socket.io client runs on this driver's own event loop (one per conversation
    thread); the turn ends when the tracker shows the assistant listening again."""

    def __init__(self, stack: Stack, tracker: TrackerStore, language: str,
                 personnummer: str | None = None) -> None:
        self.stack, self.tracker = stack, tracker
        self.language = language
        self.personnummer = personnummer
        self.loop = asyncio.new_event_loop()
        self.client: Client | None = None
        self.sender_id = ""

    def _run(self, coroutine: Any) -> Any:
        return self.loop.run_until_complete(coroutine)

    def open(self) -> None:
        auth = None
        if self.personnummer is not None:
            auth = {"token": demo_token(self.stack.base_url, self.personnummer)}
        self.client = Client()
        self._run(self.client.connect(self.stack.base_url, auth))
        token, _ = self._run(self.client.start_session())
        self.sender_id = SENDER_PREFIX + token.split(".")[0]

    async def _drain(self, quiet: float) -> list[Any]:
        assert self.client is not None
        messages = []
        while True:
            try:
                messages.append(await self.client.next("bot_uttered", quiet))
            except asyncio.TimeoutError:
                return messages

    def send(self, step: Step) -> Reply:
        assert self.client is not None
        before = self.tracker.count(self.sender_id)
        # The widget sends its page language with every message.
        self._run(self.client.say(step.say or "", metadata={"language": self.language}))
        events = self.loop.run_until_complete(asyncio.to_thread(
            self.tracker.turn, self.sender_id, before, needs_user=True))
        messages = self._run(self._drain(0.3))
        return Reply([str(m.get("text") or "") for m in messages], events, raw=messages)

    def close(self) -> None:
        if self.client is not None:
            self._run(self.client.close())
        # python-engineio's polling tasks end with the loop: cancel them, then close it.
        pending = asyncio.all_tasks(self.loop)
        for task in pending:
            task.cancel()
        self._run(asyncio.gather(*pending, return_exceptions=True))
        self.loop.close()
