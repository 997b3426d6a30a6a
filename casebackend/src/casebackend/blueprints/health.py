"""GET /health: is the service up and its database reachable (for load balancers; no auth)."""

from __future__ import annotations

import asyncio
import logging

from sanic import HTTPResponse
from sqlalchemy import text

from casebackend.blueprints.common import respond
from casebackend.context import CaseRequest
from casebackend.problems import SERVICE_UNAVAILABLE, problem_response
from casebackend.routing import Operation, Resource
from casebackend.schemas import DatabaseProblem, Health

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
    ),
)
