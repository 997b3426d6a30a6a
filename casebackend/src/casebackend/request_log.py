"""One access-log line per request: method, path, status, time. Never a body, never a query
string, and anything shaped like a personnummer in the path is masked."""

from __future__ import annotations

import logging
import re

log = logging.getLogger("casebackend.access")

# 10 or 12 digits, optionally split by '-' or '+': the shapes a personnummer is written in.
_PERSONNUMMER_LIKE = re.compile(r"(?<![0-9])(?:[0-9]{2})?[0-9]{6}[-+]?[0-9]{4}(?![0-9])")
REDACTED = "[redacted]"


def redact(text: str) -> str:
    return _PERSONNUMMER_LIKE.sub(REDACTED, text)


def log_request(method: str, path: str, status: int, duration_ms: float) -> None:
    log.info("%s %s %d %.1fms", method, redact(path), status, duration_ms)
