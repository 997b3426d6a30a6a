"""OIDC ID tokens for staff sign-in: the signature checked against the identity provider's keys
(a JWKS file, AGENTDESK_OIDC_JWKS_FILE), then issuer, audience (the client id) and expiry.

Only the verifying half is here: the page (or a proxy in front of the desk) runs the
authorization-code flow with the provider and posts the ID token to /desk/api/login/oidc.
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from agentdesk.settings import OidcSettings

LEEWAY_SECONDS = 60
_ES256_HALF = 32


class OidcRefused(Exception):
    """The token is not accepted; the message says why (no token content in it)."""


@dataclass(frozen=True)
class StaffIdentity:
    username: str
    display_name: str
    supervisor: bool


def _b64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _number(text: str) -> int:
    return int.from_bytes(_b64(text), "big")


PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey


def _load_key(jwk: dict[str, Any]) -> PublicKey | None:
    if jwk.get("kty") == "RSA":
        return rsa.RSAPublicNumbers(_number(jwk["e"]), _number(jwk["n"])).public_key()
    if jwk.get("kty") == "EC" and jwk.get("crv") == "P-256":
        numbers = ec.EllipticCurvePublicNumbers(
            _number(jwk["x"]), _number(jwk["y"]), ec.SECP256R1()
        )
        return numbers.public_key()
    return None


class IdTokenVerifier:
    def __init__(self, settings: OidcSettings) -> None:
        self._settings = settings
        document = json.loads(settings.jwks_file.read_text(encoding="utf-8"))
        self._keys: dict[str, PublicKey] = {}
        for jwk in document.get("keys", []):
            key = _load_key(jwk)
            if key is not None:
                self._keys[str(jwk.get("kid", ""))] = key

    def verify(self, token: str, moment: float | None = None) -> StaffIdentity:
        try:
            header_part, payload_part, signature_part = token.split(".")
            header = json.loads(_b64(header_part))
            claims = json.loads(_b64(payload_part))
            signature = _b64(signature_part)
        except ValueError:
            raise OidcRefused("the ID token is malformed") from None
        if not isinstance(header, dict) or not isinstance(claims, dict):
            raise OidcRefused("the ID token is malformed")
        key = self._keys.get(str(header.get("kid", "")))
        if key is None:
            raise OidcRefused("the ID token's key is unknown")
        self._check_signature(key, header.get("alg"), f"{header_part}.{payload_part}", signature)
        return self._identity(claims, time.time() if moment is None else moment)

    @staticmethod
    def _check_signature(key: PublicKey, alg: object, signed: str, signature: bytes) -> None:
        try:
            if alg == "RS256" and isinstance(key, rsa.RSAPublicKey):
                key.verify(signature, signed.encode(), padding.PKCS1v15(), hashes.SHA256())
            elif alg == "ES256" and isinstance(key, ec.EllipticCurvePublicKey):
                if len(signature) != 2 * _ES256_HALF:
                    raise InvalidSignature
                r = int.from_bytes(signature[:_ES256_HALF], "big")
                s = int.from_bytes(signature[_ES256_HALF:], "big")
                key.verify(encode_dss_signature(r, s), signed.encode(), ec.ECDSA(hashes.SHA256()))
            else:
                raise OidcRefused("the ID token's algorithm is not accepted")
        except InvalidSignature:
            raise OidcRefused("the ID token's signature is not valid") from None

    def _identity(self, claims: dict[str, Any], moment: float) -> StaffIdentity:
        settings = self._settings
        if claims.get("iss") != settings.issuer:
            raise OidcRefused("the ID token is from another issuer")
        audience = claims.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if settings.client_id not in audiences:
            raise OidcRefused("the ID token is for another client")
        expires = claims.get("exp")
        if not isinstance(expires, int | float) or expires + LEEWAY_SECONDS < moment:
            raise OidcRefused("the ID token has expired")
        not_before = claims.get("nbf")
        if isinstance(not_before, int | float) and not_before - LEEWAY_SECONDS > moment:
            raise OidcRefused("the ID token is not valid yet")
        username = claims.get("preferred_username") or claims.get("sub")
        if not isinstance(username, str) or not username:
            raise OidcRefused("the ID token names nobody")
        roles = claims.get(settings.role_claim) or []
        name = claims.get("name")
        return StaffIdentity(
            username=f"oidc:{username}",
            display_name=name if isinstance(name, str) and name else username,
            supervisor=isinstance(roles, list) and settings.supervisor_role in roles,
        )
