"""The Mina sidor session token (JWT) the page hands the widget: verified, then bound.

RS256 with a configured public key (PEM) or a JWKS file; HS256 with a shared secret is
accepted for the demo only. Signature, expiry, issuer and audience are checked, and ``sub``
must be a valid personnummer; the person is then looked up in the case backend and the web
chat session is bound to the opaque person reference, which the channel (never the browser)
sends to Rasa as ``session_person_ref``. Neither the token nor its subject is logged.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt

from common.metadata import SESSION_PERSON_REF
from common.personal_number import parse
from connectors.webchat.person_lookup import PersonLookup, UnknownPersonError
from connectors.webchat.sessions import AuthenticationError, Identity

SESSION_PERSON_KEY = SESSION_PERSON_REF
REQUIRED_CLAIMS = ["exp", "iat", "sub", "iss", "aud"]


@dataclass(frozen=True)
class SessionTokenSettings:
    issuer: str
    audience: str
    algorithm: str  # RS256, or HS256 for the demo
    key: Any  # a PEM public key, a JWKS dict, or the HS256 secret
    leeway_seconds: int = 30

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> SessionTokenSettings:
        algorithm = str(config.get("algorithm", "RS256"))
        issuer, audience = config.get("issuer"), config.get("audience")
        if not issuer or not audience:
            raise ValueError("webchat session_token: issuer and audience are required")
        if algorithm == "RS256":
            if config.get("jwks_file"):
                key: Any = json.loads(Path(str(config["jwks_file"])).read_text())
            elif config.get("public_key_file"):
                key = Path(str(config["public_key_file"])).read_text()
            else:
                raise ValueError("webchat session_token: RS256 needs public_key_file or "
                                 "jwks_file")
        elif algorithm == "HS256":
            key = str(config.get("demo_secret") or "")
            if len(key) < 32:
                raise ValueError("webchat session_token: HS256 (demo only) needs a "
                                 "demo_secret of at least 32 characters")
        else:
            raise ValueError(f"webchat session_token: algorithm {algorithm!r} is not "
                             "supported (RS256, or HS256 for the demo)")
        return cls(str(issuer), str(audience), algorithm, key,
                   int(config.get("leeway_seconds", 30)))

    def verification_key(self, token: str) -> Any:
        if not isinstance(self.key, dict):
            return self.key
        kid = jwt.get_unverified_header(token).get("kid")
        for candidate in jwt.PyJWKSet.from_dict(self.key).keys:
            if candidate.key_id == kid:
                return candidate.key
        raise jwt.InvalidTokenError("no key with that kid")


class SessionTokenAuthenticator:
    def __init__(self, settings: SessionTokenSettings, lookup: PersonLookup) -> None:
        self._settings = settings
        self._lookup = lookup

    def subject(self, token: str) -> str:
        """The verified personnummer (12 digits); raises AuthenticationError."""
        try:
            claims = jwt.decode(
                token, self._settings.verification_key(token),
                algorithms=[self._settings.algorithm], audience=self._settings.audience,
                issuer=self._settings.issuer, leeway=self._settings.leeway_seconds,
                options={"require": REQUIRED_CLAIMS})
        except jwt.ExpiredSignatureError:
            raise AuthenticationError("auth_failed", "session token expired") from None
        except jwt.InvalidAudienceError:
            raise AuthenticationError("auth_failed", "session token for another audience") \
                from None
        except jwt.InvalidIssuerError:
            raise AuthenticationError("auth_failed", "session token from another issuer") \
                from None
        except jwt.InvalidTokenError as error:  # signature, format, algorithm, claims
            raise AuthenticationError("auth_failed",
                                      f"invalid session token ({type(error).__name__})") from None
        number = parse(str(claims.get("sub", "")))
        if number is None:
            raise AuthenticationError("auth_failed", "session token subject is not a person")
        return number.digits

    async def authenticate(self, token: str | None) -> Identity:
        if not token:
            return Identity()
        personnummer = self.subject(token)
        try:
            ref = await self._lookup.person_ref(personnummer)
        except UnknownPersonError:
            raise AuthenticationError("auth_failed", "no such person") from None
        except OSError as error:
            raise AuthenticationError("auth_unavailable", type(error).__name__) from None
        return Identity(binding=f"person:{ref}", message_metadata={SESSION_PERSON_KEY: ref})

    async def close(self) -> None:
        await self._lookup.close()
