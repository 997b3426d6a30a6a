import asyncio
from pathlib import Path
from typing import Any

import pytest

from connectors.base.tasks import BackgroundTasks
from connectors.sms.conversations import ConversationIds
from connectors.sms.notices import (
    EVENT_TEXTS,
    OPT_OUT_HINT,
    PROTECTED_TEXT,
    NoticeOutcome,
    NoticeRequest,
    NoticeService,
    notice_text,
    parse_notice,
)
from connectors.sms.outbound import OutboundSender, SendError
from connectors.sms.store import SmsStore
from connectors.sms.text import fits
from connectors.twilio.signed_requests import RequestRejectedError
from tests.unit.sms_fakes import SECRET, FakeTransport

PHONE = "+46701234567"
LANGUAGES = frozenset({"sv", "en"})


def payload(**changes: Any) -> dict[str, Any]:
    return {"phone": PHONE, "event": "payment_scheduled", "protected_identity": False,
            "sms_notifications": True, "idempotency_key": "case-1:payment:2026-12-07",
            **changes}


def translate(language: str, source: str) -> str:
    return source if language == "sv" else f"[{language}] {source}"


def test_a_valid_request_is_parsed() -> None:
    assert parse_notice(payload(language="en"), LANGUAGES) == NoticeRequest(
        PHONE, "payment_scheduled", False, True, "case-1:payment:2026-12-07", "en")
    assert parse_notice(payload(), LANGUAGES).language == "sv"


@pytest.mark.parametrize("body", [
    [], "x", payload(phone="0701234567"), payload(phone="+46 70 123"), payload(event="other"),
    payload(protected_identity="false"), payload(sms_notifications=None),
    payload(idempotency_key=""), payload(idempotency_key="a b"),
    payload(idempotency_key="k" * 129), payload(language="de"), payload(extra=1),
    {k: v for k, v in payload().items() if k != "protected_identity"},
])
def test_a_bad_request_is_400(body: Any) -> None:
    with pytest.raises(RequestRejectedError) as rejected:
        parse_notice(body, LANGUAGES)
    assert rejected.value.status == 400


def test_texts_protect_protected_identities_and_offer_stopp() -> None:
    for event, source in EVENT_TEXTS.items():
        text = notice_text(parse_notice(payload(event=event), LANGUAGES), translate, 3)
        assert text == f"{source} {OPT_OUT_HINT}" and fits(text, 3)
        protected = parse_notice(payload(event=event, protected_identity=True), LANGUAGES)
        assert notice_text(protected, translate, 3) == f"{PROTECTED_TEXT} {OPT_OUT_HINT}"
    english = parse_notice(payload(language="en"), LANGUAGES)
    assert notice_text(english, translate, 3).startswith("[en] Försäkringskassan")


def submit_all(tmp_path: Path, requests: list[dict[str, Any]], opted_out: bool = False,
               transport: FakeTransport | None = None) -> tuple[list[str], FakeTransport]:
    transport = transport or FakeTransport()

    async def main() -> list[str]:
        store = SmsStore(tmp_path / "sms.db")
        ids = ConversationIds(SECRET)
        tasks = BackgroundTasks()
        sender = OutboundSender(transport, store, ids, "https://x/status", sleep=_no_sleep)
        service = NoticeService(sender, store, ids, tasks, translate, 3)
        if opted_out:
            await store.opt_out(ids.of(PHONE), "stopp")
        outcomes = []
        for request in requests:
            outcomes.append((await service.submit(parse_notice(request, LANGUAGES))).value)
            await tasks.drain(5)
        await store.close()
        return outcomes
    return asyncio.run(main()), transport


async def _no_sleep(_: float) -> None:
    return None


def test_a_notice_is_sent_once_per_idempotency_key(tmp_path: Path) -> None:
    outcomes, transport = submit_all(tmp_path, [payload(), payload(),
                                                payload(idempotency_key="other")])
    assert outcomes == ["accepted", "duplicate", "accepted"]
    assert [s.to for s in transport.sent] == [PHONE, PHONE]
    assert transport.sent[0].body.startswith(EVENT_TEXTS["payment_scheduled"])


def test_the_persons_choice_and_opt_out_are_respected(tmp_path: Path) -> None:
    outcomes, transport = submit_all(tmp_path, [payload(sms_notifications=False)])
    assert outcomes == [NoticeOutcome.NOTIFICATIONS_OFF.value] and not transport.calls
    outcomes, transport = submit_all(tmp_path / "b", [payload()], opted_out=True)
    assert outcomes == [NoticeOutcome.OPTED_OUT.value] and not transport.calls


def test_a_protected_person_only_hears_that_there_is_news(tmp_path: Path) -> None:
    _, transport = submit_all(tmp_path, [payload(event="complement_requested",
                                                 protected_identity=True)])
    assert [s.body for s in transport.sent] == [f"{PROTECTED_TEXT} {OPT_OUT_HINT}"]


def test_a_notice_that_could_not_be_sent_may_be_retried(tmp_path: Path) -> None:
    failing = FakeTransport(failures=[SendError("400", False, 21211)])
    outcomes, transport = submit_all(tmp_path, [payload(), payload()], transport=failing)
    assert outcomes == ["accepted", "accepted"] and len(transport.sent) == 1
