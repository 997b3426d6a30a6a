"""`rasa run` with the production flags: the HTTP API behind a JWT, no debug mode, CORS only
for the pages that may embed the web chat.

    RASA_JWT_SECRET=... python scripts/rasa_server.py --model models/current.tar.gz \\
        --endpoints bot/endpoints.yml --credentials bot/credentials.yml --port 5005

- The HTTP API (``/status``, ``/conversations/...``, ``/model``) is on with
  ``--jwt-secret``/``--jwt-method HS256``: every call needs ``Authorization: Bearer <JWT>``
  signed with the secret (``scripts/api_token.py`` makes one). The secret comes from
  ``RASA_JWT_SECRET`` or the file named by ``RASA_JWT_SECRET_FILE``, and is handed to Rasa
  inside this process, never on a command line (``ps`` would show it). ``--no-api`` leaves
  the API off altogether.
- ``--cors`` lists exactly the web chat's ``allowed_origins`` from the credentials file, none
  when there are none (the demo page is same-origin): no wildcard. The socket.io endpoint
  checks the origin itself as well (connectors/webchat/origins.py).
- ``--debug``, ``-vv``, ``--auth-token`` (a token in the query string) and ``--cors`` are
  refused; other ``rasa run`` options pass through.
- Log lines are JSON from the first one (``common.structured_logs``; ``LOG_FORMAT=text``
  for Rasa's own format): Rasa's coloredlogs set-up, which would replace any handler given
  with ``--logging-config-file``, is replaced by ours; ``connectors.ops`` re-asserts it once
  Sanic has set up its loggers.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from common import structured_logs  # noqa: E402  (needs ROOT on the path)
from common.production_mode import ProductionModeError, rasa_refusals  # noqa: E402
from common.warning_filters import quiet_third_party_deprecations  # noqa: E402

WEBCHAT_KEY = "connectors.webchat.WebChatInput"
MIN_SECRET_CHARS = 32
REFUSED = ("--debug", "-vv", "--auth-token", "-t", "--cors", "--jwt-secret")


class LaunchError(ValueError):
    """The command cannot start Rasa safely; the message says why."""


def jwt_secret(environ: Mapping[str, str]) -> str:
    secret = environ.get("RASA_JWT_SECRET", "").strip()
    if not secret and environ.get("RASA_JWT_SECRET_FILE"):
        secret = Path(environ["RASA_JWT_SECRET_FILE"]).read_text().strip()
    if len(secret) < MIN_SECRET_CHARS:
        raise LaunchError(f"RASA_JWT_SECRET (or RASA_JWT_SECRET_FILE) must hold a secret of "
                          f"at least {MIN_SECRET_CHARS} characters")
    return secret


def cors_origins(credentials_file: Path) -> list[str]:
    """The web chat's allowed_origins: the only other pages that call this server."""
    credentials = yaml.safe_load(credentials_file.read_text()) or {}
    block = credentials.get(WEBCHAT_KEY) or {}
    origins = block.get("allowed_origins") or []
    if not isinstance(origins, list) or "*" in origins:
        raise LaunchError(f"{WEBCHAT_KEY}.allowed_origins must be a list of origins")
    return [str(origin) for origin in origins]


def rasa_arguments(passed: Sequence[str], environ: Mapping[str, str]) -> list[str]:
    """``rasa run`` arguments (without the program name) for what was passed here."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--credentials", default="bot/credentials.yml")
    parser.add_argument("--no-api", action="store_true")
    known, rest = parser.parse_known_args(list(passed))
    try:
        refusals = rasa_refusals(environ)
    except ProductionModeError as error:
        refusals = [str(error)]
    if refusals:
        raise LaunchError("; ".join(refusals))
    for argument in rest:
        if argument.split("=", 1)[0] in REFUSED:
            raise LaunchError(f"{argument.split('=', 1)[0]} is not allowed here")
    arguments = ["run", *rest, "--credentials", known.credentials]
    if not known.no_api:
        arguments += ["--enable-api", "--jwt-secret", jwt_secret(environ),
                      "--jwt-method", "HS256"]
    origins = cors_origins(Path(known.credentials))
    if origins:
        arguments += ["--cors", *origins]
    return arguments


def main() -> None:
    try:
        arguments = rasa_arguments(sys.argv[1:], os.environ)
    except (LaunchError, OSError) as error:
        sys.exit(f"rasa_server: {error}")
    quiet_third_party_deprecations()  # before Rasa's dependencies load and warn
    if structured_logs.json_logs_enabled():
        structured_logs.install("rasa")
    import rasa.__main__
    import rasa.utils.io

    if structured_logs.json_logs_enabled():
        rasa.utils.io.configure_colored_logging = lambda _: structured_logs.install("rasa")
    sys.argv = ["rasa", *arguments]  # in-process: /proc/<pid>/cmdline keeps our own argv
    rasa.__main__.main()


if __name__ == "__main__":
    main()
