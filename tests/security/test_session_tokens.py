"""Attack: ride on the web chat's Mina sidor session token beyond what it proves.

An attacker tries to (1) get a production block to accept HS256 tokens signed with a
guessable demo secret, (2) keep chatting as the person on an open socket after the token
expired, (3) log in with a token that lives for days, or one not valid yet, (4) use a key the
issuer removed from its JWKS, or flood the server with invented kids, and (5) on a shared
computer, resume the previous person's conversation with the session id left in
localStorage but no token. Each attempt must fail, and no message may reach Rasa with the
person's ``session_person_ref``, nor any of the person's history or replies reach the attacker.

The channel runs on a real Sanic server with a fake bot (tests/web/harness.py) and the real
``SessionTokenAuthenticator``; only the case backend's person lookup is a fake.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from connectors.webchat.channel import make_authenticator
from connectors.webchat.config import parse_config
from connectors.webchat.jwks import JwksFile, StaticKey, read_jwks
from connectors.webchat.session_token import SessionTokenAuthenticator, SessionTokenSettings
from connectors.webchat.sessions import AuthenticationError
from tests.web.harness import FakeBot, FakeHistory, client, config, refusal, serving

ISSUER, AUDIENCE = "https://minasidor.example", "mina-sidor-assistant"
TOLVAN, TOLVAN_REF = "19121212-1212", "ref-tolvan"
PERSON_KEY = "session_person_ref"  # the metadata key the actions read (docs/identity.md)
BACKEND_ENV = {"CASEBACKEND_URL": "http://127.0.0.1:1", "CASEBACKEND_LOOKUP_TOKEN": "t"}
KEY_1 = rsa.generate_private_key(public_exponent=65537, key_size=2048)
KEY_2 = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def run(test: Callable[[], Coroutine[Any, Any, None]]) -> None:
    asyncio.run(test())


class Lookup:
    """The case backend's person lookup: only Tolvan exists."""

    async def person_ref(self, personnummer: str) -> str:
        return TOLVAN_REF

    async def close(self) -> None:
        return None


def token(key: rsa.RSAPrivateKey = KEY_1, kid: str = "k1", lifetime: int = 600,
          **claims: Any) -> str:
    now = int(time.time())
    payload = {"iss": ISSUER, "aud": AUDIENCE, "sub": TOLVAN, "iat": now,
               "exp": now + lifetime, **claims}
    return jwt.encode(payload, key, algorithm="RS256", headers={"kid": kid})


def pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)


def write_jwks(path: Path, **keys: rsa.RSAPrivateKey) -> None:
    entries = [{**json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key())), "kid": kid}
               for kid, key in keys.items()]
    path.write_text(json.dumps({"keys": entries}))


def pem_login(tmp_path: Path, **block: Any) -> SessionTokenAuthenticator:
    (tmp_path / "key.pem").write_bytes(pem(KEY_1))
    settings = SessionTokenSettings.from_config({
        "issuer": ISSUER, "audience": AUDIENCE,
        "public_key_file": str(tmp_path / "key.pem"), **block})
    return SessionTokenAuthenticator(settings, Lookup())


def carried_person(bot: FakeBot) -> list[bool]:
    return [PERSON_KEY in message.metadata for message in bot.received]


# (1) HS256 with a demo secret in a production block


DEMO_SECRET = "demo-secret-" + "0" * 32
HS256_BLOCK = {"issuer": ISSUER, "audience": AUDIENCE, "algorithm": "HS256",
               "demo_secret": DEMO_SECRET}


def test_a_production_block_with_hs256_is_refused_at_start_up() -> None:
    cfg = parse_config({"session_token": HS256_BLOCK}, environ=BACKEND_ENV)
    with pytest.raises(ValueError, match="HS256 with demo_secret is for the demo only"):
        make_authenticator(cfg)
    with pytest.raises(ValueError, match="demo only"):  # nor built around the config
        SessionTokenSettings(ISSUER, AUDIENCE, "HS256", StaticKey(DEMO_SECRET))


def test_only_a_block_marked_demo_accepts_the_demo_secret() -> None:
    cfg = parse_config({"session_token": {**HS256_BLOCK, "demo": True}}, environ=BACKEND_ENV)
    demo = make_authenticator(cfg)
    signed = jwt.encode({"iss": ISSUER, "aud": AUDIENCE, "sub": TOLVAN,
                         "iat": int(time.time()), "exp": int(time.time()) + 60},
                        DEMO_SECRET, algorithm="HS256")
    assert isinstance(demo, SessionTokenAuthenticator)

    async def verified() -> str:
        try:
            return (await demo.verify(signed)).personnummer
        finally:
            await demo.close()
    assert asyncio.run(verified()) == "191212121212"


