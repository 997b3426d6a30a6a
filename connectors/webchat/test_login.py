"""The demo site's "test login": OFF unless ``test_login: true`` is in the channel's block.

A stand-in for the Mina sidor session token until issue 4 verifies it. The demo page hands
the widget the token ``test-login:<personnummer>`` of a demo person; the server looks the
person up in the case backend (server to server, service token) and binds the session to
the opaque ``person_ref``. Rasa gets only that ref, as ``test_person_ref`` in the message
metadata, which the action server accepts only with ``ASSISTANT_TEST_IDENTITY=on``. The
personnummer is never logged, stored, or passed on.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from typing import Protocol

import aiohttp

from connectors.webchat.config import BackendAccess
from connectors.webchat.sessions import AuthenticationError, Identity

logger = logging.getLogger(__name__)

TOKEN_PREFIX = "test-login:"
TEST_PERSON_KEY = "test_person_ref"  # actions/personal_action.py: TEST_IDENTITY_KEY
_CACHE_SIZE = 1024


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


class TestLoginAuthenticator:
    """Anonymous without a token; a demo person with ``test-login:<personnummer>``."""

    __test__ = False  # not a pytest test class, despite the name

    def __init__(self, lookup: PersonLookup) -> None:
        self._lookup = lookup
        self._refs: OrderedDict[str, str] = OrderedDict()

    async def authenticate(self, token: str | None) -> Identity:
        if not token:
            return Identity()
        if not token.startswith(TOKEN_PREFIX):
            raise AuthenticationError("auth_failed", "not a test-login token")
        personnummer = token[len(TOKEN_PREFIX):].strip()
        ref = self._refs.get(personnummer)
        if ref is None:
            try:
                ref = await self._lookup.person_ref(personnummer)
            except UnknownPersonError:
                raise AuthenticationError("auth_failed", "no such demo person") from None
            except OSError as error:
                logger.warning("web chat test login: case backend unavailable (%s)", error)
                raise AuthenticationError("auth_unavailable", str(error)) from None
            self._refs[personnummer] = ref
            if len(self._refs) > _CACHE_SIZE:
                self._refs.popitem(last=False)
        return Identity(binding=f"person:{ref}", message_metadata={TEST_PERSON_KEY: ref})

    async def close(self) -> None:
        await self._lookup.close()
