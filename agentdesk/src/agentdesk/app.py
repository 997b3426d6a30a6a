"""The Sanic application factory."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import cast

from sanic import Request, Sanic
from sanic.response import BaseHTTPResponse

from agentdesk.blueprints import assistant_api, desk_callbacks, desk_handoffs, desk_session, pages
from agentdesk.context import AppContext, DeskApp, DeskRequest
from agentdesk.db.engine import create_engine, create_sessionmaker
from agentdesk.delivery import AssistantClient, retry_loop
from agentdesk.errors import DeskErrorHandler
from agentdesk.oidc import IdTokenVerifier
from agentdesk.repositories import staff as staff_repo
from agentdesk.settings import Settings

APP_NAME = "agentdesk"
log = logging.getLogger("agentdesk")


def create_app(settings: Settings) -> DeskApp:
    app: DeskApp = Sanic(
        APP_NAME,
        ctx=AppContext.create(settings),
        # Sanic's signature names the untyped Request; DeskRequest is one, with typed contexts.
        request_class=cast("type[Request]", DeskRequest),
        error_handler=DeskErrorHandler(),
        env_prefix=None,  # configuration comes from Settings only
        strict_slashes=True,
        configure_logging=False,
    )
    app.config.REQUEST_MAX_SIZE = settings.request_max_size
    app.config.FALLBACK_ERROR_FORMAT = "json"
    app.config.ACCESS_LOG = False  # paths hold conversation ids; nothing personal is logged
    app.config.MOTD = False
    app.config.RESPONSE_TIMEOUT = 15
    if settings.proxies_count:
        app.config.PROXIES_COUNT = settings.proxies_count

    app.before_server_start(start)
    app.after_server_stop(stop)
    # First of all request middleware (the blueprints' checks read the database).
    app.register_middleware(open_session, "request", priority=100)
    app.register_middleware(close_session, "response")
    for blueprint in (
        assistant_api.bp,
        desk_session.bp,
        desk_handoffs.bp,
        desk_callbacks.bp,
        pages.bp,
    ):
        app.blueprint(blueprint)
    return app


async def start(app: DeskApp) -> None:
    settings = app.ctx.settings
    app.ctx.engine = create_engine(settings.database)
    app.ctx.sessionmaker = create_sessionmaker(app.ctx.engine)
    app.ctx.assistant = AssistantClient(settings.assistant_url, settings.delivery_token)
    if settings.oidc is not None:
        app.ctx.oidc = IdTokenVerifier(settings.oidc)
    elif settings.demo_password:
        async with app.ctx.new_session() as session:
            await staff_repo.ensure_demo_accounts(session, settings.demo_password)
            await session.commit()
    else:
        log.warning(
            "AGENTDESK_DEMO_PASSWORD is not set and OIDC is not configured: nobody can sign in"
        )
    if settings.uses_dev_data_key:
        log.warning("AGENTDESK_DATA_KEY is not set: using the development key")
    app.ctx.retry_task = asyncio.create_task(
        retry_loop(
            app.ctx.new_session, app.ctx.client, app.ctx.delivery_lock, settings.retry_seconds
        )
    )


async def stop(app: DeskApp) -> None:
    if app.ctx.retry_task is not None:
        app.ctx.retry_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await app.ctx.retry_task
    if app.ctx.assistant is not None:
        await app.ctx.assistant.close()
    if app.ctx.engine is not None:
        await app.ctx.engine.dispose()
    app.ctx.engine = None
    app.ctx.sessionmaker = None


async def open_session(request: DeskRequest) -> None:
    # A session per request; it takes a connection only when first used.
    request.ctx.session = request.app.ctx.new_session()


async def close_session(request: DeskRequest, response: BaseHTTPResponse) -> None:
    session = request.ctx.session
    request.ctx.session = None
    if session is not None:
        await session.close()  # rolls back anything not committed
