"""POST /webhooks/agentdesk/deliver and /resume as the desk calls them."""

from __future__ import annotations

from pathlib import Path

from rasa.shared.core.events import BotUttered, ConversationResumed

from common.handoff_store import HandoffRecord
from connectors.sms.conversations import ConversationIds
from connectors.sms.handoff_outlet import SmsOutlet
from connectors.sms.outbound import OutboundSender
from connectors.sms.store import SmsStore
from tests.unit.connectors.agentdesk.routes_harness import (
    Desk,
    RecordingOutlet,
    delivery,
    serve,
)
from tests.unit.sms_fakes import SECRET, FakeTransport


def web_outlet(desk: Desk) -> RecordingOutlet:
    outlet = desk.outlets["web"]
    assert isinstance(outlet, RecordingOutlet)
    return outlet


def test_an_agent_message_reaches_the_citizen_once(tmp_path: Path) -> None:
    async def test(desk: Desk) -> None:
        assert await desk.post("deliver", delivery()) == (200, {"delivered": True})
        status, body = await desk.post("deliver", delivery())  # the desk retried
        assert status == 200 and body["delivered"] is True
        assert web_outlet(desk).delivered == [("web-abc", "Hej, jag heter Anna och hjälper dig.")]
        [(conversation_id, [event])] = desk.log.appended
        assert conversation_id == "web-abc" and isinstance(event, BotUttered)
        assert event.data["custom"] == {"text": "Hej, jag heter Anna och hjälper dig.",
                                        "sender": "agent", "label": "Handläggare"}
    serve(tmp_path, test)


def test_forged_or_missing_tokens_are_refused(tmp_path: Path) -> None:
    async def test(desk: Desk) -> None:
        for token in ("not-the-token", "", None):
            status, body = await desk.post("deliver", delivery(), token=token)
            assert status == 401 and "token" in body["error"]
        assert (await desk.post("resume", {"conversation_id": "web-abc", "handoff_id": "h-1",
                                           "outcome": "resolved"}, token="x"))[0] == 401
        assert web_outlet(desk).delivered == [] and desk.log.appended == []
        assert await desk.store.active("web-abc") is not None
    serve(tmp_path, test)


def test_bad_bodies_get_a_reason(tmp_path: Path) -> None:
    async def test(desk: Desk) -> None:
        cases = [
            (None, b"not json", "JSON"),
            ([1, 2], None, "object"),
            ({**delivery(), "sender": "bot"}, None, "sender"),
            ({**delivery(), "text": "  "}, None, "text"),
            ({k: v for k, v in delivery().items() if k != "message_id"}, None, "message_id"),
            (delivery(conversation_id="voice-123"), None, "web chat or SMS"),
            (delivery(conversation_id="anything"), None, "web chat or SMS"),
        ]
        for body, raw, reason in cases:
            status, answer = await desk.post("deliver", body, raw=raw)
            assert status == 400 and reason in answer["error"], (body, answer)
        status, answer = await desk.post("resume", {"conversation_id": "web-abc",
                                                    "handoff_id": "h-1", "outcome": "maybe"})
        assert status == 400 and "outcome" in answer["error"]
        assert web_outlet(desk).delivered == []
    serve(tmp_path, test)


def test_oversized_texts_are_413(tmp_path: Path) -> None:
    async def test(desk: Desk) -> None:
        status, answer = await desk.post("deliver", delivery(text="å" * 2049))  # 4098 bytes
        assert status == 413 and "4096" in answer["error"]
        assert (await desk.post("deliver", None, raw=b" " * 40000))[0] == 413
        assert (await desk.post("deliver", delivery(text="a" * 4096)))[0] == 200
    serve(tmp_path, test)


def test_only_the_open_handoff_may_write_into_the_conversation(tmp_path: Path) -> None:
    async def test(desk: Desk) -> None:
        assert (await desk.post("deliver", delivery(handoff_id="h-old")))[0] == 404
        assert (await desk.post("deliver", delivery(conversation_id="web-other")))[0] == 404
        assert web_outlet(desk).delivered == []
    serve(tmp_path, test)


def test_resume_tells_the_citizen_and_unpauses_the_conversation(tmp_path: Path) -> None:
    async def test(desk: Desk) -> None:
        status, _ = await desk.post("resume", {"conversation_id": "web-abc",
                                               "handoff_id": "h-1", "outcome": "resolved"})
        assert status == 200
        assert web_outlet(desk).resumed_conversations == ["web-abc"]
        assert await desk.store.active("web-abc") is None
        [(_, events)] = desk.log.appended
        assert isinstance(events[0], BotUttered)
        assert events[0].text == "Nu svarar den digitala assistenten igen."
        assert isinstance(events[1], ConversationResumed)
        # The handoff is over: its id writes nothing more.
        assert (await desk.post("deliver", delivery(message_id="m-2")))[0] == 404
    serve(tmp_path, test)


def test_a_failed_delivery_can_be_retried_with_the_same_id(tmp_path: Path) -> None:
    outlet = RecordingOutlet(works=False)

    async def test(desk: Desk) -> None:
        assert (await desk.post("deliver", delivery()))[0] == 502
        outlet.works = True
        assert await desk.post("deliver", delivery()) == (200, {"delivered": True})
        assert outlet.delivered == [("web-abc", "Hej, jag heter Anna och hjälper dig.")]
    serve(tmp_path, test, outlets={"web": outlet})


def test_sms_goes_to_the_number_the_handoff_keeps(tmp_path: Path) -> None:
    transport = FakeTransport()
    ids = ConversationIds(SECRET)
    phone = "+46701234567"
    conversation_id = ids.of(phone)
    sms_store = SmsStore(tmp_path / "sms.db")
    sender = OutboundSender(transport, sms_store, ids, "https://x/status")

    async def test(desk: Desk) -> None:
        # No number kept yet (the turn that opened it has not stored one): not delivered.
        assert (await desk.post("deliver", delivery(conversation_id=conversation_id,
                                                    handoff_id="h-9")))[0] == 502
        await desk.store.set_contact(conversation_id, phone)
        assert (await desk.post("deliver", delivery(conversation_id=conversation_id,
                                                    handoff_id="h-9")))[0] == 200
        assert [(s.to, s.body) for s in transport.sent] == [
            (phone, "Handläggare: Hej, jag heter Anna och hjälper dig.")]
        await desk.post("resume", {"conversation_id": conversation_id, "handoff_id": "h-9",
                                   "outcome": "handed_back"})
        assert transport.sent[-1].body == "Nu svarar den digitala assistenten igen."
        assert await desk.store.contact(conversation_id) is None  # gone with the handoff
        await sms_store.close()

    serve(tmp_path, test, make_outlets=lambda store: {
        "sms": SmsOutlet(sender, store, lambda _language, source: source, 3)},
          open_handoffs=(HandoffRecord(conversation_id, "h-9", "sms", "sv", 0.0),))
