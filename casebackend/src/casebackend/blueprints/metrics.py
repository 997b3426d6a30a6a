"""GET /metrics: Prometheus metrics of this process (for the scraper; no auth, keep it off the
public network)."""

from __future__ import annotations

from sanic import HTTPResponse
from sanic.response import raw

from casebackend.context import CaseRequest
from casebackend.routing import Operation, Resource
from casebackend.schemas import MetricsText


async def metrics(request: CaseRequest) -> HTTPResponse:
    body, content_type = request.app.ctx.metrics.exposition(request.headers.get("accept", ""))
    return raw(body, content_type=content_type)


RESOURCE = Resource(
    name="metrics",
    description="Prometheus metrics.",
    operations=(
        Operation(
            method="GET",
            path="/metrics",
            handler=metrics,
            operation_id="metrics",
            summary="Prometheus metrics",
            description=(
                "Requests by operation, method and status (casebackend_requests_total), their "
                "duration (casebackend_request_seconds) and the process's own metrics."
            ),
            responses={200: ("The metrics.", MetricsText)},
            authenticated=False,
            media_type="text/plain",
        ),
    ),
)
