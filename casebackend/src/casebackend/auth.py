"""The service token: every /v1 route needs `Authorization: Bearer <token>`."""

from __future__ import annotations

import hmac

from casebackend.context import CaseRequest
from casebackend.problems import UNAUTHORIZED, Problem

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="casebackend"'}


async def require_service_token(request: CaseRequest) -> None:
    """Blueprint request middleware: refuse before any handler or query runs."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    expected = request.app.ctx.settings.service_token
    # compare_digest takes as long for a near miss as for a wild guess: no timing oracle.
    valid = scheme.lower() == "bearer" and hmac.compare_digest(
        token.strip().encode(), expected.encode()
    )
    if not valid:
        detail = (
            "Authorization: Bearer <service token> is required."
            if not header
            else "The service token is not valid."
        )
        raise Problem(UNAUTHORIZED, detail, headers=_CHALLENGE)
