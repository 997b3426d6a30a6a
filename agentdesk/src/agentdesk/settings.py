"""Configuration, read once from the environment into frozen dataclasses.

Migrations need only the database, so DatabaseSettings reads on its own; the server needs the
two tokens as well (Settings.from_env refuses to start without them).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from agentdesk.hours import HoursError, OpeningHours, parse_hours

# <repo>/agentdesk/src/agentdesk/settings.py -> <repo>
REPO_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_DATABASE_URL = f"sqlite+aiosqlite:///{REPO_ROOT / 'var' / 'agentdesk.db'}"
# Only for development and the demo: production sets AGENTDESK_DATA_KEY to a secret.
DEV_DATA_KEY = "agentdesk-development-data-key-not-for-production"
DEFAULT_ASSISTANT_URL = "http://127.0.0.1:5005"
DEFAULT_PORT = 5070
TEXT_MAX_BYTES = 4 * 1024
REQUEST_MAX_SIZE = 256 * 1024  # a handoff carries its transcript
ASSISTANT_TOKEN_ENV = "AGENTDESK_ASSISTANT_TOKEN"  # noqa: S105 (a variable name)
DELIVERY_TOKEN_ENV = "AGENTDESK_DELIVERY_TOKEN"  # noqa: S105 (a variable name)
MIN_TOKEN_LENGTH = 16

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
                "AGENTDESK_DATABASE_URL must start with sqlite+aiosqlite:// or "
                "postgresql+asyncpg://"
            )
        if self.schema is not None and (
            not self.is_postgresql or not _SCHEMA_NAME.match(self.schema)
        ):
            raise SettingsError(
                "AGENTDESK_DATABASE_SCHEMA is a lower-case identifier, on PostgreSQL only"
            )

    @property
    def is_postgresql(self) -> bool:
        return self.url.startswith("postgresql")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> DatabaseSettings:
        return cls(
            url=environ.get("AGENTDESK_DATABASE_URL") or DEFAULT_DATABASE_URL,
            schema=environ.get("AGENTDESK_DATABASE_SCHEMA") or None,
        )


@dataclass(frozen=True)
class OidcSettings:
    """Staff sign in with an ID token from the organisation's identity provider; with these
    set, the demo accounts' password login is refused."""

    issuer: str
    client_id: str
    jwks_file: Path
    role_claim: str = "roles"
    supervisor_role: str = "agentdesk-supervisor"

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> OidcSettings | None:
        names = ("AGENTDESK_OIDC_ISSUER", "AGENTDESK_OIDC_CLIENT_ID", "AGENTDESK_OIDC_JWKS_FILE")
        given = [environ.get(name, "").strip() for name in names]
        if not any(given):
            return None
        if not all(given):
            raise SettingsError(f"OIDC needs all of {', '.join(names)}")
        return cls(
            issuer=given[0],
            client_id=given[1],
            jwks_file=Path(given[2]),
            role_claim=environ.get("AGENTDESK_OIDC_ROLE_CLAIM") or "roles",
            supervisor_role=environ.get("AGENTDESK_OIDC_SUPERVISOR_ROLE") or "agentdesk-supervisor",
        )


def _token(environ: Mapping[str, str], name: str) -> bytes:
    value = (environ.get(name) or "").strip()
    if len(value) < MIN_TOKEN_LENGTH:
        raise SettingsError(
            f"{name} must be set to a secret of at least {MIN_TOKEN_LENGTH} characters"
        )
    return value.encode()


def _int(environ: Mapping[str, str], name: str, default: int) -> int:
    try:
        value = int(environ.get(name) or default)
    except ValueError as error:
        raise SettingsError(f"{name} must be a whole number") from error
    if value < 0:
        raise SettingsError(f"{name} must not be negative")
    return value


def _is_production(environ: Mapping[str, str]) -> bool:
    mode = (environ.get("ASSISTANT_MODE") or "development").strip().lower()
    if mode not in {"development", "production"}:
        raise SettingsError(f"ASSISTANT_MODE must be development or production, not {mode!r}")
    return mode == "production"


@dataclass(frozen=True)
class Settings:
    database: DatabaseSettings
    assistant_token: bytes
    delivery_token: bytes
    assistant_url: str = DEFAULT_ASSISTANT_URL
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    data_key: str = DEV_DATA_KEY
    demo_password: str | None = None
    hours: OpeningHours = field(default_factory=lambda: parse_hours(None))
    timezone: str = "Europe/Stockholm"
    queue_limit: int = 20
    handle_seconds: int = 300  # the average time an agent spends on one handoff
    secure_cookies: bool = False  # also set when the request itself came over https
    session_idle_seconds: int = 30 * 60
    session_max_seconds: int = 10 * 60 * 60
    retry_seconds: float = 5.0
    oidc: OidcSettings | None = None
    # Proxies in front of the desk whose X-Forwarded-* headers are believed (https, address).
    proxies_count: int = 0
    request_max_size: int = REQUEST_MAX_SIZE

    @property
    def uses_dev_data_key(self) -> bool:
        return self.data_key == DEV_DATA_KEY

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        production = _is_production(environ)
        data_key = environ.get("AGENTDESK_DATA_KEY") or DEV_DATA_KEY
        if production and data_key == DEV_DATA_KEY:
            raise SettingsError("ASSISTANT_MODE=production needs AGENTDESK_DATA_KEY")
        oidc = OidcSettings.from_env(environ)
        demo_password = environ.get("AGENTDESK_DEMO_PASSWORD") or None
        if production and demo_password and oidc is None:
            raise SettingsError(
                "ASSISTANT_MODE=production refuses the demo accounts: configure OIDC"
            )
        try:
            hours = parse_hours(environ.get("AGENTDESK_HOURS"))
        except HoursError as error:
            raise SettingsError(f"AGENTDESK_HOURS: {error}") from error
        return cls(
            database=DatabaseSettings.from_env(environ),
            assistant_token=_token(environ, ASSISTANT_TOKEN_ENV),
            delivery_token=_token(environ, DELIVERY_TOKEN_ENV),
            assistant_url=(environ.get("AGENTDESK_ASSISTANT_URL") or DEFAULT_ASSISTANT_URL).rstrip(
                "/"
            ),
            host=environ.get("AGENTDESK_HOST") or "127.0.0.1",
            port=_int(environ, "AGENTDESK_PORT", DEFAULT_PORT),
            data_key=data_key,
            demo_password=demo_password,
            hours=hours,
            timezone=environ.get("AGENTDESK_TIMEZONE") or "Europe/Stockholm",
            queue_limit=_int(environ, "AGENTDESK_QUEUE_LIMIT", 20),
            handle_seconds=_int(environ, "AGENTDESK_HANDLE_SECONDS", 300),
            secure_cookies=production or environ.get("AGENTDESK_SECURE_COOKIES") == "1",
            retry_seconds=float(_int(environ, "AGENTDESK_RETRY_MS", 5000)) / 1000,
            oidc=oidc,
            proxies_count=_int(environ, "AGENTDESK_PROXIES_COUNT", 0),
        )
