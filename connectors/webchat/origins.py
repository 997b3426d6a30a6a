"""Which web pages may open a chat connection: the allow-list plus the server's own pages.

Browsers send ``Origin`` on every socket.io request (polling and the WebSocket upgrade,
where CORS does not apply), so checking it stops other sites from driving a visitor's chat.
A request without ``Origin`` is not from a browser page (a server-side client) and is let
through: such a client can forge any header, so refusing it would protect nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


class OriginPolicy:
    def __init__(self, allowed: Iterable[str]) -> None:
        self._allowed = frozenset(origin.lower().rstrip("/") for origin in allowed)

    def allows(self, origin: str | None, environ: Mapping[str, Any] | None = None) -> bool:
        if not origin:
            return True
        origin = origin.lower().rstrip("/")
        if origin in self._allowed:
            return True
        # The demo pages and widget served by this same server: Host is set by the browser.
        if environ is not None:
            scheme = str(environ.get("wsgi.url_scheme", "http"))
            host = str(environ.get("HTTP_HOST", "")).lower()
            return bool(host) and origin == f"{scheme}://{host}"
        return False

    def __call__(self, origin: str | None, environ: Mapping[str, Any] | None = None) -> bool:
        """engine.io calls this (``cors_allowed_origins``) for every request."""
        return self.allows(origin, environ)
