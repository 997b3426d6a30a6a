"""The audit log: who read or wrote which handoff (or the call-back list), and when."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from agentdesk.db.models import AuditEntry
from agentdesk.vocabulary import now

# The page polls every 2 s: one "read" per person and handoff in this window is enough.
READ_WINDOW = timedelta(minutes=5)


async def record(
    session: AsyncSession,
    *,
    staff_id: int | None,
    username: str,
    action: str,
    handoff_id: str | None = None,
    detail: str | None = None,
) -> None:
    session.add(
        AuditEntry(
            at=now(),
            staff_id=staff_id,
            username=username,
            action=action,
            handoff_id=handoff_id,
            detail=detail,
        )
    )


async def record_read(
    session: AsyncSession, *, staff_id: int, username: str, action: str, handoff_id: str | None
) -> None:
    recent = await session.scalar(
        select(AuditEntry.id)
        .where(
            AuditEntry.staff_id == staff_id,
            AuditEntry.action == action,
            AuditEntry.handoff_id.is_(None)
            if handoff_id is None
            else AuditEntry.handoff_id == handoff_id,
            AuditEntry.at >= now() - READ_WINDOW,
        )
        .limit(1)
    )
    if recent is None:
        await record(
            session, staff_id=staff_id, username=username, action=action, handoff_id=handoff_id
        )


async def latest(session: AsyncSession, limit: int = 200) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    return list(await session.scalars(query))
