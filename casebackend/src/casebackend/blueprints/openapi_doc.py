"""GET /openapi.json: this service's OpenAPI document (no auth: it holds no data)."""

from __future__ import annotations

from typing import Any

from pydantic import RootModel
from sanic import HTTPResponse, json

from casebackend.context import CaseRequest
from casebackend.routing import Operation, Resource


class OpenApiDocument(RootModel[dict[str, Any]]):
    """An OpenAPI 3.1 document."""


async def openapi_json(request: CaseRequest) -> HTTPResponse:
    return json(request.app.ctx.openapi_document)


RESOURCE = Resource(
    name="openapi",
    description="This document.",
    operations=(
        Operation(
            method="GET",
            path="/openapi.json",
            handler=openapi_json,
            operation_id="openapi",
            summary="The OpenAPI document of this service",
            description="The same document as the committed casebackend/openapi.json.",
            responses={200: ("The document.", OpenApiDocument)},
            authenticated=False,
        ),
    ),
)
