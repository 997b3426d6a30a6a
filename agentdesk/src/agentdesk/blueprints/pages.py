"""The staff web app: plain files from agentdesk/static, and the health check."""

from __future__ import annotations

from pathlib import Path

from sanic import Blueprint, HTTPResponse, file, json

from agentdesk.context import DeskRequest
from agentdesk.errors import Refusal

STATIC = Path(__file__).resolve().parents[1] / "static"
FILES = {
    "app.js": "text/javascript; charset=utf-8",
    "app.css": "text/css; charset=utf-8",
    "i18n.js": "text/javascript; charset=utf-8",
}
# The page loads only its own files and talks only to its own origin.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

bp = Blueprint("pages")


@bp.get("/")
async def index(request: DeskRequest) -> HTTPResponse:
    return await file(
        STATIC / "index.html", mime_type="text/html; charset=utf-8", headers=SECURITY_HEADERS
    )


@bp.get("/static/<name:str>")
async def static_file(request: DeskRequest, name: str) -> HTTPResponse:
    if name not in FILES:
        raise Refusal(404, "not found")
    return await file(STATIC / name, mime_type=FILES[name], headers=SECURITY_HEADERS)


@bp.get("/health")
async def health(request: DeskRequest) -> HTTPResponse:
    return json({"status": "ok"})
