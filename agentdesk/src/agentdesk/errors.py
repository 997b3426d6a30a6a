"""Errors as `{"error": "..."}` JSON, for every failure.

Handlers raise `Refusal`; everything else (Sanic's own errors, bugs) is mapped by
`DeskErrorHandler`. Messages are written here or by the raiser, never copied from an exception or
the request, so no stack trace, SQL or personal data can reach a response.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
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

log = logging.getLogger("agentdesk.errors")


class Refusal(Exception):
    """An answer other than success: status, a short error and optional extra fields."""

    def __init__(
        self,
        status: int,
        error: str,
        *,
        headers: Mapping[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(error)
        self.status = status
        self.error = error
        self.headers = dict(headers or {})
        self.extra = extra

    def response(self) -> HTTPResponse:
        return json({"error": self.error, **self.extra}, status=self.status, headers=self.headers)


def bad_request(reason: str) -> Refusal:
    return Refusal(400, reason)


_SANIC_ERRORS: tuple[tuple[type[SanicException], int, str], ...] = (
    (PayloadTooLarge, 413, "request too large"),
    (NotFound, 404, "not found"),
    (MethodNotAllowed, 405, "method not allowed"),
    (RequestTimeout, 408, "request timeout"),
    (BadRequest, 400, "malformed request"),
)


class DeskErrorHandler(ErrorHandler):
    def default(self, request: Request, exception: Exception) -> HTTPResponse:
        if isinstance(exception, Refusal):
            return exception.response()
        for kind, status, error in _SANIC_ERRORS:
            if isinstance(exception, kind):
                return json({"error": error}, status=status)
        if isinstance(exception, SanicException) and 400 <= exception.status_code < 500:
            return json({"error": "bad request"}, status=exception.status_code)
        # The type only: an exception's message may hold request data.
        log.error("unhandled %s on %s %s", type(exception).__name__, request.method, request.path)
        return json({"error": "internal error"}, status=500)
