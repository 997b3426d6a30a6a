"""Configuration, read once from the environment into frozen dataclasses.

Only the server needs the service token; migrations and the demo loader need the database (and the
demo loader the personnummer key), so those parts are readable on their own.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

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
    return (environ.get("CASEBACKEND_PNR_KEY") or DEV_PNR_KEY).encode()


def contact_key_from_env(environ: Mapping[str, str] = os.environ) -> bytes:
    """The secret the mobile numbers are encrypted under (casebackend.contact derives the key)."""
    return (environ.get("CASEBACKEND_CONTACT_KEY") or DEV_CONTACT_KEY).encode()


def uses_dev_contact_key(key: bytes) -> bool:
    return key == DEV_CONTACT_KEY.encode()


@dataclass(frozen=True)
class NotifierSettings:
    """What `python -m casebackend.notify` needs besides the database."""

    assistant_url: str
    service_token: str
    contact_key: bytes
    timeout: float = 10.0

    def __post_init__(self) -> None:
        if not self.service_token.strip():
            raise SettingsError(
                "CASEBACKEND_SERVICE_TOKEN is not set: the assistant's notices endpoint needs "
                "the shared service token"
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
        return cls(
            assistant_url=environ.get("CASEBACKEND_ASSISTANT_URL") or DEFAULT_ASSISTANT_URL,
            service_token=environ.get("CASEBACKEND_SERVICE_TOKEN", ""),
            contact_key=contact_key_from_env(environ),
        )


@dataclass(frozen=True)
class Settings:
    database: DatabaseSettings
    service_token: str
    pnr_key: bytes
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    request_max_size: int = REQUEST_MAX_SIZE

    def __post_init__(self) -> None:
        if not self.service_token.strip():
            raise SettingsError(
                "CASEBACKEND_SERVICE_TOKEN is not set: the case backend refuses to start without "
                "the bearer token its callers must send (set it to a long random secret, the same "
                "one the action server uses)"
            )
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
        return cls(
            database=DatabaseSettings.from_env(environ),
            service_token=environ.get("CASEBACKEND_SERVICE_TOKEN", ""),
            pnr_key=pnr_key_from_env(environ),
            host=environ.get("CASEBACKEND_HOST") or DEFAULT_HOST,
            port=int(port_text),
        )
