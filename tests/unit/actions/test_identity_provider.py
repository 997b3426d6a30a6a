"""The simulator, the outcome mapping, and the BankID RP v6 adapter against a local fake
BankID server over mutual TLS (certificates made for the test)."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import ipaddress
import ssl
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from actions.identity.bankid_rp import BankIdRpClient, BankIdSettings
from actions.identity.provider import (
    AuthFlow,
    AuthRequest,
    AuthStatus,
    Collected,
    IdentityProviderError,
    Outcome,
    StartedOrder,
    autostart_link,
    outcome_of,
)
from actions.identity.simulator import SIMULATES_CANCEL, SIMULATES_TIMEOUT, BankIdSimulator

TOLVAN = "191212121212"
FAILS_TO_START = "190001010008"  # the fake BankID refuses this one


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_simulator_demo_person_confirms_after_the_delay() -> None:
    clock = Clock()
    simulator = BankIdSimulator(confirm_after=2, expire_after=30, clock=clock)

    async def scenario() -> tuple[Collected, Collected]:
        order = (await simulator.start(phone(TOLVAN))).order_ref
        first = await simulator.collect(order)
        clock.now = 2.5
        return first, await simulator.collect(order)

    first, second = asyncio.run(scenario())
    assert outcome_of(first, TOLVAN) is Outcome.WAITING
    assert second == Collected(AuthStatus.COMPLETE, None, TOLVAN)
    assert outcome_of(second, TOLVAN) is Outcome.CONFIRMED
    assert outcome_of(second, "191010101010") is Outcome.WRONG_PERSON


def test_simulator_a_cancelled_order_does_not_block_a_new_one() -> None:
    # As BankID: after the user cancels in the app, a new order may start at once.
    clock = Clock()
    simulator = BankIdSimulator(confirm_after=2, expire_after=30, clock=clock)

    async def scenario() -> str:
        first = (await simulator.start(phone(SIMULATES_CANCEL))).order_ref
        clock.now = 3
        assert (await simulator.collect(first)).hint_code == "userCancel"
        return (await simulator.start(phone(SIMULATES_CANCEL))).order_ref

    assert asyncio.run(scenario())


@pytest.mark.parametrize(("number", "at", "outcome"), [
    (SIMULATES_CANCEL, 3, Outcome.CANCELLED),
    (SIMULATES_TIMEOUT, 10, Outcome.WAITING),
    (SIMULATES_TIMEOUT, 31, Outcome.EXPIRED),
    ("199001011239", 1, Outcome.FAILED),
])
def test_simulator_documented_numbers(number: str, at: float, outcome: Outcome) -> None:
    clock = Clock()
    simulator = BankIdSimulator(confirm_after=2, expire_after=30, clock=clock)

    async def scenario() -> Collected:
        order = (await simulator.start(phone(number))).order_ref
        clock.now = at
        return await simulator.collect(order)

    assert outcome_of(asyncio.run(scenario()), number) is outcome


def test_simulator_refuses_a_second_order_in_progress_and_cancels() -> None:
    simulator = BankIdSimulator(clock=Clock())

    async def scenario() -> Collected:
        order = (await simulator.start(phone(TOLVAN))).order_ref
        with pytest.raises(IdentityProviderError, match="alreadyInProgress"):
            await simulator.start(phone(TOLVAN))
        await simulator.cancel(order)
        return await simulator.collect(order)

    assert outcome_of(asyncio.run(scenario()), TOLVAN) is Outcome.CANCELLED


# ---- the RP API v6 adapter over mutual TLS ----

def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _cert(subject: str, key: ec.EllipticCurvePrivateKey, issuer: x509.Certificate | None,
          issuer_key: ec.EllipticCurvePrivateKey | None, ca: bool) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    now = dt.datetime.now(dt.timezone.utc)
    builder = (x509.CertificateBuilder().subject_name(name)
               .issuer_name(issuer.subject if issuer else name).public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - dt.timedelta(minutes=5))
               .not_valid_after(now + dt.timedelta(hours=1))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if not ca:

        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False)
    return builder.sign(issuer_key or key, hashes.SHA256())


def _write(path: Path, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> None:
    path.with_suffix(".crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    path.with_suffix(".key").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))


@pytest.fixture
def pki(tmp_path: Path) -> Path:
    ca_key = _key()
    ca = _cert("test CA", ca_key, None, None, ca=True)
    _write(tmp_path / "ca", ca, ca_key)
    for name in ("server", "client"):
        key = _key()
        _write(tmp_path / name, _cert(name, key, ca, ca_key, ca=False), key)
    return tmp_path


def phone(number: str) -> AuthRequest:
    return AuthRequest(number, AuthFlow.PHONE, "Försäkringskassan: legitimering")


class FakeBankId:
    """Speaks the v6 JSON: one order that completes on the second collect."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.collects = 0

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append((request.path, body))
        if request.path.endswith("/phone/auth"):
            if body.get("callInitiator") not in {"user", "RP"} or \
                    body.get("personalNumber") == FAILS_TO_START:
                return web.json_response({"errorCode": "invalidParameters",
                                          "details": "callInitiator"}, status=400)
            return web.json_response({"orderRef": "order-1"})
        if request.path.endswith("/auth"):
            if not body.get("endUserIp"):
                return web.json_response({"errorCode": "invalidParameters",
                                          "details": "endUserIp"}, status=400)
            return web.json_response({"orderRef": "order-2", "autoStartToken": "start-2",
                                      "qrStartToken": "qr", "qrStartSecret": "secret"})
        if request.path.endswith("/collect"):
            self.collects += 1
            if self.collects == 1:
                return web.json_response({"orderRef": "order-1", "status": "pending",
                                          "hintCode": "outstandingTransaction"})
            return web.json_response({"orderRef": "order-1", "status": "complete",
                                      "completionData": {"user": {
                                          "personalNumber": TOLVAN, "name": "Tolvan T",
                                          "givenName": "Tolvan", "surname": "T"}}})
        return web.json_response({})


