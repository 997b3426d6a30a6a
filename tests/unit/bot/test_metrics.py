"""Prometheus metrics move by what really happened: turns through real channels on a Sanic
server in this process (Rasa's own channel registration, the agent faked), fallback turns and
hand-offs through the real NLG and domain, backend errors through the real HTTP client."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from prometheus_client import REGISTRY
from rasa.core.channels.channel import InputChannel, UserMessage, register
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig
from sanic import Sanic

from actions.backend_client import BackendSettings, HttpCaseBackend
from actions.backend_types import BackendUnavailableError, Caller
from bot.metrics import HANDOFF_RESPONSES
from bot.nlg import LocalizedNLG
from common.service_credentials import ServiceCredentials
from connectors.ops import OpsInput
from connectors.rest.channel import RedactingRestInput
from connectors.sms.channel import TwilioSmsInput
from connectors.voice.channel import TwilioVoiceInput
from tests.ports import free_port
from tests.unit.connectors.sms.test_channel import settings as sms_settings
from tests.unit.connectors.voice.test_channel import call_params
from tests.unit.connectors.voice.test_channel import settings as voice_settings
from tests.unit.sms_fakes import FakeTransport, form_body, inbound_params, sign

ROOT = Path(__file__).resolve().parents[3]
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


class FakeAgent:
    """What Rasa's channel handler calls (``app.ctx.agent.handle_message``): answers after a
    delay, or raises for the text "boom"."""

    def __init__(self, delay: float = 0.05) -> None:
        self.delay = delay
        self.received: list[UserMessage] = []

    async def handle_message(self, message: UserMessage) -> None:
        self.received.append(message)
        await asyncio.sleep(self.delay)
        if message.text == "boom":
            raise RuntimeError("the model broke")
        await message.output_channel.send_text_message(message.sender_id, "svar")


Test = Callable[[aiohttp.ClientSession, str], Awaitable[None]]


def serve(channels: list[InputChannel], agent: FakeAgent, test: Test) -> None:
    """The channels registered the way `rasa run` does it, on a real server."""
    Sanic.test_mode = True

    async def main() -> None:
        app = Sanic(f"metrics_{uuid.uuid4().hex[:8]}")
        app.ctx.agent = agent
        register(channels, app, route="/webhooks/")
        port = free_port()
        server: Any = await app.create_server(host="127.0.0.1", port=port,
                                              return_asyncio_server=True, access_log=False)
        await server.startup()
        try:
            async with aiohttp.ClientSession() as session:
                await test(session, f"http://127.0.0.1:{port}")
        finally:
            for channel in channels:
                tasks = getattr(channel, "tasks", None)
                if tasks is not None:
                    await tasks.drain(5)
                store = getattr(channel, "store", None)
                if hasattr(store, "close"):
                    await store.close()  # type: ignore[union-attr]
            server.close()
            await server.wait_closed()
    asyncio.run(main())


def test_rest_turns_are_timed_counted_and_served_on_metrics() -> None:
    before = {name: sample(name, channel="rest") for name in (
        "assistant_turn_seconds_count", "assistant_turn_seconds_sum", "assistant_turns_total",
        "assistant_turn_failures_total")}
    slow_bucket = sample("assistant_turn_seconds_bucket", channel="rest", le="0.025")
    agent = FakeAgent(delay=0.05)

    async def test(session: aiohttp.ClientSession, base: str) -> None:
        for text in ("hej", "tack", "boom"):
            async with session.post(f"{base}/webhooks/rest/webhook",
                                    json={"sender": "m1", "message": text}) as reply:
                assert reply.status == (500 if text == "boom" else 200)
        async with session.get(f"{base}/metrics") as reply:
            assert reply.status == 200
            assert reply.headers["Content-Type"].startswith("text/plain")
            exposition = await reply.text()
        assert 'assistant_turns_total{channel="rest"}' in exposition

    serve([RedactingRestInput(), OpsInput(json_logs=False)], agent, test)
    assert [m.text for m in agent.received] == ["hej", "tack", "boom"]
    assert sample("assistant_turn_seconds_count", channel="rest") == \
        before["assistant_turn_seconds_count"] + 3
    assert sample("assistant_turns_total", channel="rest") == before["assistant_turns_total"] + 3
    assert sample("assistant_turn_failures_total", channel="rest") == \
        before["assistant_turn_failures_total"] + 1
    # Each turn took at least the agent's 50 ms: in the sum, and above the 25 ms bucket.
    assert sample("assistant_turn_seconds_sum", channel="rest") >= \
        before["assistant_turn_seconds_sum"] + 3 * 0.05
    assert sample("assistant_turn_seconds_bucket", channel="rest", le="0.025") == slow_bucket


def test_an_sms_turn_is_counted_under_its_channel_and_a_refused_one_is_not(
        tmp_path: Path) -> None:
    before = sample("assistant_turn_seconds_count", channel="twilio_sms")
    rest_before = sample("assistant_turn_seconds_count", channel="rest")
    channel = TwilioSmsInput(sms_settings(tmp_path), FakeTransport())
    path = "/webhooks/twilio_sms/webhook"
    public = str(channel.settings.public_base_url) + path

    async def test(session: aiohttp.ClientSession, base: str) -> None:
        params = inbound_params("Hej")
        async with session.post(base + path, data=form_body(params),
                                headers={**FORM, "X-Twilio-Signature": sign(params, public)}
                                ) as reply:
            assert reply.status == 200
        forged = inbound_params("Hej igen")
        async with session.post(base + path, data=form_body(forged),
                                headers={**FORM, "X-Twilio-Signature": "forged"}) as reply:
            assert reply.status == 403

    serve([channel], FakeAgent(delay=0.0), test)
    assert sample("assistant_turn_seconds_count", channel="twilio_sms") == before + 1
    assert sample("assistant_turn_seconds_count", channel="rest") == rest_before


def test_a_voice_transfer_is_a_handoff(tmp_path: Path) -> None:
    # A Wednesday morning: the support line is open (bot/support.yml).
    channel = TwilioVoiceInput(voice_settings(tmp_path),
                               clock=lambda: dt.datetime(2026, 12, 2, 10, 0))
    before_turns = sample("assistant_turn_seconds_count", channel="twilio_voice")
    before = sample("assistant_handoffs_total", kind="voice_transfer", channel="twilio_voice")
    prefix = "/webhooks/twilio_voice"
    public = str(channel.settings.public_base_url)

    async def post(session: aiohttp.ClientSession, base: str, path: str,
                   params: dict[str, str]) -> str:
        async with session.post(base + path, data=form_body(params),
                                headers={**FORM, "X-Twilio-Signature": sign(
                                    params, public + path)}) as reply:
            assert reply.status == 200
            return await reply.text()

    async def test(session: aiohttp.ClientSession, base: str) -> None:
        await post(session, base, f"{prefix}/incoming", call_params())
        twiml = await post(session, base, f"{prefix}/gather?step=1", call_params(Digits="0"))
        assert "<Dial" in twiml

    serve([channel], FakeAgent(delay=0.0), test)
    assert sample("assistant_turn_seconds_count", channel="twilio_voice") == before_turns + 1
    assert sample("assistant_handoffs_total", kind="voice_transfer",
                  channel="twilio_voice") == before + 1


# ---- fallback turns and hand-offs: the NLG with the real domain and catalogs ----

@pytest.fixture(scope="module")
def nlg() -> LocalizedNLG:
    domain = Domain.load(str(ROOT / "bot" / "domain"))
    return LocalizedNLG(EndpointConfig(type="bot.nlg.LocalizedNLG", default_language="sv"),
                        domain)


def turn(tracker: DialogueStateTracker, intent: str, channel: str) -> None:
    tracker.update(UserUttered("...", intent={"name": intent, "confidence": 0.2},
                               input_channel=channel, message_id=uuid.uuid4().hex))


def test_fallback_turns_are_counted_once_per_turn(nlg: LocalizedNLG) -> None:
    before = sample("assistant_fallback_turns_total", channel="twilio_sms")
    web_before = sample("assistant_fallback_turns_total", channel="webchat")
    conversation = DialogueStateTracker.from_events("fb-1", [])

    async def run() -> None:
        turn(conversation, "nlu_fallback", "twilio_sms")
        await nlg.generate("utter_ask_rephrase", conversation, "twilio_sms")
        await nlg.generate("utter_ask_rephrase", conversation, "twilio_sms")  # same turn
        turn(conversation, "faq_app", "twilio_sms")
        await nlg.generate("utter_ask_rephrase", conversation, "twilio_sms")  # not a fallback
        turn(conversation, "nlu_fallback", "twilio_sms")
        await nlg.generate("utter_fallback_handoff", conversation, "twilio_sms")
        other = DialogueStateTracker.from_events("fb-2", [])
        turn(other, "nlu_fallback", "webchat")
        await nlg.generate("utter_ask_rephrase", other, "webchat")
    asyncio.run(run())
    assert sample("assistant_fallback_turns_total", channel="twilio_sms") == before + 2
    assert sample("assistant_fallback_turns_total", channel="webchat") == web_before + 1


@pytest.mark.parametrize(("response", "kind"), sorted(HANDOFF_RESPONSES.items()))
def test_support_line_offers_are_handoffs_by_kind(nlg: LocalizedNLG, response: str,
                                                  kind: str) -> None:
    before = sample("assistant_handoffs_total", kind=kind, channel="rest")
    conversation = DialogueStateTracker.from_events("h-1", [])
    turn(conversation, "human_handoff", "rest")
    message = asyncio.run(nlg.generate(response, conversation, "collector"))
    assert message is not None and message["text"]  # the response exists in the domain
    assert sample("assistant_handoffs_total", kind=kind, channel="rest") == before + 1


def test_other_responses_are_no_handoff(nlg: LocalizedNLG) -> None:
    def total() -> float:
        return sum(sample("assistant_handoffs_total", kind=kind, channel="rest")
                   for kind in HANDOFF_RESPONSES.values())
    before = total()
    conversation = DialogueStateTracker.from_events("h-2", [])
    turn(conversation, "faq_app", "rest")
    asyncio.run(nlg.generate("utter_faq_tech_support", conversation, "collector"))
    assert total() == before


# ---- backend errors: the action server's HTTP client against a small local server ----

CALLER = Caller("ref-1", "sms")


async def _against(handler: Callable[[web.Request], Awaitable[web.StreamResponse]] | None,
                   calls: int, **settings: Any) -> list[str]:
    """Makes ``calls`` profile requests; None as handler: nothing listens on the port."""
    runner = None
    port = free_port()
    if handler is not None:
        app = web.Application()
        app.router.add_route("GET", "/v1/persons/ref-1", handler)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
    client = HttpCaseBackend(BackendSettings(base_url=f"http://127.0.0.1:{port}",
                                             token="t",
                                             assertion_key=ServiceCredentials.generate()
                                             .assertion_key, **settings))
    outcomes = []
    try:
        for _ in range(calls):
            try:
                await client.profile(CALLER)
                outcomes.append("ok")
            except BackendUnavailableError as error:
                outcomes.append(str(error))
    finally:
        await client.close()
        if runner is not None:
            await runner.cleanup()
    return outcomes


def errors() -> dict[str, float]:
    return {kind: sample("assistant_backend_errors_total", kind=kind)
            for kind in ("timeout", "unavailable", "http_status", "circuit_open")}


def moved(before: dict[str, float]) -> dict[str, float]:
    return {kind: value - before[kind] for kind, value in errors().items()
            if value != before[kind]}


def test_a_5xx_counts_per_attempt_then_the_open_breaker_counts_refusals() -> None:
    async def broken(_: web.Request) -> web.Response:
        return web.json_response({"title": "down"}, status=503)
    before = errors()
    # 3 failed calls (2 attempts each) open the breaker; the 4th is refused without a request.
    asyncio.run(_against(broken, 4, failure_threshold=3))
    assert moved(before) == {"http_status": 6, "circuit_open": 1}


def test_no_listener_is_unavailable_and_a_slow_answer_a_timeout() -> None:
    async def slow(_: web.Request) -> web.Response:
        await asyncio.sleep(1.0)
        return web.json_response({})
    before = errors()
    asyncio.run(_against(None, 1))
    assert moved(before) == {"unavailable": 2}
    before = errors()
    asyncio.run(_against(slow, 1, read_timeout=0.1, total_timeout=0.2, retries=0))
    assert moved(before) == {"timeout": 1}
