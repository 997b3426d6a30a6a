"""Test helpers: throwaway databases (a SQLite file or a PostgreSQL schema), row counts, and a
real server process with an HTTP client for it."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Coroutine, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from casebackend.db.engine import create_engine
from casebackend.db.models import Base
from casebackend.settings import DatabaseSettings
from tests.assertions import PUBLIC_KEY_TEXT, assertion

POSTGRES_URL = os.environ.get(
    "CASEBACKEND_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
BACKENDS = ("sqlite", "postgresql")
# The action server's token (every scope) and the web chat's (lookups only).
TOKEN = "test-actions-token-0123456789abcdef"
LOOKUP_TOKEN = "test-lookup-token-0123456789abcdef"
NOTICES_TOKEN = "test-notices-token-0123456789abcdef"
PNR_KEY = "test-pnr-key"
TABLES = (
    "persons",
    "representations",
    "cases",
    "case_events",
    "payments",
    "orders",
    "notices",
)
PROJECT = Path(__file__).resolve().parents[1]

T = TypeVar("T")


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine from a synchronous test."""
    return asyncio.run(coroutine)


@contextmanager
def throwaway_database(backend: str, folder: Path) -> Iterator[DatabaseSettings]:
    """A new empty database: a SQLite file in `folder`, or a new PostgreSQL schema that is
    dropped (with everything in it) afterwards, so no test leaves tables behind."""
    if backend == "sqlite":
        yield DatabaseSettings(url=f"sqlite+aiosqlite:///{folder / f'{uuid.uuid4().hex}.db'}")
        return
    schema = f"cb_test_{uuid.uuid4().hex[:16]}"
    run(_admin(f"CREATE SCHEMA {schema}"))
    try:
        yield DatabaseSettings(url=POSTGRES_URL, schema=schema)
    finally:
        run(_admin(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))


async def _admin(statement: str) -> None:
    engine = create_async_engine(POSTGRES_URL, poolclass=NullPool)
    try:
        async with engine.begin() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


def row_counts(database: DatabaseSettings) -> dict[str, int]:
    async def count() -> dict[str, int]:
        engine = create_engine(database)
        try:
            async with engine.connect() as connection:
                counts = {}
                for name in TABLES:
                    table = Base.metadata.tables[name]
                    counts[name] = int(
                        await connection.scalar(select(func.count()).select_from(table)) or 0
                    )
                return counts
        finally:
            await engine.dispose()

    return run(count())


def snapshot(database: DatabaseSettings) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in primary-key order."""

    async def read() -> dict[str, list[tuple[Any, ...]]]:
        engine = create_engine(database)
        try:
            async with engine.connect() as connection:
                rows = {}
                for name in TABLES:
                    table = Base.metadata.tables[name]
                    result = await connection.execute(
                        select(table).order_by(*table.primary_key.columns)
                    )
                    rows[name] = [tuple(row) for row in result]
                return rows
        finally:
            await engine.dispose()

    return run(read())


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def server_environment(database: DatabaseSettings, port: int) -> dict[str, str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CASEBACKEND_", "ASSISTANT_"))
    }
    environment.update(
        CASEBACKEND_DATABASE_URL=database.url,
        CASEBACKEND_ACTIONS_TOKEN=TOKEN,
        CASEBACKEND_LOOKUP_TOKEN=LOOKUP_TOKEN,
        CASEBACKEND_ASSERTION_PUBLIC_KEY=PUBLIC_KEY_TEXT,
        ASSISTANT_NOTICES_TOKEN=NOTICES_TOKEN,
        CASEBACKEND_PNR_KEY=PNR_KEY,
        CASEBACKEND_HOST="127.0.0.1",
        CASEBACKEND_PORT=str(port),
    )
    if database.schema:
        environment["CASEBACKEND_DATABASE_SCHEMA"] = database.schema
    return environment


@dataclass
class Server:
    base_url: str
    log_file: Path
    process: subprocess.Popen[bytes]

    def log_text(self) -> str:
        return self.log_file.read_text(encoding="utf-8", errors="replace")


@contextmanager
def running_server(database: DatabaseSettings, log_file: Path) -> Iterator[Server]:
    """`python -m casebackend` as a real process (the same entry point operators use)."""
    port = free_port()
    with log_file.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "casebackend"],
            env=server_environment(database, port),
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=PROJECT,
        )
    server = Server(base_url=f"http://127.0.0.1:{port}", log_file=log_file, process=process)
    try:
        _wait_until_listening(server)
        yield server
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_listening(server: Server, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"the server exited early:\n{server.log_text()}")
        try:
            httpx.get(server.base_url + "/openapi.json", timeout=1.0)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"the server did not start in {timeout} s:\n{server.log_text()}")


@dataclass
class Api:
    """An HTTP client for the server with the token and the identity assertion filled in: with
    `acting`, an assertion for that person on `channel` (logged in when the channel is web, unless
    `logged_in_web` says otherwise), bound to this request's method and path."""

    client: httpx.Client

    def request(
        self,
        method: str,
        path: str,
        *,
        acting: str | None = None,
        channel: str = "web",
        logged_in_web: bool | None = None,
        token: str | None = TOKEN,
        params: Mapping[str, str | int] | None = None,
        json: object = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        all_headers: dict[str, str] = {}
        if token is not None:
            all_headers["Authorization"] = f"Bearer {token}"
        if acting is not None:
            signed_path = path.split("?")[0]  # as sent: the server compares the raw path
            all_headers["X-Identity-Assertion"] = assertion(
                acting, method, signed_path, channel, logged_in_web
            )
        if content is not None:
            all_headers["Content-Type"] = "application/json"
        all_headers.update(headers or {})
        return self.client.request(
            method, path, headers=all_headers, params=params, json=json, content=content
        )

    def get(self, path: str, **options: Any) -> httpx.Response:
        return self.request("GET", path, **options)

    def post(self, path: str, **options: Any) -> httpx.Response:
        return self.request("POST", path, **options)

    def person(self, ref: str, resource: str = "", **options: Any) -> httpx.Response:
        """GET /v1/persons/{ref}[/resource] as that person (unless `acting` says otherwise)."""
        options.setdefault("acting", ref)
        return self.get(f"/v1/persons/{ref}{'/' + resource if resource else ''}", **options)

    def order(self, ref: str, body: object, **options: Any) -> httpx.Response:
        options.setdefault("acting", ref)
        return self.post(f"/v1/persons/{ref}/orders", json=body, **options)


def assert_problem(response: httpx.Response, status: int, type_suffix: str | None = None) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert set(body) >= {"type", "title", "status", "detail"}
    assert body["status"] == status
    assert body["detail"]
    assert "Traceback" not in response.text
    if type_suffix is not None:
        assert body["type"].endswith("/" + type_suffix), body["type"]