def _hs256_by_hand(claims: dict[str, Any], secret: bytes) -> str:
    """What an attacker writes: PyJWT itself refuses to sign HS256 with a public key."""
    def part(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")
    head = part(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = part(json.dumps(claims).encode())
    mac = hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{part(mac)}"


def test_an_hs256_token_signed_with_the_public_key_is_refused_on_the_socket(
        tmp_path: Path) -> None:
    async def test() -> None:
        bot = FakeBot()
        confused = _hs256_by_hand({"iss": ISSUER, "aud": AUDIENCE, "sub": TOLVAN,
                                   "iat": int(time.time()), "exp": int(time.time()) + 60},
                                  pem(KEY_1))
        async with serving(config(), bot, pem_login(tmp_path)) as url:
            assert await refusal(url, {"token": confused}) == {"message": "auth_failed"}
        assert bot.received == []
    run(test)


# (2) an open socket after the token's exp


def test_an_expired_socket_s_next_message_is_refused_and_never_reaches_rasa(
        tmp_path: Path) -> None:
    async def test() -> None:
        bot = FakeBot()
        login = pem_login(tmp_path, leeway_seconds=0)
        short = token(lifetime=2)
        expires = jwt.decode(short, options={"verify_signature": False})["exp"]
        async with serving(config(), bot, login, FakeHistory(bot)) as url, \
                client(url, {"token": short}) as tab, \
                client(url, {"token": token()}) as other_tab:
            session, _ = await tab.start_session()
            await other_tab.start_session(session)  # the same person in another tab
            await tab.say("före", session_id=session)
            assert await tab.next("bot_uttered") == {"text": "echo: före"}
            assert await other_tab.next("bot_uttered") == {"text": "echo: före"}
            assert bot.received[0].metadata == {PERSON_KEY: TOLVAN_REF}
            await asyncio.sleep(expires - time.time() + 0.3)

            await tab.say("efter", session_id=session)
            error = await tab.next("webchat_error")
            assert error["code"] == "session_expired"
            assert bot.texts() == ["före"]
            await tab.say("igen")  # the identity and the session are gone
            assert (await tab.next("webchat_error"))["code"] == "no_session"
            # The person's other tab goes on; its replies no longer reach the expired one.
            await other_tab.say("fortsätter", session_id=session)
            assert await other_tab.next("bot_uttered") == {"text": "echo: fortsätter"}
            assert await tab.nothing("bot_uttered") and await tab.nothing("user_echo")
            # Asking for the session again without a fresh token gives a new, empty one.
            fresh, history = await tab.start_session(session)
            assert fresh != session and history == []
            await tab.say("anonym", session_id=fresh)
            assert await tab.next("bot_uttered") == {"text": "echo: anonym"}
        assert bot.received[-1].metadata == {}
        assert bot.received[-1].sender_id != bot.received[0].sender_id
        assert carried_person(bot) == [True, True, False]
    run(test)


def test_an_expired_socket_cannot_reload_the_person_s_history(tmp_path: Path) -> None:
    async def test() -> None:
        bot = FakeBot()
        short = token(lifetime=2)
        expires = jwt.decode(short, options={"verify_signature": False})["exp"]
        async with serving(config(), bot, pem_login(tmp_path, leeway_seconds=0),
                           FakeHistory(bot)) as url, client(url, {"token": short}) as tab:
            session, _ = await tab.start_session()
            await tab.say("mitt ärende", session_id=session)
            await tab.next("bot_uttered")
            await asyncio.sleep(expires - time.time() + 0.3)
            await tab.sio.emit("session_request", {"session_id": session})
            assert (await tab.next("webchat_error"))["code"] == "session_expired"
            assert await tab.nothing("session_history")
            fresh, history = await tab.start_session(session)
            assert fresh != session and history == []
    run(test)


# (3) lifetime and nbf


@pytest.mark.parametrize(("name", "make"), [
    ("lives two hours", lambda: token(lifetime=7200)),
    ("lives a year", lambda: token(lifetime=365 * 86400)),
    ("not valid for another hour", lambda: token(nbf=int(time.time()) + 3600)),
])
def test_an_over_long_or_not_yet_valid_token_is_refused(tmp_path: Path, name: str,
                                                        make: Callable[[], str]) -> None:
    async def test() -> None:
        bot = FakeBot()
        async with serving(config(), bot, pem_login(tmp_path)) as url:
            assert await refusal(url, {"token": make()}) == {"message": "auth_failed"}, name
            async with client(url) as tab:  # nor later in the session request
                await tab.sio.emit("session_request", {"auth": {"token": make()}})
                assert (await tab.next("webchat_error"))["code"] == "auth_failed"
                assert await tab.nothing("session_confirm")
        assert bot.received == []
    run(test)


def test_the_lifetime_limit_is_the_configured_one(tmp_path: Path) -> None:
    login = pem_login(tmp_path, max_lifetime_seconds=600)
    assert asyncio.run(login.authenticate(token(lifetime=600))).logged_in
    with pytest.raises(AuthenticationError):
        asyncio.run(login.authenticate(token(lifetime=601)))
    default = pem_login(tmp_path)  # an hour
    assert asyncio.run(default.authenticate(token(lifetime=3600))).logged_in
    with pytest.raises(AuthenticationError):
        asyncio.run(default.authenticate(token(lifetime=3601)))


# (4) JWKS rotation


def test_after_rotation_the_removed_key_is_refused_and_the_new_one_accepted(
        tmp_path: Path) -> None:
    async def test() -> None:
        jwks = tmp_path / "jwks.json"
        write_jwks(jwks, k1=KEY_1)
        settings = SessionTokenSettings.from_config({
            "issuer": ISSUER, "audience": AUDIENCE, "jwks_file": str(jwks),
            "jwks_unknown_kid_refresh_seconds": 1})
        bot = FakeBot()
        async with serving(config(), bot, SessionTokenAuthenticator(settings, Lookup())) as url:
            async with client(url, {"token": token(KEY_1, "k1")}) as tab:
                await tab.start_session()
            write_jwks(jwks, k2=KEY_2)  # the issuer rotates: k1 out, k2 in
            await asyncio.sleep(1.1)
            async with client(url, {"token": token(KEY_2, "k2")}) as tab:
                session, _ = await tab.start_session()
                await tab.say("ny nyckel", session_id=session)
                assert await tab.next("bot_uttered") == {"text": "echo: ny nyckel"}
            assert await refusal(url, {"token": token(KEY_1, "k1")}) == {
                "message": "auth_failed"}
            # A token signed by the removed key but naming the new kid fails too.
            assert await refusal(url, {"token": token(KEY_1, "k2")}) == {
                "message": "auth_failed"}
        assert bot.texts() == ["ny nyckel"]
    run(test)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class CountingReader:
    def __init__(self) -> None:
        self.reads = 0

    def __call__(self, path: Path) -> dict[str | None, Any]:
        self.reads += 1
        return read_jwks(path)


def test_a_key_removed_without_a_replacement_stops_working_after_the_max_age(
        tmp_path: Path) -> None:
    jwks, clock = tmp_path / "jwks.json", Clock()
    write_jwks(jwks, k1=KEY_1, k2=KEY_2)
    keys = JwksFile(jwks, max_age_seconds=300, unknown_kid_refresh_seconds=30, clock=clock)
    login = SessionTokenAuthenticator(
        SessionTokenSettings(ISSUER, AUDIENCE, "RS256", keys), Lookup())
    assert asyncio.run(login.authenticate(token(KEY_1, "k1"))).logged_in
    write_jwks(jwks, k2=KEY_2)  # k1 revoked
    clock.now += 301
    with pytest.raises(AuthenticationError):
        asyncio.run(login.authenticate(token(KEY_1, "k1")))
    assert asyncio.run(login.authenticate(token(KEY_2, "k2"))).logged_in


def test_forged_tokens_with_invented_kids_cost_one_read_per_interval(tmp_path: Path) -> None:
    async def test() -> None:
        jwks, clock, reader = tmp_path / "jwks.json", Clock(), CountingReader()
        write_jwks(jwks, k1=KEY_1)
        keys = JwksFile(jwks, max_age_seconds=300, unknown_kid_refresh_seconds=30,
                        clock=clock, reader=reader)
        login = SessionTokenAuthenticator(
            SessionTokenSettings(ISSUER, AUDIENCE, "RS256", keys), Lookup())
        forged = [token(KEY_2, f"forged-{n}") for n in range(50)]
        clock.now += 31
        results = await asyncio.gather(*(login.authenticate(t) for t in forged),
                                       return_exceptions=True)
        assert all(isinstance(r, AuthenticationError) for r in results)
        assert reader.reads == 2  # the start, and one re-read for the whole flood
        clock.now += 10
        for t in forged[:10]:
            with pytest.raises(AuthenticationError):
                await login.authenticate(t)
        assert reader.reads == 2
    run(test)


# (5) a conversation resumed on a shared computer with the stored id and no token


@pytest.mark.parametrize("presented", ["signed id", "nonce only", "sender id"])
def test_a_resumed_session_without_a_token_carries_no_person(tmp_path: Path,
                                                             presented: str) -> None:
    async def test() -> None:
        bot = FakeBot()
        async with serving(config(), bot, pem_login(tmp_path), FakeHistory(bot)) as url:
            async with client(url, {"token": token()}) as tab:
                session, _ = await tab.start_session()
                await tab.say("mitt ärende", session_id=session)
                assert await tab.next("bot_uttered") == {"text": "echo: mitt ärende"}
            person_sender = bot.received[0].sender_id
            stored = {"signed id": session, "nonce only": session.split(".")[0],
                      "sender id": person_sender}[presented]
            async with client(url) as next_user:
                fresh, history = await next_user.start_session(stored)
                assert fresh != session and history == []
                await next_user.say("vem är jag", session_id=fresh)
                assert await next_user.next("bot_uttered") == {"text": "echo: vem är jag"}
                await next_user.say("och nu", session_id=session)  # the old id, per message
                assert (await next_user.next("webchat_error"))["code"] == "wrong_session"
        assert bot.texts() == ["mitt ärende", "vem är jag"]
        assert bot.received[1].metadata == {}
        assert bot.received[1].sender_id != person_sender
    run(test)
