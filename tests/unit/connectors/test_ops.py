"""Health, readiness and metrics of the Rasa process (connectors.ops) and the action server
(actions.server), and the API behind a JWT (scripts/rasa_server.py, scripts/api_token.py),
each on a real Sanic server in this process."""

from __future__ import annotations

import asyncio
import importlib.util
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import aiohttp
import pytest
import rasa.server
import yaml
from cryptography.fernet import Fernet
from rasa.core.channels.channel import register
from rasa.core.lock_store import InMemoryLockStore, RedisLockStore
from rasa.core.tracker_store import InMemoryTrackerStore, SQLTrackerStore
from rasa.shared.core.domain import Domain
from sanic import Sanic

from actions.server import configuration_problems
from actions.server import create_app as create_action_app
from common.service_credentials import ServiceCredentials
from connectors.ops import OpsInput, ReadinessProbe
from tests.ports import free_port

ROOT = Path(__file__).resolve().parents[3]
Test = Callable[[aiohttp.ClientSession, str], Awaitable[None]]


def script(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def serve_app(app: Sanic, test: Test) -> None:
    Sanic.test_mode = True

    async def main() -> None:
        port = free_port()
        server: Any = await app.create_server(host="127.0.0.1", port=port,
                                              return_asyncio_server=True, access_log=False)
        await server.startup()
        try:
            async with aiohttp.ClientSession() as session:
                await test(session, f"http://127.0.0.1:{port}")
        finally:
            server.close()
            await server.wait_closed()
    asyncio.run(main())


def rasa_app(agent: Any, probe: ReadinessProbe | None = None) -> Sanic:
    """An app with the ops channel registered the way `rasa run` registers channels."""
    app = Sanic(f"ops_{uuid.uuid4().hex[:8]}")
    app.ctx.agent = agent
    register([OpsInput(probe, json_logs=False)], app, route="/webhooks/")
    return app


class Agent:
    def __init__(self, tracker_store: Any, lock_store: Any, loaded: bool = True) -> None:
        self.tracker_store = tracker_store
        self.lock_store = lock_store
        self.loaded = loaded

    def is_ready(self) -> bool:
        return self.loaded


class BrokenStore:
    async def retrieve(self, sender_id: str) -> None:
        raise ConnectionError("database went away")


class HangingStore:
    """A driver blocked in a socket read: a synchronous wait inside the coroutine."""

    async def retrieve(self, sender_id: str) -> None:
        time.sleep(1.5)


async def get(session: aiohttp.ClientSession, url: str) -> tuple[int, Any]:
    async with session.get(url) as reply:
        body = await reply.json() if reply.content_type == "application/json" \
            else await reply.text()
        return reply.status, body


def test_health_ready_and_metrics_are_at_the_root(tmp_path: Path) -> None:
    store = SQLTrackerStore(Domain.empty(), db=str(tmp_path / "tracker.db"))
    agent = Agent(store, InMemoryLockStore())

    async def test(session: aiohttp.ClientSession, base: str) -> None:
        assert await get(session, f"{base}/health") == (200, {"status": "ok"})
        assert await get(session, f"{base}/ready") == (200, {
            "status": "ready",
            "checks": {"model": "ok", "tracker_store": "ok", "lock_store": "ok"}})
        status, text = await get(session, f"{base}/metrics")
        assert status == 200 and "assistant_turn_seconds_bucket" in text
        assert (await get(session, f"{base}/webhooks/ops/health"))[0] == 404
    serve_app(rasa_app(agent), test)


def test_not_ready_without_a_model_or_when_a_store_fails() -> None:
    redis_down = RedisLockStore(host="127.0.0.1", port=free_port(), socket_timeout=1)
    cases = [
        (None, {"model": "not loaded"}),
        (Agent(InMemoryTrackerStore(Domain.empty()), InMemoryLockStore(), loaded=False),
         {"model": "not loaded"}),
        (Agent(BrokenStore(), InMemoryLockStore()),
         {"model": "ok", "tracker_store": "failed (ConnectionError)", "lock_store": "ok"}),
        (Agent(InMemoryTrackerStore(Domain.empty()), redis_down),
         {"model": "ok", "tracker_store": "ok", "lock_store": "failed (ConnectionError)"}),
    ]
    for agent, checks in cases:
        async def test(session: aiohttp.ClientSession, base: str,
                       checks: dict[str, str] = checks) -> None:
            status, body = await get(session, f"{base}/ready")
            assert status == 503
            assert body["status"] == "unavailable" and body["checks"] == checks
            assert body["reason"]
        serve_app(rasa_app(agent), test)


def test_a_hanging_store_neither_blocks_the_server_nor_piles_up_checks() -> None:
    agent = Agent(HangingStore(), InMemoryLockStore())

    async def test(session: aiohttp.ClientSession, base: str) -> None:
        started = time.monotonic()
        status, body = await get(session, f"{base}/ready")
        assert status == 503 and body["checks"]["stores"] == "no answer in 0.3 s"
        assert time.monotonic() - started < 1.2
        # The server still answers while the check hangs, and does not start another.
        assert (await get(session, f"{base}/health"))[0] == 200
        status, body = await get(session, f"{base}/ready")
        assert body["checks"]["stores"] == "the previous check has not answered"
        await asyncio.sleep(1.5)
        status, _ = await get(session, f"{base}/ready")  # the old check is done: a new one
        assert status == 503
    serve_app(rasa_app(agent, ReadinessProbe(timeout=0.3)), test)


def test_ready_timeout_is_checked() -> None:
    with pytest.raises(ValueError, match="ready_timeout"):
        OpsInput.from_credentials({"ready_timeout": 0})
    credentials = yaml.safe_load((ROOT / "bot" / "credentials.yml").read_text())
    assert isinstance(OpsInput.from_credentials(credentials["connectors.ops.OpsInput"]),
                      OpsInput)


# ---- the action server ----

GOOD_ENV = {"CASEBACKEND_ACTIONS_TOKEN": "t" * 32,
            "CASEBACKEND_ASSERTION_KEY": ServiceCredentials.generate().assertion_key,
            "IDENTITY_VAULT_KEY": Fernet.generate_key().decode()}


def test_action_server_configuration_problems_name_no_values() -> None:
    assert configuration_problems(GOOD_ENV) == []
    problems = configuration_problems({"IDENTITY_VAULT_KEY": "not-a-key",
                                       "IDENTITY_PROVIDER": "magic"})
    assert problems == ["CASEBACKEND_ACTIONS_TOKEN is not set",
                        "CASEBACKEND_ASSERTION_KEY is not set",
                        "IDENTITY_VAULT_KEY is not a Fernet key",
                        "IDENTITY_PROVIDER must be simulator or bankid"]
    assert "not-a-key" not in " ".join(problems)


def test_action_server_health_ready_metrics_and_no_echo_on_errors() -> None:
    Sanic.test_mode = True

    async def test(session: aiohttp.ClientSession, base: str) -> None:
        assert await get(session, f"{base}/health") == (200, {"status": "ok"})
        status, body = await get(session, f"{base}/ready")
        assert status == 200 and body["status"] == "ready" and body["actions"] > 5
        status, text = await get(session, f"{base}/metrics")
        assert status == 200 and 'assistant_backend_errors_total{kind="timeout"}' in text
        # A broken call (no tracker): a plain 500, nothing of the request echoed back.
        call = {"next_action": "action_case_status", "sender_id": "s",
                "text": "mitt personnummer är 19121212-1212"}
        async with session.post(f"{base}/webhook", json=call) as reply:
            assert reply.status == 500
            assert await reply.json() == {"error": "the action server failed"}
        assert (await get(session, f"{base}/nowhere"))[0] == 404
    serve_app(create_action_app("actions", GOOD_ENV), test)

    async def unready(session: aiohttp.ClientSession, base: str) -> None:
        status, body = await get(session, f"{base}/ready")
        assert status == 503 and "CASEBACKEND_ACTIONS_TOKEN" in body["reason"]
    serve_app(create_action_app("actions", {}), unready)


# ---- Rasa's HTTP API behind a JWT ----

SECRET = "s" * 48


def test_the_launcher_puts_the_api_behind_a_jwt_when_asked_and_refuses_debug(
        tmp_path: Path) -> None:
    launcher = script("rasa_server")
    credentials = tmp_path / "credentials.yml"
    credentials.write_text(yaml.safe_dump({"rest": None, launcher.WEBCHAT_KEY: {
        "allowed_origins": ["https://www.example.se"]}}))
    env = {"RASA_JWT_SECRET": SECRET}
    args = launcher.rasa_arguments(["--api", "--model", "m.tar.gz", "--credentials",
                                    str(credentials), "--port", "5005"], env)
    assert args == ["run", "--model", "m.tar.gz", "--port", "5005", "--credentials",
                    str(credentials), "--enable-api", f"--jwt-secret={SECRET}",
                    "--jwt-method", "HS256", "--cors", "https://www.example.se"]
    for refused in (["--debug"], ["-vv"], ["--auth-token", "x"], ["--cors", "*"]):
        with pytest.raises(launcher.LaunchError, match="not allowed"):
            launcher.rasa_arguments([*refused, "--credentials", str(credentials)], env)
    with pytest.raises(launcher.LaunchError, match="RASA_JWT_SECRET"):
        launcher.rasa_arguments(["--api", "--credentials", str(credentials)],
                                {"RASA_JWT_SECRET": "x"})
    secret_file = tmp_path / "secret"
    secret_file.write_text(SECRET + "\n")
    assert f"--jwt-secret={SECRET}" in launcher.rasa_arguments(
        ["--api", "--credentials", str(credentials)],
        {"RASA_JWT_SECRET_FILE": str(secret_file)})
    for no_api in (launcher.rasa_arguments(["--no-api", "--credentials", str(credentials)], {}),
                   launcher.rasa_arguments(["--credentials", str(credentials)], {})):
        assert "--enable-api" not in no_api
        assert not any(argument.startswith("--jwt-secret") for argument in no_api)
    # The project's own credentials: no other site may embed the chat, so no CORS at all.
    assert "--cors" not in launcher.rasa_arguments([], env)


def test_the_api_answers_only_a_valid_token() -> None:
    tokens = script("api_token")
    app = rasa.server.create_app(agent=None, cors_origins=None, jwt_secret=SECRET,
                                 jwt_method="HS256")
    admin = tokens.make_token(SECRET, "operator", "admin", 5)
    expired = tokens.make_token(SECRET, "operator", "admin", 5, now=time.time() - 3600)
    forged = tokens.make_token("f" * 48, "operator", "admin", 5)
    user = tokens.make_token(SECRET, "someone", "user", 5)

    async def status(session: aiohttp.ClientSession, url: str, token: str | None) -> int:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with session.get(url, headers=headers) as reply:
            return reply.status

    async def test(session: aiohttp.ClientSession, base: str) -> None:
        # 409 = past authentication, then "no model loaded" (no agent in this test).
        assert await status(session, f"{base}/status", admin) == 409
        for token in (None, expired, forged):
            assert await status(session, f"{base}/status", token) == 401
        assert await status(session, f"{base}/status", user) == 403
        assert await status(session, f"{base}/conversations/someone/tracker", user) == 409
        assert await status(session, f"{base}/conversations/other/tracker", user) == 403
    serve_app(app, test)
