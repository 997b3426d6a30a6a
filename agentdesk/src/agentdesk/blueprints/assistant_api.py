"""The assistant's API (/v1, assistant token): availability, handoffs, citizen messages and
call-back requests. Texts are redacted again here before anything is stored."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sanic import Blueprint, HTTPResponse, json

from agentdesk.assistant_auth import require_assistant
from agentdesk.context import DeskRequest
from agentdesk.db.models import Handoff
from agentdesk.errors import Refusal, bad_request
from agentdesk.parsing import choice, flag, json_object, message_id, optional_text, text_field
from agentdesk.queue_estimate import availability, estimated_wait
from agentdesk.redaction import redact
from agentdesk.repositories import callbacks as callback_repo
from agentdesk.repositories import handoffs as handoff_repo
from agentdesk.repositories import messages as message_repo
from agentdesk.repositories import staff as staff_repo
from agentdesk.repositories.handoffs import NewHandoff
from agentdesk.repositories.messages import NewMessage
from agentdesk.vocabulary import CHANNELS, CLOSED, LANGUAGES, SENDERS_FROM_ASSISTANT, as_utc, now

CONVERSATION_ID = re.compile(r"^(?:web|sms)-[A-Za-z0-9._:-]{1,150}$")
PHONE = re.compile(r"^\+[1-9]\d{6,14}$")
TRANSCRIPT_MAX = 200

bp = Blueprint("assistant_api", url_prefix="/v1")
bp.middleware(require_assistant, "request")


def _conversation_id(body: dict[str, Any]) -> str:
    value = body.get("conversation_id")
    if not isinstance(value, str) or not CONVERSATION_ID.match(value):
        raise bad_request("conversation_id must look like web-… or sms-…")
    return value


def _time(value: object) -> datetime:
    if isinstance(value, str):
        try:
            return as_utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
        except ValueError:
            pass
    return now()  # a missing or odd time is not worth refusing the citizen's handoff


def _transcript(body: dict[str, Any]) -> list[NewMessage]:
    entries = body.get("transcript", [])
    if not isinstance(entries, list):
        raise bad_request("transcript must be a list")
    if len(entries) > TRANSCRIPT_MAX:
        raise Refusal(413, f"transcript has more than {TRANSCRIPT_MAX} entries")
    transcript = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise bad_request(f"transcript[{index}] must be an object")
        sender = choice(entry, "from", SENDERS_FROM_ASSISTANT)
        text = text_field(entry, "text")
        transcript.append(NewMessage(f"t-{index:04d}", sender, text, _time(entry.get("at"))))
    return transcript


@bp.get("/availability")
async def get_availability(request: DeskRequest) -> HTTPResponse:
    channel = request.args.get("channel")
    if channel is not None and channel not in CHANNELS:
        raise bad_request("channel must be web or sms")
    return json(await availability(request.ctx.db, request.app.ctx.settings, now()))


async def _placed(request: DeskRequest, handoff: Handoff) -> dict[str, Any]:
    session = request.ctx.db
    position = await handoff_repo.position(session, handoff)
    staffed = await staff_repo.staffed_count(session, now())
    return {
        "handoff_id": handoff.public_id,
        "status": handoff.status,
        "position": position,
        "estimated_wait_seconds": estimated_wait(
            position, staffed, request.app.ctx.settings.handle_seconds
        ),
    }


@bp.post("/handoffs")
async def create_handoff(request: DeskRequest) -> HTTPResponse:
    body = json_object(request.body)
    protected = flag(body, "protected_identity", default=False)
    identified = flag(body, "identified", default=False)
    name = optional_text(body, "display_name")
    new = NewHandoff(
        conversation_id=_conversation_id(body),
        channel=choice(body, "channel", frozenset(CHANNELS)),
        language=choice(body, "language", frozenset(LANGUAGES)),
        identified=identified,
        # Only an identified, unprotected person's name is kept, and redacted like the texts.
        display_name=redact(name) if name and identified and not protected else None,
        protected_identity=protected,
    )
    transcript = _transcript(body)
    session = request.ctx.db
    existing = await handoff_repo.open_for_conversation(session, new.conversation_id)
    if existing is None:
        state = await availability(session, request.app.ctx.settings, now())
        if not state["open"] or not state["staffed"]:
            raise Refusal(409, "closed")
        if state["queue_full"]:
            raise Refusal(409, "full")
    handoff, created = await handoff_repo.create(session, new)
    if created:
        for entry in transcript:
            await message_repo.add(session, handoff, entry)
    await session.commit()
    # 201 for the repeat too: the caller gets the same handoff either way.
    return json(await _placed(request, handoff), status=201)


@bp.get("/handoffs/by-conversation/<conversation_id:str>")
async def handoff_for_conversation(request: DeskRequest, conversation_id: str) -> HTTPResponse:
    handoff = await handoff_repo.open_for_conversation(request.ctx.db, conversation_id)
    if handoff is None:
        raise Refusal(404, "no open handoff for this conversation")
    return json(await _placed(request, handoff))


@bp.post("/handoffs/<handoff_id:str>/messages")
async def citizen_message(request: DeskRequest, handoff_id: str) -> HTTPResponse:
    body = json_object(request.body)
    text = text_field(body, "text")
    new = NewMessage(message_id(body), "citizen", text, now())
    session = request.ctx.db
    handoff = await handoff_repo.by_public_id(session, handoff_id)
    if handoff is None:
        raise Refusal(404, "no such handoff")
    if handoff.status == CLOSED:
        raise Refusal(409, "closed")
    stored = await message_repo.add(session, handoff, new)
    await session.commit()
    return json({"accepted": True, "duplicate": stored is None}, status=202)


@bp.post("/callbacks")
async def create_callback(request: DeskRequest) -> HTTPResponse:
    body = json_object(request.body)
    if body.get("consent") is not True:
        raise bad_request("consent must be true: a call-back needs the citizen's consent")
    phone = text_field(body, "phone", limit=32).replace(" ", "").replace("-", "")
    if not PHONE.match(phone):
        raise bad_request("phone must be an international number like +46701234567")
    preferred = optional_text(body, "preferred_time", limit=200) or ""
    session = request.ctx.db
    callback = await callback_repo.create(
        session,
        channel=choice(body, "channel", frozenset(CHANNELS)),
        language=choice(body, "language", frozenset(LANGUAGES)),
        phone_sealed=request.app.ctx.phones.seal(phone),
        preferred_time=redact(preferred),
    )
    await session.commit()
    return json({"callback_id": callback.public_id}, status=201)
