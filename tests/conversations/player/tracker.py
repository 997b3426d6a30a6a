"""The tracker store read directly (SQLite): the events of one conversation, and the turn a
channel just played: its response names (``utter_action`` of each bot event) and intent."""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class TurnEvents:
    responses: list[str]
    intents: list[str]
    events: list[dict[str, Any]]


class TrackerStore:
    def __init__(self, path: Path) -> None:
        self.path = path

    def events(self, sender_id: str) -> list[dict[str, Any]]:
        with sqlite3.connect(self.path, timeout=30) as db:
            rows = db.execute("SELECT data FROM events WHERE sender_id = ? ORDER BY id",
                              (sender_id,)).fetchall()
        return [json.loads(row[0]) for row in rows]

    def count(self, sender_id: str) -> int:
        with sqlite3.connect(self.path, timeout=30) as db:
            row = db.execute("SELECT COUNT(*) FROM events WHERE sender_id = ?",
                             (sender_id,)).fetchone()
        return int(row[0])

    def turn(self, sender_id: str, before: int, *, needs_user: bool,
             timeout: float = 40) -> TurnEvents:
        """The events after ``before`` once the turn is complete: a user message was handled
        and the assistant listens again (a turn the channel answered itself has none)."""
        deadline = time.monotonic() + timeout
        while True:
            events = self.events(sender_id)[before:]
            users = [e for e in events if e.get("event") == "user"]
            done = bool(users) and events[-1].get("event") == "action" and \
                events[-1].get("name") == "action_listen"
            if done or (not needs_user and not users) or time.monotonic() > deadline:
                return TurnEvents(
                    [str((e.get("metadata") or {}).get("utter_action") or "")
                     for e in events if e.get("event") == "bot"],
                    [str(((e.get("parse_data") or {}).get("intent") or {}).get("name"))
                     for e in users], events)
            time.sleep(0.05)
