"""A local stand-in for Twilio's REST API (Messages), for tests and the benchmark.

It checks the account's basic auth, records each message, answers as Twilio does (201 with
a message SID, or an error body with Twilio's error code), and then posts signed status
callbacks ("sent", "delivered") to the message's StatusCallback, the way Twilio would reach
the public address: the callback is signed for the public URL and delivered to the local one
(``public_base_url`` → ``local_base_url``), as a proxy in front of Rasa would.
"""

from __future__ import annotations

import asyncio
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web
from twilio.request_validator import RequestValidator


@dataclass
class ReceivedMessage:
    sid: str
    to: str
    sender: str
    body: str
    status_callback: str


@dataclass
class Failure:
    status: int
    code: int


@dataclass
class FakeTwilio:
    account_sid: str
    auth_token: str
    public_base_url: str = ""
    local_base_url: str = ""
    callback_statuses: tuple[str, ...] = ("sent", "delivered")
    messages: list[ReceivedMessage] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    # Recipients Twilio refuses (they answered STOP at Twilio): error 21610.
    unsubscribed: set[str] = field(default_factory=set)
    callbacks: list[tuple[str, str, int]] = field(default_factory=list)
    requests: int = 0
    delay: float = 0.0  # seconds before answering, to test timeouts
    _runner: web.AppRunner | None = None
    _background: set[asyncio.Task[Any]] = field(default_factory=set)
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/2010-04-01/Accounts/{sid}/Messages.json", self._create)
        return app

    async def start(self, port: int = 0) -> None:
        self._runner = web.AppRunner(self.app())
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", port).start()
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        if self._background:
            await asyncio.wait(set(self._background), timeout=5)
        if self._runner is not None:
            await self._runner.cleanup()

    async def _create(self, request: web.Request) -> web.Response:
        self.requests += 1
        await asyncio.sleep(self.delay)
        expected = aiohttp.BasicAuth(self.account_sid, self.auth_token).encode()
        if request.match_info["sid"] != self.account_sid or \
                request.headers.get("Authorization") != expected:
            return web.json_response({"code": 20003, "message": "Authenticate",
                                      "status": 401}, status=401)
        form = await request.post()
        to, body = str(form.get("To", "")), str(form.get("Body", ""))
        if self.failures:
            failure = self.failures.pop(0)
            return web.json_response({"code": failure.code, "message": "failure",
                                      "status": failure.status}, status=failure.status)
        if to in self.unsubscribed:
            return web.json_response({"code": 21610, "message": "Attempt to send to "
                                      "unsubscribed recipient", "status": 400}, status=400)
        sid = "SM" + secrets.token_hex(16)
        message = ReceivedMessage(sid, to, str(form.get("From", "")), body,
                                  str(form.get("StatusCallback", "")))
        self.messages.append(message)
        if message.status_callback and self.local_base_url:
            task = asyncio.create_task(self._status_callbacks(message))
            self._background.add(task)
            task.add_done_callback(self._background.discard)
        return web.json_response({"sid": sid, "account_sid": self.account_sid, "to": to,
                                  "from": message.sender, "body": body, "status": "queued",
                                  "num_segments": "1"}, status=201)

    async def _status_callbacks(self, message: ReceivedMessage) -> None:
        local = message.status_callback.replace(self.public_base_url, self.local_base_url, 1)
        validator = RequestValidator(self.auth_token)
        async with aiohttp.ClientSession() as session:
            for status in self.callback_statuses:
                await asyncio.sleep(0.02)
                params = {"MessageSid": message.sid, "SmsSid": message.sid,
                          "AccountSid": self.account_sid, "MessageStatus": status,
                          "SmsStatus": status, "To": message.to, "From": message.sender,
                          "ApiVersion": "2010-04-01", "ErrorCode": ""}
                signature = validator.compute_signature(message.status_callback, params)
                async with session.post(local, data=params,
                                        headers={"X-Twilio-Signature": signature}) as reply:
                    self.callbacks.append((message.sid, status, reply.status))


class FakeTwilioThread:
    """The fake on its own event loop in a daemon thread, for tests driving real processes."""

    def __init__(self, fake: FakeTwilio) -> None:
        self.fake = fake
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def start(self) -> FakeTwilio:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.fake.start(), self._loop).result(timeout=10)
        return self.fake

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.fake.stop(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
