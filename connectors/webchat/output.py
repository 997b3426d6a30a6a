"""Bot replies as Rasa's socket.io channel sends them (``bot_uttered``), to the session's
room: every tab and reconnected socket of the session gets them, not just the one that asked.

Message shapes are Rasa's: {"text"}, {"text", "quick_replies": [{content_type, title,
payload}]}, {"attachment"}, so Rasa's own widgets render them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Iterable
from typing import Any, Protocol

from rasa.core.channels.channel import OutputChannel

BOT_EVENT = "bot_uttered"


class Emitter(Protocol):
    def __call__(self, event: str, data: Any, room: str) -> Awaitable[None]: ...


def _parts(text: str) -> list[str]:
    # As Rasa: one bubble per paragraph.
    return [part for part in text.strip().split("\n\n") if part.strip()] or [text]


class WebChatOutput(OutputChannel):
    @classmethod
    def name(cls) -> str:
        return "webchat"

    def __init__(self, emit: Emitter) -> None:
        self._emit = emit

    async def _send(self, recipient_id: str, message: dict[str, Any]) -> None:
        await self._emit(BOT_EVENT, message, recipient_id)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        for part in _parts(text):
            await self._send(recipient_id, {"text": part})

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        await self._send(recipient_id,
                         {"attachment": {"type": "image", "payload": {"src": image}}})

    async def send_text_with_buttons(self, recipient_id: str, text: str,
                                     buttons: list[dict[str, Any]], **kwargs: Any) -> None:
        messages: list[dict[str, Any]] = [{"text": part} for part in _parts(text)]
        messages[-1]["quick_replies"] = [
            {"content_type": "text", "title": str(button.get("title", "")),
             "payload": str(button.get("payload", ""))}
            for button in buttons
        ]
        for message in messages:
            await self._send(recipient_id, message)

    async def send_elements(self, recipient_id: str, elements: Iterable[dict[str, Any]],
                            **kwargs: Any) -> None:
        for element in elements:
            await self._send(recipient_id, {"attachment": {
                "type": "template",
                "payload": {"template_type": "generic", "elements": element}}})

    async def send_custom_json(self, recipient_id: str, json_message: dict[str, Any],
                               **kwargs: Any) -> None:
        await self._send(recipient_id, dict(json_message))

    async def send_attachment(self, recipient_id: str, attachment: Any,
                              **kwargs: Any) -> None:
        await self._send(recipient_id, {"attachment": attachment})
