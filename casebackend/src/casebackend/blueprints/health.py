"""GET /health: is the service up and its database reachable (for load balancers; no auth).
GET /ready: the same, and the database's schema is the one this code expects (Alembic head):
a replica started before the migrations ran is not ready."""

from __future__ import annotations

import asyncio
import logging

from sanic import HTTPResponse
from sqlalchemy import text

from casebackend.blueprints.common import respond
from casebackend.context import CaseRequest
from casebackend.problems import SERVICE_UNAVAILABLE, problem_response
from casebackend.routing import Operation, Resource
from casebackend.schemas import DatabaseProblem, Health, NotReadyProblem, Ready

DATABASE_CHECK_TIMEOUT = 3.0

log = logging.getLogger("casebackend.health")


async def health(request: CaseRequest) -> HTTPResponse:
    try:
        async with asyncio.timeout(DATABASE_CHECK_TIMEOUT):
            await request.ctx.db.execute(text("SELECT 1"))
    except Exception as error:  # any failure here means unhealthy, never a 500
        log.warning("database check failed: %s", type(error).__name__)
        return problem_response(
            SERVICE_UNAVAILABLE,
            "The database is not reachable.",
            extensions={"database": "unavailable"},
        )
    return respond(Health(status="ok", database="ok"))


async def ready(request: CaseRequest) -> HTTPResponse:
    try:
        async with asyncio.timeout(DATABASE_CHECK_TIMEOUT):
            await request.ctx.db.execute(text("SELECT 1"))
    except Exception as error:  # any failure here means not ready, never a 500
        log.warning("readiness: database check failed: %s", type(error).__name__)
        return problem_response(
            SERVICE_UNAVAILABLE,
            "The database is not reachable.",
            extensions={"database": "unavailable"},
        )
    expected = request.app.ctx.schema_head
    try:
        async with asyncio.timeout(DATABASE_CHECK_TIMEOUT):
            revision = await request.ctx.db.scalar(text("SELECT version_num FROM alembic_version"))
    except Exception as error:  # no alembic_version table: never migrated
        log.warning("readiness: no schema revision: %s", type(error).__name__)
        revision = None
    if revision is None or revision != expected:
        log.warning("readiness: schema at %s, this code needs %s", revision, expected)
        return problem_response(
            SERVICE_UNAVAILABLE,
            "The database schema is not at this version's migration head.",
            extensions={"database": "not_migrated"},
        )
    return respond(Ready(status="ready", database="ok", schema_revision=str(revision)))


RESOURCE = Resource(
    name="health",
    description="Liveness and database reachability.",
    operations=(
        Operation(
            method="GET",
            path="/health",
            handler=health,
            operation_id="health",
            summary="Service and database health",
            description="200 when the database answers; 503 (problem+json) when it does not.",
            responses={200: ("Healthy.", Health)},
            problems={503: "The database is not reachable."},
            problem_models={503: DatabaseProblem},
            authenticated=False,
        ),
        Operation(
            method="GET",
            path="/ready",
            handler=ready,
            operation_id="ready",
            summary="Readiness: database reachable and migrated",
            description=(
                "200 when the database answers and its schema is at this version's Alembic "
                "head; 503 (problem+json, `database`: unavailable or not_migrated) otherwise."
            ),
            responses={200: ("Ready.", Ready)},
            problems={503: "The database is not reachable or not migrated."},
            problem_models={503: NotReadyProblem},
            authenticated=False,
        ),
    ),
)
