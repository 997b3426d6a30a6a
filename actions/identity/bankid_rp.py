"""BankID Relying Party API v6 adapter: authentication (phone or same device), collect, cancel.

Talks JSON over HTTPS with mutual TLS: the RP's client certificate and key (PEM) from
configuration, and BankID's CA certificate to verify the server. The endpoints and fields are
those of RP API v6.0 (`/rp/v6.0/phone/auth`, `/rp/v6.0/auth`, `/rp/v6.0/collect`,
`/rp/v6.0/cancel`). The same-device flow needs ``endUserIp``; an SMS conversation has no
device address of its own, so the configured ``BANKID_END_USER_IP`` (the address BankID is
told the request comes from) is sent.
"""

from __future__ import annotations

import asyncio
import base64
import os
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp

from actions.identity.provider import (
    AuthFlow,
    AuthRequest,
    AuthStatus,
    Collected,
    IdentityProviderError,
    StartedOrder,
)


@dataclass(frozen=True)
class BankIdSettings:
    base_url: str  # e.g. https://appapi2.test.bankid.com/rp/v6.0
    client_cert: str  # PEM file: the RP certificate
    client_key: str  # PEM file: its private key
    ca_cert: str  # PEM file: the CA that signed BankID's server certificate
    end_user_ip: str = "127.0.0.1"  # sent as endUserIp in the same-device flow
    timeout: float = 5.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> BankIdSettings:
        environ = os.environ if environ is None else environ
        missing = [name for name in ("BANKID_URL", "BANKID_CLIENT_CERT", "BANKID_CLIENT_KEY",
                                     "BANKID_CA_CERT") if not environ.get(name)]
        if missing:
            raise ValueError(f"BankID adapter needs {', '.join(missing)}")
        return cls(environ["BANKID_URL"].rstrip("/"), environ["BANKID_CLIENT_CERT"],
                   environ["BANKID_CLIENT_KEY"], environ["BANKID_CA_CERT"],
                   environ.get("BANKID_END_USER_IP", "127.0.0.1"))

    def ssl_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=self.ca_cert)
        context.load_cert_chain(self.client_cert, self.client_key)
        return context


class BankIdRpClient:
    # BankID keeps an unconfirmed order for at most three minutes.
    order_lifetime = 180.0

    def __init__(self, settings: BankIdSettings,
                 ssl_context: ssl.SSLContext | None = None) -> None:
        self._settings = settings
        self._ssl = ssl_context or settings.ssl_context()
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self._settings.timeout),
                connector=aiohttp.TCPConnector(ssl=self._ssl))
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            async with self._client().post(f"{self._settings.base_url}{path}",
                                           json=body) as response:
                payload = await response.json(content_type=None)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
            raise IdentityProviderError("unreachable") from error
        if response.status != 200:
            code = payload.get("errorCode") if isinstance(payload, dict) else None
            raise IdentityProviderError(str(code or f"http{response.status}"))
        if not isinstance(payload, dict):
            raise IdentityProviderError("invalidResponse")
        return payload

    async def start(self, request: AuthRequest) -> StartedOrder:
        visible = base64.b64encode(request.user_visible_data.encode("utf-8")).decode("ascii")
        if request.flow is AuthFlow.PHONE:
            payload = await self._post("/phone/auth", {
                "personalNumber": request.personal_number, "callInitiator": "user",
                "userVisibleData": visible})
            return StartedOrder(str(payload["orderRef"]))
        payload = await self._post("/auth", {
            "endUserIp": self._settings.end_user_ip, "userVisibleData": visible,
            "requirement": {"personalNumber": request.personal_number}})
        return StartedOrder(str(payload["orderRef"]), str(payload["autoStartToken"]))

    async def collect(self, order_ref: str) -> Collected:
        payload = await self._post("/collect", {"orderRef": order_ref})
        status = AuthStatus(payload["status"])
        user = (payload.get("completionData") or {}).get("user") or {}
        return Collected(status, payload.get("hintCode"), user.get("personalNumber"))

    async def cancel(self, order_ref: str) -> None:
        await self._post("/cancel", {"orderRef": order_ref})
