"""``connectors.ops.OpsInput``: health, readiness and metrics of the Rasa process.

Not a conversation channel: it only adds three routes at the server's root, open without
auth so that load balancers and Prometheus can reach them (keep them off the public proxy;
deploy/docker/nginx.conf does):

- ``GET /health``: 200 ``{"status": "ok"}`` while the process serves requests (liveness);
- ``GET /ready``: 200 when the model is loaded and the tracker store and the lock store each
  answered a read within ``ready_timeout`` seconds; otherwise 503 with the reason;
- ``GET /metrics``: Prometheus metrics (``bot.metrics``, ``common.structured_logs``, and
  the client's process metrics).

It also switches the process to JSON log lines at start-up (``common.structured_logs``;
``LOG_FORMAT=text`` keeps Rasa's own format): a start-up hook runs after Rasa and Sanic have
set up their logging, which ``rasa run --logging-config-file`` cannot override. Once the
agent is loaded, a second hook makes tracker store failures fail the turn (and ``/ready``)
instead of Rasa answering from an empty in-memory conversation (``bot/store_failures.py``).

``credentials.yml``::

    connectors.ops.OpsInput:
      ready_timeout: 2
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import REGISTRY
from prometheus_client.exposition import choose_encoder
from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

import bot.metrics  # noqa: F401  (registers the metrics served here, used or not yet)
from bot.store_failures import use_primary_tracker_store
from common import structured_logs

logger = logging.getLogger(__name__)

PROBE_CONVERSATION = "__readiness_probe__"
DEFAULT_READY_TIMEOUT = 2.0
OK = "ok"


@dataclass(frozen=True)
class Readiness:
    checks: dict[str, str] = field(default_factory=dict)

    @property
    def ready(self) -> bool:
        return bool(self.checks) and all(value == OK for value in self.checks.values())

    @property
    def reason(self) -> str | None:
        failed = [f"{name}: {value}" for name, value in self.checks.items() if value != OK]
        return "; ".join(failed) or None

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"status": "ready" if self.ready else "unavailable",
                                "checks": self.checks}
        if not self.ready:
            body["reason"] = self.reason
        return body


def _ask_stores(tracker_store: Any, lock_store: Any) -> dict[str, str]:
    """One read from each store (blocking: runs on the probe's own thread)."""
    checks: dict[str, str] = {}
    try:
        asyncio.run(tracker_store.retrieve(PROBE_CONVERSATION))
        checks["tracker_store"] = OK
    except Exception as error:
        logger.warning("readiness: tracker store failed: %s: %s", type(error).__name__,
                       str(error)[:200])
        checks["tracker_store"] = f"failed ({type(error).__name__})"
    try:
        lock_store.get_lock(PROBE_CONVERSATION)
        checks["lock_store"] = OK
    except Exception as error:
        logger.warning("readiness: lock store failed: %s: %s", type(error).__name__,
                       str(error)[:200])
        checks["lock_store"] = f"failed ({type(error).__name__})"
    return checks


class ReadinessProbe:
    """Checks an agent. The stores are asked on one dedicated thread with a deadline, so a
    hanging database neither blocks the event loop nor fills the default thread pool; while a
    check still hangs, the next ones answer 'unavailable' at once."""

    def __init__(self, timeout: float = DEFAULT_READY_TIMEOUT) -> None:
        self._timeout = timeout
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ready-probe")
        self._pending: Future[dict[str, str]] | None = None

    async def check(self, agent: Any) -> Readiness:
        if agent is None or not agent.is_ready():
            return Readiness({"model": "not loaded"})
        if self._pending is not None and not self._pending.done():
            return Readiness({"model": OK, "stores": "the previous check has not answered"})
        self._pending = self._executor.submit(_ask_stores, agent.tracker_store,
                                              agent.lock_store)
        try:
            checks = await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(self._pending)),
                                            self._timeout)
        except asyncio.TimeoutError:
            return Readiness({"model": OK, "stores": f"no answer in {self._timeout:g} s"})
        return Readiness({"model": OK, **checks})

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


async def metrics_response(request: Request) -> HTTPResponse:
    encoder, content_type = choose_encoder(request.headers.get("accept", ""))
    return response.raw(encoder(REGISTRY), content_type=content_type)


class _RootBlueprint(Blueprint):
    """Registers its routes at the server's root (/health), not under /webhooks/ops/."""

    def register(self, app: Sanic, options: dict[str, Any]) -> None:
        super().register(app, {**options, "url_prefix": None})  # type: ignore[no-untyped-call]


class OpsInput(InputChannel):
    @classmethod
    def name(cls) -> str:
        return "ops"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> OpsInput:
        credentials = credentials or {}
        timeout = float(credentials.get("ready_timeout", DEFAULT_READY_TIMEOUT))
        if not 0 < timeout <= 30:
            raise ValueError("ops: ready_timeout must be between 0 and 30 seconds")
        return cls(ReadinessProbe(timeout))

    def __init__(self, probe: ReadinessProbe | None = None, json_logs: bool | None = None,
                 service: str = "rasa") -> None:
        self._probe = probe or ReadinessProbe()
        self._json_logs = structured_logs.json_logs_enabled() if json_logs is None \
            else json_logs
        self._service = service

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = _RootBlueprint("ops", __name__)
        probe = self._probe

        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        async def ready(request: Request) -> HTTPResponse:
            readiness = await probe.check(getattr(request.app.ctx, "agent", None))
            return response.json(readiness.body(), status=200 if readiness.ready else 503)

        async def start(_: Sanic, __: Any) -> None:
            if self._json_logs:
                structured_logs.install(self._service)

        async def stop(_: Sanic, __: Any) -> None:
            probe.close()

        blueprint.add_route(health, "/health", methods=["GET"], name="ops_health")
        blueprint.add_route(ready, "/ready", methods=["GET"], name="ops_ready")
        blueprint.add_route(metrics_response, "/metrics", methods=["GET"], name="ops_metrics")
        async def agent_loaded(app: Sanic, __: Any) -> None:
            # Tracker store failures fail the turn (and this readiness) instead of Rasa's
            # silent fallback to an empty in-memory conversation (bot/store_failures.py).
            use_primary_tracker_store(getattr(app.ctx, "agent", None))

        blueprint.listener(start, "before_server_start")
        blueprint.listener(agent_loaded, "after_server_start")
        blueprint.listener(stop, "after_server_stop")
        return blueprint
