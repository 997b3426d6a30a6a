"""How long a citizen can expect to wait: the queue ahead, shared among the staff on duty."""

from __future__ import annotations

import math
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from agentdesk.repositories import handoffs as handoff_repo
from agentdesk.repositories import staff as staff_repo
from agentdesk.settings import Settings


def estimated_wait(position: int, staffed: int, handle_seconds: int) -> int:
    if position <= 0:
        return 0
    return math.ceil(position * handle_seconds / max(1, staffed))


async def availability(
    session: AsyncSession, settings: Settings, moment: datetime
) -> dict[str, object]:
    waiting = await handoff_repo.count_waiting(session)
    staffed = await staff_repo.staffed_count(session, moment)
    local = moment.astimezone(ZoneInfo(settings.timezone))
    return {
        "open": settings.hours.is_open(local),
        "staffed": staffed > 0,
        "queue_length": waiting,
        "queue_full": waiting >= settings.queue_limit,
        "estimated_wait_seconds": estimated_wait(waiting + 1, staffed, settings.handle_seconds),
        "hours": settings.hours.text,
    }
