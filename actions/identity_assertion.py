"""The identity assertion the action server signs for every personal request to the backend.

The action server is the party that identified the person (BankID, or the web chat's verified
session), so it says who a request is about: an EdDSA JWT with the person's ref (``sub``), the
channel kind, whether the message came through the logged-in web chat, the request's method and
path (``htm``/``htu``: no use for another route), ``exp`` 30 s after ``iat`` and a fresh ``jti``
(the backend accepts each once). Only the action server holds the private key
(``CASEBACKEND_ASSERTION_KEY``); the backend verifies with the public one and cannot mint.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from actions.backend_types import Caller
from common.service_credentials import ASSERTION_KEY_ENV, key_bytes

ISSUER = "assistant-actions"
AUDIENCE = "casebackend"
LIFETIME_SECONDS = 30  # the backend refuses more than 60
HEADER = "X-Identity-Assertion"


class AssertionKeyError(ValueError):
    """The signing key is missing or not an Ed25519 private key."""


def signing_key(text: str) -> Ed25519PrivateKey:
    try:
        return Ed25519PrivateKey.from_private_bytes(key_bytes(text))
    except ValueError:
        raise AssertionKeyError(f"{ASSERTION_KEY_ENV} must be an Ed25519 private key: 32 bytes "
                                "in base64 (python -m casebackend.keys makes a pair)") from None


class AssertionSigner:
    def __init__(self, key: Ed25519PrivateKey,
                 clock: Callable[[], float] = time.time) -> None:
        self._key = key
        self._clock = clock

    @classmethod
    def from_text(cls, text: str) -> AssertionSigner:
        return cls(signing_key(text))

    def sign(self, caller: Caller, method: str, path: str) -> str:
        now = int(self._clock())
        claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": caller.person_ref,
                  "channel": caller.channel, "logged_in_web": caller.logged_in_web,
                  "htm": method, "htu": path, "iat": now, "exp": now + LIFETIME_SECONDS,
                  "jti": uuid.uuid4().hex}
        return jwt.encode(claims, self._key, algorithm="EdDSA")
