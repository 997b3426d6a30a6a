"""The credentials between the assistant's processes and the case backend, one per caller and
direction, and a fresh set for a demo or a test stack.

- ``CASEBACKEND_ACTIONS_TOKEN``: the action server -> the case backend (lookups, a person's own
  data, orders); with it ``CASEBACKEND_ASSERTION_KEY``, the Ed25519 private key the action server
  signs each request's identity assertion with (actions/identity_assertion.py). The backend holds
  only the public half, ``CASEBACKEND_ASSERTION_PUBLIC_KEY``.
- ``CASEBACKEND_LOOKUP_TOKEN``: Rasa's process (the web chat) -> the case backend, lookups only.
- ``ASSISTANT_NOTICES_TOKEN``: the case backend's notifier -> the SMS channel's ``/notices``.
- ``AGENTDESK_ASSISTANT_TOKEN``: the assistant -> the agent desk's ``/v1`` (agentdesk/);
  ``AGENTDESK_DELIVERY_TOKEN``: the agent desk -> the assistant's ``/webhooks/agentdesk/*``.

So a Rasa replica, which faces the internet, holds no token that reads a person's data, and no
token the backend accepts opens ``/notices``.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

ACTIONS_TOKEN_ENV = "CASEBACKEND_ACTIONS_TOKEN"
LOOKUP_TOKEN_ENV = "CASEBACKEND_LOOKUP_TOKEN"
NOTICES_TOKEN_ENV = "ASSISTANT_NOTICES_TOKEN"
ASSERTION_KEY_ENV = "CASEBACKEND_ASSERTION_KEY"
ASSERTION_PUBLIC_KEY_ENV = "CASEBACKEND_ASSERTION_PUBLIC_KEY"
DESK_ASSISTANT_TOKEN_ENV = "AGENTDESK_ASSISTANT_TOKEN"
DESK_DELIVERY_TOKEN_ENV = "AGENTDESK_DELIVERY_TOKEN"
ALL_ENV = (ACTIONS_TOKEN_ENV, LOOKUP_TOKEN_ENV, NOTICES_TOKEN_ENV, ASSERTION_KEY_ENV,
           ASSERTION_PUBLIC_KEY_ENV, DESK_ASSISTANT_TOKEN_ENV, DESK_DELIVERY_TOKEN_ENV)


def key_text(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def key_bytes(text: str) -> bytes:
    cleaned = text.strip().replace("+", "-").replace("/", "_").rstrip("=")
    return base64.urlsafe_b64decode(cleaned + "=" * (-len(cleaned) % 4))


@dataclass(frozen=True)
class ServiceCredentials:
    actions_token: str
    lookup_token: str
    notices_token: str
    assertion_key: str  # private, the action server's only
    assertion_public_key: str
    # Empty in a credentials file written before the agent desk: from_env then makes them.
    desk_assistant_token: str = ""
    desk_delivery_token: str = ""

    @classmethod
    def generate(cls) -> ServiceCredentials:
        key = Ed25519PrivateKey.generate()
        return cls(
            actions_token=secrets.token_urlsafe(32), lookup_token=secrets.token_urlsafe(32),
            notices_token=secrets.token_urlsafe(32),
            assertion_key=key_text(key.private_bytes(Encoding.Raw, PrivateFormat.Raw,
                                                     NoEncryption())),
            assertion_public_key=key_text(key.public_key().public_bytes(Encoding.Raw,
                                                                       PublicFormat.Raw)),
            desk_assistant_token=secrets.token_urlsafe(32),
            desk_delivery_token=secrets.token_urlsafe(32))

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> ServiceCredentials:
        """The configured set, with whatever is missing made fresh (a demo or a test run)."""
        made = cls.generate()
        if environ.get(ASSERTION_KEY_ENV) and environ.get(ASSERTION_PUBLIC_KEY_ENV):
            key, public = environ[ASSERTION_KEY_ENV], environ[ASSERTION_PUBLIC_KEY_ENV]
        else:
            key, public = made.assertion_key, made.assertion_public_key
        return cls(actions_token=environ.get(ACTIONS_TOKEN_ENV) or made.actions_token,
                   lookup_token=environ.get(LOOKUP_TOKEN_ENV) or made.lookup_token,
                   notices_token=environ.get(NOTICES_TOKEN_ENV) or made.notices_token,
                   assertion_key=key, assertion_public_key=public,
                   desk_assistant_token=(environ.get(DESK_ASSISTANT_TOKEN_ENV)
                                         or made.desk_assistant_token),
                   desk_delivery_token=(environ.get(DESK_DELIVERY_TOKEN_ENV)
                                        or made.desk_delivery_token))

    def backend_env(self) -> dict[str, str]:
        """The case backend (its server and its notifier)."""
        return {ACTIONS_TOKEN_ENV: self.actions_token, LOOKUP_TOKEN_ENV: self.lookup_token,
                ASSERTION_PUBLIC_KEY_ENV: self.assertion_public_key,
                NOTICES_TOKEN_ENV: self.notices_token}

    def desk_env(self) -> dict[str, str]:
        """The agent desk: the token it accepts and the one it delivers with."""
        return {DESK_ASSISTANT_TOKEN_ENV: self.desk_assistant_token,
                DESK_DELIVERY_TOKEN_ENV: self.desk_delivery_token}

    def action_server_env(self) -> dict[str, str]:
        """The action server: the backend's actions token, the assertion key, and the token
        it calls the agent desk with (the handoff action puts a conversation in the queue)."""
        return {ACTIONS_TOKEN_ENV: self.actions_token, ASSERTION_KEY_ENV: self.assertion_key,
                DESK_ASSISTANT_TOKEN_ENV: self.desk_assistant_token}

    def rasa_env(self) -> dict[str, str]:
        """Rasa's process: the web chat's lookups, the SMS channel's notices, and both agent
        desk tokens (it calls the desk and takes its deliveries)."""
        return {LOOKUP_TOKEN_ENV: self.lookup_token, NOTICES_TOKEN_ENV: self.notices_token,
                **self.desk_env()}

    def assistant_env(self) -> dict[str, str]:
        """One environment for both of the assistant's processes (the test stacks)."""
        return {**self.action_server_env(), **self.rasa_env()}


def without_credentials(environ: Mapping[str, str]) -> dict[str, str]:
    """``environ`` without any of these settings: each process then gets only its own."""
    return {key: value for key, value in environ.items() if key not in ALL_ENV}
