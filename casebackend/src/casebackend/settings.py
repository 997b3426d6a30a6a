"""Configuration, read once from the environment into frozen dataclasses.

Only the server needs the client tokens and the assertion key; migrations and the demo loader need
the database (and the demo loader the personnummer key), so those parts are readable on their own.
Every caller has its own token (casebackend.auth), and the person a request is about comes from an
identity assertion the action server signs (casebackend.assertion).
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from casebackend.production import is_production, refuse_in_production

# <repo>/casebackend/src/casebackend/settings.py -> <repo>
REPO_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_DATABASE_URL = f"sqlite+aiosqlite:///{REPO_ROOT / 'var' / 'casebackend.db'}"
# Only for development and the demo: production sets CASEBACKEND_PNR_KEY to a secret.
DEV_PNR_KEY = "casebackend-development-key-not-for-production"
# Only for development and the demo: production sets CASEBACKEND_CONTACT_KEY to a secret.
DEV_CONTACT_KEY = "casebackend-development-contact-key-not-for-production"
DEFAULT_ASSISTANT_URL = "http://127.0.0.1:5005"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8100
REQUEST_MAX_SIZE = 64 * 1024

ACTIONS_TOKEN_ENV = "CASEBACKEND_ACTIONS_TOKEN"  # noqa: S105 (a variable name)
LOOKUP_TOKEN_ENV = "CASEBACKEND_LOOKUP_TOKEN"  # noqa: S105 (a variable name)
ASSERTION_KEY_ENV = "CASEBACKEND_ASSERTION_PUBLIC_KEY"
NOTICES_TOKEN_ENV = "ASSISTANT_NOTICES_TOKEN"  # noqa: S105 (a variable name)
# The one token every caller shared before the tokens were scoped: refused, so that an old
# deployment fails with a message instead of with 401s.
RETIRED_TOKEN_ENV = "CASEBACKEND_SERVICE_TOKEN"  # noqa: S105 (a variable name)
ED25519_KEY_BYTES = 32

_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class SettingsError(ValueError):
    """A setting is missing or invalid; the message says which and how to fix it."""


@dataclass(frozen=True)
class DatabaseSettings:
    url: str
    # PostgreSQL only: the schema the tables live in (search_path), e.g. one per test session.
    schema: str | None = None

    def __post_init__(self) -> None:
        if not self.url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise SettingsError(
                "CASEBACKEND_DATABASE_URL must start with sqlite+aiosqlite:// or "
                "postgresql+asyncpg://"
            )
        if self.schema is not None:
            if not self.is_postgresql:
                raise SettingsError("CASEBACKEND_DATABASE_SCHEMA is only supported on PostgreSQL")
            if not _SCHEMA_NAME.match(self.schema):
                raise SettingsError(
                    "CASEBACKEND_DATABASE_SCHEMA must be a lower-case identifier ([a-z0-9_])"
                )

    @property
    def is_postgresql(self) -> bool:
        return self.url.startswith("postgresql")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> DatabaseSettings:
        return cls(
            url=environ.get("CASEBACKEND_DATABASE_URL") or DEFAULT_DATABASE_URL,
            schema=environ.get("CASEBACKEND_DATABASE_SCHEMA") or None,
        )


def pnr_key_from_env(environ: Mapping[str, str] = os.environ) -> bytes:
    key = environ.get("CASEBACKEND_PNR_KEY") or DEV_PNR_KEY
    if key == DEV_PNR_KEY:
        # With a known key the keyed hash is reversed by hashing every valid personnummer.
        refuse_in_production(environ, "CASEBACKEND_PNR_KEY is not set (the development key)")
    return key.encode()


def contact_key_from_env(environ: Mapping[str, str] = os.environ) -> bytes:
    """The secret the mobile numbers are encrypted under (casebackend.contact derives the key)."""
    key = environ.get("CASEBACKEND_CONTACT_KEY") or DEV_CONTACT_KEY
    if key == DEV_CONTACT_KEY:
        refuse_in_production(environ, "CASEBACKEND_CONTACT_KEY is not set (the development key)")
    return key.encode()


def _refuse_retired_token(environ: Mapping[str, str]) -> None:
    is_production(environ)  # a mistyped ASSISTANT_MODE stops the start as well
    if environ.get(RETIRED_TOKEN_ENV):
        raise SettingsError(
            f"{RETIRED_TOKEN_ENV} is no longer used: each caller has its own token now "
            f"({ACTIONS_TOKEN_ENV}, {LOOKUP_TOKEN_ENV}; the notifier sends {NOTICES_TOKEN_ENV}); "
            f"unset it"
        )


def public_key_from_text(text: str) -> bytes:
    """The raw 32-byte Ed25519 public key from its base64 (standard or URL-safe) text."""
    cleaned = text.strip().replace("+", "-").replace("/", "_").rstrip("=")
    try:
        key = base64.urlsafe_b64decode(cleaned + "=" * (-len(cleaned) % 4))
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != ED25519_KEY_BYTES:
        raise SettingsError(
            f"{ASSERTION_KEY_ENV} must be the action server's Ed25519 public key: 32 bytes in "
            "base64 (python -m casebackend.keys prints a new pair)"
        )
    return key


def uses_dev_contact_key(key: bytes) -> bool:
    return key == DEV_CONTACT_KEY.encode()


@dataclass(frozen=True)
class NotifierSettings:
    """What `python -m casebackend.notify` needs besides the database."""

    assistant_url: str
    # The notifier's own token: the assistant's /notices accepts it and nothing else does.
    notices_token: str
    contact_key: bytes
    timeout: float = 10.0

    def __post_init__(self) -> None:
        if not self.notices_token.strip():
            raise SettingsError(
                f"{NOTICES_TOKEN_ENV} is not set: the assistant's notices endpoint needs the "
                "notifier's token (the same value the assistant's SMS channel checks)"
            )
        if not self.assistant_url.startswith(("http://", "https://")):
            raise SettingsError("CASEBACKEND_ASSISTANT_URL must start with http:// or https://")
        if not self.contact_key:
            raise SettingsError("CASEBACKEND_CONTACT_KEY must not be empty")

    @property
    def notices_url(self) -> str:
        return self.assistant_url.rstrip("/") + "/webhooks/twilio_sms/notices"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> NotifierSettings:
        _refuse_retired_token(environ)
        return cls(
            assistant_url=environ.get("CASEBACKEND_ASSISTANT_URL") or DEFAULT_ASSISTANT_URL,
            notices_token=environ.get(NOTICES_TOKEN_ENV, ""),
            contact_key=contact_key_from_env(environ),
        )


@dataclass(frozen=True)
class Settings:
    database: DatabaseSettings
    # The action server's token (lookups, the person's own data, orders).
    actions_token: str
    # The raw Ed25519 public key the action server's identity assertions verify under.
    assertion_public_key: bytes
    pnr_key: bytes
    # The web chat's token (Rasa's process: person lookups only); empty when nobody uses it.
    lookup_token: str = ""
    # Only to refuse a notices token that is also a client token here (then it would open both).
    notices_token: str = ""
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    request_max_size: int = REQUEST_MAX_SIZE

    def __post_init__(self) -> None:
        if not self.actions_token.strip():
            raise SettingsError(
                f"{ACTIONS_TOKEN_ENV} is not set: the case backend refuses to start without the "
                "bearer token the action server must send (set it to a long random secret)"
            )
        tokens = [t for t in (self.actions_token, self.lookup_token, self.notices_token) if t]
        if len(set(tokens)) != len(tokens):
            raise SettingsError(
                f"{ACTIONS_TOKEN_ENV}, {LOOKUP_TOKEN_ENV} and {NOTICES_TOKEN_ENV} must all "
                "differ: each token opens only its own caller's routes"
            )
        if len(self.assertion_public_key) != ED25519_KEY_BYTES:
            raise SettingsError(f"{ASSERTION_KEY_ENV} must be a 32-byte Ed25519 public key")
        if not self.pnr_key:
            raise SettingsError("CASEBACKEND_PNR_KEY must not be empty")

    @property
    def uses_dev_pnr_key(self) -> bool:
        return self.pnr_key == DEV_PNR_KEY.encode()

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        port_text = environ.get("CASEBACKEND_PORT") or str(DEFAULT_PORT)
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise SettingsError("CASEBACKEND_PORT must be a port number (1-65535)")
        _refuse_retired_token(environ)
        key_text = environ.get(ASSERTION_KEY_ENV, "")
        if not key_text.strip():
            raise SettingsError(
                f"{ASSERTION_KEY_ENV} is not set: the case backend verifies who a request is "
                "about with the action server's public key (python -m casebackend.keys)"
            )
        return cls(
            database=DatabaseSettings.from_env(environ),
            actions_token=environ.get(ACTIONS_TOKEN_ENV, ""),
            assertion_public_key=public_key_from_text(key_text),
            lookup_token=environ.get(LOOKUP_TOKEN_ENV, ""),
            notices_token=environ.get(NOTICES_TOKEN_ENV, ""),
            pnr_key=pnr_key_from_env(environ),
            host=environ.get("CASEBACKEND_HOST") or DEFAULT_HOST,
            port=int(port_text),
        )
