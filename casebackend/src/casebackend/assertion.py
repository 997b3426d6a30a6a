"""Identity assertions: who a request is about, signed by the action server that identified them.

The action server sends `X-Identity-Assertion: <JWT>` with every personal request: EdDSA
(Ed25519) over the person's ref, the channel, whether the message came through the logged-in
web chat, the method and path of this one request, a lifetime of at most a minute and a unique
jti. This service holds only the public key: it can check assertions but not make them, and a
leaked bearer token alone no longer reads anyone's data. Headers the caller writes itself
(X-Acting-Person, X-Channel) are not read at all.

Verification is written out here (compact JWS, one algorithm) rather than taken from a JWT
library: only EdDSA is accepted, so there is no algorithm to confuse.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from casebackend.schemas import REF_PATTERN
from casebackend.vocabulary import CHANNELS, Channel

ASSERTION_HEADER = "X-Identity-Assertion"
ISSUER = "assistant-actions"
AUDIENCE = "casebackend"
MAX_LIFETIME_SECONDS = 60
# Clock skew allowed between the action server and this service.
LEEWAY_SECONDS = 5
MAX_ASSERTION_CHARS = 2048
_JTI = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_REF = re.compile(REF_PATTERN)


class InvalidAssertion(Exception):
    """Missing, malformed, badly signed, expired, replayed or for another request."""


@dataclass(frozen=True)
class Assertion:
    person_ref: str
    channel: Channel
    logged_in_web: bool


class ReplayGuard:
    """The jtis seen while they are still valid: an assertion is good for one request only.

    Per process; with several backend processes a copy could be replayed once to each within its
    minute, and only to the same method and path for the same person.
    """

    def __init__(self, max_entries: int = 100_000) -> None:
        self._expiries: dict[str, float] = {}
        self._max_entries = max_entries

    def first_use(self, jti: str, expires_at: float, now: float) -> bool:
        if len(self._expiries) >= self._max_entries // 2:
            self._expiries = {key: exp for key, exp in self._expiries.items() if exp > now}
        if jti in self._expiries:
            return False
        if len(self._expiries) >= self._max_entries:
            return False  # full of live assertions: refuse rather than forget one
        self._expiries[jti] = expires_at + LEEWAY_SECONDS
        return True


def _b64decode(part: str) -> bytes:
    if not re.fullmatch(r"[A-Za-z0-9_-]*", part):
        raise InvalidAssertion("not base64url")
    try:
        return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    except (binascii.Error, ValueError):
        raise InvalidAssertion("not base64url") from None


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except (UnicodeDecodeError, ValueError):
        raise InvalidAssertion("not JSON") from None
    if not isinstance(value, dict):
        raise InvalidAssertion("not a JSON object")
    return value


def _number(claims: dict[str, Any], name: str) -> float:
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidAssertion(f"{name} missing")
    return float(value)


class AssertionVerifier:
    def __init__(
        self,
        public_key: bytes,
        clock: Callable[[], float] = time.time,
        replays: ReplayGuard | None = None,
    ) -> None:
        self._key = Ed25519PublicKey.from_public_bytes(public_key)
        self._clock = clock
        self._replays = replays or ReplayGuard()

    def verify(self, token: str, method: str, path: str) -> Assertion:
        """The asserted person and channel, or InvalidAssertion (never says which check)."""
        if len(token) > MAX_ASSERTION_CHARS or token.count(".") != 2:
            raise InvalidAssertion("not a compact JWS")
        header_part, payload_part, signature_part = token.split(".")
        header = _json_object(_b64decode(header_part))
        if header.get("alg") != "EdDSA" or "crit" in header:
            raise InvalidAssertion("not EdDSA")
        try:
            self._key.verify(
                _b64decode(signature_part), f"{header_part}.{payload_part}".encode("ascii")
            )
        except InvalidSignature:
            raise InvalidAssertion("bad signature") from None
        claims = _json_object(_b64decode(payload_part))
        return self._checked(claims, method, path)

    def _checked(self, claims: dict[str, Any], method: str, path: str) -> Assertion:
        if claims.get("iss") != ISSUER or claims.get("aud") != AUDIENCE:
            raise InvalidAssertion("wrong issuer or audience")
        now = self._clock()
        issued, expires = _number(claims, "iat"), _number(claims, "exp")
        if not issued < expires <= issued + MAX_LIFETIME_SECONDS:
            raise InvalidAssertion("lifetime over a minute")
        if issued > now + LEEWAY_SECONDS or expires <= now - LEEWAY_SECONDS:
            raise InvalidAssertion("not valid now")
        # Bound to this one request: a copy is no good for another route or person.
        if claims.get("htm") != method or claims.get("htu") != path:
            raise InvalidAssertion("for another request")
        person_ref, channel = claims.get("sub"), claims.get("channel")
        logged_in_web = claims.get("logged_in_web")
        if not isinstance(person_ref, str) or not _REF.fullmatch(person_ref):
            raise InvalidAssertion("sub is not a person reference")
        if channel not in CHANNELS or not isinstance(logged_in_web, bool):
            raise InvalidAssertion("channel or logged_in_web missing")
        jti = claims.get("jti")
        if not isinstance(jti, str) or not _JTI.fullmatch(jti):
            raise InvalidAssertion("jti missing")
        if not self._replays.first_use(jti, expires, now):
            raise InvalidAssertion("replayed")
        checked_channel: Channel = next(known for known in CHANNELS if known == channel)
        return Assertion(person_ref, checked_channel, logged_in_web)
