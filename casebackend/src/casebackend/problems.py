"""Errors as RFC 9457 problem details (application/problem+json), for every failure.

Handlers raise `Problem`; everything else (Sanic's own errors, bugs) is mapped by
`ProblemErrorHandler`. Details are written here or by the raiser, never copied from an exception
message or the request, so no stack trace, SQL or personnummer can reach a response.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sanic import HTTPResponse, Request, json
from sanic.exceptions import (
    BadRequest,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    RequestTimeout,
    SanicException,
)
from sanic.handlers import ErrorHandler

PROBLEM_CONTENT_TYPE = "application/problem+json"
# Relative URIs: resolved against the service's own address (RFC 9457 section 3.1.1).
PROBLEM_BASE = "/problems/"

log = logging.getLogger("casebackend.errors")


@dataclass(frozen=True)
class ProblemKind:
    slug: str
    title: str
    status: int

    @property
    def type_uri(self) -> str:
        return PROBLEM_BASE + self.slug


MALFORMED_REQUEST = ProblemKind("malformed-request", "Malformed request", 400)
INVALID_HEADER = ProblemKind("invalid-header", "Missing or invalid header", 400)
UNAUTHORIZED = ProblemKind("unauthorized", "Missing or invalid credentials", 401)
FORBIDDEN = ProblemKind("forbidden", "Not allowed", 403)
PROTECTED_IDENTITY = ProblemKind(
    "protected-identity", "Not available on this channel for a person with protected identity", 403
)
NOT_REPRESENTATIVE = ProblemKind("not-representative", "Not a representative of that person", 403)
NOT_FOUND = ProblemKind("not-found", "Not found", 404)
PERSON_NOT_FOUND = ProblemKind("person-not-found", "Person not found", 404)
METHOD_NOT_ALLOWED = ProblemKind("method-not-allowed", "Method not allowed", 405)
REQUEST_TIMEOUT = ProblemKind("request-timeout", "Request timeout", 408)
IDEMPOTENCY_CONFLICT = ProblemKind(
    "idempotency-key-reused", "Idempotency key already used for another order", 409
)
PAYLOAD_TOO_LARGE = ProblemKind("payload-too-large", "Request too large", 413)
UNSUPPORTED_MEDIA_TYPE = ProblemKind("unsupported-media-type", "Unsupported media type", 415)
VALIDATION_ERROR = ProblemKind("validation-error", "Invalid request", 422)
INTERNAL_ERROR = ProblemKind("internal-error", "Internal error", 500)
SERVICE_UNAVAILABLE = ProblemKind("service-unavailable", "Service unavailable", 503)

ALL_KINDS: tuple[ProblemKind, ...] = (
    MALFORMED_REQUEST,
    INVALID_HEADER,
    UNAUTHORIZED,
    FORBIDDEN,
    PROTECTED_IDENTITY,
    NOT_REPRESENTATIVE,
    NOT_FOUND,
    PERSON_NOT_FOUND,
    METHOD_NOT_ALLOWED,
    REQUEST_TIMEOUT,
    IDEMPOTENCY_CONFLICT,
    PAYLOAD_TOO_LARGE,
    UNSUPPORTED_MEDIA_TYPE,
    VALIDATION_ERROR,
    INTERNAL_ERROR,
    SERVICE_UNAVAILABLE,
)


class Problem(Exception):
    """Raised by handlers to answer with a problem document."""

    def __init__(
        self,
        kind: ProblemKind,
        detail: str,
        *,
        headers: Mapping[str, str] | None = None,
        extensions: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(kind.slug)
        self.kind = kind
        self.detail = detail
        self.headers = dict(headers or {})
        self.extensions = dict(extensions or {})


def problem_response(
    kind: ProblemKind,
    detail: str,
    *,
    headers: Mapping[str, str] | None = None,
    extensions: Mapping[str, Any] | None = None,
) -> HTTPResponse:
    body: dict[str, Any] = {
        "type": kind.type_uri,
        "title": kind.title,
        "status": kind.status,
        "detail": detail,
    }
    body.update(extensions or {})
    return json(
        body, status=kind.status, headers=dict(headers or {}), content_type=PROBLEM_CONTENT_TYPE
    )


def _for_sanic_exception(exception: SanicException) -> tuple[ProblemKind, str]:
    # Sanic's messages can quote the URL, so each gets a fixed detail of ours.
    if isinstance(exception, PayloadTooLarge):
        return PAYLOAD_TOO_LARGE, "The request is larger than the service accepts (64 KiB)."
    if isinstance(exception, NotFound):
        return NOT_FOUND, "There is no such resource."
    if isinstance(exception, MethodNotAllowed):
        return METHOD_NOT_ALLOWED, "This resource does not support that method."
    if isinstance(exception, RequestTimeout):
        return REQUEST_TIMEOUT, "The request was not received in time."
    if isinstance(exception, BadRequest):
        return MALFORMED_REQUEST, "The request could not be read."
    status = exception.status_code
    if 400 <= status < 500:
        return ProblemKind("client-error", "Client error", status), "The request was not accepted."
    return INTERNAL_ERROR, "The service failed to handle the request."


class ProblemErrorHandler(ErrorHandler):
    def default(self, request: Request, exception: Exception) -> HTTPResponse:
        self.log(request, exception)
        if isinstance(exception, Problem):
            return problem_response(
                exception.kind,
                exception.detail,
                headers=exception.headers,
                extensions=exception.extensions,
            )
        if isinstance(exception, SanicException):
            kind, detail = _for_sanic_exception(exception)
            headers: dict[str, str] = {}
            if isinstance(exception, MethodNotAllowed) and exception.allowed_methods:
                headers["Allow"] = ", ".join(sorted(exception.allowed_methods))
            return problem_response(kind, detail, headers=headers)
        return problem_response(INTERNAL_ERROR, "The service failed to handle the request.")

    @staticmethod
    def log(request: Request, exception: Exception) -> None:
        # Client errors are expected traffic (the access log has them); only failures get a trace.
        if isinstance(exception, Problem | SanicException):
            status = (
                exception.kind.status if isinstance(exception, Problem) else exception.status_code
            )
            if status < 500:
                return
        route = getattr(request, "route", None)
        log.error(
            "unhandled error on %s %s",
            getattr(request, "method", "?"),
            route.name if route else "(no route)",
            exc_info=exception,
        )
