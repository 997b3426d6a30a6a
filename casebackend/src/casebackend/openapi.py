"""The OpenAPI 3.1 document, generated from the declared operations and their pydantic models.

The same function feeds GET /openapi.json and scripts/export_openapi.py (the committed file); a
test checks that the two agree and that every route of the app is described.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from casebackend.problems import PROBLEM_CONTENT_TYPE
from casebackend.routing import Operation, Resource
from casebackend.schemas import REF_PATTERN, ProblemDetails

API_VERSION = "1.0.0"
SCHEMA_REF = "#/components/schemas/{model}"
SECURITY_SCHEME = "serviceToken"

_SANIC_PARAM = re.compile(r"<(\w+)(?::[^>]*)?>")

_PATH_PARAMETERS: dict[str, dict[str, Any]] = {
    "ref": {
        "name": "ref",
        "in": "path",
        "required": True,
        "description": "The person's ref (from POST /v1/person-lookups).",
        "schema": {"type": "string", "pattern": REF_PATTERN},
    }
}

_DESCRIPTION = """\
Cases, payments and orders of persons known to Försäkringskassan's Mina sidor, for the Mina sidor
assistant. Every /v1 call needs `Authorization: Bearer <token>`, the calling client's own token,
which opens only that client's routes. Calls about a person carry `X-Identity-Assertion`: a JWT the
action server signs (EdDSA) naming the person (which must equal the ref in the path), the channel
and whether it is the logged-in web chat, bound to the one request and valid for at most a minute.
Errors are `application/problem+json` (RFC 9457) with a `type`
relative to this service, such as `/problems/protected-identity`. Bodies are limited to 64 KiB.
"""


def openapi_path(sanic_path: str) -> str:
    """`/v1/persons/<ref>` -> `/v1/persons/{ref}`."""
    return _SANIC_PARAM.sub(r"{\1}", sanic_path)


def build_document(resources: Sequence[Resource]) -> dict[str, Any]:
    operations = [operation for resource in resources for operation in resource.operations]
    paths: dict[str, dict[str, Any]] = {}
    for resource in resources:
        for operation in resource.operations:
            path_item = paths.setdefault(openapi_path(operation.path), {})
            path_item[operation.method.lower()] = _operation(resource.name, operation)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Mina sidor case backend",
            "version": API_VERSION,
            "description": _DESCRIPTION,
        },
        "tags": [
            {"name": resource.name, "description": resource.description} for resource in resources
        ],
        "paths": paths,
        "components": {
            "schemas": _schemas(operations),
            "securitySchemes": {
                SECURITY_SCHEME: {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "The caller's own token: CASEBACKEND_ACTIONS_TOKEN (the "
                    "action server) or CASEBACKEND_LOOKUP_TOKEN (the web chat, lookups only).",
                }
            },
        },
    }


def render(document: dict[str, Any]) -> str:
    """The committed file's exact text."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": SCHEMA_REF.format(model=model.__name__)}


def _operation(tag: str, operation: Operation) -> dict[str, Any]:
    document: dict[str, Any] = {
        "operationId": operation.operation_id,
        "summary": operation.summary,
        "description": operation.description,
        "tags": [tag],
        "security": [{SECURITY_SCHEME: []}] if operation.authenticated else [],
    }
    parameters = _parameters(operation)
    if parameters:
        document["parameters"] = parameters
    if operation.body is not None:
        document["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _ref(operation.body)}},
        }
    responses: dict[str, Any] = {}
    for status, (description, model) in sorted(operation.responses.items()):
        responses[str(status)] = {
            "description": description,
            "content": {operation.media_type: {"schema": _ref(model)}},
        }
    problems = dict(operation.problems)
    if operation.body is not None:
        problems.setdefault(413, "The body is larger than 64 KiB.")
    problems.setdefault(500, "The service failed; the problem document has no internals.")
    for status, description in sorted(problems.items()):
        model = operation.problem_models.get(status, ProblemDetails)
        responses[str(status)] = {
            "description": description,
            "content": {PROBLEM_CONTENT_TYPE: {"schema": _ref(model)}},
        }
    document["responses"] = responses
    return document


def _parameters(operation: Operation) -> list[dict[str, Any]]:
    parameters = [_PATH_PARAMETERS[name] for name in _SANIC_PARAM.findall(operation.path)]
    if operation.query is not None:
        schema = operation.query.model_json_schema(by_alias=True, ref_template=SCHEMA_REF)
        required = set(schema.get("required", []))
        for name, property_schema in schema["properties"].items():
            parameter: dict[str, Any] = {
                "name": name,
                "in": "query",
                "required": name in required,
                "schema": _query_schema(property_schema),
            }
            if "description" in property_schema:
                parameter["description"] = property_schema["description"]
            parameters.append(parameter)
    for header in operation.headers:
        parameters.append(
            {
                "name": header.name,
                "in": "header",
                "required": header.required,
                "description": header.description,
                "schema": dict(header.schema),
            }
        )
    return parameters


def _query_schema(property_schema: dict[str, Any]) -> dict[str, Any]:
    # An absent query parameter is how "none" is said: the model's `| None` is not a value.
    schema = {
        key: value
        for key, value in property_schema.items()
        if key not in ("title", "description") and not (key == "default" and value is None)
    }
    options = schema.get("anyOf")
    if isinstance(options, list):
        present = [option for option in options if option != {"type": "null"}]
        if len(present) == 1:
            del schema["anyOf"]
            schema.update(present[0])
    return schema


def _schemas(operations: Sequence[Operation]) -> dict[str, Any]:
    models: dict[type[BaseModel], JsonSchemaMode] = {ProblemDetails: "serialization"}
    for operation in operations:
        if operation.body is not None:
            models[operation.body] = "validation"
        for _, model in operation.responses.values():
            models[model] = "serialization"
        for model in operation.problem_models.values():
            models[model] = "serialization"
    ordered = sorted(models.items(), key=lambda item: item[0].__name__)
    _, definitions = models_json_schema(ordered, ref_template=SCHEMA_REF)
    schemas: dict[str, Any] = definitions.get("$defs", {})
    return dict(sorted(schemas.items()))
