"""The assistant's side of the contract: availability, handoffs (idempotent per open
conversation), citizen messages (message_id stored once), call-back requests."""

from __future__ import annotations

import uuid

from tests.clients import Staff, assistant, handoff_body
from tests.conftest import Deployment
from tests.support import sql


def test_availability_says_open_staffed_and_the_queue(
    deployment: Deployment, agent1: Staff
) -> None:
    with assistant(deployment.url) as api:
        response = api.get("/v1/availability", params={"channel": "web"})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "open",
        "staffed",
        "queue_length",
        "queue_full",
        "estimated_wait_seconds",
        "hours",
    }
    assert body["open"] is True  # no AGENTDESK_HOURS: always open
    assert body["staffed"] is True  # agent1 has just signed in
    assert body["queue_full"] is False
    assert body["hours"] is None
    assert body["estimated_wait_seconds"] > 0


def test_a_second_post_for_the_open_conversation_returns_the_same_handoff(
    deployment: Deployment, agent1: Staff
) -> None:
    body = handoff_body()
    with assistant(deployment.url) as api:
        first = api.post("/v1/handoffs", json=body)
        second = api.post("/v1/handoffs", json=body)
        found = api.get(f"/v1/handoffs/by-conversation/{body['conversation_id']}")
    assert first.status_code == 201, first.text
    assert first.json()["status"] == "waiting"
    assert first.json()["handoff_id"].startswith("h-")
    assert first.json()["position"] >= 1
    assert second.status_code == 201
    assert second.json()["handoff_id"] == first.json()["handoff_id"]
    assert found.status_code == 200
    assert found.json()["handoff_id"] == first.json()["handoff_id"]
    rows = sql(
        deployment.database,
        "SELECT count(*) FROM handoffs WHERE conversation_id = :c",
        c=body["conversation_id"],
    )
    assert rows == [(1,)]


def test_queue_positions_follow_the_order_of_arrival(deployment: Deployment, agent1: Staff) -> None:
    with assistant(deployment.url) as api:
        first = api.post("/v1/handoffs", json=handoff_body()).json()
        second = api.post("/v1/handoffs", json=handoff_body()).json()
    assert second["position"] == first["position"] + 1
    assert second["estimated_wait_seconds"] > first["estimated_wait_seconds"]


def test_unknown_conversation_is_404(deployment: Deployment) -> None:
    with assistant(deployment.url) as api:
        response = api.get("/v1/handoffs/by-conversation/web-nobody-here")
    assert response.status_code == 404
    assert "error" in response.json()


def test_a_repeated_message_id_is_stored_once(deployment: Deployment, agent1: Staff) -> None:
    message_id = str(uuid.uuid4())
    with assistant(deployment.url) as api:
        handoff = api.post("/v1/handoffs", json=handoff_body()).json()["handoff_id"]
        path = f"/v1/handoffs/{handoff}/messages"
        answers = [
            api.post(path, json={"text": "Hallå?", "message_id": message_id}) for _ in range(3)
        ]
    assert [answer.status_code for answer in answers] == [202, 202, 202]
    rows = sql(
        deployment.database, "SELECT count(*) FROM messages WHERE message_id = :m", m=message_id
    )
    assert rows == [(1,)]
    transcript = agent1.get(f"/desk/api/handoffs/{handoff}").json()["messages"]
    assert [m["text"] for m in transcript].count("Hallå?") == 1


def test_a_message_for_a_closed_handoff_is_409(deployment: Deployment, agent1: Staff) -> None:
    with assistant(deployment.url) as api:
        handoff = api.post("/v1/handoffs", json=handoff_body()).json()["handoff_id"]
        assert agent1.post(f"/desk/api/handoffs/{handoff}/take").status_code == 200
        assert (
            agent1.post(f"/desk/api/handoffs/{handoff}/close", {"outcome": "resolved"}).status_code
            == 200
        )
        response = api.post(
            f"/v1/handoffs/{handoff}/messages",
            json={"text": "Tack", "message_id": str(uuid.uuid4())},
        )
    assert response.status_code == 409
    assert response.json() == {"error": "closed"}


def test_a_callback_needs_consent(deployment: Deployment) -> None:
    body = {"channel": "sms", "language": "sv", "phone": "+46701234567", "preferred_time": "fm"}
    with assistant(deployment.url) as api:
        missing = api.post("/v1/callbacks", json=body)
        refused = api.post("/v1/callbacks", json={**body, "consent": False})
    assert missing.status_code == 400
    assert refused.status_code == 400
    assert "consent" in refused.json()["error"]


def test_the_callback_phone_is_encrypted_at_rest_and_shown_to_staff(
    deployment: Deployment, agent1: Staff
) -> None:
    phone = "+46701239876"
    body = {
        "channel": "web",
        "language": "sv",
        "phone": phone,
        "preferred_time": "efter lunch",
        "consent": True,
    }
    with assistant(deployment.url) as api:
        created = api.post("/v1/callbacks", json=body)
    assert created.status_code == 201, created.text
    callback_id = created.json()["callback_id"]
    assert phone not in created.text
    stored = sql(
        deployment.database,
        "SELECT phone_sealed FROM callbacks WHERE public_id = :c",
        c=callback_id,
    )
    assert stored and "701239876" not in stored[0][0]
    listed = agent1.get("/desk/api/callbacks").json()["callbacks"]
    mine = [entry for entry in listed if entry["callback_id"] == callback_id]
    assert mine[0]["phone"] == phone
    assert mine[0]["preferred_time"] == "efter lunch"
    done = agent1.post(f"/desk/api/callbacks/{callback_id}/done")
    assert done.status_code == 200
    assert done.json()["done_at"] is not None
