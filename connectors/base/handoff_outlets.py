"""Where the desk's deliveries go: each channel that can hand over (web chat, SMS) registers
an outlet on the Sanic app when the server starts, and the desk's routes
(connectors/agentdesk/) look it up by the handoff's channel. The app's ``ctx`` is the place
for what blueprints share (Sanic forbids globals set at import time here)."""

from __future__ import annotations

from typing import Any, Protocol

from common.handoff_store import HandoffRecord

_CTX_KEY = "handoff_outlets"


class HandoffOutlet(Protocol):
    async def deliver(self, record: HandoffRecord, text: str) -> bool:
        """Sends the agent's message to the citizen; False if it could not be sent."""

    async def resumed(self, record: HandoffRecord) -> None:
        """Tells the citizen the assistant answers again."""


def register_outlet(app: Any, channel: str, outlet: HandoffOutlet) -> None:
    outlets: dict[str, HandoffOutlet] = getattr(app.ctx, _CTX_KEY, None) or {}
    outlets[channel] = outlet
    setattr(app.ctx, _CTX_KEY, outlets)


def outlet_for(app: Any, channel: str) -> HandoffOutlet | None:
    outlets: dict[str, HandoffOutlet] = getattr(app.ctx, _CTX_KEY, None) or {}
    return outlets.get(channel)
