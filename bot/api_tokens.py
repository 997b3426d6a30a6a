"""Which JWTs Rasa's HTTP API accepts: signed, and expiring within a bounded lifetime.

Rasa 3.6 checks the signature through sanic-jwt, and ``exp`` only if the token has one: a
token made by hand without ``exp`` is valid for ever, and one with ``exp`` years ahead is
nearly so. ``accept_only_bounded_tokens`` makes ``rasa.server.create_app`` hand sanic-jwt
one more check (its ``extra_verifications``): ``exp`` and ``iat`` present, and at most
``MAX_TOKEN_LIFETIME_SECONDS`` between them and between now and ``exp``. A token that fails
it gets 401, like a forged one. ``scripts/api_token.py`` makes tokens that pass it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any

MAX_TOKEN_LIFETIME_SECONDS = 3600
# sanic-jwt's default leeway for exp and iat; a clock a little ahead is not a long token.
CLOCK_SKEW_SECONDS = 60


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def bounded_lifetime(payload: Mapping[str, Any],
                     clock: Callable[[], float] = time.time) -> bool:
    """Whether the token's claims say it expires soon enough (the signature is checked by
    sanic-jwt before this, an ``exp`` in the past too)."""
    expires, issued = _number(payload.get("exp")), _number(payload.get("iat"))
    if expires is None or issued is None:
        return False
    limit = MAX_TOKEN_LIFETIME_SECONDS + CLOCK_SKEW_SECONDS
    return expires - issued <= MAX_TOKEN_LIFETIME_SECONDS and expires - clock() <= limit


class _KnownKeyNotice(logging.Filter):
    """sanic-jwt takes ``extra_verifications`` (and uses it: tests/security/test_api_tokens.py)
    but also logs it as "not valid" among its configuration keys: a warning on every start
    that is not true, so it is dropped; every other sanic-jwt line stays."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "'extra_verifications'" not in record.getMessage()


def accept_only_bounded_tokens(server: ModuleType) -> None:
    """Makes ``server.create_app`` (``rasa.server``) initialise sanic-jwt with the check;
    idempotent. Call it before Rasa creates its app (``scripts/rasa_server.py`` does)."""
    original = server.Initialize
    if getattr(original, "bounded_tokens", False):
        return

    def initialize(app: Any, *args: Any, **kwargs: Any) -> Any:
        checks = list(kwargs.pop("extra_verifications", None) or [])
        return original(app, *args, extra_verifications=[*checks, bounded_lifetime],
                        **kwargs)

    initialize.bounded_tokens = True  # type: ignore[attr-defined]
    logging.getLogger("sanic_jwt.configuration").addFilter(_KnownKeyNotice())
    server.Initialize = initialize  # type: ignore[attr-defined]
