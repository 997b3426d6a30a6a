"""Async HTTP client for the case backend, with timeouts, safe retries and a circuit breaker.

A whole turn must stay well inside Twilio's 15 s, so each request has a short connect and
read timeout and at most one retry; after repeated failures the breaker opens and calls fail
at once until a probe is allowed. Reads are retried; the order is retried too because it
carries an idempotency key (the backend answers the same order again).

Each request carries the action server's own token and, when it is about a person, an identity
assertion signed for that one request (actions/identity_assertion.py): a retry signs anew.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp

from actions.backend_types import (
    AccessDeniedError,
    BackendUnavailableError,
    Caller,
    Case,
    NotFoundError,
    Order,
    Payment,
    Profile,
    case_from_json,
    payment_from_json,
    profile_from_json,
)
from actions.identity_assertion import HEADER as ASSERTION_HEADER
from actions.identity_assertion import AssertionSigner
from actions.metrics import BackendErrorKind, count_backend_error
from common.service_credentials import ACTIONS_TOKEN_ENV, ASSERTION_KEY_ENV

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BackendSettings:
    base_url: str
    token: str  # CASEBACKEND_ACTIONS_TOKEN: this server's own, not the web chat's
    # CASEBACKEND_ASSERTION_KEY: the Ed25519 private key the identity assertions are signed with.
    assertion_key: str = ""
    connect_timeout: float = 1.0
    read_timeout: float = 3.0
    total_timeout: float = 4.0
    retries: int = 1
    failure_threshold: int = 3
    reset_after: float = 15.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> BackendSettings:
        environ = os.environ if environ is None else environ
        return cls(base_url=environ.get("CASEBACKEND_URL", "http://127.0.0.1:8100").rstrip("/"),
                   token=environ.get(ACTIONS_TOKEN_ENV, ""),
                   assertion_key=environ.get(ASSERTION_KEY_ENV, ""),
                   reset_after=float(environ.get("CASEBACKEND_BREAKER_RESET_SECONDS", "15")))


class CircuitBreaker:
    """Closed → (N failures in a row) open → (after reset_after) one probe → closed or open."""

    def __init__(self, failure_threshold: int, reset_after: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._threshold = failure_threshold
        self._reset_after = reset_after
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None

    @property
    def is_open(self) -> bool:
        if self._opened_at is None:
            return False
        return self._clock() - self._opened_at < self._reset_after

    def allow(self) -> bool:
        return not self.is_open

    def record_success(self) -> None:
        self._failures = 0
        self._opened_at = None

    def record_failure(self) -> None:
        self._failures += 1
        if self._failures >= self._threshold:
            self._opened_at = self._clock()


def error_kind(error: Exception) -> BackendErrorKind:
    """How a failed attempt failed, for ``assistant_backend_errors_total``."""
    if isinstance(error, asyncio.TimeoutError):  # before ClientError: ServerTimeoutError is both
        return "timeout"
    if isinstance(error, BackendUnavailableError):
        return "http_status"
    return "unavailable"


class HttpCaseBackend:
    def __init__(self, settings: BackendSettings,
                 session: aiohttp.ClientSession | None = None,
                 on_error: Callable[[BackendErrorKind], None] = count_backend_error) -> None:
        self._settings = settings
        self._session = session
        self._on_error = on_error
        self.breaker = CircuitBreaker(settings.failure_threshold, settings.reset_after)
        # None without a key: personal requests then fail as "unavailable" (and /ready says why).
        self._signer = (AssertionSigner.from_text(settings.assertion_key)
                        if settings.assertion_key else None)

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            timeout = aiohttp.ClientTimeout(total=self._settings.total_timeout,
                                            sock_connect=self._settings.connect_timeout,
                                            sock_read=self._settings.read_timeout)
            self._session = aiohttp.ClientSession(timeout=timeout)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    def _headers(self, caller: Caller | None, method: str, path: str) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self._settings.token}"}
        if caller is not None and self._signer is not None:
            headers[ASSERTION_HEADER] = self._signer.sign(caller, method, path)
        return headers

    async def _request(self, method: str, path: str, caller: Caller | None,
                       json: dict[str, Any] | None = None,
                       params: dict[str, str] | None = None) -> Any:
        if not self.breaker.allow():
            self._on_error("circuit_open")
            raise BackendUnavailableError("circuit open")
        if caller is not None and self._signer is None:
            raise BackendUnavailableError(f"{ASSERTION_KEY_ENV} is not set")
        last_error: Exception | None = None
        for attempt in range(self._settings.retries + 1):
            try:
                async with self._client().request(
                        method, f"{self._settings.base_url}{path}", json=json, params=params,
                        headers=self._headers(caller, method, path)) as response:
                    if response.status >= 500:
                        raise BackendUnavailableError(f"status {response.status}")
                    body = await response.json(content_type=None)
                    self.breaker.record_success()
                    return self._result(response.status, body)
            except (aiohttp.ClientError, asyncio.TimeoutError, BackendUnavailableError) as error:
                last_error = error
                self._on_error(error_kind(error))
                logger.warning("case backend %s %s failed (attempt %d): %s", method,
                               path.split("/")[2] if path.count("/") > 1 else path,
                               attempt + 1, type(error).__name__)
                if attempt < self._settings.retries:
                    await asyncio.sleep(0.1 * (attempt + 1))
        self.breaker.record_failure()
        raise BackendUnavailableError(str(last_error)) from last_error

    @staticmethod
    def _result(status: int, body: Any) -> Any:
        if status in (401, 403):
            detail = body.get("type", "") if isinstance(body, dict) else ""
            raise AccessDeniedError(str(detail).rsplit("/", 1)[-1] or "forbidden")
        if status == 404:
            raise NotFoundError()
        if status >= 400:
            raise BackendUnavailableError(f"backend refused the request: {status}")
        return body

    async def lookup(self, personnummer: str) -> str:
        body = await self._request("POST", "/v1/person-lookups", None,
                                   json={"personnummer": personnummer})
        return str(body["person_ref"])

    async def profile(self, caller: Caller) -> Profile:
        body = await self._request("GET", f"/v1/persons/{caller.person_ref}", caller)
        return profile_from_json(body)

    async def _all_pages(self, path: str, caller: Caller,
                         params: dict[str, str]) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        cursor: str | None = None
        for _ in range(10):  # bounded: a conversation never needs more than 10 pages
            page_params = {**params, **({"cursor": cursor} if cursor else {})}
            body = await self._request("GET", path, caller, params=page_params)
            items.extend(body["items"])
            cursor = body.get("next_cursor")
            if not cursor:
                break
        return items

    async def open_cases(self, caller: Caller) -> list[Case]:
        items = await self._all_pages(f"/v1/persons/{caller.person_ref}/cases", caller,
                                      {"status": "open", "limit": "50"})
        return [case_from_json(item) for item in items]

    async def upcoming_payments(self, caller: Caller) -> list[Payment]:
        items = await self._all_pages(f"/v1/persons/{caller.person_ref}/payments", caller,
                                      {"limit": "50"})
        return [payment_from_json(item) for item in items]

    async def order_annual_report_basis(self, caller: Caller, principal_ref: str,
                                        idempotency_key: str) -> Order:
        body = await self._request(
            "POST", f"/v1/persons/{caller.person_ref}/orders", caller,
            json={"type": "annual_report_basis", "principal_ref": principal_ref,
                  "idempotency_key": idempotency_key})
        return Order(order_ref=str(body["order_ref"]), principal_ref=str(body["principal_ref"]),
                     status=str(body["status"]))
