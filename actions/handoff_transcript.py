"""What the agent reads first: the conversation so far, from the tracker's events.

Only the current session (after the last ``session_started``), only texts: the citizen's
typed messages (button payloads such as "/human_handoff" are not something they wrote) and
the bot's answers. The texts are already redacted: no personnummer reaches Rasa (every
channel and the gate replace it by PNR_REDACTED), and the desk checks again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from common.agentdesk_client import Transcript, TranscriptLine

MAX_LINES = 40
MAX_LINE_CHARS = 1000  # the desk refuses texts over 4 KiB


def _at(timestamp: Any) -> str:
    moment = dt.datetime.fromtimestamp(float(timestamp or 0), tz=dt.timezone.utc)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def transcript_of(events: Iterable[Mapping[str, Any]]) -> Transcript:
    lines: Transcript = []
    for event in events:
        kind = event.get("event")
        text = event.get("text")
        if kind == "session_started":
            lines = []
            continue
        if not isinstance(text, str) or not text.strip():
            continue
        if kind == "user" and not text.startswith("/"):
            speaker = "citizen"
        elif kind == "bot":
            speaker = "bot"
        else:
            continue
        line: TranscriptLine = {"from": speaker, "text": text.strip()[:MAX_LINE_CHARS],
                                "at": _at(event.get("timestamp"))}
        lines.append(line)
    return lines[-MAX_LINES:]
