"""Which language the conversation is in, read from the conversation's own events.

The language is a pure function of the tracker, so the NLG and the actions agree on it and
nothing has to be stored twice. In order of the events, later decisions win:

1. the channel's choice, when a message's metadata carries a ``language`` that differs from
   the one the channel sent before (page language, widget switch, IVR menu choice);
2. the user's own words, when the language detector is confident about the message;
3. ``switch_language`` with a ``language`` entity, the most explicit of all.

Messages the detector is unsure about ("ok", "1", an emoji) keep the language as it was.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from bot.language_detector import LANGUAGE_KEY

SWITCH_LANGUAGE_INTENT = "switch_language"


def _supported(code: Any, supported: Iterable[str]) -> str | None:
    if isinstance(code, str) and code.lower() in supported:
        return code.lower()
    return None


def language_of_message(parse_data: Mapping[str, Any], supported: frozenset[str]) -> str | None:
    """The language one user message asks for, if it says anything about it."""
    intent = (parse_data.get("intent") or {}).get("name")
    if intent == SWITCH_LANGUAGE_INTENT:
        for entity in parse_data.get("entities") or []:
            if entity.get("entity") == LANGUAGE_KEY:
                chosen = _supported(entity.get("value"), supported)
                if chosen:
                    return chosen
    detected = parse_data.get(LANGUAGE_KEY) or {}
    return _supported(detected.get("code") if isinstance(detected, Mapping) else None,
                      supported)


def conversation_language(
    events: Iterable[Mapping[str, Any]], default: str, supported: frozenset[str]
) -> str:
    """Folds the serialised tracker events into the language of the next bot message."""
    language = default
    last_channel_choice: str | None = None
    for event in events:
        if event.get("event") != "user":
            continue
        metadata = event.get("metadata") or {}
        channel_choice = _supported(metadata.get(LANGUAGE_KEY), supported)
        if channel_choice and channel_choice != last_channel_choice:
            language = channel_choice
            last_channel_choice = channel_choice
        from_message = language_of_message(event.get("parse_data") or {}, supported)
        if from_message:
            language = from_message
    return language
