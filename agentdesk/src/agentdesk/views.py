"""What the staff pages get: handoffs, messages and call-backs as JSON-ready dicts.

The citizen's name is shown only when the person was identified and has no protected identity;
for a protected identity the page gets only the mark, never a name.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from agentdesk.db.models import AuditEntry, Callback, Handoff, Message
from agentdesk.repositories.handoffs import waited_seconds
from agentdesk.vocabulary import iso


def shown_name(handoff: Handoff) -> str | None:
    if handoff.protected_identity or not handoff.identified:
        return None
    return handoff.display_name


def handoff_summary(
    handoff: Handoff, moment: datetime, agents: dict[int, str], position: int = 0
) -> dict[str, Any]:
    return {
        "handoff_id": handoff.public_id,
        "status": handoff.status,
        "channel": handoff.channel,
        "language": handoff.language,
        "identified": handoff.identified,
        "protected_identity": handoff.protected_identity,
        "display_name": shown_name(handoff),
        "position": position,
        "waiting_seconds": waited_seconds(handoff, moment),
        "created_at": iso(handoff.created_at),
        "taken_at": iso(handoff.taken_at),
        "closed_at": iso(handoff.closed_at),
        "agent": agents.get(handoff.agent_id) if handoff.agent_id is not None else None,
        "outcome": handoff.outcome,
        "resume_status": handoff.resume_status,
        "resume_error": handoff.resume_error,
    }


def message_view(message: Message) -> dict[str, Any]:
    return {
        "message_id": message.message_id,
        "sender": message.sender,
        "text": message.text,
        "at": iso(message.at),
        "delivery_status": message.delivery_status,
        "attempts": message.attempts,
        "last_error": message.last_error,
    }


def callback_view(callback: Callback, phone: str | None) -> dict[str, Any]:
    return {
        "callback_id": callback.public_id,
        "channel": callback.channel,
        "language": callback.language,
        "phone": phone,
        "preferred_time": callback.preferred_time,
        "created_at": iso(callback.created_at),
        "done_at": iso(callback.done_at),
    }


def audit_view(entry: AuditEntry) -> dict[str, Any]:
    return {
        "at": iso(entry.at),
        "username": entry.username,
        "action": entry.action,
        "handoff_id": entry.handoff_id,
        "detail": entry.detail,
    }
