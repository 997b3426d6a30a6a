"""The phone channel's HTTP surface on a real Sanic server, Rasa faked by injection:
signatures (behind a proxy, blank fields kept), refusals, repeated steps, slow answers."""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sanic import Sanic

from connectors.voice.call import MENU, ONE_MOMENT, REPROMPT
from connectors.voice.channel import TwilioVoiceInput
from connectors.voice.config import VoiceConfigError, VoiceSettings, dialable
from connectors.voice.store import CallState
from connectors.voice.twiml import Ending, TwimlOptions, VoiceReply, voice_twiml

from .sms_fakes import ACCOUNT_SID, AUTH_TOKEN, PUBLIC_BASE_URL, SECRET, FakeRasa, form_body, sign

PREFIX = "/webhooks/twilio_voice"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
CALLER = "+46701234567"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def settings(tmp_path: Path, **changes: Any) -> VoiceSettings:
    block = {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN,
             "public_base_url": PUBLIC_BASE_URL, "conversation_secret": SECRET,
             "store_path": str(tmp_path / "voice.db"), **changes}
    return VoiceSettings.from_credentials(block, {})


def call_params(call_sid: str = "CA" + "1" * 32, **extra: str) -> dict[str, str]:
    # Twilio sends blank fields (CallerCity, ...); they are part of the signature.
    return {"AccountSid": ACCOUNT_SID, "ApiVersion": "2010-04-01", "CallSid": call_sid,
            "CallStatus": "in-progress", "Called": "+46101234567", "CallerCity": "",
            "Direction": "inbound", "From": CALLER, "To": "+46101234567", **extra}


def expected(says: tuple[str, ...], step: int, ending: Ending = Ending.GATHER,
             language: str = "sv") -> str:
    path = "collect" if ending is Ending.REDIRECT else "gather"
    return voice_twiml(VoiceReply(says, ending), TwimlOptions(
        language=language, voice="Polly.Astrid" if language == "sv" else "Polly.Joanna",
        action_url=f"{PUBLIC_BASE_URL}{PREFIX}/{path}?step={step}"))


@dataclass
class Client:
    session: aiohttp.ClientSession
    base: str
    rasa: FakeRasa

    async def post(self, path: str, params: dict[str, str], signature: str | None = None,
                   body: bytes | None = None,
                   headers: dict[str, str] | None = None) -> tuple[int, str]:
        signature = sign(params, PUBLIC_BASE_URL + path) if signature is None else signature
        request_headers = {**FORM, **(headers or {})}
        if signature:
            request_headers["X-Twilio-Signature"] = signature
        async with self.session.post(self.base + path, headers=request_headers,
                                     data=form_body(params) if body is None else body) as r:
            return r.status, await r.text()


def serve(channel: TwilioVoiceInput, test: Callable[[Client], Awaitable[None]],
          rasa: FakeRasa | None = None) -> None:
    Sanic.test_mode = True

    async def main() -> None:
        fake = rasa or FakeRasa()
        app = Sanic(f"voice_{uuid.uuid4().hex[:8]}")
        app.blueprint(channel.blueprint(fake), url_prefix=PREFIX)
        port = free_port()
        server: Any = await app.create_server(host="127.0.0.1", port=port,
                                              return_asyncio_server=True, access_log=False)
        await server.startup()
        try:
            async with aiohttp.ClientSession() as session:
                await test(Client(session, f"http://127.0.0.1:{port}", fake))
        finally:
            if channel.settings.enabled:
                await channel.tasks.drain(5)
            server.close()
            await server.wait_closed()
    asyncio.run(main())


def channel(tmp_path: Path, **changes: Any) -> TwilioVoiceInput:
    return TwilioVoiceInput(settings(tmp_path, **changes),
                            clock=lambda: dt.datetime(2026, 12, 23, 10, 0))


def test_unconfigured_answers_503_and_partial_config_is_refused(tmp_path: Path) -> None:
    async def test(client: Client) -> None:
        assert (await client.post(f"{PREFIX}/incoming", call_params()))[0] == 503
        assert client.rasa.received == []
    serve(TwilioVoiceInput(VoiceSettings.from_credentials({}, {})), test)
    with pytest.raises(VoiceConfigError, match="auth_token"):
        VoiceSettings.from_credentials({"account_sid": ACCOUNT_SID}, {})
    with pytest.raises(VoiceConfigError, match="transfer_number"):
        settings(tmp_path, transfer_number="0771-524 524")
    assert dialable("0771-524 524") == "+46771524524"


