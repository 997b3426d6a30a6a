"""The conversation so far, for a browser that reloads, opens another tab or reconnects.

Kept on the server, read from Rasa's tracker store: it is already the record of the
conversation (no second store to keep in step), it scales with the tracker store, and a
logged-in person's answers (case status, payments) are not left in the browser's storage
on a shared computer. The browser keeps only its signed session id.

Only the current Rasa conversation session is shown (after ``session_started``), the same
messages the live channel sent, with a button click shown as the button's title.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Literal, Protocol, TypedDict

from typing_extensions import NotRequired


class HistoryItem(TypedDict):
    role: Literal["user", "bot"]
    text: NotRequired[str]
    payload: NotRequired[bool]  # a user message that was a payload, not typed text
    message: NotRequired[dict[str, Any]]  # a bot message, as bot_uttered carries it


def bot_messages(text: str | None, data: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """What the output channel sends for one bot event (see output.py)."""
    data = data or {}
    messages: list[dict[str, Any]] = []
    if text:
        messages = [{"text": part} for part in text.strip().split("\n\n") if part.strip()]
    buttons = data.get("buttons") or data.get("quick_replies") or []
    if buttons:
        if not messages:
            messages = [{"text": ""}]
        messages[-1]["quick_replies"] = [
            {"content_type": "text", "title": str(b.get("title", "")),
             "payload": str(b.get("payload", ""))} for b in buttons]
    if data.get("image"):
        messages.append({"attachment": {"type": "image", "payload": {"src": data["image"]}}})
    if data.get("attachment"):
        messages.append({"attachment": data["attachment"]})
    if data.get("custom"):
        messages.append(dict(data["custom"]))
    return messages


def history_from_events(events: Iterable[Mapping[str, Any]], limit: int) -> list[HistoryItem]:
    items: list[HistoryItem] = []
    titles: dict[str, str] = {}
    for event in events:
        kind = event.get("event")
        if kind == "session_started":
            items, titles = [], {}
        elif kind == "user" and event.get("text"):
            text = str(event["text"])
            if text in titles:
                items.append({"role": "user", "text": titles[text], "payload": False})
            else:
                items.append({"role": "user", "text": text, "payload": text.startswith("/")})
        elif kind == "bot":
            for message in bot_messages(event.get("text"), event.get("data")):
                items.append({"role": "bot", "message": message})
                titles.update({b["payload"]: b["title"]
                               for b in message.get("quick_replies", [])})
    return items[-limit:] if limit else []


class HistorySource(Protocol):
    async def load(self, sender_id: str) -> list[HistoryItem]: ...


class TrackerHistory:
    """Reads the tracker store of the running agent (``app.ctx.agent`` in ``rasa run``)."""

    def __init__(self, tracker_store: Callable[[], Any], limit: int) -> None:
        self._tracker_store = tracker_store
        self._limit = limit

    async def load(self, sender_id: str) -> list[HistoryItem]:
        store = self._tracker_store()
        if store is None or self._limit == 0:
            return []
        tracker = await store.retrieve(sender_id)
        if tracker is None:
            return []
        return history_from_events((event.as_dict() for event in tracker.events), self._limit)
