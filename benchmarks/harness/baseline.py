"""The baseline channel: Rasa's own REST channel under another name (/webhooks/bare_rest/),
so it runs beside the project's REST channel, which keeps /webhooks/rest/ as deployed."""

from __future__ import annotations

from rasa.core.channels.rest import RestInput


class BareRestInput(RestInput):
    @classmethod
    def name(cls) -> str:
        return "bare_rest"
