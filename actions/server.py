"""``python -m actions.server --port 5055``: the action server as it runs in production.

rasa_sdk's own app (``rasa_sdk.endpoint.create_app``: ``POST /webhook``, ``GET /health``,
``GET /actions``) plus:

- ``GET /ready``: 200 when the actions are registered and the configuration they need is
  there (the case backend's service token, a valid identity-vault key, a known identity
  provider); 503 with the reasons otherwise. The case backend being down does not make the
  action server unready: the actions answer with an apology and the support line then, and
  the other actions (identification, logging out) still work;
- ``GET /metrics``: Prometheus metrics (``actions.metrics``);
- JSON log lines with personal data scrubbed (``common.structured_logs``;
  ``LOG_FORMAT=text`` for the usual format), and no access log;
- errors answered with a plain 500: rasa_sdk's handler would echo the request body (the
  tracker, with what people wrote) back to Rasa, which logs it.

No CORS (only Rasa calls it), no auto-reload, no debug mode, loopback unless ``--host``.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Mapping
from typing import Any

from common.warning_filters import quiet_third_party_deprecations

# Before the dependencies are imported: they warn while loading.
quiet_third_party_deprecations()

from cryptography.fernet import Fernet  # noqa: E402
from prometheus_client import REGISTRY  # noqa: E402
from prometheus_client.exposition import choose_encoder  # noqa: E402
from rasa_sdk.executor import ActionExecutor  # noqa: E402
from sanic import Sanic, response  # noqa: E402
from sanic.exceptions import SanicException  # noqa: E402
from sanic.request import Request  # noqa: E402
from sanic.response import HTTPResponse  # noqa: E402

from actions.identity_assertion import AssertionKeyError, signing_key  # noqa: E402
from actions.personal_action import default_backend  # noqa: E402
from common import structured_logs  # noqa: E402
from common.production_mode import (  # noqa: E402
    ProductionModeError,
    action_server_refusals,
)
from common.service_credentials import ACTIONS_TOKEN_ENV, ASSERTION_KEY_ENV  # noqa: E402

logger = logging.getLogger(__name__)

DEFAULT_PORT = 5055
IDENTITY_PROVIDERS = frozenset({"simulator", "bankid"})


def configuration_problems(environ: Mapping[str, str]) -> list[str]:
    """What the actions need from the environment and do not have (no values, only names)."""
    problems = []
    if not environ.get(ACTIONS_TOKEN_ENV, "").strip():
        problems.append(f"{ACTIONS_TOKEN_ENV} is not set")
    if not environ.get(ASSERTION_KEY_ENV, "").strip():
        problems.append(f"{ASSERTION_KEY_ENV} is not set")
    else:
        try:
            signing_key(environ[ASSERTION_KEY_ENV])
        except AssertionKeyError:
            problems.append(f"{ASSERTION_KEY_ENV} is not an Ed25519 private key")
    key = environ.get("IDENTITY_VAULT_KEY", "")
    if not key:
        problems.append("IDENTITY_VAULT_KEY is not set")
    else:
        try:
            Fernet(key.encode())
        except (ValueError, TypeError):
            problems.append("IDENTITY_VAULT_KEY is not a Fernet key")
    if environ.get("IDENTITY_PROVIDER", "simulator") not in IDENTITY_PROVIDERS:
        problems.append("IDENTITY_PROVIDER must be simulator or bankid")
    return problems


def registered_actions(package: str) -> list[str]:
    quiet = logging.getLogger("rasa_sdk.executor")  # rasa_sdk's app has logged them already
    level = quiet.level
    quiet.setLevel(logging.WARNING)
    try:
        executor = ActionExecutor()
        executor.register_package(package)
    finally:
        quiet.setLevel(level)
    return sorted(executor.actions)


def create_app(package: str = "actions", environ: Mapping[str, str] | None = None) -> Sanic:
    environ = os.environ if environ is None else environ
    # Imported here, not at the top: it imports sanic_cors, whose import-time warning should
    # come after main() has switched the logs to JSON.
    from rasa_sdk.endpoint import create_app as create_sdk_app

    app: Sanic = create_sdk_app(package, cors_origins=None)
    actions = registered_actions(package)
    problems = configuration_problems(environ)
    if not actions:
        problems.append(f"no actions registered from {package!r}")
    for problem in problems:
        logger.error("action server not ready: %s", problem)

    async def ready(_: Request) -> HTTPResponse:
        if problems:
            return response.json({"status": "unavailable", "reason": "; ".join(problems)},
                                 status=503)
        return response.json({"status": "ready", "actions": len(actions)})

    async def metrics(request: Request) -> HTTPResponse:
        encoder, content_type = choose_encoder(request.headers.get("accept", ""))
        return response.raw(encoder(REGISTRY), content_type=content_type)

    async def failed(request: Request, exception: Exception) -> HTTPResponse:
        if isinstance(exception, SanicException):  # 404, 405 ... stay what they are
            return response.json({"error": str(exception)}, status=exception.status_code)
        logger.error("action request failed: %s", type(exception).__name__,
                     exc_info=exception)
        return response.json({"error": "the action server failed"}, status=500)

    async def close_backend(*_: Any) -> None:
        # The shared client's connection pool, closed while the loop still runs (left to the
        # garbage collector, aiohttp complains on every stop).
        await default_backend().close()

    app.add_route(ready, "/ready", methods=["GET"], name="ready")
    app.add_route(metrics, "/metrics", methods=["GET"], name="metrics")
    app.register_listener(close_backend, "after_server_stop")
    app.error_handler.add(Exception, failed)  # replaces rasa_sdk's handler
    return app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=os.environ.get("ACTIONS_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int,
                        default=int(os.environ.get("ACTIONS_PORT", DEFAULT_PORT)))
    parser.add_argument("--actions", default="actions", help="the actions package")
    args = parser.parse_args(argv)
    try:
        refusals = action_server_refusals(os.environ)
    except ProductionModeError as error:
        refusals = [str(error)]
    if refusals:
        print("\n".join(f"action server: {refusal}" for refusal in refusals), file=sys.stderr)
        return 2
    if structured_logs.json_logs_enabled():
        structured_logs.install("actions")
    else:
        logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO"),
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_app(args.actions)
    logger.info("action server on %s:%d", args.host, args.port)
    run: Any = app.run  # Sanic 21.12's run is untyped
    run(host=args.host, port=args.port, workers=1, debug=False, auto_reload=False,
        access_log=False, motd=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
