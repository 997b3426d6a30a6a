"""The channel's small pieces: rate limit, session ids, test login, payloads, history,
output shapes, origins."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from connectors.base.ratelimit import RateLimit, RateLimiter
from connectors.webchat.history import TrackerHistory, history_from_events
from connectors.webchat.messages import (
    BadPayloadError,
    auth_from_connect,
    parse_session_request,
    parse_user_uttered,
)
from connectors.webchat.origins import OriginPolicy
from connectors.webchat.output import WebChatOutput
from connectors.webchat.person_lookup import UnknownPersonError
from connectors.webchat.sessions import (
    ANONYMOUS,
    AnonymousOnly,
    AuthenticationError,
    Identity,
    SessionIds,
)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# ---- rate limit ----

def test_the_rate_limit_allows_a_burst_then_refills_over_the_window() -> None:
    clock = Clock()
    limiter = RateLimiter(RateLimit(messages=3, per_seconds=30), clock)
    assert [limiter.check("a").allowed for _ in range(4)] == [True, True, True, False]
    refused = limiter.check("a")
    assert not refused.allowed and refused.retry_after == pytest.approx(10.0)
    assert limiter.check("b").allowed  # per session
    clock.now += 10
    assert limiter.check("a").allowed
    assert not limiter.check("a").allowed


def test_idle_sessions_are_forgotten() -> None:
    clock = Clock()
    limiter = RateLimiter(RateLimit(messages=2, per_seconds=10), clock, prune_every=3)
    limiter.check("a")
    limiter.check("b")
    clock.now += 60
    limiter.check("c")  # the third call prunes the refilled buckets of a and b
    assert len(limiter) == 1


# ---- session ids ----

PERSON = Identity("person:ref-1", {"test_person_ref": "ref-1"})


def test_a_session_id_verifies_only_for_the_identity_it_was_issued_to() -> None:
    ids = SessionIds(b"secret-0123456789")
    session = ids.issue(ANONYMOUS)
    assert ids.verify(session.token, ANONYMOUS) == session
    assert ids.verify(session.token, PERSON) is None
    person_session = ids.issue(PERSON)
    assert ids.verify(person_session.token, PERSON) == person_session
    assert ids.verify(person_session.token, ANONYMOUS) is None


def test_the_sender_id_holds_no_signature_and_the_token_no_identity() -> None:
    ids = SessionIds(b"secret-0123456789")
    session = ids.issue(PERSON)
    nonce, mac = session.token.split(".")
    assert session.sender_id == "web-" + nonce and mac not in session.sender_id
    assert "ref-1" not in session.token


@pytest.mark.parametrize("token", [None, 42, "", "abc", "a" * 22 + "." + "b" * 22,
                                   "web-abc", "x" * 22 + ".." + "y" * 21])
def test_forged_and_malformed_session_ids_do_not_verify(token: Any) -> None:
    assert SessionIds(b"secret-0123456789").verify(token, ANONYMOUS) is None


def test_another_secret_does_not_verify_and_the_same_secret_does_after_a_restart() -> None:
    session = SessionIds(b"secret-0123456789").issue(ANONYMOUS)
    assert SessionIds(b"another-secret-000").verify(session.token, ANONYMOUS) is None
    assert SessionIds(b"secret-0123456789").verify(session.token, ANONYMOUS) == session


def test_session_ids_are_random() -> None:
    ids = SessionIds(b"secret-0123456789")
    assert len({ids.issue(ANONYMOUS).token for _ in range(50)}) == 50


# ---- authenticators ----

def test_the_default_is_anonymous_only() -> None:
    auth = AnonymousOnly()
    assert asyncio.run(auth.authenticate(None)) == ANONYMOUS
    with pytest.raises(AuthenticationError) as raised:
        asyncio.run(auth.authenticate("some.jwt.token"))
    assert raised.value.code == "auth_failed"


class FakeLookup:
    def __init__(self, refs: dict[str, str], down: bool = False) -> None:
        self.refs = refs
        self.down = down
        self.calls: list[str] = []

    async def person_ref(self, personnummer: str) -> str:
        self.calls.append(personnummer)
        if self.down:
            raise OSError("connection refused")
        if personnummer not in self.refs:
            raise UnknownPersonError()
        return self.refs[personnummer]

    async def close(self) -> None:
        return None


# ---- payloads ----

def test_a_rasa_widgets_payloads_are_understood() -> None:
    message = parse_user_uttered({"message": " hej\x00 ", "session_id": "abc",
                                  "metadata": {"language": "EN-us", "other": 1}}, 100)
    assert (message.text, message.session_id, message.language) == ("hej", "abc", "en")
    request = parse_session_request({"session_id": "abc"})
    assert (request.session_id, request.auth_token, request.has_auth) == ("abc", None, False)
    assert parse_session_request(None).session_id is None
    assert parse_session_request({"session_id": None, "auth": {"token": "t"}}).auth_token == "t"
    logout = parse_session_request({"auth": ""})
    assert logout.has_auth and logout.auth_token is None
    assert auth_from_connect({"token": "t"}) == "t"
    assert auth_from_connect(None) is None and auth_from_connect({}) is None


@pytest.mark.parametrize("auth", ["string", ["list"], {"token": 42}, {"token": "x" * 5000}])
def test_malformed_connect_auth_is_refused(auth: Any) -> None:
    with pytest.raises(BadPayloadError):
        auth_from_connect(auth)


def test_the_size_limit_counts_characters_after_trimming() -> None:
    assert parse_user_uttered({"message": "å" * 10 + "   "}, 10).text == "å" * 10
    with pytest.raises(BadPayloadError) as raised:
        parse_user_uttered({"message": "å" * 11}, 10)
    assert raised.value.code == "message_too_long"


# ---- history ----

def _events() -> list[dict[str, Any]]:
    return [
        {"event": "user", "text": "gammalt"},
        {"event": "session_started"},
        {"event": "user", "text": "/greet"},
        {"event": "bot", "text": "Hej!\n\nVad vill du veta?", "data": {"buttons": [
            {"title": "Status i mitt ärende", "payload": "/ask_case_status"}]}},
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": "/ask_case_status"},
        {"event": "bot", "text": "Ditt ärende ...", "data": {}},
        {"event": "user", "text": "/human_handoff"},
        {"event": "bot", "text": None, "data": {"image": "https://example.se/a.png"}},
    ]


def test_history_is_the_current_session_as_the_channel_sent_it() -> None:
    assert history_from_events(_events(), limit=100) == [
        {"role": "user", "text": "/greet", "payload": True},
        {"role": "bot", "message": {"text": "Hej!"}},
        {"role": "bot", "message": {"text": "Vad vill du veta?", "quick_replies": [
            {"content_type": "text", "title": "Status i mitt ärende",
             "payload": "/ask_case_status"}]}},
        {"role": "user", "text": "Status i mitt ärende", "payload": False},
        {"role": "bot", "message": {"text": "Ditt ärende ..."}},
        {"role": "user", "text": "/human_handoff", "payload": True},
        {"role": "bot", "message": {"attachment": {"type": "image",
                                                   "payload": {"src": "https://example.se/a.png"}}}},
    ]


def test_history_keeps_the_latest_items_only() -> None:
    assert [i["role"] for i in history_from_events(_events(), limit=2)] == ["user", "bot"]
    assert history_from_events(_events(), limit=0) == []


class _Event:
    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    def as_dict(self) -> dict[str, Any]:
        return self.data


class _Tracker:
    def __init__(self, events: list[dict[str, Any]]) -> None:
        self.events = [_Event(e) for e in events]


class _Store:
    def __init__(self, trackers: dict[str, _Tracker]) -> None:
        self.trackers = trackers

    async def retrieve(self, sender_id: str) -> _Tracker | None:
        return self.trackers.get(sender_id)


def test_history_is_read_from_the_agents_tracker_store() -> None:
    store = _Store({"web-a": _Tracker(_events())})
    history = TrackerHistory(lambda: store, limit=100)
    assert len(asyncio.run(history.load("web-a"))) == 7
    assert asyncio.run(history.load("web-unknown")) == []
    assert asyncio.run(TrackerHistory(lambda: None, limit=100).load("web-a")) == []


# ---- output ----

class Emitted:
    def __init__(self) -> None:
        self.calls: list[tuple[str, Any, str]] = []

    async def __call__(self, event: str, data: Any, room: str) -> None:
        self.calls.append((event, data, room))


def test_the_output_sends_rasas_shapes_to_the_sessions_room() -> None:
    emitted = Emitted()
    output = WebChatOutput(emitted)

    async def send() -> None:
        await output.send_text_message("web-a", "Ett.\n\nTvå.")
        await output.send_text_with_buttons("web-a", "Välj", [{"title": "Ja", "payload": "/j"}])
        await output.send_image_url("web-a", "https://example.se/a.png")
        await output.send_custom_json("web-a", {"custom": 1})

    asyncio.run(send())
    assert emitted.calls == [
        ("bot_uttered", {"text": "Ett."}, "web-a"),
        ("bot_uttered", {"text": "Två."}, "web-a"),
        ("bot_uttered", {"text": "Välj", "quick_replies": [
            {"content_type": "text", "title": "Ja", "payload": "/j"}]}, "web-a"),
        ("bot_uttered", {"attachment": {"type": "image",
                                        "payload": {"src": "https://example.se/a.png"}}},
         "web-a"),
        ("bot_uttered", {"custom": 1}, "web-a"),
    ]
    assert output.name() == "webchat"


def test_the_web_chat_is_a_web_channel_for_the_nlg_and_the_actions() -> None:
    from common.channels import ChannelKind, channel_kind

    assert channel_kind(WebChatOutput.name()) is ChannelKind.WEB


# ---- origins ----

def test_origins_on_the_list_and_the_servers_own_are_allowed() -> None:
    policy = OriginPolicy(["https://www.forsakringskassan.se"])
    own = {"wsgi.url_scheme": "http", "HTTP_HOST": "127.0.0.1:5005"}
    assert policy.allows("https://www.forsakringskassan.se", own)
    assert policy.allows("HTTPS://www.forsakringskassan.se/", own)
    assert policy.allows("http://127.0.0.1:5005", own)
    assert policy.allows(None, own)  # not a browser page
    assert not policy.allows("https://www.forsakringskassan.se.evil.example", own)
    assert not policy.allows("http://127.0.0.1:5006", own)
    assert not policy.allows("https://127.0.0.1:5005", own)
    assert not policy.allows("https://evil.example")
