"""The callers this service knows, each with its token and the scopes that token opens."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from casebackend.settings import Settings

Scope = Literal["lookup", "person:read", "orders:write"]
SCOPES: tuple[Scope, ...] = ("lookup", "person:read", "orders:write")


@dataclass(frozen=True)
class Client:
    name: str
    token: bytes
    scopes: frozenset[Scope]


def clients_of(settings: Settings) -> tuple[Client, ...]:
    # The action server identifies people and acts for them; the web chat only turns a verified
    # session's personnummer into a ref.
    clients = [Client("actions", settings.actions_token.encode(), frozenset(SCOPES))]
    if settings.lookup_token:
        clients.append(Client("webchat", settings.lookup_token.encode(), frozenset({"lookup"})))
    return tuple(clients)
