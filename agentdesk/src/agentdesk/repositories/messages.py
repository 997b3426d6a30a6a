"""A handoff's messages: from the citizen and the bot (through the assistant) and from agents
(delivered to the assistant, retried until it has them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from agentdesk.db.models import Handoff, Message
from agentdesk.redaction import redact
from agentdesk.vocabulary import DELIVERED, FAILED, PENDING

ERROR_LENGTH = 200


@dataclass(frozen=True)
class NewMessage:
    message_id: str
    sender: str
    text: str
    at: datetime
    author_id: int | None = None


async def add(session: AsyncSession, handoff: Handoff, new: NewMessage) -> Message | None:
    """Stores the message (redacted) unless its message_id is already stored: then None."""
    message = Message(
        handoff_id=handoff.id,
        message_id=new.message_id,
        sender=new.sender,
        text=redact(new.text),
        at=new.at,
        author_id=new.author_id,
        delivery_status=PENDING if new.sender == "agent" else None,
        attempts=0,
    )
    try:
        async with session.begin_nested():
            session.add(message)
    except IntegrityError:
        return None
    return message


async def of_handoff(session: AsyncSession, handoff: Handoff) -> list[Message]:
    query = select(Message).where(Message.handoff_id == handoff.id).order_by(Message.id)
    return list(await session.scalars(query))


async def by_message_id(session: AsyncSession, handoff: Handoff, message_id: str) -> Message | None:
    return await session.scalar(
        select(Message).where(Message.handoff_id == handoff.id, Message.message_id == message_id)
    )


async def undelivered(session: AsyncSession, handoff_id: int | None = None) -> list[Message]:
    """Agent messages the assistant has not confirmed, oldest first."""
    query = select(Message).where(Message.delivery_status.in_((PENDING, FAILED)))
    if handoff_id is not None:
        query = query.where(Message.handoff_id == handoff_id)
    return list(await session.scalars(query.order_by(Message.id).limit(200)))


def mark_delivered(message: Message) -> None:
    message.delivery_status = DELIVERED
    message.attempts += 1
    message.last_error = None


def mark_failed(message: Message, reason: str) -> None:
    message.delivery_status = FAILED
    message.attempts += 1
    message.last_error = reason[:ERROR_LENGTH]
