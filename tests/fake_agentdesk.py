"""A local stand-in for the agent desk's /v1 API (the contract), for tests: it checks the
assistant's token, records what it is sent, and answers as the contract says. Open and
staffed unless told otherwise; ``ThreadedFakeDesk`` runs it beside a real stack (e2e)."""

from __future__ import annotations

import asyncio
import json
import threading
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TOKEN = "assistant-token-for-tests"


@dataclass
class FakeDesk:
    token: str = TOKEN
    open: bool = True
    staffed: bool = True
    queue_full: bool = False
    position: int = 3
    wait_seconds: int = 250
    down: bool = False  # answers 503 to everything
    handoffs: list[dict[str, Any]] = field(default_factory=list)
    messages: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    callbacks: list[dict[str, Any]] = field(default_factory=list)
    refused_tokens: int = 0
    port: int = 0
    _runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        return {"AGENTDESK_URL": self.url, "AGENTDESK_ASSISTANT_TOKEN": self.token}

    async def start(self) -> FakeDesk:
        app = web.Application(middlewares=[self._auth])
        app.router.add_get("/v1/availability", self._availability)
        app.router.add_post("/v1/handoffs", self._handoff)
        app.router.add_post("/v1/handoffs/{handoff_id}/messages", self._message)
        app.router.add_post("/v1/callbacks", self._callback)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.port = int(self._runner.addresses[0][1])
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeDesk:
        return await self.start()

    async def __aexit__(self, *_: Any) -> None:
        await self.stop()

    @web.middleware
    async def _auth(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if self.down:
            return web.json_response({"error": "down"}, status=503)
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            self.refused_tokens += 1
            return web.json_response({"error": "unknown token"}, status=401)
        response: web.StreamResponse = await handler(request)
        return response

    async def _availability(self, request: web.Request) -> web.Response:
        if request.query.get("channel") not in {"web", "sms"}:
            return web.json_response({"error": "channel must be web or sms"}, status=400)
        return web.json_response({
            "open": self.open, "staffed": self.staffed, "queue_length": self.position - 1,
            "queue_full": self.queue_full, "estimated_wait_seconds": self.wait_seconds,
            "hours": None})

    async def _handoff(self, request: web.Request) -> web.Response:
        body = json.loads(await request.read())
        if not self.open or not self.staffed:
            return web.json_response({"error": "closed"}, status=409)
        if self.queue_full:
            return web.json_response({"error": "full"}, status=409)
        self.handoffs.append(body)
        return web.json_response({"handoff_id": f"h-{len(self.handoffs)}", "status": "waiting",
                                  "position": self.position,
                                  "estimated_wait_seconds": self.wait_seconds}, status=201)

    async def _message(self, request: web.Request) -> web.Response:
        body = json.loads(await request.read())
        self.messages.append((request.match_info["handoff_id"], body))
        return web.json_response({}, status=202)

    async def _callback(self, request: web.Request) -> web.Response:
        body = json.loads(await request.read())
        if body.get("consent") is not True:
            return web.json_response({"error": "consent must be true"}, status=400)
        self.callbacks.append(body)
        return web.json_response({}, status=201)


class ThreadedFakeDesk:
    """The fake desk on its own event loop in a thread, for tests that are not async."""

    def __init__(self, desk: FakeDesk | None = None) -> None:
        self.desk = desk or FakeDesk()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def start(self) -> FakeDesk:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.desk.start(), self._loop).result(10)
        return self.desk

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.desk.stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
