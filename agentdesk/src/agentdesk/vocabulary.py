"""The words the desk's data uses, and UTC time helpers."""

from __future__ import annotations

from datetime import UTC, datetime

CHANNELS = frozenset({"web", "sms"})
LANGUAGES = frozenset({"sv", "en"})
WAITING, ACTIVE, CLOSED = "waiting", "active", "closed"
STATUSES = (WAITING, ACTIVE, CLOSED)
OPEN_STATUSES = (WAITING, ACTIVE)
# What the assistant's resume route accepts; closing picks one of the first and third.
OUTCOMES = frozenset({"resolved", "handed_back", "no_answer"})
CLOSE_OUTCOMES = frozenset({"resolved", "no_answer"})
PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
AGENT, SUPERVISOR = "agent", "supervisor"
SENDERS_FROM_ASSISTANT = frozenset({"citizen", "bot"})


def now() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """SQLite gives naive datetimes back; they were written as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return as_utc(moment).isoformat().replace("+00:00", "Z")