async def _serve(pki: Path, fake: FakeBankId,
                 test: Callable[[str], Awaitable[Any]]) -> Any:
    app = web.Application()
    app.router.add_post("/rp/v6.0/{tail:.*}", fake.handle)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(pki / "ca.crt"))
    context.load_cert_chain(str(pki / "server.crt"), str(pki / "server.key"))
    context.verify_mode = ssl.CERT_REQUIRED  # mutual TLS, like BankID
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        return await test(f"https://127.0.0.1:{port}/rp/v6.0")
    finally:
        await runner.cleanup()


def _settings(pki: Path, url: str, client: str = "client") -> BankIdSettings:
    return BankIdSettings(url, str(pki / f"{client}.crt"), str(pki / f"{client}.key"),
                          str(pki / "ca.crt"))


def test_phone_auth_and_collect_over_mutual_tls(pki: Path) -> None:
    fake = FakeBankId()

    async def test(url: str) -> list[Collected]:
        client = BankIdRpClient(_settings(pki, url))
        try:
            order = (await client.start(phone(TOLVAN))).order_ref
            results = [await client.collect(order), await client.collect(order)]
            await client.cancel(order)
            return results
        finally:
            await client.close()

    pending, complete = asyncio.run(_serve(pki, fake, test))
    assert pending == Collected(AuthStatus.PENDING, "outstandingTransaction", None)
    assert complete == Collected(AuthStatus.COMPLETE, None, TOLVAN)
    # The person called the agency; BankID shows them what the order is for.
    assert fake.requests[0] == ("/rp/v6.0/phone/auth", {
        "personalNumber": TOLVAN, "callInitiator": "user",
        "userVisibleData": base64.b64encode(
            "Försäkringskassan: legitimering".encode()).decode()})
    assert [path for path, _ in fake.requests][1:] == [
        "/rp/v6.0/collect", "/rp/v6.0/collect", "/rp/v6.0/cancel"]


def test_error_codes_are_reported(pki: Path) -> None:
    async def test(url: str) -> None:
        client = BankIdRpClient(_settings(pki, url))
        try:
            with pytest.raises(IdentityProviderError, match="invalidParameters"):
                await client.start(phone(FAILS_TO_START))
        finally:
            await client.close()

    asyncio.run(_serve(pki, FakeBankId(), test))


def test_without_the_client_certificate_there_is_no_connection(pki: Path) -> None:
    fake = FakeBankId()

    async def test(url: str) -> None:
        settings = _settings(pki, url)
        # The server is trusted, but the client has no certificate to present.
        client = BankIdRpClient(settings, ssl.create_default_context(cafile=settings.ca_cert))
        try:
            with pytest.raises(IdentityProviderError, match="unreachable"):
                await client.start(phone(TOLVAN))
        finally:
            await client.close()

    asyncio.run(_serve(pki, fake, test))
    assert fake.requests == []


def test_same_device_auth_is_restricted_to_the_person_and_gives_the_autostart_token(
        pki: Path) -> None:
    # An SMS conversation: nobody is on a call, so no phone authentication.
    fake = FakeBankId()

    async def test(url: str) -> StartedOrder:
        client = BankIdRpClient(_settings(pki, url))
        try:
            return await client.start(AuthRequest(TOLVAN, AuthFlow.SAME_DEVICE, "i sms"))
        finally:
            await client.close()

    started = asyncio.run(_serve(pki, fake, test))
    assert started == StartedOrder("order-2", "start-2")
    path, body = fake.requests[0]
    assert path == "/rp/v6.0/auth"
    assert body["requirement"] == {"personalNumber": TOLVAN}
    assert "callInitiator" not in body and body["endUserIp"] == "127.0.0.1"
    assert base64.b64decode(body["userVisibleData"]).decode() == "i sms"
    assert autostart_link("start-2") == (
        "https://app.bankid.com/?autostarttoken=start-2&redirect=null")


def test_settings_from_environment_say_what_is_missing() -> None:
    with pytest.raises(ValueError, match="BANKID_CLIENT_KEY"):
        BankIdSettings.from_env({"BANKID_URL": "https://x", "BANKID_CLIENT_CERT": "c",
                                 "BANKID_CA_CERT": "ca"})
