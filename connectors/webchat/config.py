"""The web chat's settings: read from its block in credentials.yml, checked once at start.

Every mistake is reported with the key, what it must be and what was given, so a bad
deployment fails at `rasa run` instead of at the first user.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from common.production_mode import ProductionModeError, is_production
from common.service_credentials import LOOKUP_TOKEN_ENV
from common.shared_state import URL_ENV as SHARED_STATE_ENV
from connectors.base.client_address import DEFAULT_TRUSTED_PROXIES, ClientAddresses
from connectors.base.ratelimit import RateLimit, parse_rate_limit

logger = logging.getLogger(__name__)

CREDENTIALS_KEY = "connectors.webchat.WebChatInput"
SECRET_ENV = "WEBCHAT_SESSION_SECRET"
BACKEND_URL_ENV = "CASEBACKEND_URL"
# The web chat's own token: it opens the backend's person lookups and nothing else.
BACKEND_TOKEN_ENV = LOOKUP_TOKEN_ENV
MIN_SECRET_CHARS = 16

_KNOWN_KEYS = frozenset({
    "socketio_path", "allowed_origins", "rate_limit", "max_message_chars",
    "session_persistence", "history_limit", "demo_pages", "test_login", "session_secret",
    "session_token", "new_sessions_per_address", "trusted_proxies",
})
_PATH = re.compile(r"^/[A-Za-z0-9._~/-]*$")


class WebChatConfigError(ValueError):
    """The channel's block in credentials.yml is wrong; the message says how."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"{CREDENTIALS_KEY} in credentials.yml: {key} {problem}")


@dataclass(frozen=True)
class BackendAccess:
    """Where the session's personnummer is turned into a ref (server to server, lookup token)."""

    url: str
    token: str


DEFAULT_RATE_LIMIT = RateLimit(messages=20, per_seconds=60.0)
# New connections and new sessions per client address: a page load makes one of each; many
# people behind one office address stay far below it, a script making sessions does not.
DEFAULT_NEW_SESSIONS_PER_ADDRESS = RateLimit(messages=60, per_seconds=60.0, burst=120)


@dataclass(frozen=True)
class WebChatConfig:
    socketio_path: str = "/webhooks/webchat/socket.io"
    allowed_origins: tuple[str, ...] = ()
    rate_limit: RateLimit = DEFAULT_RATE_LIMIT
    new_sessions_per_address: RateLimit = DEFAULT_NEW_SESSIONS_PER_ADDRESS
    trusted_proxies: tuple[str, ...] = DEFAULT_TRUSTED_PROXIES
    max_message_chars: int = 1000
    session_persistence: bool = True
    history_limit: int = 100
    demo_pages: bool = False
    test_login: bool = False
    session_secret: bytes = b""
    backend: BackendAccess | None = None
    # The Mina sidor session token (JWT) settings: issuer, audience, algorithm, key files.
    session_token: Mapping[str, Any] | None = None

    @property
    def max_frame_bytes(self) -> int:
        """Largest engine.io frame accepted: a full message in 4-byte UTF-8 plus envelope."""
        return self.max_message_chars * 4 + 4096


