"""One channel per "replica": each on its own Sanic server in this process, on a free port,
with its own fake Rasa; what they share is only the Redis given to them."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sanic import Blueprint, Sanic

from tests.ports import free_port


@asynccontextmanager
async def replica(blueprint: Blueprint, url_prefix: str) -> AsyncIterator[str]:
    """Serves ``blueprint`` until the block ends, with its start and stop listeners run."""
    Sanic.test_mode = True  # several apps in one process, as tests/web/harness.py
    app = Sanic(f"replica_{uuid.uuid4().hex[:8]}")
    app.blueprint(blueprint, url_prefix=url_prefix)
    port = free_port()
    # Sanic's AsyncioServer has no type hints.
    server: Any = await app.create_server(host="127.0.0.1", port=port, access_log=False,
                                          return_asyncio_server=True)
    assert server is not None
    await server.startup()
    await server.before_start()
    await server.after_start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await server.before_stop()
        closing = server.close()
        if closing is not None:
            await closing
        await server.after_stop()
