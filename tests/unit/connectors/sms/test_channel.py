"""The channel's HTTP surface on a real Sanic server, with Rasa and Twilio faked."""

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sanic import Sanic

from connectors.sms.channel import TwilioSmsInput
from connectors.sms.config import SmsSettings
from connectors.sms.service import EMPTY_MESSAGE
from connectors.twilio.signed_requests import empty_twiml, messaging_twiml
from tests.ports import free_port
from tests.unit.sms_fakes import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    FROM_NUMBER,
    PUBLIC_BASE_URL,
    SECRET,
    WEBHOOK_PATH,
    FakeRasa,
    FakeTransport,
    form_body,
    inbound_params,
    sign,
)

SERVICE_TOKEN = "service-token-for-tests"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def settings(tmp_path: Path, **changes: Any) -> SmsSettings:
    block = {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN,
             "public_base_url": PUBLIC_BASE_URL, "from_number": FROM_NUMBER,
             "conversation_secret": SECRET, "store_path": str(tmp_path / "sms.db"), **changes}
    return SmsSettings.from_credentials(block, {"ASSISTANT_NOTICES_TOKEN": SERVICE_TOKEN})


@dataclass
class Client:
    session: aiohttp.ClientSession
    base: str
    rasa: FakeRasa
    channel: TwilioSmsInput

    async def post(self, path: str, data: bytes, headers: dict[str, str]) -> tuple[int, str]:
        async with self.session.post(self.base + path, data=data, headers=headers) as reply:
            return reply.status, await reply.text()

    async def sms(self, params: dict[str, str], signature: str | None = None,
                  headers: dict[str, str] | None = None) -> tuple[int, str]:
        signature = sign(params, PUBLIC_BASE_URL + WEBHOOK_PATH) if signature is None \
            else signature
        return await self.post(WEBHOOK_PATH, form_body(params),
                               {**FORM, "X-Twilio-Signature": signature, **(headers or {})})


def serve(channel: TwilioSmsInput, test: Callable[[Client], Awaitable[None]]) -> None:
    # Sanic's supported switch for several apps in one process (it re-optimises its handlers
    # once per app otherwise).
    Sanic.test_mode = True

    async def main() -> None:
        rasa = FakeRasa()
        app = Sanic(f"sms_{uuid.uuid4().hex[:8]}")
        app.blueprint(channel.blueprint(rasa), url_prefix="/webhooks/twilio_sms")
        port = free_port()
        # Sanic's server object is untyped.
        server: Any = await app.create_server(host="127.0.0.1", port=port,
                                              return_asyncio_server=True, access_log=False)
        assert server is not None
        await server.startup()
        try:
            async with aiohttp.ClientSession() as session:
                await test(Client(session, f"http://127.0.0.1:{port}", rasa, channel))
        finally:
            if channel.settings.enabled:
                await channel.tasks.drain(5)
                await channel.store.close()
            server.close()
            await server.wait_closed()
    asyncio.run(main())


def test_an_unconfigured_channel_answers_503(tmp_path: Path) -> None:
    async def test(client: Client) -> None:
        assert (await client.sms(inbound_params("Hej")))[0] == 503
        status, _ = await client.post("/webhooks/twilio_sms/notices", b"{}",
                                      {"Authorization": f"Bearer {SERVICE_TOKEN}"})
        assert status == 503
        async with client.session.get(client.base + "/webhooks/twilio_sms/") as reply:
            assert (await reply.json()) == {"status": "not configured"}
        assert client.rasa.received == []
    serve(TwilioSmsInput(SmsSettings.from_credentials({}, {})), test)


def test_a_signed_sms_is_answered_in_twiml(tmp_path: Path) -> None:
    async def test(client: Client) -> None:
        async with client.session.post(
                client.base + WEBHOOK_PATH, data=form_body(params := inbound_params("Hej")),
                headers={**FORM, "X-Twilio-Signature": sign(params, PUBLIC_BASE_URL +
                                                             WEBHOOK_PATH)}) as reply:
            assert reply.status == 200
            assert reply.headers["Content-Type"].startswith("text/xml")
            assert await reply.text() == messaging_twiml(["svar på Hej"])
        # Blank fields are kept: an empty SMS is genuine and gets its answer.
        assert await client.sms(inbound_params("")) == (200, messaging_twiml([EMPTY_MESSAGE]))
        assert client.rasa.texts == ["Hej"]
    serve(TwilioSmsInput(settings(tmp_path), FakeTransport()), test)


