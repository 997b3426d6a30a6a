"""Call-back requests: the phone number sealed (Fernet) before it is stored."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from agentdesk.db.models import Callback
from agentdesk.vocabulary import now


async def create(
    session: AsyncSession, *, channel: str, language: str, phone_sealed: str, preferred_time: str
) -> Callback:
    callback = Callback(
        public_id="c-" + secrets.token_hex(8),
        channel=channel,
        language=language,
        phone_sealed=phone_sealed,
        preferred_time=preferred_time,
        created_at=now(),
    )
    session.add(callback)
    await session.flush()
    return callback


async def listed(session: AsyncSession, limit: int = 200) -> list[Callback]:
    query = select(Callback).order_by(Callback.done_at.is_not(None), Callback.id).limit(limit)
    return list(await session.scalars(query))


async def by_public_id(session: AsyncSession, public_id: str) -> Callback | None:
    return await session.scalar(select(Callback).where(Callback.public_id == public_id))
