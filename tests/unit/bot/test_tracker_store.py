"""The bounded SQL tracker store: every event stored once, a bounded tail read back, the
conversation's state (slots, language, session) the same as from the whole session."""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg2
import pytest
import sqlalchemy as sa
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from bot.language import conversation_language
from bot.tracker_store import SNAPSHOTS, BoundedSQLTrackerStore

ROOT = Path(__file__).resolve().parents[3]
WINDOW, EVERY = 12, 8
SUPPORTED = frozenset({"sv", "en"})
POSTGRES_DSN = os.environ.get("TEST_POSTGRES_DSN",
                              "host=127.0.0.1 port=5432 user=postgres dbname=test")


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "bot" / "domain"))


def _postgres_database() -> Iterator[dict[str, Any]]:
    name = f"unit_tracker_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(POSTGRES_DSN)
    admin.autocommit = True
    admin.cursor().execute(f"CREATE DATABASE {name}")
    try:
        yield {"dialect": "postgresql", "host": "127.0.0.1", "port": 5432, "db": name,
               "username": "postgres"}
    finally:
        admin.cursor().execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, Any]]:
    if request.param == "sqlite":
        yield {"dialect": "sqlite", "db": str(tmp_path / "tracker.db")}
    else:
        yield from _postgres_database()


@pytest.fixture
def store(domain: Domain, settings: dict[str, Any]) -> BoundedSQLTrackerStore:
    return BoundedSQLTrackerStore(domain, window_events=WINDOW, compact_every=EVERY,
                                  **settings)


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def user(text: str, stamp: float, **metadata: Any) -> UserUttered:
    return UserUttered(text, {"name": "faq_attachments", "confidence": 1.0},
                       timestamp=stamp, metadata=metadata or None)


def one_turn(store: BoundedSQLTrackerStore, sender: str, number: int,
             extra: tuple[Any, ...] = (), **metadata: Any) -> DialogueStateTracker:
    """What the processor does per turn: read back, add the turn's events, save."""
    tracker = run(store.retrieve(sender))
    if tracker is None:
        tracker = store.init_tracker(sender)
        for event in (ActionExecuted("action_session_start", timestamp=0.5),
                      SessionStarted(timestamp=1.0), ActionExecuted("action_listen",
                                                                    timestamp=1.0)):
            tracker.update(event)
    stamp = 10.0 + number
    for event in (user(f"fråga {number}", stamp, **metadata), *extra,
                  ActionExecuted("utter_attachments", timestamp=stamp),
                  BotUttered(f"svar {number}", metadata={"utter_action": "utter_x"},
                             timestamp=stamp),
                  ActionExecuted("action_listen", timestamp=stamp)):
        tracker.update(event)
    run(store.save(tracker))
    return tracker


def stored_texts(store: BoundedSQLTrackerStore, sender: str) -> list[str]:
    with store.session_scope() as session:
        rows = session.query(store.SQLEvent.data).filter(
            store.SQLEvent.sender_id == sender).order_by(store.SQLEvent.id).all()
    return [json.loads(row.data).get("text") for row in rows
            if json.loads(row.data)["event"] in {"user", "bot"}]


def test_every_event_is_stored_once_while_a_bounded_tail_is_read_back(
        store: BoundedSQLTrackerStore) -> None:
    for number in range(60):
        one_turn(store, "long", number)
    expected = [text for number in range(60) for text in (f"fråga {number}", f"svar {number}")]
    assert stored_texts(store, "long") == expected
    tracker = run(store.retrieve("long"))
    assert tracker is not None
    # a snapshot (session start + slots) and at most window + compact_every stored events
    assert len(tracker.events) <= 1 + WINDOW + EVERY
    assert [e.text for e in tracker.events if isinstance(e, UserUttered)][-1] == "fråga 59"
    full = run(store.retrieve_full_tracker("long"))
    assert len(full.events) == 3 + 60 * 4


def test_slots_set_long_ago_survive_the_folding(store: BoundedSQLTrackerStore) -> None:
    one_turn(store, "slots", 0, extra=(SlotSet("person_ref", "ref-1", timestamp=10.0),
                                       SlotSet("benefit", "foraldrapenning", timestamp=10.0)))
    for number in range(1, 40):
        one_turn(store, "slots", number)
    tracker = run(store.retrieve("slots"))
    assert tracker.get_slot("person_ref") == "ref-1"
    assert tracker.get_slot("benefit") == "foraldrapenning"
    # a slot reset later wins over the folded value
    one_turn(store, "slots", 40, extra=(SlotSet("person_ref", None, timestamp=50.0),))
    for number in range(41, 80):
        one_turn(store, "slots", number)
    assert run(store.retrieve("slots")).get_slot("person_ref") is None


