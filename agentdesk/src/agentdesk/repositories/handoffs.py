"""Handoffs: the queue (waiting, active, closed), one open handoff per conversation."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from agentdesk.db.models import Handoff
from agentdesk.vocabulary import ACTIVE, CLOSED, PENDING, WAITING, as_utc, now


@dataclass(frozen=True)
class NewHandoff:
    conversation_id: str
    channel: str
    language: str
    identified: bool
    display_name: str | None
    protected_identity: bool


def new_public_id() -> str:
    return "h-" + secrets.token_hex(8)


async def open_for_conversation(session: AsyncSession, conversation_id: str) -> Handoff | None:
    return await session.scalar(
        select(Handoff).where(Handoff.open_conversation_id == conversation_id)
    )


async def by_public_id(session: AsyncSession, public_id: str) -> Handoff | None:
    return await session.scalar(select(Handoff).where(Handoff.public_id == public_id))


async def create(session: AsyncSession, new: NewHandoff) -> tuple[Handoff, bool]:
    """The conversation's open handoff, made now or before (True when made now)."""
    existing = await open_for_conversation(session, new.conversation_id)
    if existing is not None:
        return existing, False
    handoff = Handoff(
        public_id=new_public_id(),
        conversation_id=new.conversation_id,
        open_conversation_id=new.conversation_id,
        channel=new.channel,
        language=new.language,
        identified=new.identified,
        # A protected person's name is never stored, whatever the caller sent.
        display_name=None if new.protected_identity else new.display_name,
        protected_identity=new.protected_identity,
        status=WAITING,
        created_at=now(),
        resume_attempts=0,
    )
    try:
        async with session.begin_nested():
            session.add(handoff)
    except IntegrityError:
        # A concurrent request for the same conversation won the unique index.
        again = await open_for_conversation(session, new.conversation_id)
        if again is None:
            raise
        return again, False
    return handoff, True


async def count_waiting(session: AsyncSession) -> int:
    waiting = select(func.count()).select_from(Handoff).where(Handoff.status == WAITING)
    return int(await session.scalar(waiting) or 0)


async def position(session: AsyncSession, handoff: Handoff) -> int:
    """1 for the first in the queue; 0 once an agent has it."""
    if handoff.status != WAITING:
        return 0
    ahead = (
        select(func.count())
        .select_from(Handoff)
        .where(Handoff.status == WAITING, Handoff.id <= handoff.id)
    )
    return int(await session.scalar(ahead) or 0)


async def listed(session: AsyncSession, status: str, limit: int = 100) -> list[Handoff]:
    query = select(Handoff).where(Handoff.status == status)
    if status == CLOSED:
        query = query.order_by(Handoff.closed_at.desc(), Handoff.id.desc())
    else:
        query = query.order_by(Handoff.id)
    return list(await session.scalars(query.limit(limit)))


async def take(session: AsyncSession, handoff: Handoff, staff_id: int) -> bool:
    """Atomically: the waiting handoff becomes this agent's; False when someone was first."""
    result = await session.execute(
        update(Handoff)
        .where(Handoff.id == handoff.id, Handoff.status == WAITING)
        .values(status=ACTIVE, agent_id=staff_id, taken_at=now())
        .execution_options(synchronize_session=False)
    )
    taken = bool(getattr(result, "rowcount", 0))
    await session.refresh(handoff)
    return taken


async def close(session: AsyncSession, handoff: Handoff, outcome: str) -> None:
    """Closed, with the resume call to the assistant queued (the retry loop sends it)."""
    handoff.status = CLOSED
    handoff.outcome = outcome
    handoff.closed_at = now()
    handoff.open_conversation_id = None
    handoff.resume_status = PENDING


def waited_seconds(handoff: Handoff, moment: datetime) -> int:
    end = handoff.taken_at or handoff.closed_at or moment
    return max(0, int((as_utc(end) - as_utc(handoff.created_at)).total_seconds()))


async def unsent_resumes(session: AsyncSession) -> list[Handoff]:
    query = select(Handoff).where(Handoff.resume_status.in_((PENDING, "failed")))
    return list(await session.scalars(query.order_by(Handoff.id).limit(100)))
