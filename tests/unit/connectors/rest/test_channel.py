"""The redacting REST channel's request checks; a bad request is also posted to its webhook."""

from __future__ import annotations

import asyncio
import json
import socket
import uuid
from typing import Any

import aiohttp
import pytest
from rasa.core.channels.channel import UserMessage
from sanic import Sanic

from connectors.rest.channel import RedactingRestInput

SENDER = "sender must be a non-empty string of at most 200 characters"
MESSAGE_ID = "message_id must be a non-empty string of at most 100 characters"


@pytest.mark.parametrize(("body", "reason"), [
    (None, "the body must be a JSON object"),
    ([1, 2], "the body must be a JSON object"),
    ({"message": "hej"}, SENDER),
    ({"sender": "", "message": "hej"}, SENDER),
    ({"sender": "s" * 201, "message": "hej"}, SENDER),
    ({"sender": "a", "message": 5}, "message must be a string"),
    ({"sender": "a", "message": "x" * 101}, "message is longer than 100 characters"),
    ({"sender": "a", "message": "hej", "metadata": "x"}, "metadata must be an object"),
    ({"sender": "a", "message": "hej", "message_id": ""}, MESSAGE_ID),
    ({"sender": "a", "message": "hej", "message_id": 7}, MESSAGE_ID),
    ({"sender": "a", "message": "hej", "message_id": "m" * 101}, MESSAGE_ID),
])
def test_bad_requests_get_a_reason(body: Any, reason: str) -> None:
    """Posted to the channel's webhook on a real server: a 400 with this reason, and the
    message reaches nothing."""
    received: list[UserMessage] = []

    async def on_new_message(message: UserMessage) -> None:
        received.append(message)

    async def main() -> tuple[int, Any]:
        Sanic.test_mode = True
        app = Sanic(f"rest_{uuid.uuid4().hex[:8]}")
        app.blueprint(RedactingRestInput(max_message_chars=100).blueprint(on_new_message),
                      url_prefix="/webhooks/rest")
        port = _free_port()
        server: Any = await app.create_server(host="127.0.0.1", port=port,
                                              return_asyncio_server=True, access_log=False)
        await server.startup()
        try:
            async with aiohttp.ClientSession() as session, session.post(
                    f"http://127.0.0.1:{port}/webhooks/rest/webhook",
                    data=json.dumps(body), headers={"Content-Type": "application/json"},
            ) as reply:
                return reply.status, await reply.json()
        finally:
            server.close()
            await server.wait_closed()

    assert asyncio.run(main()) == (400, {"error": reason})
    assert received == []


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("body", [
    {"sender": "a", "message": "hej"},
    {"sender": "a", "message": "", "metadata": {"language": "en"}},
    {"sender": "a", "message": "x" * 100},
    {"sender": "a", "message": "hej", "message_id": "3f2a9c1e-7d4b-4e0a-9a51-0c2f6b8e1d77"},
])
def test_good_requests_pass(body: Any) -> None:
    assert RedactingRestInput(max_message_chars=100)._problem(body) is None


def test_configuration_is_checked() -> None:
    with pytest.raises(ValueError, match="max_message_chars"):
        RedactingRestInput.from_credentials({"max_message_chars": 0})
