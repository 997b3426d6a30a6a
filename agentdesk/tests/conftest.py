"""Fixtures: the desk as a real server process on SQLite and on PostgreSQL, each with a freshly
migrated database, and a stand-in assistant that records what the desk delivers."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sanic import Sanic

from agentdesk import migrations
from agentdesk.settings import DatabaseSettings
from tests.clients import Staff
from tests.support import (
    BACKENDS,
    FakeAssistant,
    Server,
    fake_assistant,
    running_server,
    throwaway_database,
)

Sanic.test_mode = True


@dataclass(frozen=True)
class Deployment:
    backend: str
    database: DatabaseSettings
    server: Server
    assistant: FakeAssistant

    @property
    def url(self) -> str:
        return self.server.base_url


@pytest.fixture(scope="session")
def assistant_stub() -> Iterator[FakeAssistant]:
    with fake_assistant() as fake:
        yield fake


@pytest.fixture(scope="session", params=BACKENDS)
def deployment(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    assistant_stub: FakeAssistant,
) -> Iterator[Deployment]:
    backend: str = request.param
    folder = tmp_path_factory.mktemp(backend)
    with throwaway_database(backend, folder) as database:
        migrations.upgrade(database)
        with running_server(database, folder / "desk.log", assistant_stub.url) as server:
            yield Deployment(backend, database, server, assistant_stub)


@pytest.fixture
def agent1(deployment: Deployment) -> Iterator[Staff]:
    staff = Staff(deployment.url, "agent1")
    yield staff
    staff.close()


@pytest.fixture
def agent2(deployment: Deployment) -> Iterator[Staff]:
    staff = Staff(deployment.url, "agent2")
    yield staff
    staff.close()


@pytest.fixture
def supervisor(deployment: Deployment) -> Iterator[Staff]:
    staff = Staff(deployment.url, "supervisor1")
    yield staff
    staff.close()


@pytest.fixture(autouse=True)
def _assistant_answers(assistant_stub: FakeAssistant) -> Iterator[None]:
    assistant_stub.failing = False
    yield
    assistant_stub.failing = False


@pytest.fixture(params=BACKENDS)
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DatabaseSettings]:
    with throwaway_database(request.param, tmp_path) as database:
        yield database
