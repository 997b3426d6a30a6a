import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

from connectors.base.tasks import BackgroundTasks
from connectors.sms.conversations import ConversationIds
from connectors.sms.inbound import InboundSms
from connectors.sms.keywords import REPLIES, KeywordKind
from connectors.sms.outbound import OutboundSender
from connectors.sms.service import (
    CHANNEL_NAME,
    EMPTY_MESSAGE,
    FAILED,
    MEDIA_ONLY,
    TOO_LONG,
    SmsCollector,
    SmsConversationService,
    SmsLimits,
)
from connectors.sms.store import SmsStore
from connectors.sms.text import READ_MORE
from tests.unit.gsm7_alphabet import GSM7
from tests.unit.sms_fakes import SECRET, FakeRasa, FakeTransport, message_sid

T = TypeVar("T")
PHONE = "+46701234567"
SUPPORT = "0771-524 524"
PERSONAL = frozenset({"utter_next_payment"})
BUTTONS = [{"title": "Kom igång", "payload": "/get_started"},
           {"title": "Mitt ärende", "payload": "/ask_case_status"}]


def translate(language: str, source: str) -> str:
    return source if language == "sv" else f"[{language}] {source}"


@dataclass
class Harness:
    service: SmsConversationService
    store: SmsStore
    rasa: FakeRasa
    transport: FakeTransport
    tasks: BackgroundTasks
    ids: ConversationIds
    language: str = "sv"

    async def language_of(self, conversation_id: str) -> str:
        return self.language

    async def send(self, body: str, sender: str = PHONE, sid: str | None = None,
                   num_media: int = 0, metadata: dict[str, Any] | None = None) -> list[str]:
        inbound = InboundSms(sid or message_sid(), sender, body, num_media)
        return await self.service.receive(inbound, self.rasa, metadata or {}, self.language_of)


def harness(tmp_path: Path, reply_timeout: float = 5.0, max_segments: int = 3,
            translator: Callable[[str, str], str] = translate) -> Harness:
    store = SmsStore(tmp_path / "sms.db")
    ids = ConversationIds(SECRET)
    transport = FakeTransport()
    tasks = BackgroundTasks()
    sender = OutboundSender(transport, store, ids, "https://x/status", sleep=_no_sleep)
    service = SmsConversationService(
        store=store, ids=ids, sender=sender, tasks=tasks, translate=translator,
        support_phone=SUPPORT, limits=SmsLimits(reply_timeout=reply_timeout,
                                                max_segments=max_segments),
        personal_responses=PERSONAL)
    return Harness(service, store, FakeRasa(), transport, tasks, ids)


async def _no_sleep(_: float) -> None:
    return None


def run(tmp_path: Path, scenario: Callable[[Harness], Awaitable[T]], **options: Any) -> T:
    async def main() -> T:
        h = harness(tmp_path, **options)
        try:
            return await scenario(h)
        finally:
            await h.tasks.drain(5)
            await h.store.close()
    return asyncio.run(main())


def test_a_message_reaches_rasa_under_an_opaque_id(tmp_path: Path) -> None:
    async def scenario(h: Harness) -> None:
        sid = message_sid()
        assert await h.send("Hej", sid=sid, metadata={"test_person_ref": "p-1"}) == \
            ["svar på Hej"]
        [message] = h.rasa.received
        assert message.sender_id == h.ids.of(PHONE) and PHONE not in message.sender_id
        assert message.input_channel == CHANNEL_NAME == message.output_channel.name()
        assert message.message_id == sid
        assert message.metadata == {"test_person_ref": "p-1"}
    run(tmp_path, scenario)


def test_the_same_message_sid_is_processed_once(tmp_path: Path) -> None:
    async def scenario(h: Harness) -> None:
        sid = message_sid()
        first = await h.send("Hej", sid=sid)
        again = await h.send("Hej", sid=sid)
        together = await asyncio.gather(h.send("Tack", sid=(s := message_sid())),
                                        h.send("Tack", sid=s))
        assert (first, again) == (["svar på Hej"], [])
        assert sorted(together) == [[], ["svar på Tack"]]
        assert h.rasa.texts == ["Hej", "Tack"]
    run(tmp_path, scenario)