def test_forged_malformed_and_oversized_requests_never_reach_rasa(tmp_path: Path) -> None:
    async def test(client: Client) -> None:
        params = inbound_params("Hej")
        assert (await client.sms(params, signature=sign(params, PUBLIC_BASE_URL + WEBHOOK_PATH,
                                                        token="forged")))[0] == 403
        assert (await client.sms(params, signature=""))[0] == 403
        local = client.base + WEBHOOK_PATH  # signed for the local address, not the public one
        assert (await client.sms(params, signature=sign(params, local)))[0] == 403
        missing = {k: v for k, v in inbound_params("Hej").items() if k != "From"}
        status, text = await client.sms(missing)
        assert status == 400 and "From" in text
        assert (await client.sms(inbound_params("Hej", MessageSid="SM123")))[0] == 400
        assert (await client.sms(inbound_params("Hej", NumMedia="many")))[0] == 400
        assert (await client.sms(inbound_params("Hej", AccountSid="AC" + "1" * 32)))[0] == 403
        huge = inbound_params("x" * 70_000)
        assert (await client.sms(huge))[0] == 413
        status, _ = await client.post(WEBHOOK_PATH, b'{"Body": "Hej"}',
                                      {"Content-Type": "application/json"})
        assert status == 415
        assert client.rasa.received == []
    serve(TwilioSmsInput(settings(tmp_path), FakeTransport()), test)


def test_a_repeated_delivery_gets_one_answer(tmp_path: Path) -> None:
    async def test(client: Client) -> None:
        params = inbound_params("Hej")
        first, again = await client.sms(params), await client.sms(params)
        assert first == (200, messaging_twiml(["svar på Hej"]))
        assert again == (200, empty_twiml())
        assert client.rasa.texts == ["Hej"]
    serve(TwilioSmsInput(settings(tmp_path), FakeTransport()), test)


@pytest.mark.parametrize("enabled", [False, True])
def test_the_test_identity_header_only_when_configured(tmp_path: Path, enabled: bool) -> None:
    async def test(client: Client) -> None:
        await client.sms(inbound_params("Hej"), headers={"X-Test-Person-Ref": "p-42"})
        [message] = client.rasa.received
        assert message.metadata == ({"test_person_ref": "p-42"} if enabled else {})
    serve(TwilioSmsInput(settings(tmp_path, test_identity_header=enabled), FakeTransport()),
          test)


def test_status_callbacks_are_signed_and_recorded(tmp_path: Path) -> None:
    transport = FakeTransport()

    async def test(client: Client) -> None:
        sid = await client.channel.sender.send("+46701234567", "Hej", purpose="test")
        assert sid is not None
        path = "/webhooks/twilio_sms/status"
        params = {"MessageSid": sid, "AccountSid": ACCOUNT_SID, "MessageStatus": "delivered",
                  "ErrorCode": "", "To": "+46701234567"}
        assert transport.sent[0].status_callback == PUBLIC_BASE_URL + path
        forged = sign(params, PUBLIC_BASE_URL + path, token="forged")
        assert (await client.post(path, form_body(params),
                                  {**FORM, "X-Twilio-Signature": forged}))[0] == 403
        assert await client.channel.store.outbound_status(sid) == ("accepted", None)
        signature = sign(params, PUBLIC_BASE_URL + path)
        assert (await client.post(path, form_body(params),
                                  {**FORM, "X-Twilio-Signature": signature}))[0] == 204
        assert await client.channel.store.outbound_status(sid) == ("delivered", None)
    serve(TwilioSmsInput(settings(tmp_path), transport), test)


def test_notices_need_the_notifiers_token_and_a_valid_body(tmp_path: Path) -> None:
    transport = FakeTransport()
    path = "/webhooks/twilio_sms/notices"
    good = (b'{"phone": "+46701234567", "event": "payment_scheduled", '
            b'"protected_identity": false, "sms_notifications": true, "idempotency_key": "k1"}')

    async def test(client: Client) -> None:
        auth = {"Authorization": f"Bearer {SERVICE_TOKEN}", "Content-Type": "application/json"}
        assert (await client.post(path, good, {}))[0] == 401
        assert (await client.post(path, good, {"Authorization": "Bearer wrong"}))[0] == 401
        assert (await client.post(path, b"not json", auth))[0] == 400
        assert (await client.post(path, b'{"phone": "+46701234567"}', auth))[0] == 400
        assert await client.post(path, good, auth) == (202, '{"status":"accepted"}')
        assert await client.post(path, good, auth) == (202, '{"status":"duplicate"}')
        await client.channel.tasks.drain(5)
        assert [s.to for s in transport.sent] == ["+46701234567"]
    serve(TwilioSmsInput(settings(tmp_path), transport), test)
