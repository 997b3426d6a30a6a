"""Client tokens: every /v1 route needs `Authorization: Bearer <token>`, and each caller's token
opens only the routes that caller needs.

- the action server (CASEBACKEND_ACTIONS_TOKEN): lookups, a person's own data, orders;
- the web chat in Rasa's process (CASEBACKEND_LOOKUP_TOKEN): lookups only.

An unknown token is 401; a known token on a route outside its scope is 403. The notifier's token
(ASSISTANT_NOTICES_TOKEN) goes the other way, to the assistant, and opens nothing here.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable

from casebackend.clients import Client, Scope
from casebackend.context import CaseRequest
from casebackend.problems import FORBIDDEN, UNAUTHORIZED, Problem

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="casebackend"'}


def client_for(header: str, clients: tuple[Client, ...]) -> Client | None:
    scheme, _, token = header.partition(" ")
    presented = token.strip().encode()
    found = None
    for client in clients:
        # Every token compared, each in constant time: no timing oracle for any of them.
        if hmac.compare_digest(presented, client.token):
            found = client
    return found if scheme.lower() == "bearer" and presented else None


def require_scope(scope: Scope) -> Callable[[CaseRequest], Awaitable[None]]:
    """Blueprint request middleware: refuse before any handler or query runs."""

    async def check(request: CaseRequest) -> None:
        header = request.headers.get("authorization", "")
        client = client_for(header, request.app.ctx.clients)
        if client is None:
            detail = (
                "Authorization: Bearer <client token> is required."
                if not header
                else "The token is not valid."
            )
            raise Problem(UNAUTHORIZED, detail, headers=_CHALLENGE)
        if scope not in client.scopes:
            raise Problem(FORBIDDEN, "This client's token does not open this route.")

    return check
