"""The local Twilio stand-in of `make run`: the outbox answers the channels' own Twilio client
as Twilio does and reports deliveries with signed callbacks; TwiML is read as Twilio acts on
it; a typed line becomes keys, speech or silence."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiohttp import web
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import VoiceResponse

from connectors.local_twilio.account import (
    LocalAccount,
    is_local,
    load,
    load_or_create,
)
from connectors.local_twilio.client import CallClient, TwilioEndpoint, answer
from connectors.local_twilio.outbox import Outbox
from connectors.local_twilio.terminal import Speaker, wrapped
from connectors.local_twilio.twiml import Said, VoiceStep, parse_messages, parse_voice
from connectors.sms.outbound import SendError, TwilioRestTransport

CALLBACK_PATH = "/webhooks/twilio_sms/status"


def test_the_account_is_local_kept_and_follows_the_ports(tmp_path: Path) -> None:
    path = tmp_path / "local-twilio.json"
    first = load_or_create(path, "http://127.0.0.1:5005", "http://127.0.0.1:5060")
    assert is_local(first.account_sid) and len(first.account_sid) == 34
    again = load_or_create(path, "http://127.0.0.1:6005", "http://127.0.0.1:6060")
    assert again.auth_token == first.auth_token and again.public_base_url.endswith(":6005")
    assert load(path) == again
    assert path.stat().st_mode & 0o077 == 0
    assert not is_local("AC" + "1f" * 16)


def test_the_voice_twiml_is_read_in_twilios_order() -> None:
    response = VoiceResponse()
    gather = response.gather(input="dtmf speech", language="sv-SE", action="https://a/g?step=2",
                             finish_on_key="#", num_digits=13)
    gather.say("Knappa in ditt personnummer.", voice="Polly.Astrid", language="sv-SE")
    step = parse_voice(str(response))
    assert [(s.text, s.voice, s.language) for s in step.says] == [
        ("Knappa in ditt personnummer.", "Polly.Astrid", "sv-SE")]
    assert step.gather is not None and step.gather.action == "https://a/g?step=2"
    assert step.gather.finish_on_key == "#" and not step.ended

    response = VoiceResponse()
    response.say("Ett ögonblick.", voice="Polly.Astrid", language="sv-SE")
    response.redirect("https://a/answer?step=3", method="POST")
    response.say("never read")
    step = parse_voice(str(response))
    assert step.redirect == "https://a/answer?step=3" and len(step.says) == 1

    response = VoiceResponse()
    response.say("Jag kopplar dig.")
    response.dial("+46771524524")
    assert parse_voice(str(response)).dial == "+46771524524"
    hangup = VoiceResponse()
    hangup.hangup()
    assert parse_voice(str(hangup)).hangup and parse_voice(str(hangup)).ended


def test_sms_twiml_messages_and_an_empty_answer() -> None:
    response = MessagingResponse()
    response.message("Hej!\nSvara 1 för ...")
    assert parse_messages(str(response)) == ["Hej!\nSvara 1 för ..."]
    assert parse_messages('<?xml version="1.0" encoding="UTF-8"?><Response />') == []


@dataclass
class RecordingCall(CallClient):
    did: list[tuple[str, str]] = field(default_factory=list)

    def press(self, digits: str) -> list[VoiceStep]:
        self.did.append(("press", digits))
        return []

    def say(self, speech: str) -> list[VoiceStep]:
        self.did.append(("say", speech))
        return []

    def silence(self) -> list[VoiceStep]:
        self.did.append(("silence", ""))
        return []


def test_a_typed_line_is_keys_speech_or_silence() -> None:
    call = RecordingCall(TwilioEndpoint("http://r", "http://r", "AC", "t", "+1", "+2"))
    for line in ("2", "191212121212#", "*", "när kommer mina pengar", "  ", "2 kronor"):
        answer(call, line)
    assert call.did == [("press", "2"), ("press", "191212121212#"), ("press", "*"),
                        ("say", "när kommer mina pengar"), ("silence", ""),
                        ("say", "2 kronor")]


def test_long_answers_wrap_under_their_label_and_keep_line_breaks() -> None:
    text = "Hej!\n" + "ord " * 30
    lines = wrapped("assistant", text).splitlines()
    assert lines[0] == "assistant: Hej!"
    assert all(line.startswith(" " * 11) for line in lines[1:])
    assert all(len(line) <= 100 for line in lines)


async def _outbox_round_trip(account: LocalAccount) -> tuple[list[str], list[tuple[str, bool]]]:
    callbacks: list[tuple[str, bool]] = []

    async def status(request: web.Request) -> web.Response:
        form = {key: str(value) for key, value in (await request.post()).items()}
        valid = RequestValidator(account.auth_token).validate(
            account.public_base_url + CALLBACK_PATH, form,
            request.headers.get("X-Twilio-Signature", ""))
        callbacks.append((form["MessageStatus"], valid))
        return web.Response(status=204)

    rasa = web.Application()
    rasa.router.add_post(CALLBACK_PATH, status)
    rasa_runner = web.AppRunner(rasa)
    await rasa_runner.setup()
    await web.TCPSite(rasa_runner, "127.0.0.1", 0).start()
    rasa_url = f"http://127.0.0.1:{rasa_runner.addresses[0][1]}"
    account = LocalAccount(**{**account.__dict__, "public_base_url": rasa_url})
    outbox = Outbox(account, rasa_url)
    runner = web.AppRunner(outbox.app())
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    outbox_url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        # The channels' own Twilio client, as the SMS channel builds it.
        transport = TwilioRestTransport(account.account_sid, account.auth_token,
                                        account.assistant_number, outbox_url)
        sid = await transport.send(to=account.caller_number, body="Kom igång med Mina sidor",
                                   status_callback=rasa_url + CALLBACK_PATH)
        wrong = TwilioRestTransport(account.account_sid, "0" * 32, account.assistant_number,
                                    outbox_url)
        with pytest.raises(SendError):
            await wrong.send(to=account.caller_number, body="x", status_callback="")
        await transport.close()
        await wrong.close()
        for _ in range(100):
            if len(callbacks) == 2:
                break
            await asyncio.sleep(0.02)
        bodies = [m.body for m in outbox.messages]
        assert [m.sid for m in outbox.messages] == [sid]
        assert outbox.messages[0].to == account.caller_number
        return bodies, callbacks
    finally:
        await runner.cleanup()
        await rasa_runner.cleanup()


def test_the_outbox_takes_the_channels_messages_and_reports_them_delivered() -> None:
    account = LocalAccount.new("http://placeholder", "http://placeholder")
    bodies, callbacks = asyncio.run(_outbox_round_trip(account))
    assert bodies == ["Kom igång med Mina sidor"]
    assert callbacks == [("sent", True), ("delivered", True)]


def test_espeak_speaks_each_say_in_its_language_where_installed(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MAKE_CALL_SPEAK", raising=False)
    spoken: list[list[str]] = []
    speaker = Speaker(program="/usr/bin/espeak-ng", run=spoken.append)
    speaker.speak(Said("Hej!", "Polly.Astrid", "sv-SE"))
    speaker.speak(Said("Hello!", "Polly.Joanna", "en-US"))
    assert spoken == [["/usr/bin/espeak-ng", "-v", "sv", "Hej!"],
                      ["/usr/bin/espeak-ng", "-v", "en-us", "Hello!"]]
    Speaker(program=None, run=spoken.append).speak(Said("Tyst", "", "sv-SE"))
    assert len(spoken) == 2  # not installed: shown only
