"""Stored events back into Rasa events, without Rasa's class search for every event.

Rasa's ``Event.from_parameters`` finds an event's class by walking the whole tree of ``Event``
subclasses, with an ``inspect.isabstract`` check on each, for every event it reads: about
0.1 ms an event, some 4 ms of a 37 ms turn when the tracker store reads a conversation back
(py-spy, benchmarks/event_decoding.py). Here the classes are found once and kept by
``type_name``, first found first as in Rasa's search; each class still parses its own
parameters (``_from_parameters``), so the events are exactly Rasa's.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from rasa.shared.core.events import Event
from rasa.shared.utils.common import all_subclasses

logger = logging.getLogger(__name__)


class EventTypes:
    def __init__(self) -> None:
        self._by_name: dict[str, type[Event]] = {}
        self._searched: set[str] = set()  # names not found even after a fresh search

    def _search(self) -> None:
        found: dict[str, type[Event]] = {}
        for cls in all_subclasses(Event):
            found.setdefault(cls.type_name, cls)
        self._by_name = found

    def resolve(self, type_name: str) -> type[Event] | None:
        cls = self._by_name.get(type_name)
        if cls is None and type_name not in self._searched:
            self._search()  # first use, or an event class imported since the last search
            cls = self._by_name.get(type_name)
            if cls is None:
                self._searched.add(type_name)
        return cls

    def deserialise(self, stored: Iterable[dict[str, Any]]) -> list[Event]:
        """As ``rasa.shared.core.events.deserialise_events``."""
        events: list[Event] = []
        for parameters in stored:
            type_name = parameters.get("event")
            if type_name is None:
                continue
            cls = self.resolve(type_name)
            # Unknown names go to Rasa, which skips old "topic" events and refuses the rest.
            event = (cls._from_parameters(parameters) if cls is not None
                     else Event.from_parameters(parameters))
            if event is None:
                logger.warning("a stored %r event could not be read back", type_name)
                continue
            events.append(event)
        return events
