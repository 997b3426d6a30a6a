"""What identification needs, built once per action-server process from configuration.

``IDENTITY_PROVIDER`` = ``simulator`` (default) or ``bankid`` (the RP API v6 adapter, with
``BANKID_*`` settings); the vault and the start limiter are SQLite files under var/, or, with
``ASSISTANT_REDIS_URL`` (common/shared_state.py), live in Redis together with the
simulator's orders, so that any action server can go on with an identification another began.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from actions.identity.bankid_rp import BankIdRpClient, BankIdSettings
from actions.identity.provider import IdentityProvider
from actions.identity.rate_limit import (
    RedisStartLimiter,
    StartLimit,
    StartLimiter,
    StartLimits,
)
from actions.identity.simulator import BankIdSimulator, RedisOrders
from common.identity_vault import Vault, VaultSettings, open_vault
from common.production_mode import refuse_in_production
from common.shared_state import handle_from_env


@dataclass(frozen=True)
class StartLimitSettings:
    """BankID starts allowed per 15 minutes (the limiter's window), under each key."""

    per_conversation: int = 3  # IDENTITY_MAX_STARTS, also per calling number
    per_person: int = 3  # IDENTITY_MAX_STARTS_PER_PERSON
    everyone: int = 1000  # IDENTITY_MAX_STARTS_GLOBAL: all conversations together

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> StartLimitSettings:
        settings = cls(int(environ.get("IDENTITY_MAX_STARTS", "3")),
                       int(environ.get("IDENTITY_MAX_STARTS_PER_PERSON", "3")),
                       int(environ.get("IDENTITY_MAX_STARTS_GLOBAL", "1000")))
        if min(settings.per_conversation, settings.per_person, settings.everyone) < 1:
            raise ValueError("IDENTITY_MAX_STARTS* must be at least 1")
        return settings


@dataclass
class IdentityServices:
    provider: IdentityProvider
    vault: Vault
    limiter: StartLimits
    # The key of the personnummer's hash under which a person's starts are counted.
    person_key_secret: bytes = b"tests"
    limits: StartLimitSettings = field(default_factory=StartLimitSettings)
    # How long one turn waits for the BankID confirmation: well inside Twilio's 15 s.
    wait_seconds: float = 6.0
    poll_interval: float = 1.0
    max_failures: int = 3
    sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> IdentityServices:
        environ = os.environ if environ is None else environ
        kind = environ.get("IDENTITY_PROVIDER", "simulator")
        vault_settings = VaultSettings.from_env(environ)
        handle = handle_from_env(environ)  # None: the embedded default
        provider: IdentityProvider
        if kind == "bankid":
            provider = BankIdRpClient(BankIdSettings.from_env(environ))
        elif kind == "simulator":
            # Anyone could "identify" as any demo person: never in production.
            refuse_in_production(environ, "IDENTITY_PROVIDER is the BankID simulator")
            provider = BankIdSimulator(
                confirm_after=float(environ.get("BANKID_SIMULATOR_CONFIRM_SECONDS", "2")),
                orders=RedisOrders(handle, vault_settings.key) if handle else None)
        else:
            raise ValueError(f"IDENTITY_PROVIDER must be simulator or bankid, not {kind!r}")
        limiter: StartLimits
        if handle is not None:
            limiter = RedisStartLimiter(handle)
        else:
            limiter = StartLimiter(Path(environ.get("IDENTITY_ATTEMPTS_PATH",
                                                    "var/identity-attempts.db")))
        return cls(
            provider=provider,
            vault=open_vault(vault_settings, handle),
            limiter=limiter,
            person_key_secret=vault_settings.key,
            limits=StartLimitSettings.from_env(environ),
            wait_seconds=float(environ.get("IDENTITY_WAIT_SECONDS", "6")),
        )

    def person_key(self, personal_number: str) -> str:
        """A keyed hash of the personnummer: the same for every conversation, and not the
        number (without the key, the ~40 million valid numbers cannot be tried)."""
        digest = hmac.new(self.person_key_secret, f"person:{personal_number}".encode(),
                          hashlib.sha256)
        return digest.hexdigest()[:32]

    def start_limits(self, conversation_id: str, caller_hash: str | None,
                     personal_number: str) -> list[StartLimit]:
        limits = [StartLimit(f"conversation:{conversation_id}", self.limits.per_conversation),
                  StartLimit(f"person:{self.person_key(personal_number)}",
                             self.limits.per_person),
                  StartLimit("everyone", self.limits.everyone)]
        if caller_hash:
            limits.append(StartLimit(f"caller:{caller_hash}", self.limits.per_conversation))
        return limits


_shared: IdentityServices | None = None


def default_services() -> IdentityServices:
    """One set per process (the simulator keeps its orders in memory unless Redis is set)."""
    global _shared
    if _shared is None:
        _shared = IdentityServices.from_env()
    return _shared
