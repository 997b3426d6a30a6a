"""Attack: one leaked token opens the whole backend. Before, the internet-facing Rasa replicas held
the case backend's only token, the backend believed `X-Acting-Person`/`X-Channel` as sent, and
the same token opened the public `/webhooks/twilio_sms/notices` (agency-branded SMS to any
number).

Here, against a real case backend and the real SMS channel: the web chat's lookup token (what a
replica holds) tries to read payments; the notifier's token tries to read anything; the action
server's token tries to send a notice; a client with the right token but a foreign signing key,
or headers instead of an assertion, tries to read a person; and the balancers are checked not to
forward `/notices` on their public address. Every attempt is refused and no data comes back.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from actions.backend_client import BackendSettings, HttpCaseBackend
from actions.backend_types import AccessDeniedError, Caller
from actions.identity_assertion import AssertionSigner
from common.service_credentials import ServiceCredentials, without_credentials
from connectors.sms.channel import TwilioSmsInput
from connectors.sms.config import SmsSettings
from connectors.webchat.config import BackendAccess
from connectors.webchat.person_lookup import HttpPersonLookup
from deploy.balancer import BalancerLayout, render_config
from tests.e2e.conftest import BACKEND_PY, ROOT
from tests.ports import free_port
from tests.unit.connectors.sms.test_channel import Client, serve
from tests.unit.sms_fakes import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    FROM_NUMBER,
    PUBLIC_BASE_URL,
    SECRET,
    FakeTransport,
)

TOLVAN = "19121212-1212"
NOTICES = "/webhooks/twilio_sms/notices"
DATA_WORDS = ("items", "amount_ore", "given_name", "pay_date", "person_ref")


def _http(url: str, token: str, body: Any = None,
          headers: dict[str, str] | None = None) -> tuple[int, str]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json",
        **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.status, reply.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@pytest.fixture(scope="module")
def credentials() -> ServiceCredentials:
    return ServiceCredentials.generate()


@pytest.fixture(scope="module")
def backend(credentials: ServiceCredentials, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[str]:
    workdir = tmp_path_factory.mktemp("backend")
    port = free_port()
    env = {**without_credentials(os.environ), **credentials.backend_env(),
           "PYTHONPATH": str(ROOT / "casebackend" / "src"),
           "CASEBACKEND_DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'cb.db'}",
           "CASEBACKEND_HOST": "127.0.0.1", "CASEBACKEND_PORT": str(port)}
    for step in (["-m", "alembic", "upgrade", "head"], ["-m", "casebackend.demo"]):
        subprocess.run([str(BACKEND_PY), *step], cwd=ROOT / "casebackend", env=env,
                       check=True, capture_output=True)
    with (workdir / "backend.log").open("wb") as log:
        process = subprocess.Popen([str(BACKEND_PY), "-m", "casebackend"],
                                   cwd=ROOT / "casebackend", env=env, stdout=log,
                                   stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{url}/health", timeout=2).close()
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def _client(url: str, token: str, key: str) -> HttpCaseBackend:
    return HttpCaseBackend(BackendSettings(base_url=url, token=token, assertion_key=key,
                                           retries=0))


@pytest.fixture(scope="module")
def tolvan(backend: str, credentials: ServiceCredentials) -> str:
    lookup = HttpPersonLookup(BackendAccess(backend, credentials.lookup_token))

    async def find() -> str:
        try:
            return await lookup.person_ref(TOLVAN)
        finally:
            await lookup.close()
    return asyncio.run(find())


def test_the_action_server_reads_with_its_token_and_assertion(
        backend: str, credentials: ServiceCredentials, tolvan: str) -> None:
    """The counterpart of the refusals: PyJWT's EdDSA assertion verifies at the backend."""

    async def read() -> int:
        client = _client(backend, credentials.actions_token, credentials.assertion_key)
        try:
            return len(await client.upcoming_payments(Caller(tolvan, "sms")))
        finally:
            await client.close()
    assert asyncio.run(read()) > 0


