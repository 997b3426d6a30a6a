"""A short-lived, encrypted hand-over of a personnummer from a channel to the action server.

The channel replaces the number in the message with PNR_REDACTED and puts it here under a
random one-time token, which travels in the message metadata (opaque: nothing personal in
the tracker). The action takes it out once; it is gone after that or after its time to live
(default 5 minutes). Entries are encrypted (Fernet, key from configuration) so the file holds
no readable personnummer either. One SQLite file serves the embedded default; the channel and
the action server share it.
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

from cryptography.fernet import Fernet, InvalidToken

DEFAULT_TTL_SECONDS = 300.0
METADATA_KEY = "pnr_token"


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
        """The value, once (unless ``keep``); None if unknown, expired or tampered with."""
        with self._connect() as db:
            row = db.execute("select secret, expires from vault where token = ?",
                             (token,)).fetchone()
            if row is None:
                return None
            if not keep or row[1] < self._clock():
                db.execute("delete from vault where token = ?", (token,))
        if row[1] < self._clock():
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
