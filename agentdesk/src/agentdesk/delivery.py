"""Desk -> assistant: agent messages to /webhooks/agentdesk/deliver and the end of a handoff to
/webhooks/agentdesk/resume, with the delivery token.

Nothing is lost: a message is stored as pending before it is sent, marked delivered only on the
assistant's 200, else failed with the reason (shown to the agent) and sent again by the retry
loop. The assistant drops a message_id it has seen, so a retry after a lost answer is harmless.
A handoff's resume goes only after all its messages, so the citizen reads the agent's last
words before the bot answers again.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from agentdesk.db.models import Handoff, Message
from agentdesk.repositories import handoffs as handoff_repo
from agentdesk.repositories import messages as message_repo
from agentdesk.vocabulary import DELIVERED, FAILED, PENDING

log = logging.getLogger("agentdesk.delivery")
TIMEOUT_SECONDS = 5.0


class DeliveryFailed(Exception):
    """The assistant did not confirm; the message is a short reason for the agent."""


class AssistantClient:
    def __init__(self, base_url: str, token: bytes) -> None:
        self._client = httpx.AsyncClient(
            base_url=base_url,
            timeout=TIMEOUT_SECONDS,
            headers={"Authorization": f"Bearer {token.decode()}"},
        )

    async def post(self, path: str, body: dict[str, Any]) -> None:
        try:
            response = await self._client.post(path, json=body)
        except httpx.TimeoutException:
            raise DeliveryFailed("the assistant did not answer in time") from None
        except httpx.HTTPError:
            raise DeliveryFailed("the assistant cannot be reached") from None
        if response.status_code != 200:
            raise DeliveryFailed(f"the assistant answered {response.status_code}")

    async def close(self) -> None:
        await self._client.aclose()


async def deliver_message(client: AssistantClient, handoff: Handoff, message: Message) -> None:
    """Sends one agent message and marks it (the caller commits)."""
    try:
        await client.post(
            "/webhooks/agentdesk/deliver",
            {
                "conversation_id": handoff.conversation_id,
                "handoff_id": handoff.public_id,
                "text": message.text,
                "message_id": message.message_id,
                "sender": "agent",
            },
        )
    except DeliveryFailed as failure:
        message_repo.mark_failed(message, str(failure))
        log.warning("delivery of a message for %s failed: %s", handoff.public_id, failure)
        return
    message_repo.mark_delivered(message)


async def deliver_pending(session: AsyncSession, client: AssistantClient, handoff: Handoff) -> bool:
    """Every undelivered message of the handoff, in order; stops at the first failure.
    True when none is left undelivered."""
    for message in await message_repo.undelivered(session, handoff.id):
        await deliver_message(client, handoff, message)
        await session.commit()
        if message.delivery_status != DELIVERED:
            return False
    return True


async def send_resume(session: AsyncSession, client: AssistantClient, handoff: Handoff) -> None:
    if handoff.resume_status not in (PENDING, FAILED) or handoff.outcome is None:
        return
    if not await deliver_pending(session, client, handoff):
        return
    try:
        await client.post(
            "/webhooks/agentdesk/resume",
            {
                "conversation_id": handoff.conversation_id,
                "handoff_id": handoff.public_id,
                "outcome": handoff.outcome,
            },
        )
    except DeliveryFailed as failure:
        handoff.resume_status, handoff.resume_error = FAILED, str(failure)[:200]
    else:
        handoff.resume_status, handoff.resume_error = DELIVERED, None
    handoff.resume_attempts += 1
    await session.commit()


async def retry_all(session: AsyncSession, client: AssistantClient) -> None:
    """One round of the retry loop: undelivered messages, then unsent resumes."""
    seen: set[int] = set()
    for message in await message_repo.undelivered(session):
        if message.handoff_id in seen:
            continue
        seen.add(message.handoff_id)
        handoff = await session.get(Handoff, message.handoff_id)
        if handoff is not None:
            await deliver_pending(session, client, handoff)
    for handoff in await handoff_repo.unsent_resumes(session):
        await send_resume(session, client, handoff)


async def retry_loop(
    new_session: Any, client: AssistantClient, lock: asyncio.Lock, every: float
) -> None:
    """Runs until cancelled (after_server_stop)."""
    while True:
        await asyncio.sleep(every)
        try:
            async with lock, new_session() as session:
                await retry_all(session, client)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # the loop must survive a database hiccup
            log.warning("delivery retry round failed: %s", type(error).__name__)
