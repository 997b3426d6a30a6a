"""A short-lived, encrypted hand-over of a personnummer from a channel to the action server.

The channel replaces the number in the message with PNR_REDACTED and puts it here under a
random one-time token, which travels in the message metadata (opaque: nothing personal in
the tracker). The action takes it out once; it is gone after that or after its time to live
(default 5 minutes). Entries are encrypted (Fernet, key from configuration) so the file holds
no readable personnummer either. One SQLite file serves the embedded default; the channel and
the action server share it. With ``ASSISTANT_REDIS_URL`` (common/shared_state.py) the
entries are in Redis instead, so a number put by one Rasa replica is taken by any action
server: still encrypted, expiring by Redis TTL, taken once with GETDEL.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import sqlite3
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from cryptography.fernet import Fernet, InvalidToken

from common.metadata import PNR_TOKEN
from common.shared_state import RedisHandle

DEFAULT_TTL_SECONDS = 300.0
METADATA_KEY = PNR_TOKEN


@dataclass(frozen=True)
class VaultSettings:
    path: Path
    key: bytes
    ttl_seconds: float = DEFAULT_TTL_SECONDS

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> VaultSettings:
        environ = os.environ if environ is None else environ
        key = environ.get("IDENTITY_VAULT_KEY", "")
        if not key:
            raise ValueError("IDENTITY_VAULT_KEY is not set (a Fernet key; `make run` makes "
                             "one in var/vault-key)")
        return cls(Path(environ.get("IDENTITY_VAULT_PATH", "var/identity-vault.db")),
                   key.encode(), float(environ.get("IDENTITY_VAULT_TTL_SECONDS",
                                                   DEFAULT_TTL_SECONDS)))


class Vault(Protocol):
    async def put(self, value: str, token: str | None = None) -> str:
        """Keeps ``value`` under ``token`` (a new random one if None); returns the token."""

    async def take(self, token: str, keep: bool = False) -> str | None:
        """The value, once (unless ``keep``); None if unknown, expired or tampered with."""

    async def forget(self, token: str) -> None: ...


class IdentityVault:
    def __init__(self, settings: VaultSettings,
                 clock: Callable[[], float] = time.time) -> None:
        self._settings = settings
        self._fernet = Fernet(settings.key)
        self._clock = clock
        settings.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute("create table if not exists vault (token text primary key, "
                       "secret blob not null, expires real not null)")

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self._settings.path, timeout=5, isolation_level=None)

    def put_now(self, value: str, token: str | None = None) -> str:
        token = token or secrets.token_urlsafe(24)
        secret = self._fernet.encrypt(value.encode())
        with self._connect() as db:
            now = self._clock()
            db.execute("delete from vault where expires < ?", (now,))
            db.execute("insert or replace into vault values (?, ?, ?)",
                       (token, secret, now + self._settings.ttl_seconds))
        return token

    def take_now(self, token: str, keep: bool = False) -> str | None:
        """The value, once (unless ``keep``); None if unknown, expired or tampered with.

        The one-time read is one statement (DELETE ... RETURNING): of two takers at once,
        in this process or another one on the same file, only one gets the row."""
        with self._connect() as db:
            if keep:
                row = db.execute("select secret, expires from vault where token = ?",
                                 (token,)).fetchone()
                if row is not None and row[1] < self._clock():
                    db.execute("delete from vault where token = ?", (token,))
            else:
                rows = db.execute("delete from vault where token = ? returning secret, expires",
                                  (token,)).fetchall()  # all: the statement ends here
                row = rows[0] if rows else None
        if row is None or row[1] < self._clock():
            return None
        try:
            return self._fernet.decrypt(row[0]).decode()
        except InvalidToken:
            return None

    async def put(self, value: str, token: str | None = None) -> str:
        return await asyncio.to_thread(self.put_now, value, token)

    async def take(self, token: str, keep: bool = False) -> str | None:
        return await asyncio.to_thread(self.take_now, token, keep)

    async def forget(self, token: str) -> None:
        await asyncio.to_thread(self.take_now, token, False)


class RedisIdentityVault:
    """The vault in Redis: the Fernet token under ``<prefix>vault:<token>`` with a TTL."""

    def __init__(self, settings: VaultSettings, handle: RedisHandle) -> None:
        self._fernet = Fernet(settings.key)
        self._ttl_ms = max(1, int(settings.ttl_seconds * 1000))
        self._handle = handle

    def _key(self, token: str) -> str:
        return self._handle.key("vault", token)

    async def put(self, value: str, token: str | None = None) -> str:
        token = token or secrets.token_urlsafe(24)
        secret = self._fernet.encrypt(value.encode()).decode("ascii")
        await self._handle.client().set(self._key(token), secret, px=self._ttl_ms)
        return token

    async def take(self, token: str, keep: bool = False) -> str | None:
        client = self._handle.client()
        secret = await (client.get(self._key(token)) if keep
                        else client.getdel(self._key(token)))
        if not isinstance(secret, str):
            return None
        try:
            return self._fernet.decrypt(secret.encode("ascii")).decode()
        except InvalidToken:
            return None

    async def forget(self, token: str) -> None:
        await self._handle.client().delete(self._key(token))


def open_vault(settings: VaultSettings, handle: RedisHandle | None = None) -> Vault:
    """Redis when a handle is given (shared state), else the SQLite file (blocking: creates
    its table; call it off the event loop)."""
    if handle is not None:
        return RedisIdentityVault(settings, handle)
    return IdentityVault(settings)
