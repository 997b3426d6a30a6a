"""The notifier (`python -m casebackend.notify`) against a small fake assistant on loopback:
the exact body and header, idempotency, skipped persons, the protected flag, failures."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import select

from casebackend import migrations
from casebackend.contact import ContactError, decrypt_mobile, encrypt_mobile
from casebackend.db.engine import create_engine
from casebackend.db.models import Case, CaseEvent, Notice
from casebackend.demo.loader import load_demo
from casebackend.notify import notify_case
from casebackend.settings import DatabaseSettings, NotifierSettings
from casebackend.vocabulary import NoticeEvent
from tests.support import NOTICES_TOKEN, PNR_KEY, PROJECT, free_port, run

CONTACT_KEY = "test-contact-key"
NOTICES_PATH = "/webhooks/twilio_sms/notices"


@dataclass
class FakeAssistant:
    """Records every request; answers `status` with `{"status": decision}`."""

    url: str
    requests: list[dict[str, Any]] = field(default_factory=list)
    status: int = 202
    decision: str = "accepted"


@pytest.fixture
def assistant() -> Iterator[FakeAssistant]:
    port = free_port()
    fake = FakeAssistant(url=f"http://127.0.0.1:{port}")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            fake.requests.append(
                {
                    "path": self.path,
                    "headers": {key.lower(): value for key, value in self.headers.items()},
                    "body": json.loads(self.rfile.read(length)),
                }
            )
            answer = json.dumps({"status": fake.decision}).encode()
            self.send_response(fake.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def demo_database(empty_database: DatabaseSettings) -> DatabaseSettings:
    migrations.upgrade(empty_database)
    run(load_demo(empty_database, PNR_KEY.encode(), date.today(), contact_key=CONTACT_KEY.encode()))
    return empty_database


def _settings(url: str) -> NotifierSettings:
    return NotifierSettings(
        assistant_url=url,
        notices_token=NOTICES_TOKEN,
        contact_key=CONTACT_KEY.encode(),
        timeout=5.0,
    )


def _notify(database: DatabaseSettings, url: str, case_ref: str, event: NoticeEvent) -> Any:
    return run(notify_case(database, _settings(url), case_ref, event, date.today()))


def _notices(database: DatabaseSettings) -> list[tuple[str, str, str, str]]:
    async def read() -> list[tuple[str, str, str, str]]:
        engine = create_engine(database)
        try:
            async with engine.connect() as connection:
                rows = await connection.execute(
                    select(
                        Notice.idempotency_key, Notice.event, Notice.status, Notice.decision
                    ).order_by(Notice.id)
                )
                return [(row[0], row[1], row[2], row[3]) for row in rows]
        finally:
            await engine.dispose()

    return run(read())


def _events_today(database: DatabaseSettings, case_ref: str, event: str) -> int:
    async def read() -> int:
        engine = create_engine(database)
        try:
            async with engine.connect() as connection:
                rows = await connection.execute(
                    select(CaseEvent.id)
                    .join(Case, Case.id == CaseEvent.case_id)
                    .where(
                        Case.case_ref == case_ref,
                        CaseEvent.type == event,
                        CaseEvent.occurred_on == date.today(),
                    )
                )
                return len(list(rows))
        finally:
            await engine.dispose()

    return run(read())


def _key(case_ref: str, event: str) -> str:
    return f"{case_ref}:{event}:{date.today().isoformat()}"


def test_tolvan_gets_a_notice_with_the_exact_body_and_token(
    demo_database: DatabaseSettings, assistant: FakeAssistant
) -> None:
    outcome = _notify(demo_database, assistant.url, "CASE-121201", "payment_scheduled")
    assert (outcome.status, outcome.decision) == ("sent", "accepted")
    [request] = assistant.requests
    assert request["path"] == NOTICES_PATH
    assert request["headers"]["authorization"] == f"Bearer {NOTICES_TOKEN}"
    assert request["headers"]["content-type"] == "application/json"
    assert request["body"] == {
        "phone": "+46701740605",
        "event": "payment_scheduled",
        "protected_identity": False,
        "sms_notifications": True,
        "idempotency_key": _key("CASE-121201", "payment_scheduled"),
    }
    assert _notices(demo_database) == [
        (_key("CASE-121201", "payment_scheduled"), "payment_scheduled", "sent", "accepted")
    ]


def test_a_rerun_does_not_notify_twice(
    demo_database: DatabaseSettings, assistant: FakeAssistant
) -> None:
    first = _notify(demo_database, assistant.url, "CASE-121201", "payment_scheduled")
    second = _notify(demo_database, assistant.url, "CASE-121201", "payment_scheduled")
    assert len(assistant.requests) == 1
    assert not first.already_recorded
    assert second.already_recorded
    assert (second.status, second.decision) == ("sent", "accepted")
    assert len(_notices(demo_database)) == 1


def test_tio_is_sent_with_the_protected_flag(
    demo_database: DatabaseSettings, assistant: FakeAssistant
) -> None:
    _notify(demo_database, assistant.url, "CASE-101001", "payment_scheduled")
    [request] = assistant.requests
    assert request["body"]["protected_identity"] is True
    assert request["body"]["phone"] == "+46701740606"


def test_a_person_without_sms_notices_is_skipped_without_a_call(
    demo_database: DatabaseSettings, assistant: FakeAssistant
) -> None:
    outcome = _notify(demo_database, assistant.url, "CASE-040401", "payment_scheduled")
    assert (outcome.status, outcome.decision) == ("skipped", "sms_notifications_off")
    assert assistant.requests == []
    assert _notices(demo_database) == [
        (
            _key("CASE-040401", "payment_scheduled"),
            "payment_scheduled",
            "skipped",
            "sms_notifications_off",
        )
    ]
    again = _notify(demo_database, assistant.url, "CASE-040401", "payment_scheduled")
    assert again.already_recorded
    assert assistant.requests == []


def test_complement_requested_adds_todays_case_event_once(
    demo_database: DatabaseSettings, assistant: FakeAssistant
) -> None:
    assert _events_today(demo_database, "CASE-121202", "complement_requested") == 0
    outcome = _notify(demo_database, assistant.url, "CASE-121202", "complement_requested")
    assert outcome.status == "sent"
    _notify(demo_database, assistant.url, "CASE-121202", "complement_requested")
    assert _events_today(demo_database, "CASE-121202", "complement_requested") == 1
    assert [request["body"]["event"] for request in assistant.requests] == ["complement_requested"]


def test_a_refusing_assistant_is_recorded_as_failed_and_retried(
    demo_database: DatabaseSettings, assistant: FakeAssistant
) -> None:
    assistant.status = 401
    failed = _notify(demo_database, assistant.url, "CASE-121201", "payment_scheduled")
    assert (failed.status, failed.decision) == ("failed", "the assistant answered HTTP 401")
    assistant.status = 202
    retried = _notify(demo_database, assistant.url, "CASE-121201", "payment_scheduled")
    assert (retried.status, retried.decision) == ("sent", "accepted")
    assert len(assistant.requests) == 2
    assert [row[2:] for row in _notices(demo_database)] == [("sent", "accepted")]


def _run_notify(
    database: DatabaseSettings, assistant_url: str, *arguments: str
) -> subprocess.CompletedProcess[str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CASEBACKEND_", "ASSISTANT_"))
    }
    environment.update(
        CASEBACKEND_DATABASE_URL=database.url,
        ASSISTANT_NOTICES_TOKEN=NOTICES_TOKEN,
        CASEBACKEND_CONTACT_KEY=CONTACT_KEY,
        CASEBACKEND_ASSISTANT_URL=assistant_url,
    )
    if database.schema:
        environment["CASEBACKEND_DATABASE_SCHEMA"] = database.schema
    return subprocess.run(
        [sys.executable, "-m", "casebackend.notify", *arguments],
        env=environment,
        cwd=PROJECT,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_command_with_the_assistant_down_records_failed_and_exits_non_zero(
    demo_database: DatabaseSettings, assistant: FakeAssistant
) -> None:
    down = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    result = _run_notify(
        demo_database, down, "--case", "CASE-121201", "--event", "payment_scheduled"
    )
    assert result.returncode == 1, result.stderr
    assert "could not be reached" in result.stderr
    assert "recorded as failed" in result.stderr
    assert "Traceback" not in result.stderr
    assert [row[2] for row in _notices(demo_database)] == ["failed"]

    result = _run_notify(
        demo_database, assistant.url, "--case", "CASE-121201", "--event", "payment_scheduled"
    )
    assert result.returncode == 0, result.stderr
    assert "sent, decision: accepted" in result.stdout
    for text in (result.stdout, result.stderr):
        assert "701740605" not in text  # the number is never printed
    assert [row[2] for row in _notices(demo_database)] == ["sent"]
    assert len(assistant.requests) == 1


def test_command_refuses_an_unknown_case_and_event(
    demo_database: DatabaseSettings, assistant: FakeAssistant
) -> None:
    result = _run_notify(
        demo_database, assistant.url, "--case", "CASE-NONE", "--event", "payment_scheduled"
    )
    assert result.returncode == 2
    assert "no case" in result.stderr
    result = _run_notify(
        demo_database, assistant.url, "--case", "CASE-121201", "--event", "decision_made"
    )
    assert result.returncode == 2
    assert assistant.requests == []


def test_mobile_numbers_round_trip_and_refuse_a_wrong_key() -> None:
    token = encrypt_mobile("+46701740605", b"k1")
    assert "701740605" not in token
    assert decrypt_mobile(token, b"k1") == "+46701740605"
    with pytest.raises(ContactError, match="CASEBACKEND_CONTACT_KEY"):
        decrypt_mobile(token, b"k2")
    with pytest.raises(ContactError) as error:
        encrypt_mobile("0701740605", b"k1")
    assert "0701740605" not in str(error.value)
