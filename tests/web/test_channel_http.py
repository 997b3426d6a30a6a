"""The channel on a real server, over plain HTTP: origins outside the allow-list refused at the
socket.io handshake, the widget's files, settings and demo pages served (the demo only if
configured)."""

from __future__ import annotations

import aiohttp
import pytest
import socketio

from .harness import SOCKETIO_PATH, FakeBot, client, config, run, serving


async def _handshake(url: str, origin: str | None) -> int:
    headers = {"Origin": origin} if origin else {}
    async with aiohttp.ClientSession() as session, session.get(
            f"{url}{SOCKETIO_PATH}/?EIO=4&transport=polling", headers=headers) as reply:
        return reply.status


def test_pages_from_origins_outside_the_allow_list_are_refused_with_403() -> None:
    async def test() -> None:
        async with serving(config(), FakeBot()) as url:
            assert await _handshake(url, "https://evil.example") == 403
            assert await _handshake(url, "https://www.example.se.evil.example") == 403
            assert await _handshake(url, "https://www.example.se") == 200
            assert await _handshake(url, url) == 200  # the server's own demo page
            assert await _handshake(url, None) == 200  # not a browser page
            sio = socketio.AsyncClient(reconnection=False)
            with pytest.raises(socketio.exceptions.ConnectionError, match="403"):
                await sio.connect(url, socketio_path=SOCKETIO_PATH, transports=["polling"],
                                  headers={"Origin": "https://evil.example"}, wait_timeout=5)
            async with client(url, headers={"Origin": "https://www.example.se"}) as allowed:
                await allowed.start_session()
    run(test)


def test_the_widget_files_settings_and_demo_are_served() -> None:
    async def test() -> None:
        async with serving(config(demo_pages=True), FakeBot()) as url, \
                aiohttp.ClientSession() as http:
            base = f"{url}/webhooks/webchat"
            async with http.get(f"{base}/widget.js") as reply:
                assert reply.status == 200
                assert reply.headers["Content-Type"].startswith("text/javascript")
                assert "MinaSidorChat" in await reply.text()
            async with http.get(f"{base}/widget.css") as reply:
                assert reply.status == 200 and reply.headers["Content-Type"].startswith("text/css")
            async with http.get(f"{base}/config.json") as reply:
                settings = await reply.json()
                assert settings["socketio_path"] == SOCKETIO_PATH
                assert settings["texts"]["sv"]["send"] == "Skicka"
                assert settings["texts"]["en"]["send"] == "Send"
                assert {"code": "en", "name": "English"} in settings["languages"]
            async with http.get(f"{base}/demo/") as reply:
                assert reply.status == 200
                assert "default-src 'self'" in reply.headers["Content-Security-Policy"]
                assert '<script src="../widget.js"' in await reply.text()
            async with http.get(f"{base}/demo/texts.json") as reply:
                assert (await reply.json())["en"]["login_button"] == "Log in"
            async with http.get(f"{base}/../bot/credentials.yml") as reply:
                assert reply.status == 404
    run(test)


def test_the_demo_is_not_served_unless_configured() -> None:
    async def test() -> None:
        async with serving(config(), FakeBot()) as url, aiohttp.ClientSession() as http, \
                http.get(f"{url}/webhooks/webchat/demo/") as reply:
            assert reply.status == 404
    run(test)
