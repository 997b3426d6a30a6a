"""action_human_handoff and action_offer_handoff against a fake desk on a loopback port, with
the handoff store in a temporary SQLite file and the case backend faked (injected)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import ActionHumanHandoff, ActionOfferHandoff, DeskServices
from common.agentdesk_client import DeskSettings, HttpDeskClient
from common.handoff_store import Sealer, SqliteHandoffStore
from tests.fake_agentdesk import FakeDesk
from tests.ports import free_port
from tests.unit.fake_backend import demo_backend

PAUSED = {"event": "pause", "timestamp": None}


def conversation(channel: str = "webchat", person: str | None = None,
                 sender_id: str = "web-abc") -> Tracker:
    metadata = {"session_person_ref": person} if person and channel == "webchat" else {}
    latest = {"intent": {"name": "human_handoff"}, "metadata": metadata}
    events: list[dict[str, Any]] = [
        {"event": "session_started", "timestamp": 1.0},
        {"event": "user", "text": "/greet", "timestamp": 1700000000.0,
         "input_channel": channel, "parse_data": {}},
        {"event": "bot", "text": "Hej! Vad kan jag hjälpa dig med?", "timestamp": 1700000001.0},
        {"event": "user", "text": "mitt personnummer är PNR_REDACTED", "timestamp": 1700000010.0,
         "input_channel": channel, "parse_data": {}},
        {"event": "user", "text": "prata med en person", "timestamp": 1700000020.0,
         "input_channel": channel, "parse_data": latest},
    ]
    return Tracker(sender_id, {"person_ref": None}, latest, events, False, None, None,
                   "action_listen")


def store_at(tmp_path: Path) -> SqliteHandoffStore:
    return SqliteHandoffStore(tmp_path / "handoffs.db", Sealer(None), clock=lambda: 5000.0)


async def run_handoff(desk: FakeDesk | None, tracker: Tracker, tmp_path: Path,
                      action_class: type = ActionHumanHandoff,
                      url: str | None = None) -> tuple[list[dict[str, Any]],
                                                       list[dict[str, Any]], Any]:
    client = None
    if desk is not None or url is not None:
        client = HttpDeskClient(DeskSettings(url or desk.url, desk.token if desk else "x",  # type: ignore[union-attr]
                                             timeout=1.0))
    store = store_at(tmp_path)
    services = DeskServices(client, store, environ={})
    action = action_class(services, demo_backend(), environ={}, clock=lambda: 5000.0)
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker, {})
    if client is not None:
        await client.close()
    return events, dispatcher.messages, store


def test_an_open_desk_queues_the_citizen_with_the_transcript_and_pauses(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with FakeDesk(position=2, wait_seconds=150) as desk:
            events, messages, store = await run_handoff(desk, conversation(), tmp_path)
            assert [m["response"] for m in messages] == ["utter_handoff_queued"]
            assert messages[0]["position"] == 2 and messages[0]["wait_minutes"] == 3
            assert events == [PAUSED]
            [sent] = desk.handoffs
            assert sent["conversation_id"] == "web-abc" and sent["channel"] == "web"
            assert sent["identified"] is False and sent["display_name"] is None
            assert sent["protected_identity"] is False and sent["language"] == "sv"
            assert sent["transcript"] == [
                {"from": "bot", "text": "Hej! Vad kan jag hjälpa dig med?",
                 "at": "2023-11-14T22:13:21Z"},
                {"from": "citizen", "text": "mitt personnummer är PNR_REDACTED",
                 "at": "2023-11-14T22:13:30Z"},
                {"from": "citizen", "text": "prata med en person",
                 "at": "2023-11-14T22:13:40Z"}]
            record = await store.active("web-abc")
            assert record is not None and record.handoff_id == "h-1"
            assert record.channel == "web"
    asyncio.run(scenario())


def test_an_identified_person_is_named_by_given_name(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with FakeDesk() as desk:
            await run_handoff(desk, conversation(person="tolvan"), tmp_path)
            [sent] = desk.handoffs
            assert (sent["identified"], sent["display_name"], sent["protected_identity"]) == (
                True, "Namn", False)
    asyncio.run(scenario())


def test_a_protected_person_is_never_named(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with FakeDesk() as desk:
            await run_handoff(desk, conversation(person="tio"), tmp_path)
            [sent] = desk.handoffs
            assert (sent["identified"], sent["display_name"], sent["protected_identity"]) == (
                True, None, True)
    asyncio.run(scenario())


def test_sms_hands_over_as_sms(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with FakeDesk() as desk:
            events, messages, _ = await run_handoff(
                desk, conversation("twilio_sms", sender_id="sms-123"), tmp_path)
            assert events == [PAUSED] and desk.handoffs[0]["channel"] == "sms"
            assert [m["response"] for m in messages] == ["utter_handoff_queued"]
    asyncio.run(scenario())


def test_a_closed_desk_gives_the_hours_and_offers_a_call_back(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with FakeDesk(open=False) as desk:
            events, messages, store = await run_handoff(desk, conversation(), tmp_path)
            assert [m["response"] for m in messages] == ["utter_handoff_desk_closed"]
            assert events == [] and desk.handoffs == []
            offer = await store.offer("web-abc")
            assert offer is not None and offer.stage == "offered" and offer.channel == "web"
            assert await store.active("web-abc") is None
    asyncio.run(scenario())


def test_a_full_queue_is_answered_like_a_closed_desk(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with FakeDesk(queue_full=True) as desk:
            events, messages, _ = await run_handoff(desk, conversation(), tmp_path)
            assert [m["response"] for m in messages] == ["utter_handoff_desk_closed"]
            assert events == []
    asyncio.run(scenario())


def test_a_desk_that_does_not_answer_gives_the_support_line(tmp_path: Path) -> None:
    async def scenario() -> None:
        events, messages, store = await run_handoff(
            None, conversation(), tmp_path, url=f"http://127.0.0.1:{free_port()}")
        assert [m["response"] for m in messages] == ["utter_handoff"]
        assert events == [] and await store.offer("web-abc") is None
    asyncio.run(scenario())


def test_no_desk_configured_is_the_old_support_line(tmp_path: Path) -> None:
    events, messages, _ = asyncio.run(run_handoff(None, conversation(), tmp_path))
    assert [m["response"] for m in messages] == ["utter_handoff"] and events == []


def test_the_phone_and_rest_keep_the_support_line(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with FakeDesk() as desk:
            for channel in ("twilio_voice", "rest"):
                _, messages, _ = await run_handoff(desk, conversation(channel), tmp_path)
                assert [m["response"] for m in messages] == ["utter_handoff"]
            assert desk.handoffs == []
    asyncio.run(scenario())


def test_the_fallback_offers_a_person_only_where_the_desk_can_take_it(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with FakeDesk() as desk:
            _, web, _ = await run_handoff(desk, conversation(), tmp_path, ActionOfferHandoff)
            _, voice, _ = await run_handoff(desk, conversation("twilio_voice"), tmp_path,
                                            ActionOfferHandoff)
        _, no_desk, _ = await run_handoff(None, conversation(), tmp_path, ActionOfferHandoff)
        assert [m["response"] for m in web] == ["utter_fallback_offer_person"]
        assert [m["response"] for m in voice] == ["utter_fallback_handoff"]
        assert [m["response"] for m in no_desk] == ["utter_fallback_handoff"]
    asyncio.run(scenario())
