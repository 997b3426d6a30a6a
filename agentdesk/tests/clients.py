"""HTTP clients for the tests: the assistant (bearer token) and a signed-in staff member
(cookie jar and CSRF token), plus the handoff bodies the assistant sends."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.support import ASSISTANT_TOKEN, DEMO_PASSWORD


def assistant(base_url: str, token: str | None = ASSISTANT_TOKEN) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=base_url, headers=headers, timeout=30.0)


def handoff_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "conversation_id": f"web-{uuid.uuid4().hex}",
        "channel": "web",
        "language": "sv",
        "identified": True,
        "display_name": "Tolvan T",
        "protected_identity": False,
        "transcript": [
            {"from": "citizen", "text": "När kommer mina pengar?", "at": "2026-12-05T09:00:00Z"},
            {
                "from": "bot",
                "text": "Vill du prata med en handläggare?",
                "at": "2026-12-05T09:00:02Z",
            },
        ],
    }
    body.update(overrides)
    return body


class Staff:
    """A staff member signed in through the login form's API, as the page does it."""

    def __init__(self, base_url: str, username: str, password: str = DEMO_PASSWORD) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=30.0)
        csrf = self.http.get("/desk/api/csrf").json()["csrf_token"]
        response = self.http.post(
            "/desk/api/login",
            json={"username": username, "password": password},
            headers={"X-CSRF-Token": csrf},
        )
        assert response.status_code == 200, response.text
        self.login_response = response
        self.csrf: str = response.json()["csrf_token"]
        self.username = username

    def get(self, path: str) -> httpx.Response:
        return self.http.get(path)

    def post(
        self, path: str, body: object | None = None, csrf: str | None = "own"
    ) -> httpx.Response:
        headers = {}
        if csrf == "own":
            headers["X-CSRF-Token"] = self.csrf
        elif csrf is not None:
            headers["X-CSRF-Token"] = csrf
        return self.http.post(path, json=body if body is not None else {}, headers=headers)

    def close(self) -> None:
        self.http.close()
