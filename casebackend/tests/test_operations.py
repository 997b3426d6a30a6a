"""What operators rely on: readiness (database reachable and migrated), Prometheus metrics, and
JSON log lines without personal data."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from casebackend import logs
from casebackend.migrations import head_revision
from casebackend.settings import DatabaseSettings
from tests.conftest import Deployment
from tests.support import assert_problem, running_server


def test_ready_reports_the_schema_revision(http: httpx.Client) -> None:
    response = http.get("/ready")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "database": "ok",
        "schema_revision": head_revision(),
    }


def test_ready_is_503_when_the_database_is_unreachable(tmp_path: Path) -> None:
    unreachable = DatabaseSettings(url="postgresql+asyncpg://postgres@127.0.0.1:9/test")
    with running_server(unreachable, tmp_path / "server.log") as server:
        response = httpx.get(server.base_url + "/ready", timeout=30)
        assert_problem(response, 503, "service-unavailable")
        assert response.json()["database"] == "unavailable"


def test_a_database_without_the_migrations_is_healthy_but_not_ready(tmp_path: Path) -> None:
    unmigrated = DatabaseSettings(url=f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
    with running_server(unmigrated, tmp_path / "server.log") as server:
        assert httpx.get(server.base_url + "/health", timeout=30).status_code == 200
        response = httpx.get(server.base_url + "/ready", timeout=30)
        assert_problem(response, 503, "service-unavailable")
        assert response.json()["database"] == "not_migrated"


def _samples(http: httpx.Client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def test_metrics_count_requests_by_operation_and_status(http: httpx.Client) -> None:
    health_ok = (
        "casebackend_requests_total",
        (("method", "GET"), ("operation", "health"), ("status", "200")),
    )
    not_found = (
        "casebackend_requests_total",
        (("method", "GET"), ("operation", "unmatched"), ("status", "404")),
    )
    timed = ("casebackend_request_seconds_count", (("operation", "health"),))
    before = _samples(http)
    for _ in range(2):
        assert http.get("/health").status_code == 200
    assert http.get("/no/such/path").status_code == 404
    after = _samples(http)
    for key, moved in ((health_ok, 2), (not_found, 1), (timed, 2)):
        assert after[key] - before.get(key, 0.0) == moved
    assert not any("ref" in dict(labels) for _, labels in after)


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    stream = io.StringIO()
    logs.configure({}, stream)
    try:
        yield stream
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved[0]:
            root.addHandler(handler)
        root.setLevel(saved[1])


def test_a_logged_personnummer_and_phone_number_never_reach_the_output(
    json_log: io.StringIO,
) -> None:
    logging.getLogger("casebackend.notify").warning(
        "notice for %s to %s failed", "19121212-1212", "+46 70 123 45 67"
    )
    try:
        raise RuntimeError("person 191212121212, mobile 070-123 45 67")
    except RuntimeError:
        logging.getLogger("casebackend").exception("lookup failed")
    lines = [json.loads(line) for line in json_log.getvalue().splitlines()]
    assert [line["message"] for line in lines] == [
        "notice for [redacted] to [redacted] failed",
        "lookup failed",
    ]
    assert lines[0]["redacted"] is True and lines[0]["service"] == "casebackend"
    assert "person [redacted], mobile [redacted]" in lines[1]["exc"]
    for secret in ("1212-1212", "191212121212", "123 45 67", "701234567"):
        assert secret not in json_log.getvalue()


def test_the_server_writes_json_lines(deployment: Deployment, http: httpx.Client) -> None:
    http.get("/health")
    lines = deployment.server.log_text().splitlines()
    records = [json.loads(line) for line in lines]
    assert any(record["message"].startswith("GET /health 200") for record in records)
