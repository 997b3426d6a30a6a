"""The call-back list (the only place a phone number is shown, to staff) and, for
supervisors, the audit log."""

from __future__ import annotations

from sanic import Blueprint, HTTPResponse, json

from agentdesk.context import DeskRequest
from agentdesk.errors import Refusal
from agentdesk.repositories import audit
from agentdesk.repositories import callbacks as callback_repo
from agentdesk.staff_auth import require_staff
from agentdesk.views import audit_view, callback_view
from agentdesk.vocabulary import SUPERVISOR, now

bp = Blueprint("desk_callbacks", url_prefix="/desk/api")
bp.middleware(require_staff, "request")


@bp.get("/callbacks")
async def list_callbacks(request: DeskRequest) -> HTTPResponse:
    session, who, phones = request.ctx.db, request.ctx.signed_in, request.app.ctx.phones
    rows = await callback_repo.listed(session)
    await audit.record_read(
        session,
        staff_id=who.staff_id,
        username=who.username,
        action="read_callbacks",
        handoff_id=None,
    )
    await session.commit()
    return json({"callbacks": [callback_view(row, phones.open(row.phone_sealed)) for row in rows]})


@bp.post("/callbacks/<callback_id:str>/done")
async def callback_done(request: DeskRequest, callback_id: str) -> HTTPResponse:
    session, who = request.ctx.db, request.ctx.signed_in
    callback = await callback_repo.by_public_id(session, callback_id)
    if callback is None:
        raise Refusal(404, "no such call-back request")
    if callback.done_at is None:
        callback.done_at, callback.done_by = now(), who.staff_id
        await audit.record(
            session,
            staff_id=who.staff_id,
            username=who.username,
            action="callback_done",
            detail=callback.public_id,
        )
        await session.commit()
    return json(callback_view(callback, request.app.ctx.phones.open(callback.phone_sealed)))


@bp.get("/audit")
async def audit_log(request: DeskRequest) -> HTTPResponse:
    if request.ctx.signed_in.role != SUPERVISOR:
        raise Refusal(403, "the audit log is for supervisors")
    entries = await audit.latest(request.ctx.db)
    return json({"entries": [audit_view(entry) for entry in entries]})
