"""Rasa's SQL tracker store with a turn cost that does not grow with the conversation.

``endpoints.yml``: ``tracker_store: type: bot.tracker_store.BoundedSQLTrackerStore`` with the
usual SQL settings (``dialect: sqlite`` + ``db``, or ``dialect: postgresql`` + host, ...) and
optionally ``window_events`` and ``compact_every``.

Rasa reads every event of the current session back at each turn and featurises all of it, so
a long conversation (an SMS sender writes for months) gets slower turn by turn. This store
keeps every event in the ``events`` table as Rasa does (history and audits are unchanged) but
loads only a bounded tail: once the current session holds more than ``window_events +
compact_every`` events, the older ones are folded into a snapshot row (the slots, the active
loop and the conversation's language state, see bot.language) and the next retrieval starts
from that snapshot plus the last ``window_events`` events, cut where a turn begins.

A snapshot belongs to one session: a new ``session_started`` makes it obsolete. Snapshots are
derived data: deleting the table only makes the next turns slower until it is rebuilt.
"""

from __future__ import annotations

import itertools
import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActiveLoop, Event, SessionStarted, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker

from bot.event_types import EventTypes
from bot.language import CARRIED_LANGUAGE_KEY, fold_language

logger = logging.getLogger(__name__)

DEFAULT_WINDOW_EVENTS = 40
DEFAULT_COMPACT_EVERY = 40
SESSION_STARTED = "session_started"
# Where the store keeps, on a tracker it loaded, which of its events are stored rows.
_LOADED_ATTRIBUTE = "_bounded_store_loaded"

_metadata = sa.MetaData()
SNAPSHOTS = sa.Table(
    "tracker_snapshots", _metadata,
    sa.Column("sender_id", sa.String(255), primary_key=True),
    # Id of the session's session_started row (0: the conversation has none).
    sa.Column("session_start_id", sa.Integer, nullable=False),
    # Every row of the session with an id up to this one is folded into ``events``.
    sa.Column("upto_id", sa.Integer, nullable=False),
    sa.Column("events", sa.Text, nullable=False),
)

# Any fixed number, the same in every replica: the key of the schema-creation lock.
SCHEMA_LOCK_KEY = 0x6D696E61
SCHEMA_ATTEMPTS = 5
# The reads per turn: the session's start, then the rows after an id.
INDEXES = (
    "CREATE INDEX IF NOT EXISTS ix_events_sender_id_id ON events (sender_id, id)",
    "CREATE INDEX IF NOT EXISTS ix_events_sender_type_id ON events (sender_id, type_name, id)",
)


@dataclass
class _Loaded:
    """What a retrieved tracker holds: ``prefix`` synthetic events, then stored rows."""

    prefix: int
    session_start_id: int
    row_ids: list[int] = field(default_factory=list)


