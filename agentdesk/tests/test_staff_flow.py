"""The staff's work: sign in, the lists, take over, the transcript, reply (delivered to the
assistant, retried when it fails), hand back or close, and the audit log of it all."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import httpx

from tests.clients import Staff, assistant, handoff_body
from tests.conftest import Deployment
from tests.support import sql


def _wait_for(check: Callable[[], bool], seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return False


def _active_handoff(deployment: Deployment, staff: Staff) -> tuple[str, str]:
    body = handoff_body()
    with assistant(deployment.url) as api:
        handoff: str = api.post("/v1/handoffs", json=body).json()["handoff_id"]
    assert staff.post(f"/desk/api/handoffs/{handoff}/take").status_code == 200
    return handoff, body["conversation_id"]


def test_the_session_cookie_is_httponly_and_samesite_strict(deployment: Deployment) -> None:
    staff = Staff(deployment.url, "agent1")
    header = staff.login_response.headers.get_list("set-cookie")
    session = next(value for value in header if value.startswith("agentdesk_session="))
    assert "HttpOnly" in session
    assert "SameSite=Strict" in session
    assert "Path=/" in session
    assert "Secure" not in session  # plain http on loopback; Secure behind https
    assert staff.get("/desk/api/me").json()["username"] == "agent1"
    staff.close()


def test_sign_out_ends_the_session(deployment: Deployment) -> None:
    staff = Staff(deployment.url, "agent2")
    assert staff.post("/desk/api/logout").status_code == 200
    assert staff.get("/desk/api/me").status_code == 401
    staff.close()


def test_the_lists_show_waiting_then_active_then_closed(
    deployment: Deployment, agent1: Staff
) -> None:
    with assistant(deployment.url) as api:
        handoff = api.post("/v1/handoffs", json=handoff_body()).json()["handoff_id"]

    def status_of(listing: dict[str, list[dict[str, object]]]) -> str:
        return next(
            s for s, rows in listing.items() if any(r["handoff_id"] == handoff for r in rows)
        )

    waiting = agent1.get("/desk/api/queue").json()
    assert status_of(waiting) == "waiting"
    entry = next(r for r in waiting["waiting"] if r["handoff_id"] == handoff)
    assert isinstance(entry["waiting_seconds"], int)
    assert entry["position"] >= 1
    agent1.post(f"/desk/api/handoffs/{handoff}/take")
    active = agent1.get("/desk/api/queue").json()
    assert status_of(active) == "active"
    assert (
        next(r for r in active["active"] if r["handoff_id"] == handoff)["agent"] == "Handläggare 1"
    )
    agent1.post(f"/desk/api/handoffs/{handoff}/close", {"outcome": "no_answer"})
    closed = agent1.get("/desk/api/queue").json()
    assert status_of(closed) == "closed"
    assert next(r for r in closed["closed"] if r["handoff_id"] == handoff)["outcome"] == "no_answer"


def test_taking_over_twice_by_the_same_agent_is_fine(deployment: Deployment, agent1: Staff) -> None:
    handoff, _ = _active_handoff(deployment, agent1)
    again = agent1.post(f"/desk/api/handoffs/{handoff}/take")
    assert again.status_code == 200
    assert again.json()["mine"] is True


def test_the_transcript_holds_the_bot_part_and_the_citizens_new_messages(
    deployment: Deployment, agent1: Staff
) -> None:
    handoff, _ = _active_handoff(deployment, agent1)
    with assistant(deployment.url) as api:
        api.post(
            f"/v1/handoffs/{handoff}/messages",
            json={"text": "Är du kvar?", "message_id": str(uuid.uuid4())},
        )
    messages = agent1.get(f"/desk/api/handoffs/{handoff}").json()["messages"]
    assert [(m["sender"], m["text"]) for m in messages] == [
        ("citizen", "När kommer mina pengar?"),
        ("bot", "Vill du prata med en handläggare?"),
        ("citizen", "Är du kvar?"),
    ]


def test_a_reply_is_delivered_with_the_token_and_a_message_id(
    deployment: Deployment, agent1: Staff
) -> None:
    handoff, conversation = _active_handoff(deployment, agent1)
    response = agent1.post(f"/desk/api/handoffs/{handoff}/reply", {"text": "Hej, jag heter Anna."})
    assert response.status_code == 201, response.text
    message = response.json()["message"]
    assert message["delivery_status"] == "delivered"
    delivered = deployment.assistant.of_kind("/webhooks/agentdesk/deliver", handoff)
    assert delivered == [
        {
            "conversation_id": conversation,
            "handoff_id": handoff,
            "text": "Hej, jag heter Anna.",
            "message_id": message["message_id"],
            "sender": "agent",
        }
    ]


def test_a_failed_delivery_is_kept_shown_and_retried(deployment: Deployment, agent1: Staff) -> None:
    handoff, _ = _active_handoff(deployment, agent1)
    deployment.assistant.failing = True
    response = agent1.post(f"/desk/api/handoffs/{handoff}/reply", {"text": "Ett ögonblick."})
    assert response.status_code == 201
    message = response.json()["message"]
    assert message["delivery_status"] == "failed"
    assert "503" in message["last_error"]
    shown = agent1.get(f"/desk/api/handoffs/{handoff}").json()["messages"][-1]
    assert shown["delivery_status"] == "failed"
    assert deployment.assistant.of_kind("/webhooks/agentdesk/deliver", handoff) == []
    deployment.assistant.failing = False

    def delivered() -> bool:
        last = agent1.get(f"/desk/api/handoffs/{handoff}").json()["messages"][-1]
        return bool(last["delivery_status"] == "delivered")

    assert _wait_for(delivered)
    sent = deployment.assistant.of_kind("/webhooks/agentdesk/deliver", handoff)
    assert [entry["message_id"] for entry in sent] == [message["message_id"]]


def test_a_repeated_reply_message_id_is_stored_and_sent_once(
    deployment: Deployment, agent1: Staff
) -> None:
    handoff, _ = _active_handoff(deployment, agent1)
    message_id = str(uuid.uuid4())
    first = agent1.post(
        f"/desk/api/handoffs/{handoff}/reply", {"text": "Hej", "message_id": message_id}
    )
    second = agent1.post(
        f"/desk/api/handoffs/{handoff}/reply", {"text": "Hej", "message_id": message_id}
    )
    assert (first.status_code, second.status_code) == (201, 200)
    assert len(deployment.assistant.of_kind("/webhooks/agentdesk/deliver", handoff)) == 1


def test_hand_back_resumes_the_conversation_in_the_assistant(
    deployment: Deployment, agent1: Staff
) -> None:
    handoff, conversation = _active_handoff(deployment, agent1)
    response = agent1.post(f"/desk/api/handoffs/{handoff}/hand-back")
    assert response.status_code == 200
    assert response.json()["status"] == "closed"
    assert response.json()["outcome"] == "handed_back"
    assert deployment.assistant.of_kind("/webhooks/agentdesk/resume", handoff) == [
        {"conversation_id": conversation, "handoff_id": handoff, "outcome": "handed_back"}
    ]
    with assistant(deployment.url) as api:
        assert api.get(f"/v1/handoffs/by-conversation/{conversation}").status_code == 404
        # The conversation may be handed over again later: a new handoff.
        again = api.post("/v1/handoffs", json=handoff_body(conversation_id=conversation))
    assert again.status_code == 201
    assert again.json()["handoff_id"] != handoff


def test_close_with_an_outcome_waits_for_undelivered_replies_before_resuming(
    deployment: Deployment, agent1: Staff
) -> None:
    handoff, _ = _active_handoff(deployment, agent1)
    deployment.assistant.failing = True
    agent1.post(f"/desk/api/handoffs/{handoff}/reply", {"text": "Hej då!"})
    closed = agent1.post(f"/desk/api/handoffs/{handoff}/close", {"outcome": "resolved"})
    assert closed.status_code == 200
    assert closed.json()["resume_status"] == "pending"
    deployment.assistant.failing = False

    def resumed() -> bool:
        return bool(deployment.assistant.of_kind("/webhooks/agentdesk/resume", handoff))

    assert _wait_for(resumed)
    kinds = [
        entry["path"]
        for entry in deployment.assistant.received
        if entry["body"].get("handoff_id") == handoff
    ]
    assert kinds == ["/webhooks/agentdesk/deliver", "/webhooks/agentdesk/resume"]
    assert (
        deployment.assistant.of_kind("/webhooks/agentdesk/resume", handoff)[0]["outcome"]
        == "resolved"
    )


def test_reads_and_writes_are_in_the_audit_log(
    deployment: Deployment, agent1: Staff, supervisor: Staff
) -> None:
    handoff, _ = _active_handoff(deployment, agent1)
    agent1.get(f"/desk/api/handoffs/{handoff}")
    agent1.post(f"/desk/api/handoffs/{handoff}/reply", {"text": "Hej"})
    supervisor.get(f"/desk/api/handoffs/{handoff}")
    rows = sql(
        deployment.database,
        "SELECT username, action FROM audit_log WHERE handoff_id = :h ORDER BY id",
        h=handoff,
    )
    assert rows == [
        ("agent1", "take"),
        ("agent1", "read"),
        ("agent1", "reply"),
        ("supervisor1", "read"),
    ]
    entries = supervisor.get("/desk/api/audit").json()["entries"]
    shown = [
        (entry["username"], entry["action"]) for entry in entries if entry["handoff_id"] == handoff
    ]
    assert shown == [
        ("supervisor1", "read"),
        ("agent1", "reply"),
        ("agent1", "read"),
        ("agent1", "take"),
    ]


def test_the_page_is_served_at_the_root(deployment: Deployment) -> None:
    with httpx.Client(base_url=deployment.url) as client:
        page = client.get("/")
        script = client.get("/static/app.js")
        missing = client.get("/static/../settings.py")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert script.status_code == 200
    assert missing.status_code == 404
