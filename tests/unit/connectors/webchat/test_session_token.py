"""The Mina sidor session token: RS256 (PEM and JWKS) and the HS256 demo; forged, expired,
wrong-audience, wrong-issuer, unsigned and malformed tokens are refused."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from connectors.webchat.person_lookup import UnknownPersonError
from connectors.webchat.session_token import (
    SESSION_PERSON_KEY,
    SessionTokenAuthenticator,
    SessionTokenSettings,
)
from connectors.webchat.sessions import AuthenticationError

ISSUER, AUDIENCE = "https://minasidor.example", "mina-sidor-assistant"


class Lookup:
    def __init__(self) -> None:
        self.asked: list[str] = []

    async def person_ref(self, personnummer: str) -> str:
        self.asked.append(personnummer)
        if personnummer != "191212121212":
            raise UnknownPersonError()
        return "ref-tolvan"

    async def close(self) -> None:
        return None


def _rsa() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


PRIVATE = _rsa()
OTHER = _rsa()


def claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {"iss": ISSUER, "aud": AUDIENCE, "sub": "19121212-1212", "iat": now,
            "exp": now + 600}
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def rs256(payload: dict[str, Any], key: rsa.RSAPrivateKey = PRIVATE, kid: str = "k1") -> str:
    return jwt.encode(payload, key, algorithm="RS256", headers={"kid": kid})


@pytest.fixture
def pem_settings(tmp_path: Path) -> SessionTokenSettings:
    pem = PRIVATE.public_key().public_bytes(serialization.Encoding.PEM,
                                            serialization.PublicFormat.SubjectPublicKeyInfo)
    (tmp_path / "key.pem").write_bytes(pem)
    return SessionTokenSettings.from_config({"issuer": ISSUER, "audience": AUDIENCE,
                                             "public_key_file": str(tmp_path / "key.pem")})


def authenticate(settings: SessionTokenSettings, token: str | None) -> Any:
    return asyncio.run(SessionTokenAuthenticator(settings, Lookup()).authenticate(token))


def test_a_valid_token_binds_the_session_to_the_person(
        pem_settings: SessionTokenSettings) -> None:
    identity = authenticate(pem_settings, rs256(claims()))
    assert identity.binding == "person:ref-tolvan"
    assert identity.message_metadata == {SESSION_PERSON_KEY: "ref-tolvan"}


def test_no_token_is_anonymous(pem_settings: SessionTokenSettings) -> None:
    assert not authenticate(pem_settings, None).logged_in


def _unsigned(payload: dict[str, Any]) -> str:
    return jwt.encode(payload, None, algorithm="none")  # type: ignore[arg-type]


@pytest.mark.parametrize(("name", "make"), [
    ("forged", lambda: rs256(claims(), key=OTHER)),
    ("expired", lambda: rs256(claims(exp=int(time.time()) - 120))),
    ("wrong audience", lambda: rs256(claims(aud="another-service"))),
    ("wrong issuer", lambda: rs256(claims(iss="https://evil.example"))),
    ("unsigned", lambda: _unsigned(claims())),
    ("HS256 with the public key as secret", lambda: jwt.encode(
        claims(), "x" * 64, algorithm="HS256")),
    ("no expiry", lambda: rs256(claims(exp=None))),
    ("subject not a personnummer", lambda: rs256(claims(sub="admin"))),
    ("garbage", lambda: "not.a.jwt"),
])
def test_bad_tokens_are_refused(pem_settings: SessionTokenSettings, name: str,
                                make: Any) -> None:
    with pytest.raises(AuthenticationError) as refused:
        authenticate(pem_settings, make())
    assert refused.value.code == "auth_failed", name


def test_unknown_person_is_refused(pem_settings: SessionTokenSettings) -> None:
    with pytest.raises(AuthenticationError):
        authenticate(pem_settings, rs256(claims(sub="19101010-1010")))


def test_jwks_file_picks_the_key_by_kid(tmp_path: Path) -> None:
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(PRIVATE.public_key()))
    (tmp_path / "jwks.json").write_text(json.dumps({"keys": [{**jwk, "kid": "k1"}]}))
    settings = SessionTokenSettings.from_config({"issuer": ISSUER, "audience": AUDIENCE,
                                                 "jwks_file": str(tmp_path / "jwks.json")})
    assert authenticate(settings, rs256(claims())).logged_in
    with pytest.raises(AuthenticationError):
        authenticate(settings, rs256(claims(), kid="unknown"))


def test_hs256_demo_tokens() -> None:
    secret = "demo-secret-" + "0" * 32
    settings = SessionTokenSettings.from_config({"issuer": ISSUER, "audience": AUDIENCE,
                                                 "algorithm": "HS256", "demo": True,
                                                 "demo_secret": secret})
    assert authenticate(settings, jwt.encode(claims(), secret, algorithm="HS256")).logged_in
    with pytest.raises(AuthenticationError):
        authenticate(settings, jwt.encode(claims(), "y" * 64, algorithm="HS256"))
    with pytest.raises(AuthenticationError):  # RS256 tokens are not accepted in HS256 mode
        authenticate(settings, rs256(claims()))


@pytest.mark.parametrize("config", [
    {"audience": AUDIENCE, "public_key_file": "x"},
    {"issuer": ISSUER, "audience": AUDIENCE},
    {"issuer": ISSUER, "audience": AUDIENCE, "algorithm": "HS256", "demo": True,
     "demo_secret": "short"},
    {"issuer": ISSUER, "audience": AUDIENCE, "algorithm": "none"},
])
def test_bad_configuration_is_refused_clearly(config: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="session_token"):
        SessionTokenSettings.from_config(config)


def test_the_web_chat_uses_the_session_token_when_configured(tmp_path: Path) -> None:
    from connectors.webchat.channel import make_authenticator
    from connectors.webchat.config import WebChatConfigError, parse_config

    pem = PRIVATE.public_key().public_bytes(serialization.Encoding.PEM,
                                            serialization.PublicFormat.SubjectPublicKeyInfo)
    (tmp_path / "key.pem").write_bytes(pem)
    environ = {"CASEBACKEND_URL": "http://127.0.0.1:1", "CASEBACKEND_LOOKUP_TOKEN": "t"}
    config = parse_config({"session_token": {"issuer": ISSUER, "audience": AUDIENCE,
                                             "public_key_file": str(tmp_path / "key.pem")}},
                          environ)
    assert isinstance(make_authenticator(config), SessionTokenAuthenticator)
    with pytest.raises(WebChatConfigError):
        parse_config({"session_token": "yes"}, environ)


def test_the_demo_test_login_s_tokens_verify_with_its_own_settings() -> None:
    from connectors.webchat.demo_tokens import DemoTokenMinter

    minter = DemoTokenMinter("m" * 32)
    token = minter.mint("19121212-1212")
    assert token is not None and minter.mint("19800101-0000") is None
    login = SessionTokenAuthenticator(minter.settings(), Lookup())
    identity = asyncio.run(login.authenticate(token))
    assert identity.binding == "person:ref-tolvan"
    # The socket drops the login at the token's exp plus the default leeway of 30 s.
    exp = jwt.decode(token, options={"verify_signature": False})["exp"]
    assert identity.valid_until == exp + 30
