"""The channel's block in credentials.yml: defaults, every setting, and clear errors."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.base.ratelimit import RateLimit
from connectors.webchat import WebChatInput
from connectors.webchat.config import WebChatConfigError, parse_config
from connectors.webchat.session_token import SessionTokenAuthenticator
from connectors.webchat.sessions import AnonymousOnly

SECRET = "s" * 16
BACKEND_ENV = {"CASEBACKEND_URL": "http://127.0.0.1:8100/",
               "CASEBACKEND_LOOKUP_TOKEN": "service-token"}


def test_defaults_are_safe_for_production() -> None:
    config = parse_config({"session_secret": SECRET}, environ={})
    assert config.socketio_path == "/webhooks/webchat/socket.io"
    assert config.allowed_origins == ()
    assert config.rate_limit == RateLimit(20, 60.0)
    assert config.max_message_chars == 1000
    assert config.session_persistence is True
    assert config.test_login is False and config.backend is None
    assert config.demo_pages is False
    assert config.session_secret == SECRET.encode()


def test_every_setting_is_read() -> None:
    config = parse_config({
        "socketio_path": "/chat/io/", "allowed_origins": ["https://WWW.Example.se/"],
        "rate_limit": {"messages": 5, "per_seconds": 10}, "max_message_chars": 300,
        "session_persistence": False, "history_limit": 7, "demo_pages": True,
        "test_login": True, "session_secret": SECRET}, environ=BACKEND_ENV)
    assert config.socketio_path == "/chat/io"
    assert config.allowed_origins == ("https://www.example.se",)
    assert config.rate_limit == RateLimit(5, 10.0)
    assert (config.max_message_chars, config.session_persistence, config.history_limit,
            config.demo_pages) == (300, False, 7, True)
    assert config.backend is not None and config.backend.url == "http://127.0.0.1:8100"
    assert config.max_frame_bytes == 300 * 4 + 4096


def test_the_secret_comes_from_the_environment_or_is_made_per_process() -> None:
    from_env = parse_config({}, environ={"WEBCHAT_SESSION_SECRET": "e" * 20})
    assert from_env.session_secret == b"e" * 20
    made = parse_config({}, environ={})
    assert len(made.session_secret) == 32 and made.session_secret != parse_config(
        {}, environ={}).session_secret


@pytest.mark.parametrize(("block", "key"), [
    ({"max_message_chars": 0}, "max_message_chars"),
    ({"max_message_chars": "1000"}, "max_message_chars"),
    ({"max_message_chars": True}, "max_message_chars"),
    ({"rate_limit": 20}, "rate_limit"),
    ({"rate_limit": {"messages": 20}}, "rate_limit"),
    ({"rate_limit": {"messages": 0, "per_seconds": 60}}, "rate_limit.messages"),
    ({"rate_limit": {"messages": 5, "per_seconds": -1}}, "rate_limit.per_seconds"),
    ({"allowed_origins": "https://a.se"}, "allowed_origins"),
    ({"allowed_origins": ["https://a.se/path"]}, "allowed_origins"),
    ({"allowed_origins": ["a.se"]}, "allowed_origins"),
    ({"allowed_origins": [42]}, "allowed_origins"),
    ({"socketio_path": "socket.io"}, "socketio_path"),
    ({"socketio_path": "/"}, "socketio_path"),
    ({"session_persistence": "yes"}, "session_persistence"),
    ({"history_limit": -1}, "history_limit"),
    ({"session_secret": "short"}, "session_secret"),
    ({"test_login": "on"}, "test_login"),
    ({"test_login": True}, "test_login"),  # without the backend's address and token
    ({"allowed_origin": []}, "allowed_origin"),  # a typo is not silently ignored
])
def test_mistakes_are_reported_with_the_key_and_what_is_expected(
        block: dict[str, Any], key: str) -> None:
    with pytest.raises(WebChatConfigError) as raised:
        parse_config({"session_secret": SECRET, **block}, environ={})
    message = str(raised.value)
    assert message.startswith("connectors.webchat.WebChatInput in credentials.yml: " + key)


def test_from_credentials_builds_the_channel_with_the_anonymous_default() -> None:
    channel = WebChatInput.from_credentials({"session_secret": SECRET})
    assert channel.name() == "webchat"
    assert isinstance(channel._authenticator, AnonymousOnly)


def test_from_credentials_uses_the_test_login_only_when_it_is_on(
        monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in BACKEND_ENV.items():
        monkeypatch.setenv(key, value)  # Rasa passes the process environment
    channel = WebChatInput.from_credentials({"session_secret": SECRET, "test_login": True})
    # The test login mints demo session tokens, verified like a real page's (JWT).
    assert isinstance(channel._authenticator, SessionTokenAuthenticator)
    off = WebChatInput.from_credentials({"session_secret": SECRET})
    assert isinstance(off._authenticator, AnonymousOnly)


def test_from_credentials_fails_clearly_on_a_bad_block() -> None:
    with pytest.raises(WebChatConfigError, match="max_message_chars"):
        WebChatInput.from_credentials({"max_message_chars": "lots"})


def test_the_projects_credentials_enable_the_channel_without_test_login() -> None:
    import yaml

    from tests.e2e.conftest import ROOT

    credentials = yaml.safe_load((ROOT / "bot" / "credentials.yml").read_text())
    block = credentials["connectors.webchat.WebChatInput"]
    config = parse_config({**block, "session_secret": SECRET}, environ={})
    assert config.test_login is False
