"""The assistant's token on every /v1 route: `Authorization: Bearer <AGENTDESK_ASSISTANT_TOKEN>`."""

from __future__ import annotations

import hmac

from agentdesk.context import DeskRequest
from agentdesk.errors import Refusal

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="agentdesk"'}


def bearer_matches(header: str, token: bytes) -> bool:
    scheme, _, presented = header.partition(" ")
    # Constant time, whatever the presented token's content.
    same = hmac.compare_digest(presented.strip().encode(), token)
    return scheme.lower() == "bearer" and same


async def require_assistant(request: DeskRequest) -> None:
    """Blueprint request middleware: refuse before any handler or query runs."""
    header = request.headers.get("authorization", "")
    if not header:
        raise Refusal(
            401, "Authorization: Bearer <assistant token> is required", headers=_CHALLENGE
        )
    if not bearer_matches(header, request.app.ctx.settings.assistant_token):
        raise Refusal(401, "the token is not valid", headers=_CHALLENGE)
