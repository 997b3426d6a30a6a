"""Which language the conversation is in, read from the conversation's own events.

The language is a pure function of the tracker, so the NLG and the actions agree on it and
nothing has to be stored twice (no Rasa code here: the action server imports it too). In
order of the events, later decisions win:

1. the channel's choice, when a message's metadata carries a ``language`` that differs from
   the one the channel sent before (page language, widget switch, IVR menu choice);
2. the user's own words, when the language detector is confident about the message;
3. ``switch_language`` with a ``language`` entity, the most explicit of all.

Messages the detector is unsure about ("ok", "1", an emoji) keep the language as it was.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from common.metadata import LANGUAGE as LANGUAGE_KEY

SWITCH_LANGUAGE_INTENT = "switch_language"


def _supported(code: Any, supported: Iterable[str] | None) -> str | None:
    """The code in lower case if it is a supported language (any code when None)."""
    if isinstance(code, str) and code and (supported is None or code.lower() in supported):
        return code.lower()
    return None


def language_of_message(parse_data: Mapping[str, Any],
                        supported: frozenset[str] | None) -> str | None:
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


@dataclass(frozen=True)
class LanguageState:
    """Where the fold over a conversation's events stands: the language decided so far
    (None: nothing said yet, the default applies) and the channel's last choice."""

    language: str | None = None
    channel_choice: str | None = None

    def as_metadata(self) -> dict[str, str]:
        return {key: value for key, value in (("language", self.language),
                                              ("channel_choice", self.channel_choice))
                if value}


# A compacted tracker starts with a ``session_started`` event whose metadata carries the
# language state of the events folded away (bot.tracker_store), under this key.
CARRIED_LANGUAGE_KEY = "carried_language"


def fold_language(events: Iterable[Mapping[str, Any]],
                  supported: frozenset[str] | None) -> LanguageState:
    """Folds serialised tracker events into the language state; ``supported`` None accepts
    any language code (the tracker store, which does not know the catalogs, uses that)."""
    language: str | None = None
    last_channel_choice: str | None = None
    for event in events:
        kind = event.get("event")
        metadata = event.get("metadata") or {}
        if kind == "session_started":
            carried = metadata.get(CARRIED_LANGUAGE_KEY) or {}
            if isinstance(carried, Mapping) and carried:
                language = _supported(carried.get("language"), supported) or language
                last_channel_choice = _supported(carried.get("channel_choice"), supported)
            continue
        if kind != "user":
            continue
        channel_choice = _supported(metadata.get(LANGUAGE_KEY), supported)
        if channel_choice and channel_choice != last_channel_choice:
            language = channel_choice
            last_channel_choice = channel_choice
        from_message = language_of_message(event.get("parse_data") or {}, supported)
        if from_message:
            language = from_message
    return LanguageState(language, last_channel_choice)


def conversation_language(
    events: Iterable[Mapping[str, Any]], default: str, supported: frozenset[str]
) -> str:
    """Folds the serialised tracker events into the language of the next bot message."""
    return fold_language(events, supported).language or default
