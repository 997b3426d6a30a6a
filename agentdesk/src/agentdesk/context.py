"""Typed application and request contexts (Sanic's `app.ctx` and `request.ctx`)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import TYPE_CHECKING, TypeAlias

from sanic import Request, Sanic
from sanic.config import Config
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from agentdesk.phone_box import PhoneBox
from agentdesk.settings import Settings

if TYPE_CHECKING:
    from agentdesk.delivery import AssistantClient
    from agentdesk.oidc import IdTokenVerifier
    from agentdesk.staff_auth import SignedIn


@dataclass
class AppContext:
    settings: Settings
    phones: PhoneBox
    # Made in before_server_start, disposed in after_server_stop: never at import time.
    engine: AsyncEngine | None = None
    sessionmaker: async_sessionmaker[AsyncSession] | None = None
    assistant: AssistantClient | None = None
    oidc: IdTokenVerifier | None = None
    retry_task: asyncio.Task[None] | None = None
    # Serialises deliveries, so the retry loop and a reply never send one message twice.
    delivery_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @classmethod
    def create(cls, settings: Settings) -> AppContext:
        return cls(settings=settings, phones=PhoneBox(settings.data_key))

    def new_session(self) -> AsyncSession:
        if self.sessionmaker is None:
            raise RuntimeError("the database is not set up: the server has not started")
        return self.sessionmaker()

    @property
    def client(self) -> AssistantClient:
        if self.assistant is None:
            raise RuntimeError("the assistant client is not set up: the server has not started")
        return self.assistant


class RequestContext(SimpleNamespace):
    # A SimpleNamespace, as Sanic's typing asks of request contexts.
    def __init__(self) -> None:
        super().__init__()
        self.session: AsyncSession | None = None
        self.staff: SignedIn | None = None

    @property
    def db(self) -> AsyncSession:
        if self.session is None:
            raise RuntimeError("no database session on this request")
        return self.session

    @property
    def signed_in(self) -> SignedIn:
        if self.staff is None:
            raise RuntimeError("no signed-in staff member on this request")
        return self.staff


DeskApp: TypeAlias = Sanic[Config, AppContext]


class DeskRequest(Request[DeskApp, RequestContext]):
    @staticmethod
    def make_context() -> RequestContext:
        return RequestContext()
