"""The desk's routes on a real Sanic server: a handoff store in a temporary file, the
channels' outlets and the tracker faked (injected, and registered the way channels do)."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from cryptography.fernet import Fernet
from rasa.shared.core.events import Event
from sanic import Sanic

from common.handoff_store import HandoffRecord, Sealer, SqliteHandoffStore
from connectors.agentdesk.channel import AgentDeskInput
from connectors.base.handoff_outlets import HandoffOutlet, register_outlet
from tests.ports import free_port

DELIVERY_TOKEN = "delivery-token-for-tests-0123456789"
PREFIX = "/webhooks/agentdesk"


@dataclass
class RecordingOutlet:
    delivered: list[tuple[str, str]] = field(default_factory=list)
    resumed_conversations: list[str] = field(default_factory=list)
    works: bool = True

    async def deliver(self, record: HandoffRecord, text: str) -> bool:
        if self.works:
            self.delivered.append((record.conversation_id, text))
        return self.works

    async def resumed(self, record: HandoffRecord) -> None:
        self.resumed_conversations.append(record.conversation_id)


@dataclass
class FakeLog:
    appended: list[tuple[str, list[Event]]] = field(default_factory=list)

    async def append(self, conversation_id: str, events: list[Event]) -> None:
        self.appended.append((conversation_id, events))


@dataclass
class Desk:
    """The test's side: posts as the agent desk would."""

    session: aiohttp.ClientSession
    base: str
    store: SqliteHandoffStore
    log: FakeLog
    outlets: dict[str, HandoffOutlet]

    async def post(self, route: str, body: Any, token: str | None = DELIVERY_TOKEN,
                   raw: bytes | None = None) -> tuple[int, dict[str, Any]]:
        headers = {"Content-Type": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        data = raw if raw is not None else json.dumps(body).encode("utf-8")
        async with self.session.post(f"{self.base}{PREFIX}/{route}", data=data,
                                     headers=headers) as reply:
            return reply.status, await reply.json(content_type=None)


def delivery(text: str = "Hej, jag heter Anna och hjälper dig.", message_id: str = "m-1",
             conversation_id: str = "web-abc", handoff_id: str = "h-1") -> dict[str, Any]:
    return {"conversation_id": conversation_id, "handoff_id": handoff_id, "text": text,
            "message_id": message_id, "sender": "agent"}


def serve(tmp_path: Path, test: Callable[[Desk], Awaitable[None]],
          outlets: dict[str, HandoffOutlet] | None = None, token: str = DELIVERY_TOKEN,
          make_outlets: Callable[[SqliteHandoffStore], dict[str, HandoffOutlet]] | None = None,
          open_handoffs: tuple[HandoffRecord, ...] = (
              HandoffRecord("web-abc", "h-1", "web", "sv", 0.0),)) -> None:
    Sanic.test_mode = True

    async def main() -> None:
        store = SqliteHandoffStore(tmp_path / "handoffs.db", Sealer(Fernet.generate_key()),
                                   clock=lambda: 100.0)
        for record in open_handoffs:
            await store.open(record)
        log = FakeLog()
        channel = AgentDeskInput(token, store, log=lambda _agent: log,
                                 translate=lambda language, source: source)
        app = Sanic(f"agentdesk_{uuid.uuid4().hex[:8]}")
        app.blueprint(channel.blueprint(lambda _message: asyncio.sleep(0)),
                      url_prefix=PREFIX)
        default: dict[str, HandoffOutlet] = {"web": RecordingOutlet()}
        chosen = make_outlets(store) if make_outlets is not None else \
            outlets if outlets is not None else default
        for name, outlet in chosen.items():
            register_outlet(app, name, outlet)
        port = free_port()
        server: Any = await app.create_server(host="127.0.0.1", port=port,
                                              return_asyncio_server=True, access_log=False)
        await server.startup()
        try:
            async with aiohttp.ClientSession() as session:
                await test(Desk(session, f"http://127.0.0.1:{port}", store, log, chosen))
        finally:
            await store.close()
            server.close()
            await server.wait_closed()
    asyncio.run(main())