def test_a_call_is_greeted_with_the_menu_and_a_keypress_answered(tmp_path: Path) -> None:
    async def test(client: Client) -> None:
        assert await client.post(f"{PREFIX}/incoming", call_params()) == (
            200, expected(("svar på /greet", MENU.replace("{languages}", "9 for English")),
                          1))
        assert await client.post(f"{PREFIX}/gather?step=1", call_params(Digits="2")) == (
            200, expected(("svar på /ask_next_payment",), 2))
        assert await client.post(f"{PREFIX}/gather?step=2",
                                 call_params(SpeechResult="", Digits="")) == (
            200, expected((REPROMPT,), 3))
        assert client.rasa.texts == ["/greet", "/ask_next_payment"]
        message = client.rasa.received[0]
        assert message.sender_id.startswith("voice-") and CALLER[1:] not in message.sender_id
        assert message.input_channel == "twilio_voice"
        assert message.metadata["language"] == "sv" and len(message.metadata["caller_hash"]) == 32
    serve(channel(tmp_path), test)


def test_forged_unsigned_misaddressed_malformed_and_incomplete_requests_are_refused(
        tmp_path: Path) -> None:
    async def test(client: Client) -> None:
        params = call_params()
        path = f"{PREFIX}/incoming"
        assert (await client.post(path, params, signature="Zm9yZ2Vk"))[0] == 403
        assert (await client.post(path, params, signature=""))[0] == 403
        # Signed for the address this process sees, not the public one: not Twilio's.
        local = sign(params, client.base + path)
        assert (await client.post(path, params, signature=local))[0] == 403
        # Dropping a blank field changes the signed form.
        tampered = {k: v for k, v in params.items() if k != "CallerCity"}
        assert (await client.post(path, tampered, signature=sign(params, PUBLIC_BASE_URL +
                                                                  path)))[0] == 403
        assert (await client.post(path, params, body=b"%zz=1&&="))[0] == 400
        json = {"Content-Type": "application/json"}
        assert (await client.post(path, params, headers=json))[0] == 415
        missing = {k: v for k, v in params.items() if k != "CallSid"}
        assert (await client.post(path, missing))[0] == 400
        other = call_params(AccountSid="AC" + "f" * 32)
        assert (await client.post(path, other))[0] == 403
        assert (await client.post(f"{PREFIX}/gather?step=x", params))[0] == 400
        assert (await client.post(f"{PREFIX}/gather?step=1", params))[0] == 404  # no call
        assert (await client.post(f"{PREFIX}/collect?step=1", params))[0] == 404
        assert client.rasa.received == []
    serve(channel(tmp_path), test)


def test_a_retried_step_is_processed_once(tmp_path: Path) -> None:
    async def test(client: Client) -> None:
        first = await client.post(f"{PREFIX}/incoming", call_params())
        assert await client.post(f"{PREFIX}/incoming", call_params()) == first
        step = call_params(Digits="1")
        answers = await asyncio.gather(*(client.post(f"{PREFIX}/gather?step=1", step)
                                         for _ in range(3)))
        assert len(set(answers)) == 1 and answers[0][0] == 200
        assert client.rasa.texts == ["/greet", "/ask_case_status"]
    serve(channel(tmp_path), test)


def test_a_slow_answer_says_one_moment_and_is_collected(tmp_path: Path) -> None:
    rasa = FakeRasa(delays={"/ask_case_status": 0.5})

    async def test(client: Client) -> None:
        await client.post(f"{PREFIX}/incoming", call_params())
        assert await client.post(f"{PREFIX}/gather?step=1", call_params(Digits="1")) == (
            200, expected((ONE_MOMENT,), 1, Ending.REDIRECT))
        status, body = await client.post(f"{PREFIX}/collect?step=1", call_params())
        assert (status, body) == (200, expected(("svar på /ask_case_status",), 2))
        assert client.rasa.texts == ["/greet", "/ask_case_status"]
    serve(channel(tmp_path, answer_timeout=0.4), test, rasa)


def test_the_status_callback_ends_the_call(tmp_path: Path) -> None:
    async def test(client: Client) -> None:
        await client.post(f"{PREFIX}/incoming", call_params())
        assert (await client.post(f"{PREFIX}/status", {**call_params(),
                                                       "CallStatus": "completed"}))[0] == 204
        assert (await client.post(f"{PREFIX}/status", {"AccountSid": ACCOUNT_SID}))[0] == 400
        assert await client.post(f"{PREFIX}/gather?step=1", call_params(Digits="1")) == (
            200, expected((), 2, Ending.HANGUP))
        assert client.rasa.texts == ["/greet"]
    serve(channel(tmp_path), test)


def test_a_call_store_that_fails_mid_step_gives_an_error_not_a_hang(tmp_path: Path) -> None:
    voice = channel(tmp_path)

    async def broken_save(call_sid: str, state: CallState) -> None:
        raise OSError("disk I/O error")

    async def test(client: Client) -> None:
        voice.store.save = broken_save  # type: ignore[method-assign]
        status, _ = await asyncio.wait_for(
            client.post(f"{PREFIX}/incoming", call_params()), 5)
        assert status == 500
        assert client.rasa.texts == ["/greet"]
        assert voice.pending == {}
    serve(voice, test)
