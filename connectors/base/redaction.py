"""Pieces every channel shares: redacting a personnummer into the identity vault, and
translating a channel's own phrases."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from bot.i18n import Catalogs
from common.identity_vault import METADATA_KEY, Vault, VaultSettings, open_vault
from common.personal_number import redact
from common.shared_state import RedisHandle, SharedState

Redactor = Callable[[str], Awaitable[tuple[str, dict[str, Any]]]]


def vault_redaction(vault: Vault | None = None, shared: SharedState | None = None) -> Redactor:
    """The text with every personnummer replaced; a valid one goes to the identity vault and
    only its one-time token into the metadata (``pnr_token``, for identification). The vault
    is the SQLite file, or Redis with ``ASSISTANT_REDIS_URL`` (common/shared_state.py;
    ``shared`` overrides the environment)."""
    holder: dict[str, Vault] = {"vault": vault} if vault is not None else {}

    async def redact_text(text: str) -> tuple[str, dict[str, Any]]:
        redaction = redact(text)
        if not redaction.valid:
            return redaction.text, {}
        if "vault" not in holder:  # made on first use: IDENTITY_VAULT_KEY is needed only then
            settings = shared or SharedState.from_env()
            handle = RedisHandle(settings) if settings.enabled else None
            holder["vault"] = await asyncio.to_thread(open_vault, VaultSettings.from_env(),
                                                      handle)
        token = await holder["vault"].put(redaction.valid[-1].digits)
        return redaction.text, {METADATA_KEY: token}
    return redact_text


def phrase_translator(catalogs: Catalogs) -> Callable[[str, str], str]:
    """(language, Swedish source) -> the phrase in that language, or the source."""
    available = catalogs.languages()

    def translate(language: str, source: str) -> str:
        if language not in available:
            return source
        return catalogs.translate(language, None, source)
    return translate
