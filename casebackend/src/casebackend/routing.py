"""Operations: each route declared once, with what the OpenAPI document needs to describe it.

A resource module lists its operations; `blueprint_for` turns them into a Sanic blueprint and
`casebackend.openapi` into the document, so the two cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel
from sanic import Blueprint, HTTPResponse

from casebackend.auth import require_scope
from casebackend.clients import Scope

Handler = Callable[..., Coroutine[Any, Any, HTTPResponse]]


@dataclass(frozen=True)
class HeaderParam:
    name: str
    description: str
    required: bool
    schema: Mapping[str, Any]


@dataclass(frozen=True)
class Operation:
    method: Literal["GET", "POST"]
    path: str  # Sanic syntax: /v1/persons/<ref>/cases
    handler: Handler
    operation_id: str
    summary: str
    description: str
    # status -> (description, body model); problems: status -> description
    responses: Mapping[int, tuple[str, type[BaseModel]]]
    problems: Mapping[int, str] = field(default_factory=dict)
    # A problem status whose document has extension members, e.g. 503 on /health.
    problem_models: Mapping[int, type[BaseModel]] = field(default_factory=dict)
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    headers: tuple[HeaderParam, ...] = ()
    authenticated: bool = True
    # What the caller's token must open (casebackend.clients); one per resource.
    scope: Scope = "person:read"
    # The media type of the success responses (problems are always problem+json).
    media_type: str = "application/json"


@dataclass(frozen=True)
class Resource:
    name: str
    description: str
    operations: tuple[Operation, ...]


def blueprint_for(resource: Resource) -> Blueprint:
    blueprint = Blueprint(resource.name)
    for operation in resource.operations:
        blueprint.add_route(
            operation.handler,
            operation.path,
            methods=[operation.method],
            name=operation.operation_id,
        )
    if any(operation.authenticated for operation in resource.operations):
        if not all(operation.authenticated for operation in resource.operations):
            raise ValueError(f"{resource.name}: mixes public and authenticated operations")
        scopes = {operation.scope for operation in resource.operations}
        if len(scopes) != 1:
            raise ValueError(f"{resource.name}: operations need different scopes")
        blueprint.on_request(require_scope(scopes.pop()))
    return blueprint
