"""`rasa run` with the production flags: the HTTP API off unless asked for (then behind a
JWT), no debug mode, CORS only for the pages that may embed the web chat.

    python scripts/rasa_server.py --model models/current.tar.gz \\
        --endpoints bot/endpoints.yml --credentials bot/credentials.yml --port 5005
    RASA_JWT_SECRET=... python scripts/rasa_server.py --api ...   # with the HTTP API

- The HTTP API (``/status``, ``/conversations/...``, ``/model``) is off by default: the
  replicas that face the internet are reached only through their channels. ``--api`` turns
  it on with ``--jwt-secret``/``--jwt-method HS256``: every call needs ``Authorization:
  Bearer <JWT>`` signed with the secret, with ``exp`` and ``iat`` at most an hour apart
  (``bot/api_tokens.py``; ``scripts/api_token.py`` makes one). The secret comes from
  ``RASA_JWT_SECRET`` or the file named by ``RASA_JWT_SECRET_FILE``, and is handed to Rasa
  inside this process, never on a command line (``ps`` would show it). ``--no-api`` (the
  default) is still accepted.
- ``--cors`` lists exactly the web chat's ``allowed_origins`` from the credentials file, none
  when there are none (the demo page is same-origin): no wildcard. The socket.io endpoint
  checks the origin itself as well (connectors/webchat/origins.py).
- Only the ``rasa run`` options in ``PASSED_THROUGH``, spelled out in full (``--port 5005``
  or ``--port=5005``), pass through. Everything else is refused: ``--debug``, ``-vv``,
  ``--auth-token`` (a token in the query string), ``--cors``, the JWT and API options that
  this launcher sets, the log options that would write lines past the scrubbing filter, and
  any abbreviation (Rasa's argparse takes ``--deb`` for ``--debug``) or cluster of short
  options (``-qt`` is ``-q -t``).
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
# `rasa run` 3.6 options that may be given here, by their exact names; each takes a value
# unless it is in PASSED_FLAGS.
PASSED_THROUGH = frozenset({
    "--model", "-m", "--endpoints", "--interface", "-i", "--port", "-p",
    "--response-timeout", "--request-timeout", "--remote-storage", "--connector",
    "--ssl-certificate", "--ssl-keyfile", "--ssl-ca-file", "--verbose", "-v", "--quiet",
    "--help", "-h"})
PASSED_FLAGS = frozenset({"--verbose", "-v", "--quiet", "--help", "-h"})


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


def refused_option(argument: str) -> str | None:
    """Why an argument may not be passed to Rasa, or None. A value (not starting with '-')
    passes; an option must be one of ``PASSED_THROUGH`` exactly, with or without
    ``=value``."""
    if not argument.startswith("-") or argument == "-":
        return None
    name = argument.split("=", 1)[0]
    if name in PASSED_THROUGH and not (name in PASSED_FLAGS and "=" in argument):
        return None
    return f"{name} is not allowed here (options are spelled out in full; see the docstring)"


def _own_arguments() -> argparse.ArgumentParser:
    # No abbreviations: '--cred' must not be taken for '--credentials' here and then reach
    # Rasa as something else.
    parser = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    parser.add_argument("--credentials", default="bot/credentials.yml")
    api = parser.add_mutually_exclusive_group()
    api.add_argument("--api", action="store_true")
    api.add_argument("--no-api", action="store_true")
    return parser


def rasa_arguments(passed: Sequence[str], environ: Mapping[str, str]) -> list[str]:
    """``rasa run`` arguments (without the program name) for what was passed here."""
    try:
        known, rest = _own_arguments().parse_known_args(list(passed))
    except SystemExit as error:  # argparse's own message is on stderr already
        raise LaunchError("bad arguments for this launcher") from error
    try:
        refusals = rasa_refusals(environ)
    except ProductionModeError as error:
        refusals = [str(error)]
    if refusals:
        raise LaunchError("; ".join(refusals))
    for argument in rest:  # values as well: '--port --deb' is '--deb' to Rasa
        reason = refused_option(argument)
        if reason is not None:
            raise LaunchError(reason)
    arguments = ["run", *rest, "--credentials", known.credentials]
    if known.api:
        # One token, "--jwt-secret=…": a secret that begins with "-" (token_urlsafe makes one in
        # 64) would otherwise be read by argparse as an option, and Rasa would not start.
        arguments += ["--enable-api", f"--jwt-secret={jwt_secret(environ)}",
                      "--jwt-method", "HS256"]
    origins = cors_origins(Path(known.credentials))
    if origins:
        arguments += ["--cors", *origins]
    return arguments


def prepare_rasa() -> None:
    """What this process changes in Rasa before it starts: only expiring API tokens, and our
    JSON logs instead of its coloredlogs set-up."""
    import rasa.server
    import rasa.utils.io

    from bot.api_tokens import accept_only_bounded_tokens

    accept_only_bounded_tokens(rasa.server)
    if structured_logs.json_logs_enabled():
        rasa.utils.io.configure_colored_logging = lambda _: structured_logs.install("rasa")


def main() -> None:
    try:
        arguments = rasa_arguments(sys.argv[1:], os.environ)
    except (LaunchError, OSError) as error:
        sys.exit(f"rasa_server: {error}")
    quiet_third_party_deprecations()  # before Rasa's dependencies load and warn
    if structured_logs.json_logs_enabled():
        structured_logs.install("rasa")
    import rasa.__main__

    prepare_rasa()
    sys.argv = ["rasa", *arguments]  # in-process: /proc/<pid>/cmdline keeps our own argv
    rasa.__main__.main()


if __name__ == "__main__":
    main()
