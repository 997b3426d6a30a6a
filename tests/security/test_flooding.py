"""Attack: flood the assistant so that real people get no answer.

Sessions cost nothing (the web chat's limits were per session, so a script making new
sessions from one address was never limited), REST had no limit at all (and rotating the
``sender`` would defeat a per-sender one), nginx had no ``limit_req``, and the Redis-backed
limiter let everything through when Redis was down. Each flood must be cut off, by the
real server, with 429 and ``Retry-After`` (or the channel's rate_limited error), and with
Redis unreachable the limiter must refuse instead of letting the flood in."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from prometheus_client import REGISTRY
from rasa.core.channels.channel import UserMessage
from sanic import Sanic, response
from sanic.request import Request

from common.shared_state import RedisHandle, SharedState
from connectors.base.ratelimit import RateLimit, RedisRateLimiter
from connectors.rest.channel import RedactingRestInput
from connectors.rest.limits import DEFAULT_GLOBAL, RestLimits
from deploy.balancer import BalancerLayout, render_config
from tests.ports import free_port
from tests.web.harness import FakeBot, client, config, refusal, serving

Sanic.test_mode = True


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


# ---- web chat: new sessions and connections per client address ----

def test_new_sessions_from_one_address_are_cut_off() -> None:
    async def test() -> None:
        cfg = config(new_sessions_per_address={"messages": 1, "per_seconds": 60, "burst": 5})
        async with serving(cfg, FakeBot()) as url, client(url) as tab:
            for _ in range(5):
                await tab.start_session()
            await tab.sio.emit("session_request", {})
            error = await tab.next("webchat_error")
            assert error["code"] == "rate_limited" and error["retry_after"] > 0
            assert await tab.nothing("session_confirm")
    run(test())


def test_new_connections_from_one_address_are_refused_even_with_rotating_forwarded_for(
        ) -> None:
    async def test() -> None:
        # The test client's peer (127.0.0.1) is no proxy here: its X-Forwarded-For is its own.
        cfg = config(new_sessions_per_address={"messages": 1, "per_seconds": 60, "burst": 3},
                     trusted_proxies=[])
        async with serving(cfg, FakeBot()) as url:
            for n in range(3):
                async with client(url, headers={"X-Forwarded-For": f"10.0.0.{n}"}):
                    pass
            refused = await refusal(url, headers={"X-Forwarded-For": "10.0.0.99"})
            assert refused["message"] == "rate_limited"
    run(test())


def test_behind_a_trusted_proxy_the_forwarded_address_is_limited() -> None:
    async def test() -> None:
        cfg = config(new_sessions_per_address={"messages": 1, "per_seconds": 60, "burst": 2})
        async with serving(cfg, FakeBot()) as url:
            flood = {"X-Forwarded-For": "198.51.100.7"}
            for _ in range(2):
                async with client(url, headers=flood):
                    pass
            assert (await refusal(url, headers=flood))["message"] == "rate_limited"
            # Someone else behind the same proxy is not affected.
            async with client(url, headers={"X-Forwarded-For": "198.51.100.8"}) as other:
                await other.start_session()
    run(test())


# ---- REST: per sender and over all senders ----

@asynccontextmanager
async def rest_server(channel: RedactingRestInput) -> AsyncIterator[str]:
    async def bot(message: UserMessage) -> None:
        await message.output_channel.send_text_message(message.sender_id, "ok")

    app = Sanic(f"rest_flood_{uuid.uuid4().hex[:8]}")
    app.blueprint(channel.blueprint(bot), url_prefix="/webhooks/rest")
    port = free_port()
    server: Any = await app.create_server(host="127.0.0.1", port=port, access_log=False,
                                          return_asyncio_server=True)
    await server.startup()
    try:
        yield f"http://127.0.0.1:{port}/webhooks/rest/webhook"
    finally:
        server.close()
        await server.wait_closed()


async def post_all(url: str, senders: list[str]) -> list[tuple[int, str | None]]:
    async with aiohttp.ClientSession() as session:
        async def post(sender: str) -> tuple[int, str | None]:
            async with session.post(url, json={"sender": sender, "message": "hej"}) as reply:
                return reply.status, reply.headers.get("Retry-After")
        return [await post(sender) for sender in senders]


def test_a_flood_over_rotating_senders_meets_the_global_limit() -> None:
    limits = RestLimits.make(overall=RateLimit(messages=1, per_seconds=60, burst=30))
    senders = [f"flood-{n}" for n in range(60)]

    async def test() -> list[tuple[int, str | None]]:
        async with rest_server(RedactingRestInput(limits=limits)) as url:
            return await post_all(url, senders)

    replies = run(test())
    assert [status for status, _ in replies[:30]] == [200] * 30
    assert {status for status, _ in replies[30:]} == {429}
    assert all(retry is not None and int(retry) >= 1 for _, retry in replies[30:])


def test_one_sender_flooding_is_cut_off_and_others_still_get_answers() -> None:
    async def test() -> list[tuple[int, str | None]]:
        async with rest_server(RedactingRestInput()) as url:  # the defaults: 5/s, burst 20
            return await post_all(url, ["flood"] * 40 + ["someone-else"])

    replies = run(test())
    statuses = [status for status, _ in replies]
    assert statuses[:20] == [200] * 20
    assert statuses[-1] == 200  # another sender
    assert statuses[20:-1].count(429) >= 10  # a few may pass as the bucket refills


def test_the_global_default_leaves_room_for_many_parallel_conversations() -> None:
    # The conversation corpus plays dozens of conversations at once against one process.
    assert DEFAULT_GLOBAL.capacity >= 200 and DEFAULT_GLOBAL.refill_per_second >= 50


def test_rest_limits_come_from_credentials() -> None:
    channel = RedactingRestInput.from_credentials({
        "per_sender_rate_limit": {"messages": 1, "per_seconds": 60, "burst": 2}})

    async def test() -> list[tuple[int, str | None]]:
        async with rest_server(channel) as url:
            return await post_all(url, ["one"] * 3)

    assert [status for status, _ in run(test())] == [200, 200, 429]
    with pytest.raises(ValueError, match="global_rate_limit"):
        RedactingRestInput.from_credentials({"global_rate_limit": {"messages": 0,
                                                                   "per_seconds": 1}})


# ---- Redis unreachable: refuse, do not let everything through ----

def closed_port_handle() -> RedisHandle:
    return RedisHandle(SharedState(f"redis://127.0.0.1:{free_port()}/0", "flood-test:"))


def test_the_redis_limiter_refuses_when_redis_is_unreachable() -> None:
    before = REGISTRY.get_sample_value("assistant_rate_limit_unavailable_total",
                                       {"limiter": "webchat"}) or 0.0
    limiter = RedisRateLimiter(closed_port_handle(), RateLimit(messages=100, per_seconds=1))
    decision = run(limiter.take("anyone"))
    assert not decision.allowed and decision.unavailable and decision.retry_after > 0
    assert REGISTRY.get_sample_value("assistant_rate_limit_unavailable_total",
                                     {"limiter": "webchat"}) == before + 1


def test_rest_answers_503_when_its_shared_limit_cannot_be_checked() -> None:
    limits = RestLimits.make(handle=closed_port_handle())

    async def test() -> list[tuple[int, str | None]]:
        channel = RedactingRestInput(limits=limits)
        async with rest_server(channel) as url:
            return await post_all(url, ["a", "b"])

    replies = run(test())
    assert [status for status, _ in replies] == [503, 503]
    assert all(retry is not None for _, retry in replies)


# ---- nginx: a flood from one address is cut off before the replicas ----

@pytest.fixture
def upstream() -> Any:
    """A stand-in replica that answers every request (the flood's target)."""
    app = Sanic(f"upstream_{uuid.uuid4().hex[:8]}")

    @app.route("/<path:path>", methods=["GET", "POST"])
    async def anything(_: Request, path: str) -> Any:
        return response.json({"ok": path})

    return app


def test_nginx_cuts_off_a_flood_from_one_address(upstream: Sanic) -> None:
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists()
                                      else None)
    if nginx is None:
        pytest.fail("nginx is not installed: `make setup` installs it")
    replica, port = free_port(), free_port()
    layout = BalancerLayout(host="127.0.0.1", assistant_port=port, actions_port=free_port(),
                            backends_port=free_port(), replicas=(replica,),
                            action_servers=(replica,), backends=(replica,),
                            webhook_rate_per_second=2, webhook_burst=10,
                            socketio_rate_per_second=2, socketio_burst=10)
    prefix = Path(tempfile.mkdtemp(prefix="flood-nginx-"))
    for part in ("logs", "temp"):
        (prefix / part).mkdir()
    (prefix / "nginx.conf").write_text(render_config(layout))
    user = None
    if os.geteuid() == 0:  # nginx's workers must not run as root
        user = "nobody"
        for path in (prefix, prefix / "logs", prefix / "temp"):
            shutil.chown(path, user)
    process = subprocess.Popen([nginx, "-p", f"{prefix}/", "-c", str(prefix / "nginx.conf"),
                                "-e", str(prefix / "logs" / "error.log"),
                                "-g", f"daemon off; pid {prefix / 'nginx.pid'};"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               user=user)

    async def flood() -> tuple[list[int], list[int]]:
        server: Any = await upstream.create_server(host="127.0.0.1", port=replica,
                                                   access_log=False,
                                                   return_asyncio_server=True)
        await server.startup()
        try:
            base = f"http://127.0.0.1:{port}"
            async with aiohttp.ClientSession() as session:
                for _ in range(100):  # until nginx listens
                    try:
                        async with session.get(base + "/webhooks/rest/"):
                            break
                    except aiohttp.ClientError:
                        await asyncio.sleep(0.1)
                await asyncio.sleep(6)  # the probe's tokens back

                async def hit(path: str) -> int:
                    async with session.post(base + path, json={"sender": "x"}) as reply:
                        return reply.status
                webhooks = await asyncio.gather(*(hit("/webhooks/rest/webhook")
                                                  for _ in range(60)))
                socket = await asyncio.gather(*(hit("/webhooks/webchat/socket.io/")
                                                for _ in range(60)))
                return list(webhooks), list(socket)
        finally:
            server.close()
            await server.wait_closed()

    try:
        webhooks, socket = run(flood())
    finally:
        process.terminate()
        process.wait(timeout=30)
        shutil.rmtree(prefix, ignore_errors=True)
    for statuses in (webhooks, socket):
        assert 10 <= statuses.count(200) <= 14, statuses  # the burst, and a refill or two
        assert statuses.count(429) >= 45, statuses
