"""JSON log lines for the Rasa process and the action server, with personal data scrubbed.

One line per record on stdout: ``ts`` (UTC, ISO 8601), ``level``, ``service``, ``logger``,
``message``, and ``exc_type``/``exc`` for an exception, ``request``/``status`` for Sanic's
access lines, ``redacted: true`` when something was scrubbed. ``LOG_FORMAT=text`` keeps the
processes' usual human-readable output instead; ``LOG_LEVEL`` (Rasa's variable) sets the level.

The channels remove a personnummer before Rasa sees it; the filter here is the last line of
defence for everything that is logged anyway: every formatted message (and traceback) goes
through ``common.log_scrubber.scrub``: ``common.personal_number.redact`` and a
phone-number pattern, also on URL-decoded text and inside generated ids. What it had to remove
is counted (``assistant_log_redactions_total``): a non-zero rate means some code logs
personal data and should be fixed, not that the filter is doing its job.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import sys
from typing import IO, Any

from prometheus_client import Counter

from common.log_scrubber import PHONE_REDACTED, scrub
from common.warning_filters import quiet_third_party_deprecations

# Sanic's own loggers: their handlers are replaced so that every line is JSON, once.
SANIC_LOGGERS = ("sanic.root", "sanic.error", "sanic.access", "sanic.server")
# Twilio's REST client logs every request's URL and headers at INFO: eight lines for each SMS
# sent, each with the account SID. Its warnings and errors still pass; LOG_LEVEL=DEBUG shows it all.
CHATTY_LOGGERS = ("twilio.http_client", "twilio.async_http_client")

LOG_REDACTIONS = Counter("assistant_log_redactions",
                         "Log records in which personal data had to be scrubbed", ["service"])

__all__ = ["CHATTY_LOGGERS", "LOG_REDACTIONS", "PHONE_REDACTED", "SANIC_LOGGERS", "JsonFormatter",
           "RedactingFilter", "install", "json_handler", "json_logs_enabled", "scrub"]


class RedactingFilter(logging.Filter):
    """Replaces the record's message (and traceback) by their scrubbed text."""

    def __init__(self, service: str = "") -> None:
        super().__init__()
        self._service = service

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
        for name in ("request", "host"):  # Sanic's access-log fields
            value = getattr(record, name, None)
            if isinstance(value, str):
                setattr(record, name, scrub(value))
        if changed:
            record.redacted = True
            LOG_REDACTIONS.labels(self._service or "unknown").inc()
        return True


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self._service = service

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.timezone.utc)
            .isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "service": self._service,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and record.exc_info[0] is not None:
            line["exc_type"] = record.exc_info[0].__name__
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exc"] = record.exc_text
        for name in ("request", "status"):
            value = getattr(record, name, None)
            if value not in (None, ""):
                line[name] = value
        if getattr(record, "redacted", False):
            line["redacted"] = True
        return json.dumps(line, ensure_ascii=False, default=str)


def json_logs_enabled(environ: dict[str, str] | None = None) -> bool:
    environ = dict(os.environ) if environ is None else environ
    return environ.get("LOG_FORMAT", "json").strip().lower() != "text"


def json_handler(service: str, stream: IO[str] | None = None) -> logging.Handler:
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.setFormatter(JsonFormatter(service))
    handler.addFilter(RedactingFilter(service))
    return handler


def install(service: str, stream: IO[str] | None = None,
            level: str | None = None) -> logging.Handler:
    """Makes one JSON handler on the root logger the only output (idempotent): the handlers
    that Rasa (coloredlogs), Sanic and basicConfig added before are removed."""
    handler = json_handler(service, stream)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel((level or os.environ.get("LOG_LEVEL") or "INFO").upper())
    logging.captureWarnings(True)  # Python warnings become records (logger py.warnings) too
    quiet_third_party_deprecations()  # again: captureWarnings replaced showwarning
    chatty_level = logging.WARNING if root.level > logging.DEBUG else logging.NOTSET
    for name in CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(chatty_level)
    for name in SANIC_LOGGERS:
        logger = logging.getLogger(name)
        for old in list(logger.handlers):
            logger.removeHandler(old)
        logger.propagate = True
    return handler
