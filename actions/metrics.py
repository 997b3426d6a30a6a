"""Prometheus metrics of the action server (served on ``GET /metrics`` by ``actions.server``).

``assistant_backend_errors_total{kind}``: every failed attempt to reach the case backend
(a retried request that fails twice counts twice) and every call the open circuit breaker
refused: ``timeout`` (no answer in time), ``unavailable`` (no connection, reset, unreadable
answer), ``http_status`` (5xx, or a 4xx the client does not expect), ``circuit_open``.

``assistant_identifications_total{outcome}``: every BankID identification that ended (or did
not start): ``confirmed``, ``cancelled``, ``expired``, ``wrong_person``, ``failed`` (the
provider's error while collecting) and ``start_failed`` (the order could not be started).
"""

from __future__ import annotations

from typing import Literal

from prometheus_client import Counter, disable_created_metrics

disable_created_metrics()  # type: ignore[no-untyped-call]  # no *_created series

BackendErrorKind = Literal["timeout", "unavailable", "http_status", "circuit_open"]
BACKEND_ERROR_KINDS: tuple[BackendErrorKind, ...] = ("timeout", "unavailable", "http_status",
                                                     "circuit_open")

BACKEND_ERRORS = Counter("assistant_backend_errors",
                         "Failed case-backend requests seen by the action server, by kind",
                         ["kind"])
for _kind in BACKEND_ERROR_KINDS:  # every series exists from the start, at 0
    BACKEND_ERRORS.labels(_kind)


def count_backend_error(kind: BackendErrorKind) -> None:
    BACKEND_ERRORS.labels(kind).inc()


IdentificationOutcome = Literal["confirmed", "cancelled", "expired", "failed", "wrong_person",
                                "start_failed"]
IDENTIFICATION_OUTCOMES: tuple[IdentificationOutcome, ...] = (
    "confirmed", "cancelled", "expired", "failed", "wrong_person", "start_failed")
IDENTIFICATIONS = Counter("assistant_identifications",
                          "BankID identifications that ended, by outcome", ["outcome"])
for _outcome in IDENTIFICATION_OUTCOMES:
    IDENTIFICATIONS.labels(_outcome)


def count_identification(outcome: str) -> None:
    """Counts one ended identification; an outcome outside the list counts as failed."""
    IDENTIFICATIONS.labels(outcome if outcome in IDENTIFICATION_OUTCOMES else "failed").inc()
