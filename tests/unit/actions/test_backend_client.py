"""The HTTP client against a small local aiohttp server: timeouts, retries, breaker, errors."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import jwt
import pytest
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from actions.backend_client import BackendSettings, CircuitBreaker, HttpCaseBackend
from actions.backend_types import (
    AccessDeniedError,
    BackendUnavailableError,
    Caller,
    NotFoundError,
)
from common.service_credentials import ServiceCredentials, key_bytes

CALLER = Caller("ref-1", "sms")
CREDENTIALS = ServiceCredentials.generate()
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def _with_server(routes: list[tuple[str, str, Handler]],
                       test: Callable[[HttpCaseBackend], Awaitable[Any]],
                       **settings: Any) -> Any:
    app = web.Application()
    for method, path, handler in routes:
        app.router.add_route(method, path, handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    client = HttpCaseBackend(BackendSettings(base_url=f"http://127.0.0.1:{port}",
                                             token="secret",
                                             **{"assertion_key": CREDENTIALS.assertion_key,
                                                **settings}))
    try:
        return await test(client)
    finally:
        await client.close()
        await runner.cleanup()


def run(routes: list[tuple[str, str, Handler]],
        test: Callable[[HttpCaseBackend], Awaitable[Any]], **settings: Any) -> Any:
    return asyncio.run(_with_server(routes, test, **settings))


PROFILE = {"person_ref": "ref-1", "given_name": "Tolvan", "protected_identity": False,
           "has_used_mina_sidor": True, "has_benefit_certificate": False,
           "representative_for": [{"person_ref": "ref-2", "role": "god_man"}]}


def test_sends_its_token_and_a_signed_assertion_for_this_request() -> None:
    seen: dict[str, str] = {}

    async def handler(request: web.Request) -> web.Response:
        seen.update(request.headers)
        return web.json_response(PROFILE)

    profile = run([("GET", "/v1/persons/ref-1", handler)], lambda c: c.profile(CALLER))
    assert profile.is_representative and profile.representative_for[0].person_ref == "ref-2"
    assert seen["Authorization"] == "Bearer secret"
    assert "X-Acting-Person" not in seen and "X-Channel" not in seen
    public = Ed25519PublicKey.from_public_bytes(key_bytes(CREDENTIALS.assertion_public_key))
    claims = jwt.decode(seen["X-Identity-Assertion"], public, algorithms=["EdDSA"],
                        audience="casebackend", issuer="assistant-actions")
    assert (claims["sub"], claims["channel"], claims["logged_in_web"]) == ("ref-1", "sms", False)
    assert (claims["htm"], claims["htu"]) == ("GET", "/v1/persons/ref-1")
    assert 0 < claims["exp"] - claims["iat"] <= 60 and len(claims["jti"]) >= 16


def test_each_attempt_has_its_own_assertion() -> None:
    seen: list[str] = []

    async def handler(request: web.Request) -> web.Response:
        seen.append(request.headers["X-Identity-Assertion"])
        if len(seen) == 1:
            return web.Response(status=503)
        return web.json_response(PROFILE)

    run([("GET", "/v1/persons/ref-1", handler)], lambda c: c.profile(CALLER))
    assert len(seen) == 2 and seen[0] != seen[1]


def test_without_a_signing_key_no_personal_request_is_sent() -> None:
    calls: list[str] = []

    async def handler(request: web.Request) -> web.Response:
        calls.append(request.path)
        return web.json_response(PROFILE)

    with pytest.raises(BackendUnavailableError):
        run([("GET", "/v1/persons/ref-1", handler)], lambda c: c.profile(CALLER),
            assertion_key="")
    assert calls == []


def test_follows_pagination_cursors() -> None:
    async def handler(request: web.Request) -> web.Response:
        cursor = request.query.get("cursor")
        item = {"benefit": "sjukpenning", "pay_date": "2026-12-07", "amount_ore": 1234500,
                "preliminary": cursor is not None}
        return web.json_response({"items": [item], "next_cursor": None if cursor else "p2"})

    payments = run([("GET", "/v1/persons/ref-1/payments", handler)],
                   lambda c: c.upcoming_payments(CALLER))
    assert [p.preliminary for p in payments] == [False, True]
    assert payments[0].amount_kronor == 12345.0


def test_retries_a_failed_read_once() -> None:
    attempts = []

    async def handler(request: web.Request) -> web.Response:
        attempts.append(1)
        if len(attempts) == 1:
            return web.json_response({"title": "oops"}, status=503)
        return web.json_response(PROFILE)

    assert run([("GET", "/v1/persons/ref-1", handler)], lambda c: c.profile(CALLER))
    assert len(attempts) == 2


def test_slow_backend_fails_before_the_slow_answer_arrives() -> None:
    finished = []

    async def handler(request: web.Request) -> web.Response:
        await asyncio.sleep(5)
        finished.append(1)
        return web.json_response(PROFILE)

    async def scenario(client: HttpCaseBackend) -> None:
        with pytest.raises(BackendUnavailableError):
            await client.profile(CALLER)
        # The client gave up (twice) while the backend was still working on the first call.
        assert not finished

    run([("GET", "/v1/persons/ref-1", handler)], scenario, read_timeout=0.3, total_timeout=0.5)


@pytest.mark.parametrize(("status", "body", "error"), [
    (403, {"type": "https://errors/protected-identity"}, AccessDeniedError),
    (401, {"type": "https://errors/unauthorized"}, AccessDeniedError),
    (404, {"type": "https://errors/not-found"}, NotFoundError),
    (422, {"type": "https://errors/invalid"}, BackendUnavailableError),
])
def test_refusals_become_typed_errors(status: int, body: dict[str, str],
                                      error: type[Exception]) -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.json_response(body, status=status)

    with pytest.raises(error) as raised:
        run([("GET", "/v1/persons/ref-1", handler)], lambda c: c.profile(CALLER))
    if status == 403:
        assert raised.value.reason == "protected-identity"  # type: ignore[attr-defined]


def test_breaker_opens_after_repeated_failures_and_fails_fast() -> None:
    calls = []

    async def handler(request: web.Request) -> web.Response:
        calls.append(1)
        return web.json_response({}, status=500)

    async def scenario(client: HttpCaseBackend) -> None:
        for _ in range(2):
            with pytest.raises(BackendUnavailableError):
                await client.profile(CALLER)
        assert client.breaker.is_open
        before = len(calls)
        with pytest.raises(BackendUnavailableError, match="circuit open"):
            await client.profile(CALLER)
        assert len(calls) == before

    run([("GET", "/v1/persons/ref-1", handler)], scenario, failure_threshold=2, retries=0)


def test_breaker_lets_a_probe_through_after_the_reset_time() -> None:
    now = [0.0]
    breaker = CircuitBreaker(failure_threshold=1, reset_after=10, clock=lambda: now[0])
    breaker.record_failure()
    assert not breaker.allow()
    now[0] = 10.5
    assert breaker.allow()
    breaker.record_success()
    assert breaker.allow() and not breaker.is_open


def test_order_posts_the_idempotency_key() -> None:
    bodies = []

    async def handler(request: web.Request) -> web.Response:
        bodies.append(await request.json())
        return web.json_response({"order_ref": "AR-2026-000001", "type": "annual_report_basis",
                                  "principal_ref": "ref-2", "status": "received",
                                  "created_at": "2026-11-28T10:00:00Z"}, status=201)

    order = run([("POST", "/v1/persons/ref-1/orders", handler)],
                lambda c: c.order_annual_report_basis(CALLER, "ref-2", "key-12345678"))
    assert order.order_ref == "AR-2026-000001"
    assert bodies == [{"type": "annual_report_basis", "principal_ref": "ref-2",
                       "idempotency_key": "key-12345678"}]
