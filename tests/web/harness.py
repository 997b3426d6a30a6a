"""The web chat channel on a real Sanic server in this process, with a fake bot injected as
Rasa's ``on_new_message``, and a socket.io client that is not ours (python-socketio's
AsyncClient) that collects what the server sends. No pytest-asyncio: each test runs its
own event loop with ``asyncio.run``.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import socketio
from rasa.core.channels.channel import UserMessage
from sanic import Sanic

from common.shared_state import SharedState
from connectors.webchat.channel import WebChatInput
from connectors.webchat.config import WebChatConfig, parse_config
from connectors.webchat.history import HistoryItem
from connectors.webchat.sessions import SessionAuthenticator
from tests.ports import free_port

SOCKETIO_PATH = "/webhooks/webchat/socket.io"
# Sanic's own switch for several apps in one process (as sanic-testing sets it); without it
# the second app's start-up fails on Sanic's class-level code rewrite.
Sanic.test_mode = True
SECRET = "harness-secret-0123456789"


def run(test: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """One test's coroutine on its own event loop."""
    asyncio.run(test())


def config(**overrides: Any) -> WebChatConfig:
    block: dict[str, Any] = {"session_secret": SECRET, "socketio_path": SOCKETIO_PATH,
                             "allowed_origins": ["https://www.example.se"]}
    block.update(overrides)
    return parse_config(block, environ={})


@dataclass
class FakeBot:
    """Answers "echo: <text>" (and buttons for "buttons"), records what Rasa would get,
    and keeps the conversation the way the tracker store would (for the history)."""

    delays: Mapping[str, float] = field(default_factory=dict)
    received: list[UserMessage] = field(default_factory=list)
    conversations: dict[str, list[HistoryItem]] = field(
        default_factory=lambda: defaultdict(list))
    fail_on: str | None = None

    async def __call__(self, message: UserMessage) -> None:
        self.received.append(message)
        await asyncio.sleep(self.delays.get(message.text, 0))
        if message.text == self.fail_on:
            raise RuntimeError("bot failed")
        log = self.conversations[message.sender_id]
        log.append({"role": "user", "text": message.text, "payload": False})
        if message.text == "buttons":
            buttons = [{"title": "Ja", "payload": "/affirm"}, {"title": "Nej", "payload": "/deny"}]
            await message.output_channel.send_text_with_buttons(message.sender_id, "Välj",
                                                                buttons)
            log.append({"role": "bot", "message": {"text": "Välj"}})
            return
        reply = f"echo: {message.text}"
        await message.output_channel.send_text_message(message.sender_id, reply)
        log.append({"role": "bot", "message": {"text": reply}})

    def texts(self) -> list[str]:
        return [m.text for m in self.received]


@dataclass
class FakeHistory:
    bot: FakeBot

    async def load(self, sender_id: str) -> list[HistoryItem]:
        return list(self.bot.conversations.get(sender_id, []))


@asynccontextmanager
async def serving(cfg: WebChatConfig, bot: Callable[[UserMessage], Awaitable[Any]],
                  authenticator: SessionAuthenticator | None = None,
                  history: Any = None, shared: SharedState | None = None) -> AsyncIterator[str]:
    channel = WebChatInput(cfg, authenticator, history, shared=shared)
    app = Sanic(f"webchat_test_{uuid.uuid4().hex[:8]}")
    app.blueprint(channel.blueprint(bot), url_prefix="/webhooks/webchat")
    port = free_port()
    # Sanic's AsyncioServer has no type hints: Any keeps its lifecycle calls readable.
    server: Any = await app.create_server(host="127.0.0.1", port=port, access_log=False,
                                          return_asyncio_server=True)
    assert server is not None
    await server.startup()
    await server.before_start()
    await server.after_start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await server.before_stop()
        closing = server.close()
        if closing is not None:
            await closing
        await server.after_stop()


class Client:
    """A plain python-socketio client; every event it receives is queued by name.

    Polling transport: python-engineio's WebSocket client needs a newer aiohttp than the
    one Rasa 3.6 pins. The browser tests (web/tests) use WebSockets.
    """

    def __init__(self) -> None:
        self.sio = socketio.AsyncClient(reconnection=False)
        self.queues: dict[str, asyncio.Queue[Any]] = defaultdict(asyncio.Queue)

        async def collect(event: str, data: Any = None) -> None:
            self.queues[event].put_nowait(data)

        self.sio.on("*", collect)

        async def connect_error(data: Any = None) -> None:
            self.queues["connect_error"].put_nowait(data)

        self.sio.on("connect_error", connect_error)

    async def connect(self, url: str, auth: Any = None,
                      headers: dict[str, str] | None = None, wait: bool = True) -> None:
        await self.sio.connect(url, socketio_path=SOCKETIO_PATH, transports=["polling"],
                               auth=auth, headers=headers or {}, wait=wait, wait_timeout=10)

    async def next(self, event: str, timeout: float = 10) -> Any:
        return await asyncio.wait_for(self.queues[event].get(), timeout)

    async def nothing(self, event: str, wait: float = 0.5) -> bool:
        """True if no ``event`` arrives within ``wait`` seconds."""
        try:
            await asyncio.wait_for(self.queues[event].get(), wait)
        except asyncio.TimeoutError:
            return True
        return False

    async def start_session(self, session_id: str | None = None,
                            **extra: Any) -> tuple[str, list[Any]]:
        await self.sio.emit("session_request", {"session_id": session_id, **extra})
        token = await self.next("session_confirm")
        history = await self.next("session_history")
        assert history["session_id"] == token
        return str(token), list(history["messages"])

    async def say(self, text: str, **fields: Any) -> None:
        await self.sio.emit("user_uttered", {"message": text, **fields})

    async def close(self) -> None:
        if self.sio.eio.state == "connected":
            # engine.io CLOSE (the server runs its disconnect handlers at once), without
            # waiting for the pending long-poll, which python-engineio ends only at its next
            # ping, 25 s later.
            await self.sio.eio.disconnect(abort=True)


@asynccontextmanager
async def client(url: str, auth: Any = None,
                 headers: dict[str, str] | None = None) -> AsyncIterator[Client]:
    c = Client()
    await c.connect(url, auth, headers)
    try:
        yield c
    finally:
        await c.close()


async def refusal(url: str, auth: Any = None, headers: dict[str, str] | None = None) -> Any:
    """What the server said when it refused the socket.io connection (connect_error)."""
    c = Client()
    await c.connect(url, auth, headers, wait=False)
    try:
        return await c.next("connect_error")
    finally:
        await c.close()
