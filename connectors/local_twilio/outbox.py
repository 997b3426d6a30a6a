"""The local outbox: Twilio's Messages API on this machine, and the browser phone.

``make run`` starts it (``python -m connectors.local_twilio.outbox``) and points the channels'
Twilio client at it (``TWILIO_API_BASE_URL``), so the SMS that would go out through Twilio
(answers sent later, notices, the getting-started SMS of a call) land here, and ``make sms``
shows them. It answers as Twilio does (basic auth with the account, 201 with a message SID)
and then posts signed status callbacks (``sent``, ``delivered``) to the message's
``StatusCallback``. Messages are kept in memory only (the last ``KEEP``), never in a file.

``/phone/`` is the browser phone (web/demo/phone.html): the page sends keys or a line of
speech to ``/phone/calls``, and this service posts the signed webhooks with ``CallClient``,
so the token never reaches the browser.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import logging
import secrets
import time
from collections import deque
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from twilio.request_validator import RequestValidator

from connectors.local_twilio.account import LocalAccount, load
from connectors.local_twilio.client import (
    CallClient,
    TwilioEndpoint,
    WebhookError,
    answer,
)
from connectors.local_twilio.twiml import VoiceStep

KEEP = 1000
WEB_DEMO = Path(__file__).resolve().parents[2] / "web" / "demo"
PHONE_FILES = {"": ("phone.html", "text/html"), "phone.js": ("phone.js", "text/javascript"),
               "phone.css": ("phone.css", "text/css")}
PHONE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; "
             "frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutboxMessage:
    id: int
    sid: str
    to: str
    sender: str
    body: str
    sent_at: float


def step_json(step: VoiceStep) -> dict[str, Any]:
    return {"says": [asdict(said) for said in step.says],
            "gather": asdict(step.gather) if step.gather else None,
            "dial": step.dial, "hangup": step.hangup, "ended": step.ended}


class Outbox:
    def __init__(self, account: LocalAccount, rasa_url: str) -> None:
        self.account = account
        self.rasa_url = rasa_url
        self.messages: deque[OutboxMessage] = deque(maxlen=KEEP)
        self._ids = itertools.count(1)
        self._calls: dict[str, CallClient] = {}
        self._background: set[asyncio.Task[None]] = set()

    def endpoint(self) -> TwilioEndpoint:
        return TwilioEndpoint(self.rasa_url, self.account.public_base_url,
                              self.account.account_sid, self.account.auth_token,
                              self.account.assistant_number, self.account.caller_number)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/2010-04-01/Accounts/{sid}/Messages.json", self.create_message)
        app.router.add_get("/outbox", self.list_messages)
        app.router.add_get("/health", self.health)
        app.router.add_post("/phone/calls", self.start_call)
        app.router.add_post("/phone/calls/{call}", self.call_answer)
        app.router.add_get("/phone", self.phone_redirect)
        app.router.add_get("/phone/config.json", self.phone_config)
        app.router.add_get("/phone/{name:.*}", self.phone_file)
        return app

    async def health(self, _: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def create_message(self, request: web.Request) -> web.Response:
        expected = aiohttp.BasicAuth(self.account.account_sid,
                                     self.account.auth_token).encode()
        if request.match_info["sid"] != self.account.account_sid or \
                request.headers.get("Authorization") != expected:
            return web.json_response({"code": 20003, "message": "Authenticate",
                                      "status": 401}, status=401)
        form = await request.post()
        message = OutboxMessage(next(self._ids), "SM" + secrets.token_hex(16),
                                str(form.get("To", "")), str(form.get("From", "")),
                                str(form.get("Body", "")), time.time())
        self.messages.append(message)
        callback = str(form.get("StatusCallback", ""))
        if callback:
            task = asyncio.create_task(self._status_callbacks(message, callback))
            self._background.add(task)
            task.add_done_callback(self._background.discard)
        return web.json_response(
            {"sid": message.sid, "account_sid": self.account.account_sid, "to": message.to,
             "from": message.sender, "body": message.body, "status": "queued",
             "num_segments": "1", "api_version": "2010-04-01"}, status=201)

    async def _status_callbacks(self, message: OutboxMessage, callback: str) -> None:
        """As Twilio reports a delivery: signed for the public URL, sent to Rasa."""
        local = self.rasa_url + callback[len(self.account.public_base_url):] \
            if callback.startswith(self.account.public_base_url) else callback
        validator = RequestValidator(self.account.auth_token)
        try:
            async with aiohttp.ClientSession() as session:
                for status in ("sent", "delivered"):
                    await asyncio.sleep(0.05)
                    params = {"MessageSid": message.sid, "SmsSid": message.sid,
                              "AccountSid": self.account.account_sid,
                              "MessageStatus": status, "SmsStatus": status, "To": message.to,
                              "From": message.sender, "ApiVersion": "2010-04-01"}
                    signature = validator.compute_signature(callback, params)
                    async with session.post(local, data=params,
                                            headers={"X-Twilio-Signature": signature}):
                        pass
        except aiohttp.ClientError as error:
            logger.warning("status callback not delivered: %s", error)

    async def list_messages(self, request: web.Request) -> web.Response:
        to = request.query.get("to", "")
        after = int(request.query.get("after", "0") or 0)
        found = [asdict(m) for m in self.messages if m.id > after and (not to or m.to == to)]
        return web.json_response({"messages": found})

    async def phone_redirect(self, _: web.Request) -> web.Response:
        raise web.HTTPFound("/phone/")  # the page's links are relative to /phone/

    async def phone_config(self, _: web.Request) -> web.Response:
        return web.json_response({"caller_number": self.account.caller_number,
                                  "assistant_number": self.account.assistant_number})

    async def phone_file(self, request: web.Request) -> web.StreamResponse:
        entry = PHONE_FILES.get(request.match_info["name"])
        if entry is None:
            raise web.HTTPNotFound()
        name, content_type = entry
        return web.Response(body=(WEB_DEMO / name).read_bytes(), content_type=content_type,
                            charset="utf-8", headers={"Content-Security-Policy": PHONE_CSP,
                                                      "Cache-Control": "no-store"})

    async def start_call(self, _: web.Request) -> web.Response:
        call = CallClient(self.endpoint())
        return await self._steps(call, lambda: call.start(), new_call=True)

    async def call_answer(self, request: web.Request) -> web.Response:
        call = self._calls.get(request.match_info["call"])
        if call is None:
            raise web.HTTPNotFound()
        body = await request.json()
        if body.get("hangup"):
            await asyncio.to_thread(call.hang_up)
            self._calls.pop(call.call_sid, None)
            return web.json_response({"steps": [], "call": call.call_sid})
        line = str(body.get("line", ""))[:500]
        return await self._steps(call, lambda: answer(call, line))

    async def _steps(self, call: CallClient, run: Any, new_call: bool = False
                     ) -> web.Response:
        try:
            steps: list[VoiceStep] = await asyncio.to_thread(run)
        except (WebhookError, OSError) as error:
            return web.json_response({"error": str(error)}, status=502)
        if new_call:
            self._calls[call.call_sid] = call
        if steps and steps[-1].ended:
            self._calls.pop(call.call_sid, None)
        return web.json_response({"call": call.call_sid,
                                  "steps": [step_json(step) for step in steps]})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--account", type=Path, default=Path("var/local-twilio.json"))
    parser.add_argument("--rasa-url", default="http://127.0.0.1:5005")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5060)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    outbox = Outbox(load(args.account), args.rasa_url)
    web.run_app(outbox.app(), host=args.host, port=args.port, print=None)


if __name__ == "__main__":
    main()
