"""Staff accounts and their sign-in sessions."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from agentdesk.db.models import Staff, StaffSession
from agentdesk.passwords import hash_password, verify_password
from agentdesk.vocabulary import AGENT, SUPERVISOR, now

# username, display name, role: the embedded default's demo accounts.
DEMO_ACCOUNTS = (
    ("agent1", "Handläggare 1", AGENT),
    ("agent2", "Handläggare 2", AGENT),
    ("supervisor1", "Arbetsledare 1", SUPERVISOR),
)
# Staffed = somebody's page has polled within this window.
STAFFED_WINDOW = timedelta(minutes=2)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def by_username(session: AsyncSession, username: str) -> Staff | None:
    return await session.scalar(select(Staff).where(Staff.username == username))


async def by_id(session: AsyncSession, staff_id: int) -> Staff | None:
    return await session.get(Staff, staff_id)


async def ensure_demo_accounts(session: AsyncSession, password: str) -> None:
    """The demo accounts with this password (a changed AGENTDESK_DEMO_PASSWORD rehashes)."""
    for username, display_name, role in DEMO_ACCOUNTS:
        staff = await by_username(session, username)
        if staff is None:
            session.add(
                Staff(
                    username=username,
                    display_name=display_name,
                    role=role,
                    password_hash=hash_password(password),
                    source="demo",
                    created_at=now(),
                )
            )
        elif staff.password_hash is None or not verify_password(password, staff.password_hash):
            staff.password_hash = hash_password(password)


async def upsert_oidc(session: AsyncSession, username: str, display_name: str, role: str) -> Staff:
    staff = await by_username(session, username)
    if staff is None:
        staff = Staff(
            username=username,
            display_name=display_name,
            role=role,
            password_hash=None,
            source="oidc",
            created_at=now(),
        )
        session.add(staff)
    else:
        staff.display_name, staff.role = display_name, role
    await session.flush()
    return staff


async def open_session(
    session: AsyncSession, staff: Staff, token: str, csrf_token: str, lifetime: timedelta
) -> StaffSession:
    moment = now()
    opened = StaffSession(
        token_hash=token_hash(token),
        staff_id=staff.id,
        csrf_token=csrf_token,
        created_at=moment,
        last_seen_at=moment,
        expires_at=moment + lifetime,
    )
    session.add(opened)
    await session.flush()
    return opened


async def session_for(session: AsyncSession, token: str) -> StaffSession | None:
    return await session.scalar(
        select(StaffSession).where(StaffSession.token_hash == token_hash(token))
    )


async def end_session(session: AsyncSession, opened: StaffSession) -> None:
    await session.execute(delete(StaffSession).where(StaffSession.id == opened.id))


async def staffed_count(session: AsyncSession, moment: datetime) -> int:
    """Staff members whose page has been open (polling) in the last two minutes."""
    query = select(func.count(func.distinct(StaffSession.staff_id))).where(
        StaffSession.last_seen_at >= moment - STAFFED_WINDOW,
        StaffSession.expires_at > moment,
    )
    return int(await session.scalar(query) or 0)