def test_the_replicas_lookup_token_cannot_read_payments(
        backend: str, credentials: ServiceCredentials, tolvan: str) -> None:
    path = f"/v1/persons/{tolvan}/payments"
    # Even with a valid assertion beside it (a replica has no signing key, but suppose it had).
    assertion = AssertionSigner.from_text(credentials.assertion_key).sign(
        Caller(tolvan, "web", logged_in_web=True), "GET", path)
    status, body = _http(backend + path, credentials.lookup_token,
                         headers={"X-Identity-Assertion": assertion})
    assert status == 403
    assert not any(word in body for word in DATA_WORDS)


def test_the_notices_token_reads_nothing(backend: str, credentials: ServiceCredentials,
                                          tolvan: str) -> None:
    for path, body in ((f"/v1/persons/{tolvan}/payments", None), (f"/v1/persons/{tolvan}", None),
                       ("/v1/person-lookups", {"personnummer": TOLVAN})):
        status, text = _http(backend + path, credentials.notices_token, body)
        assert status == 401
        assert not any(word in text for word in DATA_WORDS)


def test_headers_or_a_foreign_key_do_not_say_who_asks(
        backend: str, credentials: ServiceCredentials, tolvan: str) -> None:
    status, body = _http(f"{backend}/v1/persons/{tolvan}/payments", credentials.actions_token,
                         headers={"X-Acting-Person": tolvan, "X-Channel": "web"})
    assert status == 401 and "amount_ore" not in body

    async def forged() -> None:
        other = ServiceCredentials.generate()  # a key the backend does not know
        client = _client(backend, credentials.actions_token, other.assertion_key)
        try:
            with pytest.raises(AccessDeniedError):
                await client.upcoming_payments(Caller(tolvan, "web", logged_in_web=True))
        finally:
            await client.close()
    asyncio.run(forged())


def test_the_action_servers_token_cannot_send_notices(tmp_path: Path,
                                                      credentials: ServiceCredentials) -> None:
    block = {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN,
             "public_base_url": PUBLIC_BASE_URL, "from_number": FROM_NUMBER,
             "conversation_secret": SECRET, "store_path": str(tmp_path / "sms.db")}
    settings = SmsSettings.from_credentials(block, credentials.rasa_env())
    transport = FakeTransport()
    notice = json.dumps({"phone": "+46701740699", "event": "payment_scheduled",
                         "protected_identity": False, "sms_notifications": True,
                         "idempotency_key": "attack-1"}).encode()

    async def test(client: Client) -> None:
        for token in (credentials.actions_token, credentials.lookup_token):
            status, _ = await client.post(NOTICES, notice, {
                "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
            assert status == 401
        await client.channel.tasks.drain(5)
        assert transport.sent == []
    serve(TwilioSmsInput(settings, transport), test)


def _public_server_block(config: str, listen: str) -> str:
    start = config.index(listen)
    return config[start:config.index("\n    server {", start) if "\n    server {" in
                  config[start:] else len(config)]


def test_the_scale_out_balancer_does_not_forward_notices_publicly() -> None:
    layout = BalancerLayout(host="127.0.0.1", assistant_port=8080, actions_port=8081,
                            backends_port=8082, replicas=(9001, 9002), action_servers=(9101,),
                            backends=(9201,))
    public = _public_server_block(render_config(layout), "listen 127.0.0.1:8080;")
    assert f"location = {NOTICES} {{\n            return 404;" in public
    # An exact-match location wins over every prefix and regex location in nginx.
    assert public.count(f"location = {NOTICES}") == 1


def test_the_containers_nginx_keeps_notices_on_the_internal_listener() -> None:
    config = (ROOT / "deploy" / "docker" / "nginx.conf").read_text()
    public = _public_server_block(config, "listen 8080;")
    assert f"location = {NOTICES} {{\n            return 404;" in public
    internal = config[config.index("listen 8081;"):]
    assert f"location = {NOTICES} {{\n            proxy_pass http://rasa;" in internal
    assert "location / {\n            return 404;" in internal
    compose = (ROOT / "deploy" / "compose.yml").read_text()
    assert "CASEBACKEND_ASSISTANT_URL: http://nginx:8081" in compose
    assert '"8081' not in compose and ":8081:" not in compose  # never published