def test_messages_arriving_together_are_answered_in_order(tmp_path: Path) -> None:
    async def scenario(h: Harness) -> None:
        texts = ["ett", "två", "tre", "fyra"]
        h.rasa.delays = {"ett": 0.08, "två": 0.0, "tre": 0.04, "fyra": 0.0}
        other = h.send("annan", sender="+46709999999")
        replies = await asyncio.gather(*(h.send(text) for text in texts), other)
        assert replies == [[f"svar på {t}"] for t in [*texts, "annan"]]
        mine = [t for t in h.rasa.finished if t != "annan"]
        assert mine == texts
        # Another sender is not held up behind this one.
        assert h.rasa.finished.index("annan") < h.rasa.finished.index("ett")
    run(tmp_path, scenario)


def test_a_number_picks_the_choice_offered_in_that_conversation(tmp_path: Path) -> None:
    async def scenario(h: Harness) -> None:
        h.rasa.answers["Hej"] = [{"text": "Hej!\nSvara 1 för Kom igång.\nSvara 2 för Mitt ärende.",
                                  "buttons": BUTTONS}]
        await h.send("Hej")
        await h.send("2")
        await h.send("9")  # not offered: goes to Rasa as it is
        await h.send("1", sender="+46708888888")  # another conversation has no choices
        await h.send("1")  # the last answer ("svar på 9") offered none
        assert h.rasa.texts == ["Hej", "/ask_case_status", "9", "1", "1"]
    run(tmp_path, scenario)


def test_stopp_is_kept_and_respected_until_starta(tmp_path: Path) -> None:
    async def scenario(h: Harness) -> None:
        assert await h.send("STOPP") == [REPLIES[KeywordKind.STOP]]
        assert await h.send("Hej") == []
        assert await h.send("1") == []
        assert await h.send("HELP") == [
            "[en] " + REPLIES[KeywordKind.HELP].replace("{support_phone}", SUPPORT)]
        assert await h.send("starta") == [REPLIES[KeywordKind.START]]
        assert await h.send("Hej") == ["svar på Hej"]
        assert await h.send("Stop") == ["[en] " + REPLIES[KeywordKind.STOP]]
        assert h.rasa.texts == ["Hej"]  # keywords never reach Rasa
        assert await h.store.is_opted_out(h.ids.of(PHONE))
    run(tmp_path, scenario)


def test_odd_input_gets_a_clear_answer_in_the_conversation_language(tmp_path: Path) -> None:
    async def scenario(h: Harness) -> None:
        assert await h.send("", num_media=2) == [MEDIA_ONLY]
        assert await h.send("  \n ") == [EMPTY_MESSAGE]
        assert await h.send("x" * 1601) == [TOO_LONG]
        h.language = "en"
        assert await h.send("", num_media=1) == [f"[en] {MEDIA_ONLY}"]
        assert await h.send("Hej", num_media=1) == ["svar på Hej"]  # the text is answered
        assert h.rasa.texts == ["Hej"]
    run(tmp_path, scenario)


def test_a_sender_that_cannot_be_answered_is_not_processed(tmp_path: Path) -> None:
    async def scenario(h: Harness) -> None:
        assert await h.send("Hej", sender="FKASSA") == []
        assert await h.send("Hej", sender="72400") == []
        assert h.rasa.texts == []
        assert await h.send("Hello", sender="+14155550100") == ["svar på Hello"]  # foreign
    run(tmp_path, scenario)


def test_a_personal_number_is_redacted_before_rasa(tmp_path: Path) -> None:
    async def scenario(h: Harness) -> None:
        await h.send("mitt personnummer är 19121212-1212")
        await h.send("121212-1213 eller 0701234567?")  # invalid ones are removed too
        assert h.rasa.texts == ["mitt personnummer är PNR_REDACTED",
                                "PNR_REDACTED eller PNR_REDACTED?"]
    run(tmp_path, scenario)


def test_the_hand_over_to_identification_is_injected(tmp_path: Path) -> None:
    seen: list[str] = []

    async def vault(text: str) -> tuple[str, dict[str, Any]]:
        seen.append(text)
        return "PNR_REDACTED", {"pnr_token": "opaque-1"}

    async def scenario(h: Harness) -> None:
        h.service = SmsConversationService(
            store=h.store, ids=h.ids, sender=OutboundSender(h.transport, h.store, h.ids, "x"),
            tasks=h.tasks, translate=translate, support_phone=SUPPORT, limits=SmsLimits(),
            redact=vault)
        await h.send("19121212-1212", metadata={"test_person_ref": "p-1"})
        [message] = h.rasa.received
        assert message.text == "PNR_REDACTED"
        assert message.metadata == {"test_person_ref": "p-1", "pnr_token": "opaque-1"}
    run(tmp_path, scenario)
    assert seen == ["19121212-1212"]


