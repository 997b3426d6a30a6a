"""The Sanic application factory."""

from __future__ import annotations

import logging
import time
from typing import cast

from sanic import Request, Sanic
from sanic.response import BaseHTTPResponse

from casebackend.blueprints import (
    cases,
    health,
    metrics,
    openapi_doc,
    orders,
    payments,
    person_lookups,
    persons,
)
from casebackend.context import AppContext, CaseBackendApp, CaseRequest
from casebackend.db.engine import create_engine, create_sessionmaker
from casebackend.metrics import UNMATCHED
from casebackend.migrations import head_revision
from casebackend.openapi import build_document
from casebackend.problems import ProblemErrorHandler
from casebackend.request_log import log_request
from casebackend.routing import Resource, blueprint_for
from casebackend.settings import Settings

APP_NAME = "casebackend"
RESOURCES: tuple[Resource, ...] = (
    health.RESOURCE,
    metrics.RESOURCE,
    openapi_doc.RESOURCE,
    person_lookups.RESOURCE,
    persons.RESOURCE,
    cases.RESOURCE,
    payments.RESOURCE,
    orders.RESOURCE,
)

log = logging.getLogger("casebackend")


def create_app(settings: Settings) -> CaseBackendApp:
    app: CaseBackendApp = Sanic(
        APP_NAME,
        ctx=AppContext.create(settings, build_document(RESOURCES)),
        # Sanic's signature names the untyped Request; CaseRequest is one, with typed contexts.
        request_class=cast("type[Request]", CaseRequest),
        error_handler=ProblemErrorHandler(),
        env_prefix=None,  # configuration comes from Settings only
        strict_slashes=True,
        configure_logging=False,  # the process entry point configures logging once
    )
    app.config.REQUEST_MAX_SIZE = settings.request_max_size
    app.config.FALLBACK_ERROR_FORMAT = "json"
    app.config.ACCESS_LOG = False  # ours (request_log) masks personnummer-like paths
    app.config.MOTD = False
    app.config.RESPONSE_TIMEOUT = 15  # the assistant's channels wait 15 s at most

    app.before_server_start(open_database)
    app.after_server_stop(close_database)
    app.register_middleware(open_session, "request")
    app.register_middleware(close_session, "response")
    for resource in RESOURCES:
        app.blueprint(blueprint_for(resource))
    return app


async def open_database(app: CaseBackendApp) -> None:
    settings = app.ctx.settings
    app.ctx.engine = create_engine(settings.database)
    app.ctx.sessionmaker = create_sessionmaker(app.ctx.engine)
    app.ctx.schema_head = head_revision()
    if settings.uses_dev_pnr_key:
        log.warning("CASEBACKEND_PNR_KEY is not set: using the development key")


async def close_database(app: CaseBackendApp) -> None:
    if app.ctx.engine is not None:
        await app.ctx.engine.dispose()
    app.ctx.engine = None
    app.ctx.sessionmaker = None


async def open_session(request: CaseRequest) -> None:
    # A session per request; it takes a connection only when first used.
    request.ctx.started = time.perf_counter()
    request.ctx.session = request.app.ctx.new_session()


async def close_session(request: CaseRequest, response: BaseHTTPResponse) -> None:
    session = request.ctx.session
    request.ctx.session = None
    if session is not None:
        await session.close()  # rolls back anything not committed
    started = request.ctx.started or time.perf_counter()
    seconds = time.perf_counter() - started
    log_request(request.method, request.path, response.status, seconds * 1000)
    operation = request.route.name.rsplit(".", 1)[-1] if request.route else UNMATCHED
    request.app.ctx.metrics.observe(operation, request.method, response.status, seconds)
