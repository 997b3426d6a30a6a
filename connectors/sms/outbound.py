"""Sending an SMS later, through Twilio's REST API: late answers, notices, BankID results.

Never blocks the event loop (twilio's own asyncio client over aiohttp), retries what can
succeed later (network errors, 429, 5xx) with backoff, asks Twilio for a status callback, and
respects an opt-out. The recipient's number is used for the request and then forgotten:
the store keeps the message SID and the opaque conversation id only, and nothing is logged
about the recipient or the text.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

import aiohttp
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client

from common.log_ids import fingerprint
from connectors.sms.conversations import ConversationIds
from connectors.sms.state import SmsState

logger = logging.getLogger(__name__)

# Twilio: "Attempt to send to unsubscribed recipient"; the person opted out at Twilio.
UNSUBSCRIBED_RECIPIENT = 21610


class SendError(Exception):
    def __init__(self, reason: str, retryable: bool, code: int | None = None) -> None:
        super().__init__(reason)
        self.retryable = retryable
        self.code = code


class SmsTransport(Protocol):
    async def send(self, *, to: str, body: str, status_callback: str) -> str:
        """Hands one message to the provider; returns its message SID or raises SendError."""

    async def close(self) -> None: ...


class TwilioRestTransport:
    """Twilio's REST API through the library's async client; the base URL is configurable
    (tests point it at a local fake)."""

    def __init__(self, account_sid: str, auth_token: str, from_number: str,
                 api_base_url: str, timeout: float = 10.0) -> None:
        self._account_sid = account_sid
        self._auth_token = auth_token
        self._from = from_number
        self._api_base_url = api_base_url
        self._timeout = timeout
        self._http: AsyncTwilioHttpClient | None = None
        self._client: Client | None = None

    def _twilio(self) -> Client:
        # Made on first use: aiohttp's session belongs to the running event loop.
        if self._client is None:
            self._http = AsyncTwilioHttpClient(timeout=self._timeout)
            self._client = Client(self._account_sid, self._auth_token, http_client=self._http)
            self._client.api.base_url = self._api_base_url
        return self._client

    async def send(self, *, to: str, body: str, status_callback: str) -> str:
        try:
            # The library's client applies no timeout of its own (aiohttp's default is 5 min).
            message = await asyncio.wait_for(self._twilio().messages.create_async(
                to=to, from_=self._from, body=body, status_callback=status_callback),
                self._timeout)
        except TwilioRestException as error:
            retryable = error.status == 429 or error.status >= 500
            raise SendError(f"Twilio answered {error.status}", retryable,
                            error.code if isinstance(error.code, int) else None) from error
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as error:
            raise SendError(type(error).__name__, retryable=True) from error
        return str(message.sid)

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http, self._client = None, None


Sleep = Callable[[float], Awaitable[None]]


class OutboundSender:
    def __init__(self, transport: SmsTransport, store: SmsState, ids: ConversationIds,
                 status_callback_url: str, attempts: int = 4, backoff: float = 0.5,
                 sleep: Sleep = asyncio.sleep) -> None:
        self._transport = transport
        self._store = store
        self._ids = ids
        self._status_callback_url = status_callback_url
        self._attempts = attempts
        self._backoff = backoff
        self._sleep = sleep

    async def send(self, phone: str, body: str, purpose: str) -> str | None:
        """Sends unless the person opted out; the message SID, or None if nothing was sent."""
        conversation_id = self._ids.of(phone)
        if await self._store.is_opted_out(conversation_id):
            logger.info("sms %s to %s not sent: opted out", purpose, fingerprint(conversation_id))
            return None
        for attempt in range(1, self._attempts + 1):
            try:
                sid = await self._transport.send(to=phone, body=body,
                                                 status_callback=self._status_callback_url)
            except SendError as error:
                if error.code == UNSUBSCRIBED_RECIPIENT:
                    await self._store.opt_out(conversation_id, "twilio-21610")
                    logger.info("sms %s to %s: recipient unsubscribed at Twilio",
                                purpose, fingerprint(conversation_id))
                    return None
                if not error.retryable or attempt == self._attempts:
                    logger.warning("sms %s to %s failed after %d attempt(s): %s (code %s)",
                                   purpose, fingerprint(conversation_id), attempt, error,
                                   error.code)
                    return None
                await self._sleep(self._backoff * 4 ** (attempt - 1))
                continue
            await self._store.record_outbound(sid, conversation_id, purpose, "accepted")
            logger.info("sms %s to %s accepted as %s", purpose, fingerprint(conversation_id), sid)
            return sid
        return None

    async def on_status(self, message_sid: str, status: str, error_code: str | None) -> bool:
        """A status callback; an unsubscribed recipient becomes an opt-out. False if unknown."""
        conversation_id = await self._store.update_outbound_status(message_sid, status,
                                                                   error_code)
        if conversation_id is None:
            return False
        if error_code == str(UNSUBSCRIBED_RECIPIENT):
            await self._store.opt_out(conversation_id, "twilio-21610")
        if status in {"failed", "undelivered"}:
            logger.warning("sms %s to %s %s (code %s)", message_sid,
                           fingerprint(conversation_id), status, error_code)
        return True

    async def close(self) -> None:
        await self._transport.close()