def _sqlite_write_ahead_log(connection: Any, _record: Any) -> None:
    """A turn's commit no longer waits for the disk (WAL with synchronous=NORMAL): a crash of
    the process loses nothing; a power cut may lose the last turns (production runs on
    PostgreSQL)."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _whole(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"tracker_store.{name} must be a whole number from {minimum}, "
                         f"not {value!r}")
    return value


def _turn_start(events: list[dict[str, Any]], start: int) -> int | None:
    """Index of the first ``action_listen`` at or after ``start`` that a user message follows."""
    for index in range(max(start, 1), len(events) - 1):
        event = events[index]
        if (event.get("event") == "action" and event.get("name") == "action_listen"
                and events[index + 1].get("event") == "user"):
            return index
    return None


class BoundedSQLTrackerStore(SQLTrackerStore):
    def __init__(self, domain: Domain | None = None, dialect: str = "sqlite",
                 host: str | None = None, port: int | None = None, db: str = "rasa.db",
                 username: str | None = None, password: str | None = None,
                 event_broker: EventBroker | None = None, login_db: str | None = None,
                 query: dict[str, Any] | None = None,
                 window_events: int = DEFAULT_WINDOW_EVENTS,
                 compact_every: int = DEFAULT_COMPACT_EVERY, **kwargs: Any) -> None:
        self.window_events = _whole("window_events", window_events, 4)
        self.compact_every = _whole("compact_every", compact_every, 1)
        self.event_types = EventTypes()
        super().__init__(domain, dialect, host, port, db, username,
                         password, event_broker, login_db, query, **kwargs)
        if self.engine.dialect.name == "sqlite":
            sa.event.listen(self.engine, "connect", _sqlite_write_ahead_log)
            self.engine.dispose()  # connections made from here on get the pragmas
        for attempt in range(SCHEMA_ATTEMPTS):
            try:
                self._create_own_schema()
                break
            except (sa.exc.ProgrammingError, sa.exc.IntegrityError) as error:
                # Rasa's own tables may still be in another replica's open transaction.
                if attempt == SCHEMA_ATTEMPTS - 1:
                    raise
                logger.warning("tracker store schema not ready (%s); trying again",
                               type(error).__name__)
                time.sleep(1.0)

    def _create_own_schema(self) -> None:
        """The snapshot table and the read indexes, once however many replicas start at once:
        on PostgreSQL, concurrent ``CREATE ... IF NOT EXISTS`` of one name can still fail on
        the catalog's unique index, so the DDL waits for a transaction-scoped advisory lock."""
        with self.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"),
                                   {"key": SCHEMA_LOCK_KEY})
            _metadata.create_all(connection)
            # Plain DDL: an Index object would join Rasa's own table metadata and be created
            # twice by the next store made in this process.
            for statement in INDEXES:
                connection.execute(sa.text(statement))

    # ---- reading ----
    def _session_start_id(self, session: Any, sender_id: str) -> int:
        value = session.query(sa.func.max(self.SQLEvent.id)).filter(
            self.SQLEvent.sender_id == sender_id,
            self.SQLEvent.type_name == SESSION_STARTED).scalar()
        return int(value or 0)

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        if self.domain is None:  # as Rasa's store: no slots to rebuild a tracker with
            return None
        with self.session_scope() as session:
            start_id = self._session_start_id(session, sender_id)
            snapshot = session.execute(
                sa.select(SNAPSHOTS.c.session_start_id, SNAPSHOTS.c.upto_id,
                          SNAPSHOTS.c.events).where(SNAPSHOTS.c.sender_id == sender_id)
            ).first()
            rows = session.query(self.SQLEvent.id, self.SQLEvent.data).filter(
                self.SQLEvent.sender_id == sender_id)
            prefix: list[dict[str, Any]] = []
            if snapshot is not None and snapshot.session_start_id == start_id:
                prefix = json.loads(snapshot.events)
                rows = rows.filter(self.SQLEvent.id > snapshot.upto_id)
            elif start_id:
                rows = rows.filter(self.SQLEvent.id >= start_id)
            stored = rows.order_by(self.SQLEvent.id).all()
        if not stored and not prefix:
            return None
        tracker = DialogueStateTracker.from_events(
            sender_id,
            self.event_types.deserialise([*prefix, *(json.loads(row.data) for row in stored)]),
            self.domain.slots)
        setattr(tracker, _LOADED_ATTRIBUTE,
                _Loaded(len(prefix), start_id, [int(row.id) for row in stored]))
        return tracker

    # ---- writing ----
    async def save(self, tracker: DialogueStateTracker) -> None:
        loaded: _Loaded | None = getattr(tracker, _LOADED_ATTRIBUTE, None)
        with self.session_scope() as session:
            if loaded is None:  # made here, not read back: count what is stored already
                start_id = self._session_start_id(session, tracker.sender_id)
                skip = session.query(self.SQLEvent.id).filter(
                    self.SQLEvent.sender_id == tracker.sender_id,
                    self.SQLEvent.id >= start_id).count()
                loaded = _Loaded(0, start_id, [])
            else:
                skip = loaded.prefix + len(loaded.row_ids)
            # Compaction needs the row id of every stored event the tracker holds: known when
            # it was read back here, or when all its events are new.
            ids_known = loaded.prefix + len(loaded.row_ids) == skip
            new_events = list(itertools.islice(tracker.events, skip, None))
            rows = [self._row(tracker.sender_id, event) for event in new_events]
            session.add_all(rows)
            session.flush()
            if ids_known:
                loaded.row_ids.extend(int(row.id) for row in rows)
                self._compact_if_long(session, tracker, loaded)
            session.commit()
        if loaded.row_ids or loaded.prefix:
            setattr(tracker, _LOADED_ATTRIBUTE, loaded)
        if self.event_broker is not None and new_events:
            await self._stream_new_events(self.event_broker, new_events, tracker.sender_id)

    def _row(self, sender_id: str, event: Event) -> Any:
        data = event.as_dict()
        return self.SQLEvent(
            sender_id=sender_id, type_name=event.type_name, timestamp=data.get("timestamp"),
            intent_name=(data.get("parse_data") or {}).get("intent", {}).get("name"),
            action_name=data.get("name"), data=json.dumps(data))

    def _compact_if_long(self, session: Any, tracker: DialogueStateTracker,
                         loaded: _Loaded) -> None:
        events = [event.as_dict() for event in tracker.events]
        first_row = loaded.prefix
        # A session that started among the stored rows makes everything before it history.
        session_start_id, start = loaded.session_start_id, 0
        for index in range(len(events) - 1, first_row - 1, -1):
            if events[index].get("event") == SESSION_STARTED:
                session_start_id, start = loaded.row_ids[index - first_row], index
                break
        unfolded_from = max(start, first_row)
        if len(events) - unfolded_from <= self.window_events + self.compact_every:
            return
        cut = _turn_start(events, len(events) - self.window_events)
        if cut is None or cut <= unfolded_from:
            return
        snapshot = self._snapshot_events(tracker.sender_id, events[start:cut])
        session.execute(SNAPSHOTS.delete().where(SNAPSHOTS.c.sender_id == tracker.sender_id))
        session.execute(SNAPSHOTS.insert().values(
            sender_id=tracker.sender_id, session_start_id=session_start_id,
            upto_id=loaded.row_ids[cut - 1 - first_row], events=json.dumps(snapshot)))
        logger.debug("tracker compacted: %d events folded", cut - unfolded_from)

    def _snapshot_events(self, sender_id: str,
                         folded: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The events a retrieval starts with instead of ``folded``: same slots, same active
        loop, same language state."""
        assert self.domain is not None
        replay = DialogueStateTracker.from_events(
            sender_id, self.event_types.deserialise(folded), self.domain.slots)
        language = fold_language(folded, None)
        stamp = float(folded[-1].get("timestamp") or 0.0) if folded else None
        events: list[Event] = [SessionStarted(
            timestamp=stamp, metadata={CARRIED_LANGUAGE_KEY: language.as_metadata()})]
        events += [SlotSet(slot.name, slot.value, timestamp=stamp)
                   for slot in replay.slots.values() if slot.value != slot.initial_value]
        if replay.active_loop_name:
            events.append(ActiveLoop(replay.active_loop_name, timestamp=stamp))
        return [event.as_dict() for event in events]
