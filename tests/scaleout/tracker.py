"""What the PostgreSQL tracker store holds for a conversation, and the check that it holds each
message a client sent exactly once, in order, each followed by the answer the client got."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import psycopg2

from deploy.targets import PostgresTarget

from .client import Turn


@dataclass(frozen=True)
class Stored:
    kind: str  # "user" or "bot"
    message_id: str | None
    text: str


def conversation(database: PostgresTarget, sender: str) -> list[Stored]:
    """The conversation's user and bot events, in the order they were stored."""
    connection = psycopg2.connect(database.dsn())
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT type_name, data FROM events WHERE sender_id = %s "
                           "AND type_name IN ('user', 'bot') ORDER BY id", (sender,))
            rows = cursor.fetchall()
    finally:
        connection.close()
    stored = []
    for kind, data in rows:
        event = json.loads(data)
        stored.append(Stored(kind, event.get("message_id"), str(event.get("text") or "")))
    return stored


def _parts(texts: Sequence[str]) -> list[str]:
    """Texts as the REST channel sends them (each split at blank lines)."""
    return [part.strip() for text in texts for part in text.strip().split("\n\n")]


def problems(stored: Sequence[Stored], turns: Sequence[Turn]) -> list[str]:
    """Empty when the store holds exactly ``turns`` (answered ones), in this order, each user
    message once and followed by the bot messages its client received."""
    found: list[str] = []
    users = [event.message_id or "" for event in stored if event.kind == "user"]
    sent = [turn.message_id for turn in turns if turn.answered]
    if users != sent:
        missing = set(sent) - set(users)
        extra = [message_id for message_id in users if users.count(message_id) > 1]
        found.append(f"user messages stored {len(users)}, sent {len(sent)}; missing "
                     f"{len(missing)}, duplicated {len(set(extra))}, order "
                     f"{'same' if sorted(users) == sorted(sent) else 'n/a'}")
        return found
    answers: dict[str, list[str]] = {}
    current: str | None = None
    for event in stored:
        if event.kind == "user":
            current = event.message_id or ""
            answers[current] = []
        elif current is not None:
            answers[current].append(event.text)
    for turn in turns:
        if turn.answered and _parts(answers.get(turn.message_id, [])) != _parts(turn.texts):
            found.append(f"{turn.message_id} ({turn.text!r}): stored answer "
                         f"{answers.get(turn.message_id)!r}, client got {turn.texts!r}")
    return found
