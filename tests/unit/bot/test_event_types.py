"""Events read back with the cached class lookup are exactly Rasa's."""

from __future__ import annotations

import pytest
from rasa.shared.core.events import (
    ActionExecuted,
    ActionExecutionRejected,
    ActionReverted,
    ActiveLoop,
    AllSlotsReset,
    BotUttered,
    ConversationPaused,
    ConversationResumed,
    EntitiesAdded,
    Event,
    FollowupAction,
    LoopInterrupted,
    ReminderCancelled,
    ReminderScheduled,
    Restarted,
    SessionStarted,
    SlotSet,
    StoryExported,
    UserUtteranceReverted,
    UserUttered,
    deserialise_events,
)

from bot.event_types import EventTypes

EVENTS: list[Event] = [
    SessionStarted(timestamp=1.0, metadata={"carried_language": {"language": "sv"}}),
    ActionExecuted("action_listen", timestamp=2.0),
    UserUttered("hej", {"name": "greet", "confidence": 0.9},
                [{"entity": "benefit", "value": "sjukpenning", "start": 0, "end": 3}],
                parse_data={"intent": {"name": "greet", "confidence": 0.9}, "entities": [],
                            "text": "hej"},
                timestamp=3.0, input_channel="twilio_voice",
                metadata={"language": "sv", "caller_hash": "ab" * 16}),
    BotUttered("Hej!", {"buttons": [{"title": "Ja", "payload": "/affirm"}]},
               {"utter_action": "utter_greet", "turn_facts": {"language": "sv"}},
               timestamp=4.0),
    SlotSet("language", "sv", timestamp=5.0),
    ActiveLoop("identification_form", timestamp=6.0),
    ActiveLoop(None, timestamp=6.5),
    FollowupAction("utter_greet", timestamp=7.0),
    EntitiesAdded([{"entity": "benefit", "value": "barnbidrag"}], timestamp=7.5),
    LoopInterrupted(True, timestamp=8.0),
    ActionExecutionRejected("action_x", "policy", timestamp=8.5),
    ReminderScheduled("remind", __import__("datetime").datetime(2026, 11, 29, 12, 0),
                      name="r1", timestamp=9.0),
    ReminderCancelled(name="r1", timestamp=9.5),
    ConversationPaused(timestamp=10.0),
    ConversationResumed(timestamp=10.5),
    StoryExported(timestamp=11.0),
    UserUtteranceReverted(timestamp=11.5),
    ActionReverted(timestamp=12.0),
    AllSlotsReset(timestamp=12.5),
    Restarted(timestamp=13.0),
]


def test_every_kind_of_event_reads_back_as_rasa_reads_it() -> None:
    stored = [event.as_dict() for event in EVENTS]
    ours, rasas = EventTypes().deserialise(stored), deserialise_events(stored)
    assert [type(event) for event in ours] == [type(event) for event in rasas]
    assert [event.as_dict() for event in ours] == [event.as_dict() for event in rasas]
    assert ours == rasas


def test_old_topic_events_and_nameless_entries_are_skipped_and_unknown_ones_refused() -> None:
    types = EventTypes()
    assert types.deserialise([{"event": "topic", "topic": "x"}, {"text": "no event"}]) == []
    with pytest.raises(ValueError, match="no_such_event"):
        types.deserialise([{"event": "no_such_event"}])


def test_an_event_class_defined_after_the_first_lookup_is_found() -> None:
    types = EventTypes()
    types.deserialise([ActionExecuted("action_listen").as_dict()])

    class Late(Event):
        type_name = "late_test_event"

        def as_story_string(self) -> str:
            return self.type_name

        def __eq__(self, other: object) -> bool:
            return isinstance(other, Late)

        def __hash__(self) -> int:
            return hash(self.type_name)

    read = types.deserialise([{"event": "late_test_event", "timestamp": 1.0}])
    assert len(read) == 1 and isinstance(read[0], Late)
