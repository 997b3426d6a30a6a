"""The process's log output: one JSON object per line on stdout, personal data scrubbed.

Fields: `ts` (UTC, ISO 8601), `level`, `service` ("casebackend"), `logger`, `message`, and
`exc_type`/`exc` for an exception, `redacted: true` when something was scrubbed.
`LOG_FORMAT=text` gives the plain format instead; `LOG_LEVEL` sets the level (INFO).

The access log masks personnummer-like paths already (request_log); the filter here is the last
line of defence for every record: anything shaped like a personnummer (10 or 12 digits) or a
phone number is replaced by `[redacted]` in the message and the traceback. The service has its
own copy of these shapes: it shares no code with the assistant.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import sys
from collections.abc import Mapping
from typing import IO, Any

from casebackend.request_log import REDACTED
from casebackend.request_log import redact as redact_personnummer

SERVICE = "casebackend"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# E.164 or 00-prefixed numbers, and Swedish national numbers (0 + 7-10 digits, single spaces or
# hyphens between groups), not inside a longer word or number.
_PHONE = re.compile(
    r"(?<![\w+])(?:\+|00)[1-9]\d{0,2}(?:[ -]?\d){6,12}(?!\w)"
    r"|(?<![\w.+-])0\d(?:[ -]?\d){6,9}(?!\w)"
)


def scrub(text: str) -> str:
    return _PHONE.sub(REDACTED, redact_personnummer(text))


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = scrub(message)
        changed = clean != message
        record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            clean_exc = scrub(record.exc_text)
            changed = changed or clean_exc != record.exc_text
            record.exc_text = clean_exc
        if changed:
            record.redacted = True
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname.lower(),
            "service": SERVICE,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and record.exc_info[0] is not None:
            line["exc_type"] = record.exc_info[0].__name__
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exc"] = record.exc_text
        if getattr(record, "redacted", False):
            line["redacted"] = True
        return json.dumps(line, ensure_ascii=False, default=str)


def configure(environ: Mapping[str, str] = os.environ, stream: IO[str] | None = None) -> None:
    """The root logger's only handler: JSON lines (or text), personal data scrubbed either way."""
    handler = logging.StreamHandler(stream or sys.stdout)
    if environ.get("LOG_FORMAT", "json").strip().lower() == "text":
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    else:
        handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel((environ.get("LOG_LEVEL") or "INFO").upper())
    logging.captureWarnings(True)
