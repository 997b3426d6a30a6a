"""Typed application and request contexts (Sanic's `app.ctx` and `request.ctx`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, TypeAlias

from sanic import Request, Sanic
from sanic.config import Config
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from casebackend.assertion import AssertionVerifier
from casebackend.clients import Client, clients_of
from casebackend.metrics import RequestMetrics
from casebackend.settings import Settings


@dataclass
class AppContext:
    settings: Settings
    clients: tuple[Client, ...]
    assertions: AssertionVerifier
    # Made in before_server_start, disposed in after_server_stop: never at import time.
    engine: AsyncEngine | None = None
    sessionmaker: async_sessionmaker[AsyncSession] | None = None
    openapi_document: dict[str, Any] = field(default_factory=dict)
    metrics: RequestMetrics = field(default_factory=RequestMetrics.create)
    # The Alembic head this code expects (read in before_server_start, for GET /ready).
    schema_head: str | None = None

    @classmethod
    def create(cls, settings: Settings, openapi_document: dict[str, Any]) -> AppContext:
        return cls(
            settings=settings,
            clients=clients_of(settings),
            assertions=AssertionVerifier(settings.assertion_public_key),
            openapi_document=openapi_document,
        )

    def new_session(self) -> AsyncSession:
        if self.sessionmaker is None:
            raise RuntimeError("the database is not set up: the server has not started")
        return self.sessionmaker()


class RequestContext(SimpleNamespace):
    # A SimpleNamespace, as Sanic's typing asks of request contexts.
    def __init__(self) -> None:
        super().__init__()
        self.session: AsyncSession | None = None
        self.started = 0.0

    @property
    def db(self) -> AsyncSession:
        if self.session is None:
            raise RuntimeError("no database session on this request")
        return self.session


CaseBackendApp: TypeAlias = Sanic[Config, AppContext]


class CaseRequest(Request[CaseBackendApp, RequestContext]):
    @staticmethod
    def make_context() -> RequestContext:
        return RequestContext()
