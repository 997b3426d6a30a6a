"""Reading stored events back: Rasa's ``deserialise_events`` against bot.event_types, in the
same process on the same events (a voice call of 20 turns as the tracker store holds it).

Writes benchmarks/results/event_decoding.json: microseconds per event for each and their ratio
(the median of several alternating runs, so drift on a shared machine hits both alike).

    .venv/bin/python benchmarks/event_decoding.py
"""

from __future__ import annotations

import json
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
    deserialise_events,
)

from bot.event_types import EventTypes

RESULTS = Path(__file__).resolve().parent / "results"
TURNS = 20
REPEATS = 200  # decodings per timed run
RUNS = 7


def call_events(turns: int) -> list[dict[str, Any]]:
    """A call's stored events: session start, then per turn what an FAQ turn stores."""
    events: list[Event] = [SessionStarted(timestamp=0.0), ActionExecuted("action_listen")]
    for turn in range(turns):
        parse = {"intent": {"name": "faq_attachments", "confidence": 0.93},
                 "entities": [], "text": "Kan jag skicka bilagor digitalt?",
                 "intent_ranking": [{"name": f"intent_{n}", "confidence": 0.01}
                                    for n in range(10)]}
        events += [
            UserUttered(parse["text"], parse["intent"], [], parse_data=parse,
                        timestamp=float(turn), input_channel="twilio_voice",
                        metadata={"language": "sv", "caller_hash": "ab" * 16}),
            SlotSet("language", "sv"),
            ActionExecuted("utter_faq_attachments"),
            BotUttered("Ja, du kan skicka bilagor digitalt.", {"buttons": None},
                       {"utter_action": "utter_faq_attachments"}),
            ActionExecuted("action_listen"),
        ]
    return [event.as_dict() for event in events]


def per_event_us(decode: Any, stored: list[dict[str, Any]]) -> float:
    started = time.perf_counter()
    for _ in range(REPEATS):
        decode(stored)
    return (time.perf_counter() - started) / (REPEATS * len(stored)) * 1e6


def main() -> int:
    stored = call_events(TURNS)
    types = EventTypes()
    assert types.deserialise(stored) == deserialise_events(stored)
    rasa_runs, ours_runs = [], []
    for _ in range(RUNS):
        rasa_runs.append(per_event_us(deserialise_events, stored))
        ours_runs.append(per_event_us(types.deserialise, stored))
    rasa_us, ours_us = statistics.median(rasa_runs), statistics.median(ours_runs)
    result = {
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "python": platform.python_version(), "events": len(stored),
        "rasa_us_per_event": round(rasa_us, 2), "cached_us_per_event": round(ours_us, 2),
        "ratio_cached_to_rasa": round(ours_us / rasa_us, 3),
        "runs": RUNS, "decodings_per_run": REPEATS,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "event_decoding.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
