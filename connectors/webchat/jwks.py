"""The keys that verify Mina sidor session tokens: one PEM key, or a JWKS file that rotates.

A JWKS file is read at start (a missing or broken file stops ``rasa run``), then again
after ``max_age_seconds``, and early when a token names a ``kid`` the set does not hold
(a rotated-in key), but at most once per ``unknown_kid_refresh_seconds``: a stream of
forged tokens with invented kids costs one read per interval, not one per token. A key
removed from the file stops verifying at the next read. A reload that fails (the file
half-written, briefly missing) keeps the last good set and is retried after the interval.
Only RSA keys are taken from the set: the tokens are RS256.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import jwt

logger = logging.getLogger(__name__)


class UnknownKeyError(Exception):
    """No key with the token's ``kid``, even after a re-read."""


class VerificationKeys(Protocol):
    async def key_for(self, kid: str | None) -> Any:
        """The key for a token whose header names ``kid``; raises UnknownKeyError."""


class StaticKey:
    """One key (a PEM public key, or the demo's HS256 secret) for every token."""

    def __init__(self, key: Any) -> None:
        self._key = key

    async def key_for(self, kid: str | None) -> Any:
        return self._key


def read_jwks(path: Path) -> dict[str | None, Any]:
    """kid → RSA public key; raises ValueError (or OSError) if the file is not a JWKS."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        keys = jwt.PyJWKSet.from_dict(document).keys
    except (jwt.PyJWKSetError, jwt.PyJWKError, json.JSONDecodeError, TypeError) as error:
        raise ValueError(f"{path} is not a JWKS ({type(error).__name__})") from None
    rsa = {key.key_id: key.key for key in keys if key.key_type == "RSA"}
    if not rsa:
        raise ValueError(f"{path} holds no RSA key")
    return rsa


class JwksFile:
    def __init__(self, path: Path, *, max_age_seconds: float = 300.0,
                 unknown_kid_refresh_seconds: float = 30.0,
                 clock: Callable[[], float] = time.monotonic,
                 reader: Callable[[Path], dict[str | None, Any]] = read_jwks) -> None:
        self._path = path
        self._reader = reader
        self._max_age = max_age_seconds
        self._unknown_kid_refresh = unknown_kid_refresh_seconds
        self._clock = clock
        self._keys = reader(path)  # at start: a bad file fails the deployment here
        self._read_at = self._attempted_at = clock()

    async def key_for(self, kid: str | None) -> Any:
        now = self._clock()
        if now - self._attempted_at >= self._max_age:
            await self._reload(now)
        key = self._keys.get(kid)
        if key is None and now - self._attempted_at >= self._unknown_kid_refresh:
            await self._reload(now)
            key = self._keys.get(kid)
        if key is None:
            raise UnknownKeyError("no key with that kid")
        return key

    async def _reload(self, now: float) -> None:
        self._attempted_at = now  # before the read: concurrent tokens do not read again
        try:
            self._keys = await asyncio.to_thread(self._reader, self._path)
            self._read_at = now
        except (OSError, ValueError) as error:
            logger.error("web chat: the JWKS could not be re-read, keeping the keys read "
                         "%.0f s ago (%s)", now - self._read_at, error)
