"""Identity assertions for the tests, made the way the action server makes them (EdDSA JWT),
written out here with cryptography so that the tests do not share code with the verifier."""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

# A fixed test pair: the server under test gets the public half.
SIGNING_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
PUBLIC_KEY_TEXT = (
    base64.urlsafe_b64encode(SIGNING_KEY.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))
    .decode()
    .rstrip("=")
)
# Another action server's key: its assertions must not verify.
FOREIGN_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))


def _part(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def claims_for(
    person_ref: str, channel: str, logged_in_web: bool, method: str, path: str
) -> dict[str, Any]:
    now = int(time.time())
    return {
        "iss": "assistant-actions",
        "aud": "casebackend",
        "sub": person_ref,
        "channel": channel,
        "logged_in_web": logged_in_web,
        "htm": method,
        "htu": path,
        "iat": now,
        "exp": now + 30,
        "jti": uuid.uuid4().hex,
    }


def sign(
    claims: dict[str, Any],
    key: Ed25519PrivateKey = SIGNING_KEY,
    header: dict[str, Any] | None = None,
) -> str:
    head = _part(json.dumps({"alg": "EdDSA", "typ": "JWT"} if header is None else header).encode())
    body = _part(json.dumps(claims).encode())
    signature = _part(key.sign(f"{head}.{body}".encode()))
    return f"{head}.{body}.{signature}"


def assertion(
    person_ref: str,
    method: str,
    path: str,
    channel: str = "web",
    logged_in_web: bool | None = None,
    **overrides: Any,
) -> str:
    logged_in = channel == "web" if logged_in_web is None else logged_in_web
    return sign({**claims_for(person_ref, channel, logged_in, method, path), **overrides})
