"""Turning request bodies, query strings and headers into validated models, or into problems.

Validation messages name the field and the rule, never the rejected value: a mistyped personnummer
must not come back in a response (or a log that records responses).
"""

from __future__ import annotations

import re
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from casebackend.context import CaseRequest
from casebackend.problems import (
    MALFORMED_REQUEST,
    UNSUPPORTED_MEDIA_TYPE,
    VALIDATION_ERROR,
    Problem,
)

M = TypeVar("M", bound=BaseModel)

_MAX_REPORTED_ERRORS = 5
# Field names the caller made up are echoed only if they look like names (a number never does).
_NAME_LIKE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,40}")


def describe(error: ValidationError) -> str:
    parts = []
    for item in error.errors(include_input=False, include_url=False)[:_MAX_REPORTED_ERRORS]:
        where = ".".join(_location_part(part) for part in item["loc"]) or "body"
        parts.append(f"{where}: {_message(item['type'], item['msg'])}")
    return "; ".join(parts)


def _location_part(part: str | int) -> str:
    if isinstance(part, int) or _NAME_LIKE.fullmatch(part):
        return str(part)
    return "(unnamed field)"


def _message(error_type: str, message: str) -> str:
    # Pydantic's own wording, except where it would be misleading for an API caller.
    if error_type == "extra_forbidden":
        return "unknown field"
    if error_type == "missing":
        return "required"
    if error_type == "string_pattern_mismatch":
        return "has characters or a length that are not allowed"
    return message


def parse_json_body(request: CaseRequest, model: type[M]) -> M:
    content_type = request.headers.get("content-type", "")
    if content_type.split(";")[0].strip().lower() != "application/json":
        raise Problem(
            UNSUPPORTED_MEDIA_TYPE, "The body must be JSON (Content-Type: application/json)."
        )
    try:
        return model.model_validate_json(request.body or b"")
    except ValidationError as error:
        if any(item["type"] == "json_invalid" for item in error.errors()):
            raise Problem(MALFORMED_REQUEST, "The body is not valid JSON.") from None
        if any(item["type"] == "model_type" and not item["loc"] for item in error.errors()):
            raise Problem(VALIDATION_ERROR, "The body must be a JSON object.") from None
        raise Problem(VALIDATION_ERROR, describe(error)) from None


def parse_query(request: CaseRequest, model: type[M]) -> M:
    values: dict[str, str] = {}
    for name, given in request.get_args(keep_blank_values=True).items():
        if len(given) != 1:
            raise Problem(VALIDATION_ERROR, f"{_location_part(name)}: given more than once")
        values[name] = given[0]
    try:
        return model.model_validate(values)
    except ValidationError as error:
        raise Problem(VALIDATION_ERROR, describe(error)) from None
