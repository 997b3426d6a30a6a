"""Staff sessions: an HttpOnly, SameSite=Strict cookie (Secure behind https) naming a session
row, and a CSRF token that every state-changing request must send in `X-CSRF-Token`.

Before sign-in there is no session, so the login form gets its CSRF token from GET
/desk/api/csrf, which also sets it in a cookie (double submit): a page on another site can
neither read the token nor, with SameSite=Strict, send the cookie.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sanic import HTTPResponse, json

from agentdesk.context import DeskRequest
from agentdesk.db.models import Staff
from agentdesk.errors import Refusal
from agentdesk.repositories import staff as staff_repo
from agentdesk.vocabulary import as_utc, now

SESSION_COOKIE = "agentdesk_session"
LOGIN_CSRF_COOKIE = "agentdesk_login_csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Seen at most this often: the page polls every 2 s, the row need not change every time.
TOUCH_EVERY = timedelta(seconds=15)


@dataclass(frozen=True)
class SignedIn:
    staff_id: int
    username: str
    display_name: str
    role: str
    session_id: int
    csrf_token: str

    def public(self) -> dict[str, str]:
        return {
            "username": self.username,
            "display_name": self.display_name,
            "role": self.role,
            "csrf_token": self.csrf_token,
        }


def secure_request(request: DeskRequest) -> bool:
    return request.app.ctx.settings.secure_cookies or request.scheme == "https"


def set_cookie(
    request: DeskRequest, response: HTTPResponse, name: str, value: str, max_age: int
) -> None:
    response.add_cookie(
        name,
        value,
        path="/",
        max_age=max_age,
        httponly=True,
        samesite="Strict",
        secure=secure_request(request),
    )


def clear_cookie(request: DeskRequest, response: HTTPResponse, name: str) -> None:
    set_cookie(request, response, name, "", 0)


def check_csrf(presented: str | None, expected: str) -> None:
    if not presented:
        raise Refusal(403, "the X-CSRF-Token header is missing")
    if not expected or not hmac.compare_digest(presented.encode(), expected.encode()):
        raise Refusal(403, "the CSRF token is not valid")


def new_login_csrf() -> str:
    return secrets.token_urlsafe(32)


def check_login_csrf(request: DeskRequest) -> None:
    check_csrf(request.headers.get(CSRF_HEADER), request.cookies.get(LOGIN_CSRF_COOKIE) or "")


async def sign_in(request: DeskRequest, staff: Staff) -> HTTPResponse:
    """A new session for `staff`: the response carries who signed in and the session cookie."""
    settings = request.app.ctx.settings
    token, csrf_token = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    opened = await staff_repo.open_session(
        request.ctx.db, staff, token, csrf_token, timedelta(seconds=settings.session_max_seconds)
    )
    signed_in = SignedIn(
        staff.id, staff.username, staff.display_name, staff.role, opened.id, csrf_token
    )
    response = json(signed_in.public())
    set_cookie(request, response, SESSION_COOKIE, token, settings.session_max_seconds)
    clear_cookie(request, response, LOGIN_CSRF_COOKIE)
    return response


async def require_staff(request: DeskRequest) -> None:
    """Request middleware for /desk/api (sign-in routes excepted): a live session, and on a
    state-changing request its CSRF token."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise Refusal(401, "not signed in")
    session = request.ctx.db
    opened = await staff_repo.session_for(session, token)
    if opened is None:
        raise Refusal(401, "not signed in")
    moment = now()
    idle = timedelta(seconds=request.app.ctx.settings.session_idle_seconds)
    if as_utc(opened.expires_at) <= moment or as_utc(opened.last_seen_at) + idle <= moment:
        await staff_repo.end_session(session, opened)
        await session.commit()
        raise Refusal(401, "the session has expired: sign in again")
    if request.method not in SAFE_METHODS:
        check_csrf(request.headers.get(CSRF_HEADER), opened.csrf_token)
    staff = await staff_repo.by_id(session, opened.staff_id)
    if staff is None:
        raise Refusal(401, "not signed in")
    if moment - as_utc(opened.last_seen_at) >= TOUCH_EVERY:
        opened.last_seen_at = moment
        await session.commit()
    request.ctx.staff = SignedIn(
        staff.id, staff.username, staff.display_name, staff.role, opened.id, opened.csrf_token
    )