def test_a_failing_turn_gets_an_apology_not_silence(tmp_path: Path) -> None:
    async def scenario(h: Harness) -> None:
        h.rasa.fail_on = {"Hej"}
        assert await h.send("Hej") == [FAILED.replace("{support_phone}", SUPPORT)]
    run(tmp_path, scenario)


def test_a_slow_answer_follows_by_rest_and_keeps_the_order(tmp_path: Path) -> None:
    async def scenario(h: Harness) -> None:
        h.rasa.delays = {"långsam": 0.3}
        # "snabb" waits behind "långsam" past the budget too: both follow by REST, in order.
        assert list(await asyncio.gather(h.send("långsam"), h.send("snabb"))) == [[], []]
        await h.tasks.drain(5)
        assert [(s.to, s.body) for s in h.transport.sent] == [
            (PHONE, "svar på långsam"), (PHONE, "svar på snabb")]
        assert h.transport.sent[0].status_callback == "https://x/status"
        assert await h.send("nu") == ["svar på nu"]
        assert len(h.transport.sent) == 2
    run(tmp_path, scenario, reply_timeout=0.05)


def test_a_long_answer_is_summarised_in_the_conversation_language(tmp_path: Path) -> None:
    async def scenario(h: Harness) -> None:
        h.language = "en"
        h.rasa.answers["lång"] = [{"text": "En mening om Mina sidor. " * 40}]
        [reply] = await h.send("lång")
        assert reply.endswith(f"\n[en] {READ_MORE}") and len(reply) <= 459
    run(tmp_path, scenario)


@pytest.mark.parametrize("keyword", ["STOPP", "HJÄLP"])
def test_keyword_answers_are_gsm7(tmp_path: Path, keyword: str) -> None:
    async def scenario(h: Harness) -> str:
        [reply] = await h.send(keyword)
        return reply
    # The Swedish source as it is, and a translation with what GSM-7 lacks (typographic
    # punctuation, accents outside the alphabet): both leave as GSM-7.
    source = run(tmp_path / "source", scenario)
    typographic = run(tmp_path / "typographic", scenario, translator=_typographic)
    for reply in (source, typographic):
        assert set(reply) <= GSM7, sorted(set(reply) - GSM7)
        assert "Försäkringskassan" in reply
    assert '"Mina sidor" - ca, a e...' in typographic


def _typographic(language: str, source: str) -> str:
    return source.replace("Försäkringskassan", "Försäkringskassan “Mina sidor” – ça, á ê…")


def test_a_personal_answer_goes_by_rest_to_the_senders_number_never_in_the_twiml(
        tmp_path: Path) -> None:
    async def scenario(h: Harness) -> None:
        h.rasa.answers["3"] = [{"text": "Din nästa utbetalning är 12 345 kr.",
                                "utter_action": "utter_next_payment"}]
        h.rasa.answers["Hej"] = [{"text": "Hej!", "utter_action": "utter_greet"}]
        assert await h.send("3") == []
        assert [(s.to, s.body) for s in h.transport.sent] == [
            (PHONE, "Din nästa utbetalning är 12 345 kr.")]
        assert await h.send("Hej") == ["Hej!"]  # a general answer still comes in the TwiML
        assert len(h.transport.sent) == 1
    run(tmp_path, scenario)


def test_the_bankid_link_is_an_sms_of_its_own() -> None:
    # Tapped before anything else, and never cut by the segment limit of a long answer.
    collector = SmsCollector()

    async def turn() -> None:
        for name, text in [("utter_confirm_in_bankid", "Öppna BankID."),
                           ("utter_open_bankid_link", "Länken: https://app.bankid.com/?a=1"),
                           ("utter_identified", "Tack."), ("utter_next_payment", "12 345 kr")]:
            await collector.send_response("sms-x", {"text": text, "utter_action": name})
    asyncio.run(turn())
    assert [[m["text"] for m in group] for group in collector.sms_groups()] == [
        ["Öppna BankID.", "Länken: https://app.bankid.com/?a=1"], ["Tack.", "12 345 kr"]]
