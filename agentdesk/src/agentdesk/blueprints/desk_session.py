"""Staff sign-in: the login form's CSRF token, password login (demo accounts), OIDC login
(an ID token from the identity provider), sign-out and who is signed in."""

from __future__ import annotations

from sanic import Blueprint, HTTPResponse, json

from agentdesk.context import DeskRequest
from agentdesk.errors import Refusal
from agentdesk.oidc import OidcRefused
from agentdesk.parsing import json_object, text_field
from agentdesk.passwords import DUMMY_HASH, verify_password
from agentdesk.repositories import audit
from agentdesk.repositories import staff as staff_repo
from agentdesk.staff_auth import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    check_login_csrf,
    clear_cookie,
    new_login_csrf,
    require_staff,
    set_cookie,
    sign_in,
)
from agentdesk.vocabulary import AGENT, SUPERVISOR

bp = Blueprint("desk_session", url_prefix="/desk/api")
LOGIN_CSRF_SECONDS = 60 * 60


@bp.get("/csrf")
async def login_csrf(request: DeskRequest) -> HTTPResponse:
    token = new_login_csrf()
    oidc = request.app.ctx.settings.oidc
    response = json({"csrf_token": token, "oidc": oidc is not None})
    set_cookie(request, response, LOGIN_CSRF_COOKIE, token, LOGIN_CSRF_SECONDS)
    return response


@bp.post("/login")
async def login(request: DeskRequest) -> HTTPResponse:
    check_login_csrf(request)
    body = json_object(request.body)
    username = text_field(body, "username", limit=120)
    password = text_field(body, "password", limit=200)
    if request.app.ctx.settings.oidc is not None:
        raise Refusal(403, "sign in through the organisation's login (OIDC is configured)")
    session = request.ctx.db
    staff = await staff_repo.by_username(session, username)
    stored = staff.password_hash if staff is not None else None
    valid = verify_password(password, stored or DUMMY_HASH) and stored is not None
    if staff is None or not valid or staff.source != "demo":
        raise Refusal(401, "wrong user name or password")
    response = await sign_in(request, staff)
    await audit.record(session, staff_id=staff.id, username=staff.username, action="login")
    await session.commit()
    return response


@bp.post("/login/oidc")
async def login_oidc(request: DeskRequest) -> HTTPResponse:
    check_login_csrf(request)
    verifier = request.app.ctx.oidc
    if verifier is None:
        raise Refusal(404, "OIDC is not configured")
    body = json_object(request.body)
    try:
        identity = verifier.verify(text_field(body, "id_token", limit=16 * 1024))
    except OidcRefused as refused:
        raise Refusal(401, str(refused)) from None
    session = request.ctx.db
    role = SUPERVISOR if identity.supervisor else AGENT
    staff = await staff_repo.upsert_oidc(session, identity.username, identity.display_name, role)
    response = await sign_in(request, staff)
    await audit.record(session, staff_id=staff.id, username=staff.username, action="login_oidc")
    await session.commit()
    return response


@bp.post("/logout")
async def logout(request: DeskRequest) -> HTTPResponse:
    await require_staff(request)
    session = request.ctx.db
    opened = await staff_repo.session_for(session, request.cookies.get(SESSION_COOKIE) or "")
    if opened is not None:
        await staff_repo.end_session(session, opened)
    who = request.ctx.signed_in
    await audit.record(session, staff_id=who.staff_id, username=who.username, action="logout")
    await session.commit()
    response = json({"signed_out": True})
    clear_cookie(request, response, SESSION_COOKIE)
    return response


@bp.get("/me")
async def me(request: DeskRequest) -> HTTPResponse:
    await require_staff(request)
    return json(request.ctx.signed_in.public())
