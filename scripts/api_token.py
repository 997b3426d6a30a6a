"""Prints a short-lived JWT for Rasa's HTTP API, signed with the server's secret.

    TOKEN=$(.venv/bin/python scripts/api_token.py)        # admin, 15 minutes
    curl -s localhost:5005/status -H "Authorization: Bearer $TOKEN"

The secret is RASA_JWT_SECRET, else the file RASA_JWT_SECRET_FILE, else var/rasa-jwt-secret
(made by `make run`). ``--role user --username <conversation id>`` gives a token that reaches
only that conversation's endpoints (Rasa's own rule). Every token carries ``iat`` and ``exp``,
at most an hour apart: the launcher's Rasa refuses a token without them or with a longer
lifetime (bot/api_tokens.py).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import jwt

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.api_tokens import MAX_TOKEN_LIFETIME_SECONDS  # noqa: E402  (needs ROOT on the path)

DEFAULT_SECRET_FILE = ROOT / "var" / "rasa-jwt-secret"


def secret_from(environ: Mapping[str, str]) -> str:
    if environ.get("RASA_JWT_SECRET"):
        return environ["RASA_JWT_SECRET"].strip()
    path = Path(environ.get("RASA_JWT_SECRET_FILE") or DEFAULT_SECRET_FILE)
    return path.read_text().strip()


def make_token(secret: str, username: str, role: str, minutes: float,
               now: float | None = None) -> str:
    if not 0 < minutes * 60 <= MAX_TOKEN_LIFETIME_SECONDS:
        raise ValueError(f"a token lives at most {MAX_TOKEN_LIFETIME_SECONDS // 60} minutes")
    issued = int(time.time() if now is None else now)
    payload = {"user": {"username": username, "role": role}, "iat": issued,
               "exp": issued + int(minutes * 60)}
    return jwt.encode(payload, secret, algorithm="HS256")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--username", default="operator")
    parser.add_argument("--role", choices=("admin", "user"), default="admin")
    parser.add_argument("--minutes", type=float, default=15.0)
    args = parser.parse_args()
    try:
        secret = secret_from(os.environ)
    except OSError as error:
        print(f"api_token: no secret ({error}); run `make run` once or set RASA_JWT_SECRET",
              file=sys.stderr)
        return 2
    try:
        print(make_token(secret, args.username, args.role, args.minutes))
    except ValueError as error:
        print(f"api_token: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
