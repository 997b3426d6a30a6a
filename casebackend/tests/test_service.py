"""The service process: refuses to start without a token, reports health, logs no personnummer,
and does no work at import or app-creation time."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx

from casebackend.app import create_app
from casebackend.settings import DatabaseSettings, Settings
from tests.assertions import PUBLIC_KEY_TEXT
from tests.conftest import Deployment
from tests.support import PROJECT, Api, assert_problem, running_server, server_environment


def test_service_refuses_to_start_without_a_token() -> None:
    environment = server_environment(DatabaseSettings(url="sqlite+aiosqlite:///x.db"), 1)
    del environment["CASEBACKEND_ACTIONS_TOKEN"]
    result = subprocess.run(
        [sys.executable, "-m", "casebackend"],
        env=environment,
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "CASEBACKEND_ACTIONS_TOKEN is not set" in result.stderr
    assert "Traceback" not in result.stderr


def test_health_is_ok(http: httpx.Client) -> None:
    response = http.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_health_is_503_when_the_database_is_unreachable(tmp_path: Path) -> None:
    unreachable = DatabaseSettings(url="postgresql+asyncpg://postgres@127.0.0.1:9/test")
    with running_server(unreachable, tmp_path / "server.log") as server:
        response = httpx.get(server.base_url + "/health", timeout=30)
        assert_problem(response, 503, "service-unavailable")
        assert response.json()["database"] == "unavailable"


def test_unexpected_failures_are_problems_without_internals(tmp_path: Path) -> None:
    missing_tables = DatabaseSettings(url=f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
    with running_server(missing_tables, tmp_path / "server.log") as server:
        api = Api(httpx.Client(base_url=server.base_url, timeout=30))
        response = api.post("/v1/person-lookups", json={"personnummer": "19121212-1212"})
        assert_problem(response, 500, "internal-error")
        for leak in ("sqlite", "SELECT", "persons", "Traceback", "191212121212"):
            assert leak not in response.text
        assert "191212121212" not in server.log_text()


def test_logs_hold_no_personnummer(deployment: Deployment, api: Api) -> None:
    numbers = ["19121212-1212", "191212121212", "121212+1212", "19820101-0009"]
    for number in numbers:
        api.post("/v1/person-lookups", json={"personnummer": number})
    api.get("/v1/persons/191212121212/cases", acting="191212121212")
    api.get("/v1/persons/19121212-1212", acting="x" * 20)
    log = deployment.server.log_text()
    assert "POST /v1/person-lookups 200" in log
    for number in [*numbers, "1212121212"]:
        assert number not in log


def test_create_app_does_no_database_work() -> None:
    settings = Settings(
        database=DatabaseSettings(url="postgresql+asyncpg://nobody@127.0.0.1:9/none"),
        actions_token="t",
        assertion_public_key=bytes(32),
        pnr_key=b"k",
    )
    app = create_app(settings)
    assert app.ctx.engine is None
    assert app.ctx.sessionmaker is None
    assert {route.path for route in app.router.routes} >= {"health", "v1/person-lookups"}


def test_import_and_app_creation_touch_no_database(tmp_path: Path) -> None:
    database_file = tmp_path / "folder" / "never.db"
    code = (
        "from casebackend.app import create_app;"
        "from casebackend.settings import Settings;"
        "create_app(Settings.from_env())"
    )
    environment = {
        **os.environ,
        "CASEBACKEND_DATABASE_URL": f"sqlite+aiosqlite:///{database_file}",
        "CASEBACKEND_ACTIONS_TOKEN": "t",
        "CASEBACKEND_ASSERTION_PUBLIC_KEY": PUBLIC_KEY_TEXT,
    }
    subprocess.run([sys.executable, "-c", code], env=environment, check=True, timeout=60)
    assert not database_file.parent.exists()