def _whole(key: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise WebChatConfigError(key, f"must be a whole number from {low} to {high} "
                                      f"(got {value!r})")
    return value


def _flag(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise WebChatConfigError(key, f"must be true or false (got {value!r})")
    return value


def _origin(value: Any) -> str:
    if not isinstance(value, str):
        raise WebChatConfigError("allowed_origins", f"must list strings (got {value!r})")
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.netloc or \
            parts.path not in {"", "/"} or parts.query or parts.fragment:
        raise WebChatConfigError(
            "allowed_origins", f"entries must be origins like https://www.example.se, "
                               f"scheme and host only (got {value!r})")
    return f"{parts.scheme}://{parts.netloc}".lower()


def _proxies(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise WebChatConfigError("trusted_proxies", f"must be a list of networks (got {value!r})")
    try:
        ClientAddresses.of_networks(value)
    except ValueError as error:
        raise WebChatConfigError("trusted_proxies", str(error)) from None
    return tuple(value)


def _rate_limit(value: Any, name: str = "rate_limit") -> RateLimit:
    try:
        return parse_rate_limit(value, name)
    except ValueError as error:
        key, _, problem = str(error).partition(" ")
        raise WebChatConfigError(key, problem) from None


def _secret(value: Any, environ: Mapping[str, str]) -> bytes:
    configured = value if value is not None else environ.get(SECRET_ENV)
    if (configured is None or configured == "") and environ.get(SHARED_STATE_ENV):
        raise WebChatConfigError("session_secret", f"(or {SECRET_ENV}) must be set when "
                                                   f"{SHARED_STATE_ENV} is: every replica "
                                                   f"must accept the sessions the others issued")
    if configured is None or configured == "":
        # Sessions still work, but a restart forgets them (the ids no longer verify).
        logger.warning("web chat: no session_secret or %s set; sessions end when Rasa "
                       "restarts", SECRET_ENV)
        return secrets.token_bytes(32)
    if not isinstance(configured, str) or len(configured) < MIN_SECRET_CHARS:
        raise WebChatConfigError("session_secret", f"(or {SECRET_ENV}) must be a string of "
                                                   f"at least {MIN_SECRET_CHARS} characters")
    return configured.encode("utf-8")


def _backend(environ: Mapping[str, str]) -> BackendAccess:
    url, token = environ.get(BACKEND_URL_ENV, ""), environ.get(BACKEND_TOKEN_ENV, "")
    if not url.startswith(("http://", "https://")) or not token:
        raise WebChatConfigError(
            "test_login", f"is on, so {BACKEND_URL_ENV} (http(s)://...) and "
                          f"{BACKEND_TOKEN_ENV} must be set in Rasa's environment")
    return BackendAccess(url.rstrip("/"), token)


def _refuse_demo_login(test_login: bool, session_token: Mapping[str, Any] | None,
                       environ: Mapping[str, str]) -> None:
    """In production the session token must be Mina sidor's (RS256), never the demo's."""
    if not is_production(environ):
        return
    if test_login:
        raise ProductionModeError("ASSISTANT_MODE=production refuses to start: the web chat's "
                                  "test_login is on (a test-only path)")
    token = session_token or {}
    if str(token.get("algorithm", "")).upper() == "HS256" or "demo_secret" in token:
        raise ProductionModeError("ASSISTANT_MODE=production refuses to start: the web chat's "
                                  "session_token uses HS256 with demo_secret (the demo's "
                                  "login); configure RS256 with Mina sidor's public key")


def parse_config(credentials: Mapping[str, Any] | None,
                 environ: Mapping[str, str] | None = None) -> WebChatConfig:
    """Builds the settings from the credentials block; raises WebChatConfigError."""
    environ = os.environ if environ is None else environ
    block = dict(credentials or {})
    unknown = sorted(set(block) - _KNOWN_KEYS)
    if unknown:
        raise WebChatConfigError(", ".join(unknown), "is not a setting of this channel "
                                                     f"(known: {', '.join(sorted(_KNOWN_KEYS))})")
    defaults = WebChatConfig()
    path = block.get("socketio_path", defaults.socketio_path)
    if not isinstance(path, str) or not _PATH.match(path) or path.strip("/") == "":
        raise WebChatConfigError("socketio_path", f"must be an absolute URL path such as "
                                                  f"/webhooks/webchat/socket.io (got {path!r})")
    origins = block.get("allowed_origins", [])
    if not isinstance(origins, list):
        raise WebChatConfigError("allowed_origins", f"must be a list (got {origins!r})")
    test_login = _flag("test_login", block.get("test_login", False))
    session_token = block.get("session_token")
    if session_token is not None and not isinstance(session_token, dict):
        raise WebChatConfigError("session_token", "must be a mapping (issuer, audience, "
                                                  "algorithm, public_key_file or jwks_file)")
    _refuse_demo_login(test_login, session_token, environ)
    needs_backend = test_login or bool(session_token)
    return WebChatConfig(
        socketio_path="/" + path.strip("/"),
        allowed_origins=tuple(_origin(origin) for origin in origins),
        rate_limit=_rate_limit(block["rate_limit"]) if "rate_limit" in block
        else defaults.rate_limit,
        new_sessions_per_address=_rate_limit(block["new_sessions_per_address"],
                                             "new_sessions_per_address")
        if "new_sessions_per_address" in block else defaults.new_sessions_per_address,
        trusted_proxies=_proxies(block.get("trusted_proxies", list(defaults.trusted_proxies))),
        max_message_chars=_whole("max_message_chars",
                                 block.get("max_message_chars", defaults.max_message_chars),
                                 1, 10000),
        session_persistence=_flag("session_persistence",
                                  block.get("session_persistence", True)),
        history_limit=_whole("history_limit", block.get("history_limit",
                                                        defaults.history_limit), 0, 1000),
        demo_pages=_flag("demo_pages", block.get("demo_pages", False)),
        test_login=test_login,
        session_secret=_secret(block.get("session_secret"), environ),
        backend=_backend(environ) if needs_backend else None,
        session_token=session_token or None,
    )
