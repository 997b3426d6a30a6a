"""Test helpers: throwaway databases (a SQLite file or a PostgreSQL database of its own), a
stand-in for the assistant's /webhooks/agentdesk routes, and the desk as a real process."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Coroutine, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar

import httpx
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from agentdesk.db.engine import create_engine
from agentdesk.settings import DatabaseSettings

POSTGRES_ADMIN_URL = os.environ.get(
    "AGENTDESK_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
BACKENDS = ("sqlite", "postgresql")
ASSISTANT_TOKEN = "test-assistant-token-0123456789abcdef"
DELIVERY_TOKEN = "test-delivery-token-0123456789abcdef"
DEMO_PASSWORD = "test-demo-password"
DATA_KEY = "test-data-key"
PROJECT = Path(__file__).resolve().parents[1]

T = TypeVar("T")


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)


async def _admin(statement: str) -> None:
    engine = create_async_engine(
        POSTGRES_ADMIN_URL, poolclass=NullPool, isolation_level="AUTOCOMMIT"
    )
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


@contextmanager
def throwaway_database(backend: str, folder: Path) -> Iterator[DatabaseSettings]:
    """A new empty database: a SQLite file in `folder`, or a new PostgreSQL database that is
    dropped afterwards."""
    if backend == "sqlite":
        yield DatabaseSettings(url=f"sqlite+aiosqlite:///{folder / f'{uuid.uuid4().hex}.db'}")
        return
    name = f"agentdesk_test_{uuid.uuid4().hex[:12]}"
    run(_admin(f"CREATE DATABASE {name}"))
    try:
        url = make_url(POSTGRES_ADMIN_URL).set(database=name)
        yield DatabaseSettings(url=url.render_as_string(hide_password=False))
    finally:
        run(_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


def sql(database: DatabaseSettings, statement: str, **values: Any) -> list[tuple[Any, ...]]:
    """Runs one statement on the database (for looking at rows, or ageing a session)."""

    async def execute() -> list[tuple[Any, ...]]:
        engine = create_engine(database)
        try:
            async with engine.begin() as connection:
                result = await connection.execute(text(statement), values)
                return [tuple(row) for row in result] if result.returns_rows else []
        finally:
            await engine.dispose()

    return run(execute())


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class FakeAssistant:
    """The assistant's /webhooks/agentdesk routes: records what arrives; `failing` answers 503."""

    port: int = 0
    received: list[dict[str, Any]] = field(default_factory=list)
    failing: bool = False
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def of_kind(self, path: str, handoff_id: str) -> list[dict[str, Any]]:
        return [
            entry["body"]
            for entry in list(self.received)
            if entry["path"] == path and entry["body"].get("handoff_id") == handoff_id
        ]


@contextmanager
def fake_assistant() -> Iterator[FakeAssistant]:
    fake = FakeAssistant()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            authorized = self.headers.get("Authorization") == f"Bearer {DELIVERY_TOKEN}"
            status = 401 if not authorized else 503 if fake.failing else 200
            if status == 200:
                fake.received.append({"path": self.path, "body": body})
            payload = json.dumps({"delivered": status == 200}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.server, fake.port = server, server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Server:
    base_url: str
    log_file: Path
    process: subprocess.Popen[bytes]

    def log_text(self) -> str:
        return self.log_file.read_text(encoding="utf-8", errors="replace")


def server_environment(
    database: DatabaseSettings, port: int, assistant_url: str, extra: Mapping[str, str]
) -> dict[str, str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AGENTDESK_", "ASSISTANT_"))
    }
    environment.update(
        AGENTDESK_DATABASE_URL=database.url,
        AGENTDESK_ASSISTANT_TOKEN=ASSISTANT_TOKEN,
        AGENTDESK_DELIVERY_TOKEN=DELIVERY_TOKEN,
        AGENTDESK_ASSISTANT_URL=assistant_url,
        AGENTDESK_DEMO_PASSWORD=DEMO_PASSWORD,
        AGENTDESK_DATA_KEY=DATA_KEY,
        AGENTDESK_RETRY_MS="300",
        AGENTDESK_HOST="127.0.0.1",
        AGENTDESK_PORT=str(port),
        LOG_LEVEL="INFO",
    )
    environment.update(extra)
    return environment


@contextmanager
def running_server(
    database: DatabaseSettings,
    log_file: Path,
    assistant_url: str,
    extra: Mapping[str, str] | None = None,
) -> Iterator[Server]:
    """`python -m agentdesk` as a real process (the same entry point operators use)."""
    port = free_port()
    with log_file.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "agentdesk"],
            env=server_environment(database, port, assistant_url, extra or {}),
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=PROJECT,
        )
    server = Server(base_url=f"http://127.0.0.1:{port}", log_file=log_file, process=process)
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the desk exited early:\n{server.log_text()}")
            try:
                httpx.get(server.base_url + "/health", timeout=1.0)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the desk did not start:\n{server.log_text()}") from None
                time.sleep(0.1)
        yield server
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
