"""Bad input on every side: forged or missing tokens 401, another agent's handoff 403, an
expired session 401, a missing or wrong CSRF token 403, oversized text 413, malformed JSON 400
with a reason."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import httpx
import pytest

from tests.clients import Staff, assistant, handoff_body
from tests.conftest import Deployment
from tests.support import sql

PAST = datetime(2000, 1, 1, tzinfo=UTC)
ASSISTANT_ROUTES = (
    ("GET", "/v1/availability"),
    ("POST", "/v1/handoffs"),
    ("GET", "/v1/handoffs/by-conversation/web-x"),
    ("POST", "/v1/handoffs/h-0000/messages"),
    ("POST", "/v1/callbacks"),
)


def _past(deployment: Deployment) -> object:
    # SQLite stores the text (Python's default datetime adapter is deprecated there).
    return "2000-01-01 00:00:00.000000" if deployment.backend == "sqlite" else PAST


def _handoff(deployment: Deployment) -> str:
    with assistant(deployment.url) as api:
        response = api.post("/v1/handoffs", json=handoff_body())
    assert response.status_code == 201, response.text
    handoff_id: str = response.json()["handoff_id"]
    return handoff_id


@pytest.mark.parametrize(("method", "path"), ASSISTANT_ROUTES)
@pytest.mark.parametrize("token", [None, "forged-token-0123456789abcdef", ""])
def test_assistant_routes_refuse_a_missing_or_forged_token(
    deployment: Deployment, method: str, path: str, token: str | None
) -> None:
    with assistant(deployment.url, token=token) as api:
        response = api.request(method, path, json=handoff_body())
    assert response.status_code == 401
    assert "error" in response.json()


def test_the_delivery_token_does_not_open_the_assistant_routes(deployment: Deployment) -> None:
    from tests.support import DELIVERY_TOKEN

    with assistant(deployment.url, token=DELIVERY_TOKEN) as api:
        assert api.get("/v1/availability").status_code == 401


@pytest.mark.parametrize(
    "content", [b"{not json", b"[1, 2]", b"", b'"text"', b"\xff\xfe"], ids=repr
)
def test_malformed_json_is_400_with_a_reason(
    deployment: Deployment, agent1: Staff, content: bytes
) -> None:
    with assistant(deployment.url) as api:
        response = api.post(
            "/v1/handoffs", content=content, headers={"Content-Type": "application/json"}
        )
    assert response.status_code == 400
    assert response.json()["error"]


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("conversation_id", "other-123", "conversation_id"),
        ("channel", "fax", "channel"),
        ("language", "de", "language"),
        ("identified", "yes", "identified"),
        ("transcript", "hej", "transcript"),
    ],
)
def test_a_bad_handoff_field_is_400_naming_it(
    deployment: Deployment, agent1: Staff, field: str, value: object, reason: str
) -> None:
    with assistant(deployment.url) as api:
        response = api.post("/v1/handoffs", json=handoff_body(**{field: value}))
    assert response.status_code == 400
    assert reason in response.json()["error"]


def test_oversized_citizen_text_is_413_and_not_stored(
    deployment: Deployment, agent1: Staff
) -> None:
    handoff = _handoff(deployment)
    message_id = str(uuid.uuid4())
    with assistant(deployment.url) as api:
        response = api.post(
            f"/v1/handoffs/{handoff}/messages", json={"text": "a" * 4097, "message_id": message_id}
        )
        at_limit = api.post(
            f"/v1/handoffs/{handoff}/messages",
            json={"text": "å" * 2048, "message_id": str(uuid.uuid4())},
        )
    assert response.status_code == 413
    assert at_limit.status_code == 202  # 4096 bytes exactly
    assert sql(
        deployment.database, "SELECT count(*) FROM messages WHERE message_id = :m", m=message_id
    ) == [(0,)]


def test_oversized_transcript_entry_and_agent_reply_are_413(
    deployment: Deployment, agent1: Staff
) -> None:
    big = [{"from": "citizen", "text": "x" * 5000, "at": "2026-12-05T09:00:00Z"}]
    with assistant(deployment.url) as api:
        assert api.post("/v1/handoffs", json=handoff_body(transcript=big)).status_code == 413
    handoff = _handoff(deployment)
    assert agent1.post(f"/desk/api/handoffs/{handoff}/take").status_code == 200
    assert (
        agent1.post(f"/desk/api/handoffs/{handoff}/reply", {"text": "y" * 5000}).status_code == 413
    )


def test_a_huge_body_is_413(deployment: Deployment) -> None:
    with assistant(deployment.url) as api:
        response = api.post(
            "/v1/callbacks",
            content=b'{"x": "' + b"a" * 300_000 + b'"}',
            headers={"Content-Type": "application/json"},
        )
    assert response.status_code == 413


def test_desk_routes_need_a_session(deployment: Deployment) -> None:
    with httpx.Client(base_url=deployment.url) as anonymous:
        for path in ("/desk/api/me", "/desk/api/queue", "/desk/api/callbacks", "/desk/api/audit"):
            assert anonymous.get(path).status_code == 401
    with httpx.Client(base_url=deployment.url, cookies={"agentdesk_session": "forged"}) as forged:
        assert forged.get("/desk/api/queue").status_code == 401


def test_wrong_password_and_unknown_user_are_401(deployment: Deployment) -> None:
    with httpx.Client(base_url=deployment.url) as client:
        csrf = client.get("/desk/api/csrf").json()["csrf_token"]
        for username, password in (("agent1", "wrong"), ("nobody", "test-demo-password")):
            response = client.post(
                "/desk/api/login",
                json={"username": username, "password": password},
                headers={"X-CSRF-Token": csrf},
            )
            assert response.status_code == 401
            assert "agentdesk_session" not in response.cookies


def test_login_without_the_csrf_token_is_403(deployment: Deployment) -> None:
    with httpx.Client(base_url=deployment.url) as client:
        client.get("/desk/api/csrf")
        response = client.post(
            "/desk/api/login", json={"username": "agent1", "password": "test-demo-password"}
        )
        assert response.status_code == 403
        other = client.post(
            "/desk/api/login",
            json={"username": "agent1", "password": "test-demo-password"},
            headers={"X-CSRF-Token": "made-up"},
        )
        assert other.status_code == 403


@pytest.mark.parametrize("csrf", [None, "wrong-token"])
def test_state_changes_without_the_right_csrf_token_are_403_and_change_nothing(
    deployment: Deployment, agent1: Staff, csrf: str | None
) -> None:
    handoff = _handoff(deployment)
    response = agent1.post(f"/desk/api/handoffs/{handoff}/take", csrf=csrf)
    assert response.status_code == 403
    status = sql(deployment.database, "SELECT status FROM handoffs WHERE public_id = :h", h=handoff)
    assert status == [("waiting",)]


def test_another_agents_active_handoff_is_403(
    deployment: Deployment, agent1: Staff, agent2: Staff
) -> None:
    handoff = _handoff(deployment)
    assert agent1.post(f"/desk/api/handoffs/{handoff}/take").status_code == 200
    assert agent2.post(f"/desk/api/handoffs/{handoff}/take").status_code == 403
    assert agent2.get(f"/desk/api/handoffs/{handoff}").status_code == 403
    assert agent2.post(f"/desk/api/handoffs/{handoff}/reply", {"text": "Hej"}).status_code == 403
    assert agent2.post(f"/desk/api/handoffs/{handoff}/hand-back").status_code == 403
    closing = agent2.post(f"/desk/api/handoffs/{handoff}/close", {"outcome": "resolved"})
    assert closing.status_code == 403
    rows = sql(
        deployment.database,
        "SELECT h.status, s.username FROM handoffs h JOIN staff s ON s.id = h.agent_id "
        "WHERE h.public_id = :h",
        h=handoff,
    )
    assert rows == [("active", "agent1")]


def test_an_expired_session_is_401(deployment: Deployment, agent2: Staff) -> None:
    assert agent2.get("/desk/api/me").status_code == 200
    sql(
        deployment.database,
        "UPDATE staff_sessions SET expires_at = :past WHERE staff_id = "
        "(SELECT id FROM staff WHERE username = 'agent2')",
        past=_past(deployment),
    )
    response = agent2.get("/desk/api/me")
    assert response.status_code == 401
    assert "expired" in response.json()["error"]
    assert agent2.get("/desk/api/queue").status_code == 401  # and it stays ended


def test_an_idle_session_is_401(deployment: Deployment, agent2: Staff) -> None:
    sql(
        deployment.database,
        "UPDATE staff_sessions SET last_seen_at = :past WHERE staff_id = "
        "(SELECT id FROM staff WHERE username = 'agent2')",
        past=_past(deployment),
    )
    assert agent2.get("/desk/api/me").status_code == 401


def test_a_bad_close_outcome_is_400(deployment: Deployment, agent1: Staff) -> None:
    handoff = _handoff(deployment)
    assert agent1.post(f"/desk/api/handoffs/{handoff}/take").status_code == 200
    response = agent1.post(f"/desk/api/handoffs/{handoff}/close", {"outcome": "whatever"})
    assert response.status_code == 400
    assert "outcome" in response.json()["error"]


def test_an_agent_cannot_read_the_audit_log(deployment: Deployment, agent1: Staff) -> None:
    assert agent1.get("/desk/api/audit").status_code == 403