def test_the_language_chosen_long_ago_is_kept(store: BoundedSQLTrackerStore) -> None:
    one_turn(store, "lang", 0, language="en")
    for number in range(1, 50):
        one_turn(store, "lang", number)
    tracker = run(store.retrieve("lang"))
    events = [event.as_dict() for event in tracker.events]
    assert not any(e["event"] == "user" and (e.get("metadata") or {}).get("language")
                   for e in events)  # the choice itself was folded away
    assert conversation_language(events, "sv", SUPPORTED) == "en"
    # and the channel choosing the same language again is not a new choice
    one_turn(store, "lang", 50, language="en")
    tracker = run(store.retrieve("lang"))
    assert conversation_language([e.as_dict() for e in tracker.events], "sv",
                                 SUPPORTED) == "en"


def test_the_last_two_user_messages_are_always_read_back(
        store: BoundedSQLTrackerStore) -> None:
    # identification expiry compares the times of the last two user messages
    for number in range(45):
        one_turn(store, "idle", number)
    tracker = run(store.retrieve("idle"))
    times = [e.timestamp for e in tracker.events if isinstance(e, UserUttered)]
    assert times[-2:] == [53.0, 54.0]


def test_a_new_session_makes_the_snapshot_obsolete(store: BoundedSQLTrackerStore) -> None:
    one_turn(store, "sessions", 0, extra=(SlotSet("benefit", "foraldrapenning",
                                                  timestamp=10.0),))
    for number in range(1, 40):
        one_turn(store, "sessions", number)
    tracker = run(store.retrieve("sessions"))
    for event in (ActionExecuted("action_session_start", timestamp=100.0),
                  SessionStarted(timestamp=100.0), ActionExecuted("action_listen",
                                                                  timestamp=100.0)):
        tracker.update(event)
    run(store.save(tracker))
    fresh = run(store.retrieve("sessions"))
    assert fresh.get_slot("benefit") is None
    assert [e.type_name for e in fresh.events] == ["session_started", "action"]


def test_repeated_saves_of_one_tracker_add_nothing_twice(
        store: BoundedSQLTrackerStore) -> None:
    for number in range(30):
        tracker = one_turn(store, "again", number)
        run(store.save(tracker))
    assert stored_texts(store, "again") == [
        text for number in range(30) for text in (f"fråga {number}", f"svar {number}")]


def test_a_tracker_made_elsewhere_is_appended_after_what_is_stored(
        store: BoundedSQLTrackerStore, domain: Domain) -> None:
    one_turn(store, "outside", 0)
    whole = run(store.retrieve("outside"))
    copy = DialogueStateTracker.from_dict("outside", [e.as_dict() for e in whole.events],
                                          domain.slots)
    copy.update(user("extra", 99.0))
    run(store.save(copy))
    assert stored_texts(store, "outside")[-1] == "extra"
    assert stored_texts(store, "outside").count("fråga 0") == 1


def test_turn_cost_inputs_stay_bounded_however_long(store: BoundedSQLTrackerStore) -> None:
    sizes = []
    for number in range(120):
        one_turn(store, "flat", number)
        sizes.append(len(run(store.retrieve("flat")).events))
    assert max(sizes[60:]) <= 1 + WINDOW + EVERY + 4
    with store.session_scope() as session:
        assert session.execute(sa.select(sa.func.count()).select_from(SNAPSHOTS)).scalar() == 1


@pytest.mark.parametrize("value", [0, -1, "40", True])
def test_bad_window_settings_are_refused(domain: Domain, tmp_path: Path, value: Any) -> None:
    with pytest.raises(ValueError, match="window_events"):
        BoundedSQLTrackerStore(domain, db=str(tmp_path / "t.db"), window_events=value)


def test_sqlite_commits_through_a_write_ahead_log(domain: Domain, tmp_path: Path) -> None:
    store = BoundedSQLTrackerStore(domain, db=str(tmp_path / "t.db"))
    with store.engine.connect() as connection:
        assert connection.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(sa.text("PRAGMA synchronous")).scalar() == 1  # NORMAL
