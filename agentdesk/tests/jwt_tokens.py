"""ID tokens signed by a test identity provider (an RSA key made per test run), and its JWKS."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

ISSUER = "https://login.example.test"
CLIENT_ID = "agentdesk-test"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _int(value: int) -> str:
    return _b64(value.to_bytes((value.bit_length() + 7) // 8, "big"))


class Provider:
    def __init__(self, kid: str = "test-key") -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = kid

    def jwks(self) -> dict[str, Any]:
        numbers = self.key.public_key().public_numbers()
        return {
            "keys": [{"kty": "RSA", "kid": self.kid, "n": _int(numbers.n), "e": _int(numbers.e)}]
        }

    def token(self, **overrides: Any) -> str:
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "aud": CLIENT_ID,
            "sub": "u-123",
            "preferred_username": "anna.a",
            "name": "Anna A",
            "exp": int(time.time()) + 300,
            "iat": int(time.time()),
            "roles": [],
        }
        claims.update(overrides)
        header = _b64(json.dumps({"alg": "RS256", "kid": self.kid, "typ": "JWT"}).encode())
        payload = _b64(json.dumps(claims).encode())
        signature = self.key.sign(
            f"{header}.{payload}".encode(), padding.PKCS1v15(), hashes.SHA256()
        )
        return f"{header}.{payload}.{_b64(signature)}"
