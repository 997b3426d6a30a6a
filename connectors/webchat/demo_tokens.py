"""The demo "test login": mints Mina sidor-style session tokens (HS256 JWT) for the demo
persons, so the demo page logs in the way a real page does (the widget hands the token to
the channel, which verifies it). Test-only: it exists only with ``test_login: true``.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Mapping

import jwt
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from common.personal_number import parse
from connectors.webchat.jwks import StaticKey
from connectors.webchat.session_token import SessionTokenSettings

DEMO_ISSUER = "mina-sidor-demo"
DEMO_AUDIENCE = "mina-sidor-assistant"
# The demo persons of DESIGN.md section 7: the only subjects the demo mints tokens for.
DEMO_PERSONS = frozenset({"191212121212", "191010101010", "191111111116", "194004040400",
                          "200808080808"})


class DemoTokenMinter:
    def __init__(self, secret: str, lifetime_seconds: int = 900) -> None:
        if len(secret) < 32:
            raise ValueError("the demo token secret must be at least 32 characters")
        self._secret = secret
        self._lifetime = lifetime_seconds

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> DemoTokenMinter:
        environ = os.environ if environ is None else environ
        # A fresh secret per process unless configured: demo logins end with a restart.
        return cls(environ.get("WEBCHAT_DEMO_TOKEN_SECRET") or secrets.token_urlsafe(32))

    def settings(self) -> SessionTokenSettings:
        # The one place HS256 is used without a configured block: the demo's own login.
        return SessionTokenSettings(DEMO_ISSUER, DEMO_AUDIENCE, "HS256",
                                    StaticKey(self._secret), demo=True)

    def mint(self, personnummer: str) -> str | None:
        number = parse(personnummer)
        if number is None or number.digits not in DEMO_PERSONS:
            return None
        now = int(time.time())
        return jwt.encode({"iss": DEMO_ISSUER, "aud": DEMO_AUDIENCE, "sub": number.digits,
                           "iat": now, "exp": now + self._lifetime}, self._secret,
                          algorithm="HS256")


def add_demo_token_route(blueprint: Blueprint, minter: DemoTokenMinter) -> None:
    async def demo_session_token(request: Request) -> HTTPResponse:
        token = minter.mint(str(request.args.get("person", "")))
        if token is None:
            return response.json({"error": "not a demo person"}, status=404)
        return response.json({"token": token}, headers={"Cache-Control": "no-store"})

    blueprint.add_route(demo_session_token, "/demo/session-token", methods=["GET"],
                        name="webchat_demo_session_token")
