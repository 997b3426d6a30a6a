"""Desks configured otherwise than the default: outside opening hours, a full queue, Secure
cookies, and OIDC (the demo accounts' password login refused, ID tokens checked)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from agentdesk import migrations
from agentdesk.oidc import IdTokenVerifier, OidcRefused
from agentdesk.settings import OidcSettings
from tests.clients import Staff, assistant, handoff_body
from tests.jwt_tokens import CLIENT_ID, ISSUER, Provider
from tests.support import DEMO_PASSWORD, FakeAssistant, Server, running_server, throwaway_database

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _other_day() -> str:
    today = dt.datetime.now(ZoneInfo("Europe/Stockholm")).weekday()
    return WEEKDAYS[(today + 3) % 7]


@pytest.fixture(scope="module")
def provider() -> Provider:
    return Provider()


@pytest.fixture(scope="module")
def configured(
    tmp_path_factory: pytest.TempPathFactory, assistant_stub: FakeAssistant, provider: Provider
) -> Iterator[dict[str, Server]]:
    folder = tmp_path_factory.mktemp("configured")
    jwks = folder / "jwks.json"
    jwks.write_text(json.dumps(provider.jwks()))
    setups = {
        "closed": {"AGENTDESK_HOURS": f"{_other_day()} 08:00-09:00"},
        "small": {"AGENTDESK_QUEUE_LIMIT": "1", "AGENTDESK_PROXIES_COUNT": "1"},
        "oidc": {
            "AGENTDESK_OIDC_ISSUER": ISSUER,
            "AGENTDESK_OIDC_CLIENT_ID": CLIENT_ID,
            "AGENTDESK_OIDC_JWKS_FILE": str(jwks),
        },
    }
    with (
        throwaway_database("sqlite", folder) as closed_db,
        throwaway_database("sqlite", folder) as small_db,
        throwaway_database("sqlite", folder) as oidc_db,
    ):
        databases = {"closed": closed_db, "small": small_db, "oidc": oidc_db}
        for database in databases.values():
            migrations.upgrade(database)
        with (
            running_server(
                closed_db, folder / "closed.log", assistant_stub.url, setups["closed"]
            ) as closed,
            running_server(
                small_db, folder / "small.log", assistant_stub.url, setups["small"]
            ) as small,
            running_server(
                oidc_db, folder / "oidc.log", assistant_stub.url, setups["oidc"]
            ) as oidc,
        ):
            yield {"closed": closed, "small": small, "oidc": oidc}


def test_outside_opening_hours_a_handoff_is_409_closed(configured: dict[str, Server]) -> None:
    url = configured["closed"].base_url
    staff = Staff(url, "agent1")
    with assistant(url) as api:
        state = api.get("/v1/availability").json()
        response = api.post("/v1/handoffs", json=handoff_body())
    assert state["open"] is False
    assert state["hours"].endswith("08:00-09:00")
    assert response.status_code == 409
    assert response.json() == {"error": "closed"}
    staff.close()


def test_nobody_on_duty_is_409_closed(configured: dict[str, Server]) -> None:
    with assistant(configured["oidc"].base_url) as api:  # nobody has signed in there
        assert api.get("/v1/availability").json()["staffed"] is False
        response = api.post("/v1/handoffs", json=handoff_body())
    assert response.status_code == 409
    assert response.json() == {"error": "closed"}


def test_behind_https_the_cookies_are_secure(configured: dict[str, Server]) -> None:
    with httpx.Client(base_url=configured["small"].base_url) as client:
        proxied = client.get(
            "/desk/api/csrf",
            headers={"X-Forwarded-For": "203.0.113.5", "X-Forwarded-Proto": "https"},
        )
        plain = client.get("/desk/api/csrf")
    assert "Secure" in proxied.headers["set-cookie"]
    assert "HttpOnly" in proxied.headers["set-cookie"]
    assert "SameSite=Strict" in proxied.headers["set-cookie"]
    assert "Secure" not in plain.headers["set-cookie"]


def test_a_full_queue_is_409_full(configured: dict[str, Server]) -> None:
    url = configured["small"].base_url
    staff = Staff(url, "agent1")
    first_body = handoff_body()
    with assistant(url) as api:
        first = api.post("/v1/handoffs", json=first_body)
        second = api.post("/v1/handoffs", json=handoff_body())
        again = api.post("/v1/handoffs", json=first_body)
    assert first.status_code == 201
    assert second.status_code == 409
    assert second.json() == {"error": "full"}
    assert again.status_code == 201  # the open handoff itself is still found
    assert again.json()["handoff_id"] == first.json()["handoff_id"]
    staff.close()


def test_with_oidc_the_demo_password_login_is_refused(configured: dict[str, Server]) -> None:
    with httpx.Client(base_url=configured["oidc"].base_url) as client:
        csrf = client.get("/desk/api/csrf").json()
        assert csrf["oidc"] is True
        response = client.post(
            "/desk/api/login",
            json={"username": "agent1", "password": DEMO_PASSWORD},
            headers={"X-CSRF-Token": csrf["csrf_token"]},
        )
    assert response.status_code == 403
    assert "agentdesk_session" not in response.headers.get("set-cookie", "")


def test_with_oidc_a_valid_id_token_signs_in(
    configured: dict[str, Server], provider: Provider
) -> None:
    with httpx.Client(base_url=configured["oidc"].base_url) as client:
        csrf = client.get("/desk/api/csrf").json()["csrf_token"]
        forged = Provider().token()  # signed by another key
        refused = client.post(
            "/desk/api/login/oidc", json={"id_token": forged}, headers={"X-CSRF-Token": csrf}
        )
        assert refused.status_code == 401
        accepted = client.post(
            "/desk/api/login/oidc",
            json={"id_token": provider.token(roles=["agentdesk-supervisor"])},
            headers={"X-CSRF-Token": csrf},
        )
        assert accepted.status_code == 200, accepted.text
        assert accepted.json()["role"] == "supervisor"
        assert client.get("/desk/api/me").json()["display_name"] == "Anna A"


def test_id_token_checks(tmp_path: Path) -> None:
    provider = Provider()
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps(provider.jwks()))
    verifier = IdTokenVerifier(OidcSettings(ISSUER, CLIENT_ID, jwks))
    assert verifier.verify(provider.token()).username == "oidc:anna.a"
    for bad in (
        provider.token(iss="https://evil.example.test"),
        provider.token(aud="someone-else"),
        provider.token(exp=1),
        Provider().token(),
        "not.a.token",
        provider.token()[:-4] + "AAAA",
    ):
        with pytest.raises(OidcRefused):
            verifier.verify(bad)
