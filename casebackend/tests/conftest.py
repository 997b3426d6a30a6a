"""Fixtures: every API test runs against a real server process on SQLite and on PostgreSQL,
each with a freshly migrated database holding the demo data."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
import pytest
from sanic import Sanic

from casebackend import migrations
from casebackend.demo.loader import load_demo
from casebackend.settings import DatabaseSettings
from tests.fixtures_data import ExtraPeople, extra_people
from tests.support import (
    BACKENDS,
    PNR_KEY,
    Api,
    Server,
    run,
    running_server,
    throwaway_database,
)

# Tests build more than one app in one process; Sanic refuses a reused name outside test mode.
Sanic.test_mode = True


@dataclass(frozen=True)
class Deployment:
    backend: str
    database: DatabaseSettings
    server: Server
    refs: dict[str, str]  # demo given name -> person_ref


@pytest.fixture(scope="session", params=BACKENDS)
def deployment(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Deployment]:
    backend: str = request.param
    folder = tmp_path_factory.mktemp(backend)
    with throwaway_database(backend, folder) as database:
        migrations.upgrade(database)
        loaded = run(load_demo(database, PNR_KEY.encode(), date.today()))
        refs = {person.given_name: person.person_ref for person in loaded}
        with running_server(database, folder / "server.log") as server:
            yield Deployment(backend=backend, database=database, server=server, refs=refs)


@pytest.fixture(scope="session")
def http(deployment: Deployment) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=deployment.server.base_url, timeout=30.0) as client:
        yield client


@pytest.fixture
def api(http: httpx.Client) -> Api:
    return Api(http)


@pytest.fixture
def refs(deployment: Deployment) -> dict[str, str]:
    return deployment.refs


@pytest.fixture
def database(deployment: Deployment) -> DatabaseSettings:
    return deployment.database


@pytest.fixture(params=BACKENDS)
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DatabaseSettings]:
    """A fresh, unmigrated database for migration and demo-loader tests."""
    with throwaway_database(request.param, tmp_path) as database:
        yield database


@pytest.fixture
def extra(deployment: Deployment) -> Iterator[ExtraPeople]:
    with extra_people(deployment.database) as people:
        yield people
