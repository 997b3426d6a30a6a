"""The Mina sidor session token (JWT) the page hands the widget: verified, then bound.

RS256 with a configured public key (PEM) or a JWKS file that may rotate (``jwks.py``);
HS256 with a shared secret only in a block marked ``demo: true`` (or the demo's own test
login, ``demo_tokens.py``): a production block cannot fall back to a guessable secret.
Signature, ``exp``, ``nbf``, issuer and audience are checked, ``exp - iat`` may not exceed
``max_lifetime_seconds``, and ``sub`` must be a valid personnummer; the person is then looked
up in the case backend and the web chat session is bound to the opaque person reference,
which the channel (never the browser) sends to Rasa as ``session_person_ref``, until the
token's ``exp`` (plus leeway): the socket re-checks that on every message. Neither the token
nor its subject is logged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt

from common.metadata import SESSION_PERSON_REF
from common.personal_number import parse
from connectors.webchat.jwks import JwksFile, StaticKey, UnknownKeyError, VerificationKeys
from connectors.webchat.person_lookup import PersonLookup, UnknownPersonError
from connectors.webchat.sessions import AuthenticationError, Identity

SESSION_PERSON_KEY = SESSION_PERSON_REF
REQUIRED_CLAIMS = ["exp", "iat", "sub", "iss", "aud"]
DEFAULT_MAX_LIFETIME_SECONDS = 3600
MIN_DEMO_SECRET_CHARS = 32
_KNOWN_KEYS = frozenset({
    "issuer", "audience", "algorithm", "public_key_file", "jwks_file",
    "jwks_max_age_seconds", "jwks_unknown_kid_refresh_seconds", "leeway_seconds",
    "max_lifetime_seconds", "demo", "demo_secret",
})


def _seconds(config: Mapping[str, Any], key: str, default: int, low: int, high: int) -> int:
    value = config.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"webchat session_token: {key} must be a whole number of seconds "
                         f"from {low} to {high} (got {value!r})")
    return value


def _keys(config: Mapping[str, Any], algorithm: str, demo: bool) -> VerificationKeys:
    if algorithm == "RS256":
        if config.get("jwks_file"):
            return JwksFile(
                Path(str(config["jwks_file"])),
                max_age_seconds=_seconds(config, "jwks_max_age_seconds", 300, 1, 86400),
                unknown_kid_refresh_seconds=_seconds(
                    config, "jwks_unknown_kid_refresh_seconds", 30, 1, 3600))
        if config.get("public_key_file"):
            return StaticKey(Path(str(config["public_key_file"])).read_text())
        raise ValueError("webchat session_token: RS256 needs public_key_file or jwks_file")
    if algorithm == "HS256":
        if not demo:
            raise ValueError("webchat session_token: HS256 with demo_secret is for the demo "
                             "only; set demo: true in a demo's block, or use RS256 with "
                             "public_key_file or jwks_file in production")
        secret = str(config.get("demo_secret") or "")
        if len(secret) < MIN_DEMO_SECRET_CHARS:
            raise ValueError("webchat session_token: HS256 (demo only) needs a demo_secret "
                             f"of at least {MIN_DEMO_SECRET_CHARS} characters")
        return StaticKey(secret)
    raise ValueError(f"webchat session_token: algorithm {algorithm!r} is not supported "
                     "(RS256, or HS256 for the demo)")


@dataclass(frozen=True)
class SessionTokenSettings:
    issuer: str
    audience: str
    algorithm: str  # RS256, or HS256 for the demo
    keys: VerificationKeys
    leeway_seconds: int = 30
    max_lifetime_seconds: int = DEFAULT_MAX_LIFETIME_SECONDS
    demo: bool = False  # HS256 is refused without it

    def __post_init__(self) -> None:
        if self.algorithm == "HS256" and not self.demo:
            raise ValueError("webchat session_token: HS256 is accepted for the demo only")

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> SessionTokenSettings:
        unknown = sorted(set(config) - _KNOWN_KEYS)
        if unknown:
            raise ValueError(f"webchat session_token: {', '.join(unknown)} is not a setting "
                             f"(known: {', '.join(sorted(_KNOWN_KEYS))})")
        algorithm = str(config.get("algorithm", "RS256"))
        issuer, audience = config.get("issuer"), config.get("audience")
        if not issuer or not audience:
            raise ValueError("webchat session_token: issuer and audience are required")
        demo = config.get("demo", False)
        if not isinstance(demo, bool):
            raise ValueError(f"webchat session_token: demo must be true or false "
                             f"(got {demo!r})")
        return cls(str(issuer), str(audience), algorithm, _keys(config, algorithm, demo),
                   _seconds(config, "leeway_seconds", 30, 0, 300),
                   _seconds(config, "max_lifetime_seconds", DEFAULT_MAX_LIFETIME_SECONDS,
                            60, 86400),
                   demo)

    async def verification_key(self, token: str) -> Any:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.InvalidTokenError as error:
            raise AuthenticationError("auth_failed",
                                      f"invalid session token ({type(error).__name__})") \
                from None
        try:
            return await self.keys.key_for(kid if isinstance(kid, str) else None)
        except UnknownKeyError:
            raise AuthenticationError("auth_failed", "no key with the token's kid") from None


@dataclass(frozen=True)
class VerifiedToken:
    personnummer: str  # 12 digits; never logged
    valid_until: float  # epoch seconds: exp plus the leeway


class SessionTokenAuthenticator:
    def __init__(self, settings: SessionTokenSettings, lookup: PersonLookup) -> None:
        self._settings = settings
        self._lookup = lookup

    async def verify(self, token: str) -> VerifiedToken:
        """The token's verified subject and validity; raises AuthenticationError."""
        settings = self._settings
        key = await settings.verification_key(token)
        try:
            claims = jwt.decode(
                token, key, algorithms=[settings.algorithm], audience=settings.audience,
                issuer=settings.issuer, leeway=settings.leeway_seconds,
                options={"require": REQUIRED_CLAIMS})
        except jwt.ExpiredSignatureError:
            raise AuthenticationError("auth_failed", "session token expired") from None
        except jwt.ImmatureSignatureError:
            raise AuthenticationError("auth_failed", "session token not valid yet") from None
        except jwt.InvalidAudienceError:
            raise AuthenticationError("auth_failed", "session token for another audience") \
                from None
        except jwt.InvalidIssuerError:
            raise AuthenticationError("auth_failed", "session token from another issuer") \
                from None
        except jwt.InvalidTokenError as error:  # signature, format, algorithm, claims
            raise AuthenticationError("auth_failed",
                                      f"invalid session token ({type(error).__name__})") from None
        # PyJWT has checked that exp and iat are whole numbers.
        if int(claims["exp"]) - int(claims["iat"]) > settings.max_lifetime_seconds:
            raise AuthenticationError("auth_failed", "session token lives longer than "
                                                     f"{settings.max_lifetime_seconds} s")
        number = parse(str(claims.get("sub", "")))
        if number is None:
            raise AuthenticationError("auth_failed", "session token subject is not a person")
        return VerifiedToken(number.digits, float(claims["exp"]) + settings.leeway_seconds)

    async def authenticate(self, token: str | None) -> Identity:
        if not token:
            return Identity()
        verified = await self.verify(token)
        try:
            ref = await self._lookup.person_ref(verified.personnummer)
        except UnknownPersonError:
            raise AuthenticationError("auth_failed", "no such person") from None
        except OSError as error:
            raise AuthenticationError("auth_unavailable", type(error).__name__) from None
        return Identity(binding=f"person:{ref}", message_metadata={SESSION_PERSON_KEY: ref},
                        valid_until=verified.valid_until)

    async def close(self) -> None:
        await self._lookup.close()
