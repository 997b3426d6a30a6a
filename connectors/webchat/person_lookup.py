"""Looking a person up in the case backend (server to server, with the service token).

Used to bind a web chat session to the opaque ``person_ref`` of a verified session token's
subject (``session_token.py``; the demo's test login mints such tokens, ``demo_tokens.py``).
The personnummer is never logged, stored, or passed on.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

import aiohttp

from connectors.webchat.config import BackendAccess

logger = logging.getLogger(__name__)



class UnknownPersonError(Exception):
    pass


class PersonLookup(Protocol):
    async def person_ref(self, personnummer: str) -> str:
        """The backend's opaque ref; UnknownPersonError, or OSError when unreachable."""

    async def close(self) -> None: ...


class HttpPersonLookup:
    """POST /v1/person-lookups on the case backend."""

    def __init__(self, access: BackendAccess, timeout_seconds: float = 3.0) -> None:
        self._access = access
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._session: aiohttp.ClientSession | None = None

    async def person_ref(self, personnummer: str) -> str:
        if self._session is None:
            # Made on first use, inside the server's event loop (never at import).
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        try:
            async with self._session.post(
                    f"{self._access.url}/v1/person-lookups",
                    json={"personnummer": personnummer},
                    headers={"Authorization": f"Bearer {self._access.token}",
                             "X-Channel": "web"}) as response:
                if response.status in {404, 422}:
                    raise UnknownPersonError()
                if response.status != 200:
                    raise OSError(f"person lookup answered {response.status}")
                body = await response.json()
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
            raise OSError(f"person lookup failed: {type(error).__name__}") from error
        ref = body.get("person_ref") if isinstance(body, dict) else None
        if not isinstance(ref, str) or not ref:
            raise OSError("person lookup gave no person_ref")
        return ref

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


