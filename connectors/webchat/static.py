"""What the channel serves over plain HTTP, so `rasa run` needs no other web server:

- ``widget.js``, ``widget.css``: the widget (web/src/), embedded with one <script> tag;
- ``vendor/socket.io.min.js``: the socket.io browser client from npm (web/node_modules,
  installed by scripts/setup-web.sh), loaded by the widget when the page has none;
- ``config.json``: the widget's settings and texts in every catalog language;
- ``demo/``: the demo Mina sidor page, only with ``demo_pages: true``.

Only the files named here are served (no path from the request reaches the file system).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.i18n import Catalogs
from connectors.webchat.config import WebChatConfig
from connectors.webchat.widget_texts import (
    DEMO_TEXTS,
    WIDGET_TEXTS,
    language_name,
    translated,
)

WEB_DIR = Path(__file__).resolve().parents[2] / "web"
JS = "text/javascript; charset=utf-8"
CSS = "text/css; charset=utf-8"
HTML = "text/html; charset=utf-8"

# The demo page may run only its own scripts and talk only to this server.
DEMO_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'none'; "
            "form-action 'self'")


@dataclass(frozen=True)
class Asset:
    path: Path
    content_type: str


def widget_assets(web_dir: Path) -> dict[str, Asset]:
    return {
        "widget.js": Asset(web_dir / "src" / "widget.js", JS),
        "widget.css": Asset(web_dir / "src" / "widget.css", CSS),
        "vendor/socket.io.min.js": Asset(
            web_dir / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js", JS),
    }


def demo_assets(web_dir: Path) -> dict[str, Asset]:
    return {
        "demo/": Asset(web_dir / "demo" / "index.html", HTML),
        "demo/demo.js": Asset(web_dir / "demo" / "demo.js", JS),
        "demo/demo.css": Asset(web_dir / "demo" / "demo.css", CSS),
    }


def widget_settings(config: WebChatConfig, catalogs: Catalogs) -> dict[str, Any]:
    return {
        "socketio_path": config.socketio_path,
        "max_message_chars": config.max_message_chars,
        "session_persistence": config.session_persistence,
        "test_login": config.test_login,
        "languages": [{"code": code, "name": language_name(code)}
                      for code in sorted(catalogs.languages())],
        "texts": translated(WIDGET_TEXTS, catalogs),
    }


def _serve(asset: Asset, extra_headers: dict[str, str] | None = None) -> Any:
    async def handler(_: Request) -> HTTPResponse:
        if not asset.path.is_file():
            # Only the npm-installed client can be missing: say how to get it.
            return response.json({"error": f"{asset.path.name} is not installed; run "
                                           "scripts/setup-web.sh"}, status=503)
        return await response.file(asset.path, mime_type=asset.content_type, headers={
            "X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache",
            **(extra_headers or {})})
    return handler


def add_routes(blueprint: Blueprint, config: WebChatConfig, catalogs: Catalogs,
               web_dir: Path = WEB_DIR) -> None:
    settings = widget_settings(config, catalogs)
    demo_texts = translated(DEMO_TEXTS, catalogs)

    async def config_json(_: Request) -> HTTPResponse:
        return response.json(settings, headers={"Cache-Control": "no-cache"})

    blueprint.add_route(config_json, "/config.json", methods=["GET"], name="webchat_config")
    for route, asset in widget_assets(web_dir).items():
        blueprint.add_route(_serve(asset), f"/{route}", methods=["GET"],
                            name="webchat_" + route.replace("/", "_").replace(".", "_"))
    if not config.demo_pages:
        return

    async def demo_texts_json(_: Request) -> HTTPResponse:
        return response.json(demo_texts, headers={"Cache-Control": "no-cache"})

    async def demo_redirect(_: Request) -> HTTPResponse:
        return response.redirect("demo/")

    blueprint.add_route(demo_texts_json, "/demo/texts.json", methods=["GET"],
                        name="webchat_demo_texts")
    blueprint.add_route(demo_redirect, "/demo", methods=["GET"], name="webchat_demo_redirect",
                        strict_slashes=True)
    for route, asset in demo_assets(web_dir).items():
        blueprint.add_route(_serve(asset, {"Content-Security-Policy": DEMO_CSP,
                                           "Referrer-Policy": "no-referrer"}),
                            f"/{route}", methods=["GET"], strict_slashes=True,
                            name="webchat_" + route.replace("/", "_").replace(".", "_"))
