"""Personal data on the desk: a protected person's name is never stored nor shown (the mark
instead), a name only when the person was identified, and no personnummer or phone number in
any handoff message (redacted again on the desk's side)."""

from __future__ import annotations

import uuid

import httpx

from tests.clients import Staff, assistant, handoff_body
from tests.conftest import Deployment
from tests.support import sql

SECRET_NAME = "Hemlig Hemligsson"


def _every_response(
    deployment: Deployment, staff: list[Staff], handoff: str
) -> list[httpx.Response]:
    responses = []
    with assistant(deployment.url) as api, httpx.Client(base_url=deployment.url) as anonymous:
        responses.append(api.get("/v1/availability"))
        for path in ("/", "/static/app.js", "/static/i18n.js", "/static/app.css"):
            responses.append(anonymous.get(path))
    for member in staff:
        for path in (
            "/desk/api/me",
            "/desk/api/queue",
            f"/desk/api/handoffs/{handoff}",
            "/desk/api/callbacks",
            "/desk/api/audit",
        ):
            responses.append(member.get(path))
    return responses


def test_a_protected_persons_name_never_appears_anywhere(
    deployment: Deployment, agent1: Staff, supervisor: Staff
) -> None:
    body = handoff_body(protected_identity=True, display_name=SECRET_NAME, identified=True)
    with assistant(deployment.url) as api:
        created = api.post("/v1/handoffs", json=body)
        assert created.status_code == 201
        handoff = created.json()["handoff_id"]
        found = api.get(f"/v1/handoffs/by-conversation/{body['conversation_id']}")
        api.post(
            f"/v1/handoffs/{handoff}/messages",
            json={"text": "Hej", "message_id": str(uuid.uuid4())},
        )
    responses = [created, found, *_every_response(deployment, [agent1, supervisor], handoff)]
    taken = agent1.post(f"/desk/api/handoffs/{handoff}/take")
    replied = agent1.post(f"/desk/api/handoffs/{handoff}/reply", {"text": "Hej!"})
    closed = agent1.post(f"/desk/api/handoffs/{handoff}/close", {"outcome": "resolved"})
    responses += [
        taken,
        replied,
        closed,
        *_every_response(deployment, [agent1, supervisor], handoff),
    ]
    for response in responses:
        assert response.status_code < 500
        assert SECRET_NAME not in response.text, response.request.url
        assert "Hemligsson" not in response.text, response.request.url
    detail = taken.json()
    assert detail["protected_identity"] is True
    assert detail["display_name"] is None
    stored = sql(
        deployment.database, "SELECT display_name FROM handoffs WHERE public_id = :h", h=handoff
    )
    assert stored == [(None,)]
    assert not any("Hemligsson" in str(entry) for entry in deployment.assistant.received)


def test_the_database_refuses_a_name_for_a_protected_identity(deployment: Deployment) -> None:
    import pytest
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError):
        sql(
            deployment.database,
            "INSERT INTO handoffs (public_id, conversation_id, channel, language, identified, "
            "display_name, protected_identity, status, created_at, resume_attempts) VALUES "
            "('h-x', 'web-x', 'web', 'sv', true, :name, true, 'waiting', CURRENT_TIMESTAMP, 0)",
            name=SECRET_NAME,
        )


def test_the_name_is_shown_only_when_identified(deployment: Deployment, agent1: Staff) -> None:
    with assistant(deployment.url) as api:
        named = api.post("/v1/handoffs", json=handoff_body(display_name="Tolvan T")).json()
        anonymous = api.post(
            "/v1/handoffs", json=handoff_body(identified=False, display_name="Någon Annan")
        ).json()
    assert (
        agent1.get(f"/desk/api/handoffs/{named['handoff_id']}").json()["display_name"] == "Tolvan T"
    )
    shown = agent1.get(f"/desk/api/handoffs/{anonymous['handoff_id']}")
    assert shown.json()["display_name"] is None
    assert "Någon Annan" not in agent1.get("/desk/api/queue").text


def test_personnummer_and_phone_numbers_are_redacted_again_on_the_desk(
    deployment: Deployment, agent1: Staff
) -> None:
    transcript = [
        {"from": "citizen", "text": "Mitt nummer är 19121212-1212", "at": "2026-12-05T09:00:00Z"},
        {
            "from": "bot",
            "text": "Ring 070-123 45 67 eller +46 70 123 45 67",
            "at": "2026-12-05T09:00:01Z",
        },
    ]
    with assistant(deployment.url) as api:
        handoff = api.post("/v1/handoffs", json=handoff_body(transcript=transcript)).json()[
            "handoff_id"
        ]
        api.post(
            f"/v1/handoffs/{handoff}/messages",
            json={"text": "Alltså 121212-1212 eller 191212121212", "message_id": str(uuid.uuid4())},
        )
    agent1.post(f"/desk/api/handoffs/{handoff}/take")
    reply = agent1.post(f"/desk/api/handoffs/{handoff}/reply", {"text": "Ditt nr 19121212-1212?"})
    page = agent1.get(f"/desk/api/handoffs/{handoff}").text
    stored = sql(
        deployment.database,
        "SELECT m.text FROM messages m JOIN handoffs h ON h.id = m.handoff_id "
        "WHERE h.public_id = :h",
        h=handoff,
    )
    everything = page + reply.text + " ".join(row[0] for row in stored)
    for number in ("1212-1212", "121212121", "123 45 67", "70 123"):
        assert number not in everything
    assert "[personnummer borttaget]" in page
    assert "[telefonnummer borttaget]" in page
    sent = deployment.assistant.of_kind("/webhooks/agentdesk/deliver", handoff)
    assert sent and "1212-1212" not in sent[0]["text"]
