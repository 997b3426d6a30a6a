"""The staff's handoff routes: the queue, a transcript, take over, reply, hand back, close.

Every read and write of a handoff goes to the audit log."""

from __future__ import annotations

import uuid

from sanic import Blueprint, HTTPResponse, json
from sqlalchemy import select

from agentdesk.access import check_read, check_write, may_read
from agentdesk.context import DeskRequest
from agentdesk.db.models import Handoff, Staff
from agentdesk.delivery import deliver_pending, send_resume
from agentdesk.errors import Refusal
from agentdesk.parsing import UUIDISH, choice, json_object, text_field
from agentdesk.repositories import audit
from agentdesk.repositories import handoffs as handoff_repo
from agentdesk.repositories import messages as message_repo
from agentdesk.repositories.messages import NewMessage
from agentdesk.staff_auth import require_staff
from agentdesk.views import handoff_summary, message_view
from agentdesk.vocabulary import ACTIVE, CLOSE_OUTCOMES, CLOSED, WAITING, now

bp = Blueprint("desk_handoffs", url_prefix="/desk/api")
bp.middleware(require_staff, "request")


async def _agent_names(request: DeskRequest) -> dict[int, str]:
    rows = await request.ctx.db.execute(select(Staff.id, Staff.display_name))
    return {staff_id: name for staff_id, name in rows.tuples()}


async def _handoff(request: DeskRequest, handoff_id: str) -> Handoff:
    handoff = await handoff_repo.by_public_id(request.ctx.db, handoff_id)
    if handoff is None:
        raise Refusal(404, "no such handoff")
    return handoff


async def _audit(
    request: DeskRequest, action: str, handoff: Handoff, detail: str | None = None
) -> None:
    who = request.ctx.signed_in
    await audit.record(
        request.ctx.db,
        staff_id=who.staff_id,
        username=who.username,
        action=action,
        handoff_id=handoff.public_id,
        detail=detail,
    )


async def _detail(request: DeskRequest, handoff: Handoff) -> dict[str, object]:
    session = request.ctx.db
    position = await handoff_repo.position(session, handoff)
    summary = handoff_summary(handoff, now(), await _agent_names(request), position)
    summary["messages"] = [message_view(m) for m in await message_repo.of_handoff(session, handoff)]
    summary["mine"] = handoff.agent_id == request.ctx.signed_in.staff_id
    return summary


@bp.get("/queue")
async def queue(request: DeskRequest) -> HTTPResponse:
    session, who, moment = request.ctx.db, request.ctx.signed_in, now()
    agents = await _agent_names(request)
    lists: dict[str, list[dict[str, object]]] = {}
    for status in (WAITING, ACTIVE, CLOSED):
        rows = await handoff_repo.listed(session, status, limit=50 if status == CLOSED else 200)
        lists[status] = [
            handoff_summary(h, moment, agents, index + 1 if status == WAITING else 0)
            | {"mine": h.agent_id == who.staff_id, "readable": may_read(who, h)}
            for index, h in enumerate(rows)
        ]
    return json(lists)


@bp.get("/handoffs/<handoff_id:str>")
async def read_handoff(request: DeskRequest, handoff_id: str) -> HTTPResponse:
    handoff = await _handoff(request, handoff_id)
    who = request.ctx.signed_in
    check_read(who, handoff)
    await audit.record_read(
        request.ctx.db,
        staff_id=who.staff_id,
        username=who.username,
        action="read",
        handoff_id=handoff.public_id,
    )
    await request.ctx.db.commit()
    return json(await _detail(request, handoff))


@bp.post("/handoffs/<handoff_id:str>/take")
async def take(request: DeskRequest, handoff_id: str) -> HTTPResponse:
    handoff = await _handoff(request, handoff_id)
    who = request.ctx.signed_in
    if handoff.status == CLOSED:
        raise Refusal(409, "the handoff is closed")
    if handoff.status == ACTIVE or not await handoff_repo.take(
        request.ctx.db, handoff, who.staff_id
    ):
        if handoff.agent_id != who.staff_id:
            raise Refusal(403, "another agent has this handoff")
    else:
        await _audit(request, "take", handoff)
    await request.ctx.db.commit()
    return json(await _detail(request, handoff))


@bp.post("/handoffs/<handoff_id:str>/reply")
async def reply(request: DeskRequest, handoff_id: str) -> HTTPResponse:
    body = json_object(request.body)
    text = text_field(body, "text")
    given = body.get("message_id")
    if given is not None and (not isinstance(given, str) or not UUIDISH.match(given)):
        raise Refusal(400, "message_id must be an id of 8-64 letters, digits or ._:-")
    handoff = await _handoff(request, handoff_id)
    who = request.ctx.signed_in
    check_write(who, handoff)
    session = request.ctx.db
    new_id = given or str(uuid.uuid4())
    stored = await message_repo.add(
        session, handoff, NewMessage(new_id, "agent", text, now(), who.staff_id)
    )
    if stored is not None:
        await _audit(request, "reply", handoff)
    await session.commit()
    # Sent now; on failure it stays failed (shown to the agent) and the retry loop goes on.
    async with request.app.ctx.delivery_lock:
        await deliver_pending(session, request.app.ctx.client, handoff)
    message = await message_repo.by_message_id(session, handoff, new_id)
    if message is None:
        raise Refusal(409, "message_id is used by another message in this handoff")
    await session.refresh(message)
    return json({"message": message_view(message)}, status=201 if stored is not None else 200)


@bp.post("/handoffs/<handoff_id:str>/retry")
async def retry(request: DeskRequest, handoff_id: str) -> HTTPResponse:
    handoff = await _handoff(request, handoff_id)
    if handoff.status == CLOSED:
        check_read(request.ctx.signed_in, handoff)  # only the resume is left to send
    else:
        check_write(request.ctx.signed_in, handoff)
    async with request.app.ctx.delivery_lock:
        await deliver_pending(request.ctx.db, request.app.ctx.client, handoff)
        await send_resume(request.ctx.db, request.app.ctx.client, handoff)
    return json(await _detail(request, handoff))


async def _finish(request: DeskRequest, handoff_id: str, outcome: str) -> HTTPResponse:
    handoff = await _handoff(request, handoff_id)
    check_write(request.ctx.signed_in, handoff)
    await handoff_repo.close(request.ctx.db, handoff, outcome)
    await _audit(request, "hand_back" if outcome == "handed_back" else "close", handoff, outcome)
    await request.ctx.db.commit()
    async with request.app.ctx.delivery_lock:
        await send_resume(request.ctx.db, request.app.ctx.client, handoff)
    return json(await _detail(request, handoff))


@bp.post("/handoffs/<handoff_id:str>/hand-back")
async def hand_back(request: DeskRequest, handoff_id: str) -> HTTPResponse:
    return await _finish(request, handoff_id, "handed_back")


@bp.post("/handoffs/<handoff_id:str>/close")
async def close(request: DeskRequest, handoff_id: str) -> HTTPResponse:
    outcome = choice(json_object(request.body), "outcome", CLOSE_OUTCOMES)
    return await _finish(request, handoff_id, outcome)
