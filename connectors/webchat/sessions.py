"""Who is chatting, and which conversation a browser may continue.

- A ``SessionAuthenticator`` turns the optional token a page hands the widget into an
  ``Identity``. The default accepts anonymous visitors only; the demo pages'
  test login (``demo_tokens.py``) and the Mina sidor session token (``session_token.py``)
  are others.
- ``SessionIds`` issues the session id the browser keeps (localStorage) to continue its
  conversation after a reload or in another tab. The id is signed together with the identity
  it was issued to, so it cannot be guessed, forged, or used by anyone else: a logged-out
  visitor presenting a logged-in person's id gets a new, empty session. The signature needs
  no server-side table, so ids survive a restart when the secret is configured.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

ANONYMOUS_BINDING = "anonymous"
SENDER_PREFIX = "web-"
_TOKEN = re.compile(r"^([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{22})$")
MAX_AUTH_TOKEN_CHARS = 4096


@dataclass(frozen=True)
class Identity:
    """``binding`` is what a session is tied to; ``message_metadata`` goes to Rasa with
    every message of the session (set by the server, never taken from the browser);
    ``valid_until`` (epoch seconds, the token's exp plus leeway) is when the login stops
    being proven: the socket drops the identity then (None: it does not expire)."""

    binding: str = ANONYMOUS_BINDING
    message_metadata: Mapping[str, str] = field(default_factory=dict)
    valid_until: float | None = None

    @property
    def logged_in(self) -> bool:
        return self.binding != ANONYMOUS_BINDING

    def expired(self, now: float) -> bool:
        return self.valid_until is not None and now > self.valid_until


ANONYMOUS = Identity()


class AuthenticationError(Exception):
    """The token was refused (``code`` "auth_failed") or could not be checked now
    ("auth_unavailable"). The message is for logs and never holds the token."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code


class SessionAuthenticator(Protocol):
    async def authenticate(self, token: str | None) -> Identity:
        """The identity for ``token`` (None: no token); raises AuthenticationError."""

    async def close(self) -> None:
        """Releases what it holds (HTTP sessions); called when the server stops."""


class AnonymousOnly:
    """The default: no session token and no test login configured, so no one logs in."""

    async def authenticate(self, token: str | None) -> Identity:
        if token:
            raise AuthenticationError("auth_failed", "this server accepts no login tokens")
        return ANONYMOUS

    async def close(self) -> None:
        return None


@dataclass(frozen=True)
class Session:
    token: str       # what the browser keeps and presents (session_id in the protocol)
    sender_id: str   # Rasa's conversation id and the socket.io room; holds no signature


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


class SessionIds:
    def __init__(self, secret: bytes,
                 random_bytes: Callable[[int], bytes] = secrets.token_bytes) -> None:
        if not secret:
            raise ValueError("SessionIds needs a secret")
        self._secret = secret
        self._random_bytes = random_bytes

    def _mac(self, nonce: str, identity: Identity) -> str:
        digest = hmac.new(self._secret, f"{nonce}|{identity.binding}".encode(),
                          hashlib.sha256).digest()
        return _b64(digest[:16])

    def issue(self, identity: Identity) -> Session:
        nonce = _b64(self._random_bytes(16))
        return Session(f"{nonce}.{self._mac(nonce, identity)}", SENDER_PREFIX + nonce)

    def verify(self, token: object, identity: Identity) -> Session | None:
        """The session if ``token`` was issued by us to ``identity``, else None."""
        if not isinstance(token, str):
            return None
        match = _TOKEN.match(token)
        if match is None:
            return None
        nonce, mac = match.groups()
        if not hmac.compare_digest(mac, self._mac(nonce, identity)):
            return None
        return Session(token, SENDER_PREFIX + nonce)
