"""What identification needs, built once per action-server process from configuration.

``IDENTITY_PROVIDER`` = ``simulator`` (default) or ``bankid`` (the RP API v6 adapter, with
``BANKID_*`` settings); the vault and the start limiter are SQLite files under var/, or, with
``ASSISTANT_REDIS_URL`` (common/shared_state.py), live in Redis together with the
simulator's orders, so that any action server can go on with an identification another began.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from actions.identity.bankid_rp import BankIdRpClient, BankIdSettings
from actions.identity.provider import IdentityProvider
from actions.identity.rate_limit import RedisStartLimiter, StartLimiter, StartLimits
from actions.identity.simulator import BankIdSimulator, RedisOrders
from common.identity_vault import Vault, VaultSettings, open_vault
from common.production_mode import refuse_in_production
from common.shared_state import handle_from_env


@dataclass
class IdentityServices:
    provider: IdentityProvider
    vault: Vault
    limiter: StartLimits
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
        max_starts = int(environ.get("IDENTITY_MAX_STARTS", "3"))
        limiter: StartLimits
        if handle is not None:
            limiter = RedisStartLimiter(handle, max_starts=max_starts)
        else:
            limiter = StartLimiter(Path(environ.get("IDENTITY_ATTEMPTS_PATH",
                                                    "var/identity-attempts.db")),
                                   max_starts=max_starts)
        return cls(
            provider=provider,
            vault=open_vault(vault_settings, handle),
            limiter=limiter,
            wait_seconds=float(environ.get("IDENTITY_WAIT_SECONDS", "6")),
        )


_shared: IdentityServices | None = None


def default_services() -> IdentityServices:
    """One set per process (the simulator keeps its orders in memory unless Redis is set)."""
    global _shared
    if _shared is None:
        _shared = IdentityServices.from_env()
    return _shared
