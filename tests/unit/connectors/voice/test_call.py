"""A call's decisions with Rasa faked by injection: menu, keypad personnummer, bounded
re-prompts, transfer by opening hours and holidays, the getting-started SMS."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from bot.support import OpeningHours, SupportLine
from connectors.voice.call import (
    CLOSED,
    GOODBYE,
    MENU,
    NUMBER_REMINDER,
    OFFER_PERSON,
    REPROMPT,
    SMS_NOT_SENT,
    SMS_OFFER,
    SMS_SENT,
    TRANSFERRING,
    UNKNOWN_KEY,
    CallInput,
    TurnResult,
    VoiceCallService,
    is_mobile,
)
from connectors.voice.store import CallState
from connectors.voice.twiml import Ending, VoiceReply

# The Swedish menu offers English as the channel always has.
SV_MENU = MENU.replace("{languages}", "9 for English")
SUPPORT = SupportLine("0771-524 524", (OpeningHours(0, 4, dt.time(8), dt.time(16)),),
                      frozenset({dt.date(2026, 12, 24)}))
OPEN = dt.datetime(2026, 12, 23, 10, 0)      # a Wednesday
EVENING = dt.datetime(2026, 12, 23, 18, 0)
HOLIDAY = dt.datetime(2026, 12, 24, 10, 0)   # a Thursday, closed all day
MOBILE = "+46701234567"


@dataclass
class FakeTurn:
    results: dict[str, TurnResult] = field(default_factory=dict)
    received: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)

    async def __call__(self, conversation_id: str, text: str,
                       metadata: Mapping[str, Any]) -> TurnResult:
        self.received.append((conversation_id, text, dict(metadata)))
        return self.results.get(text, TurnResult([f"svar på {text}"]))


@dataclass
class FakeSms:
    sent: list[tuple[str, str]] = field(default_factory=list)

    async def __call__(self, phone: str, body: str) -> bool:
        self.sent.append((phone, body))
        return True


async def redact(text: str) -> tuple[str, dict[str, Any]]:
    if text.isdigit() and len(text) == 12:
        return "PNR_REDACTED", {"pnr_token": "tok-1"}
    return text, {}


def service(turn: FakeTurn, now: dt.datetime = OPEN, sms: FakeSms | None = None,
            max_reprompts: int = 2, support: SupportLine = SUPPORT) -> VoiceCallService:
    return VoiceCallService(turn=turn, translate=lambda _language, text: text, redact=redact,
                            support=support, transfer_number="+46771524524",
                            clock=lambda: now, max_reprompts=max_reprompts,
                            caller_hash=lambda caller, call_sid: "hash-of-caller", send_sms=sms)


def answer(svc: VoiceCallService, state: CallState, speech: str = "", digits: str = "",
           caller: str = MOBILE) -> VoiceReply:
    return asyncio.run(svc.answer(CallInput("CA1", caller, speech, digits), state))


def test_greeting_is_rasas_greeting_then_the_keypad_menu() -> None:
    turn = FakeTurn({"/greet": TurnResult(["Hej!"], intent="greet")})
    state = CallState("voice-x")
    reply = asyncio.run(service(turn).greet(CallInput("CA1", MOBILE), state))
    assert reply == VoiceReply(("Hej!", SV_MENU))
    assert turn.received == [("voice-x", "/greet",
                              {"language": "sv", "caller_hash": "hash-of-caller"})]


def test_menu_keys_map_to_intents_and_speech_goes_to_rasa() -> None:
    turn = FakeTurn()
    svc, state = service(turn), CallState("voice-x")
    for key, intent in (("1", "/ask_case_status"), ("2", "/ask_next_payment"),
                        ("3", "/get_started")):
        assert answer(svc, state, digits=key).says == (f"svar på {intent}",)
    assert answer(svc, state, speech="när kommer pengarna").says == (
        "svar på när kommer pengarna",)
    assert [text for _, text, _ in turn.received] == [
        "/ask_case_status", "/ask_next_payment", "/get_started", "när kommer pengarna"]


def test_nine_switches_to_english() -> None:
    turn = FakeTurn({'/switch_language{"language": "en"}':
                     TurnResult(["Sure."], intent="switch_language", language="en")})
    state = CallState("voice-x")
    assert answer(service(turn), state, digits="9").says == ("Sure.",)
    assert turn.received[0][2]["language"] == "en" and state.language == "en"


def test_nine_in_english_switches_back_to_swedish() -> None:
    turn = FakeTurn({'/switch_language{"language": "sv"}':
                     TurnResult(["Visst."], intent="switch_language", language="sv")})
    state = CallState("voice-x", language="en")
    assert answer(service(turn), state, digits="9").says == ("Visst.",)
    assert turn.received[0][2]["language"] == "sv" and state.language == "sv"


def test_the_menu_offers_the_other_language_in_that_language() -> None:
    svc = service(FakeTurn())
    assert svc.menu("sv") == SV_MENU
    assert svc.menu("en") == MENU.replace("{languages}", "9 för svenska")


def test_english_callers_hear_the_hours_as_web_and_sms_write_them() -> None:
    reply = answer(service(FakeTurn(), now=EVENING), CallState("voice-x", language="en"),
                   digits="0")
    assert reply.says == (CLOSED.replace("{hours}", "Monday-Friday 8:00 AM-4:00 PM"),)


def test_buttons_of_the_last_answer_take_the_keys() -> None:
    turn = FakeTurn({"hej": TurnResult(["Välj. Tryck 1 för A."], buttons=["/faq_app"])})
    svc, state = service(turn), CallState("voice-x")
    answer(svc, state, speech="hej")
    answer(svc, state, digits="1")
    assert turn.received[-1][1] == "/faq_app"


def test_an_unknown_key_is_said_and_the_menu_repeated() -> None:
    turn = FakeTurn()
    assert answer(service(turn), CallState("voice-x"), digits="7").says == (UNKNOWN_KEY,
                                                                           SV_MENU)
    assert turn.received == []


def test_keypad_personal_number_is_redacted_with_a_vault_token() -> None:
    ask = TurnResult(["Knappa in ditt personnummer och avsluta med fyrkant."],
                     intent="ask_next_payment", utter_actions=["utter_ask_personal_number"])
    identified = TurnResult(["Tack, nu vet jag vem du är.", "Din nästa utbetalning ..."],
                            intent="provide_personal_number",
                            utter_actions=["utter_identified", "utter_next_payment"])
    turn = FakeTurn({"/ask_next_payment": ask, "PNR_REDACTED": identified})
    svc, state = service(turn), CallState("voice-x")
    assert answer(svc, state, digits="2").ending is Ending.NUMBER
    assert state.mode == "number"
    answer(svc, state, digits="191212121212")
    _, text, metadata = turn.received[-1]
    assert text == "PNR_REDACTED" and metadata["pnr_token"] == "tok-1"
    assert metadata["caller_hash"] == "hash-of-caller"
    assert state.mode == "menu"


def number_awaited(turn: FakeTurn) -> tuple[VoiceCallService, CallState]:
    turn.results["/ask_next_payment"] = TurnResult(
        ["Knappa in ditt personnummer."], intent="ask_next_payment",
        utter_actions=["utter_ask_personal_number"])
    svc, state = service(turn), CallState("voice-x")
    answer(svc, state, digits="2")
    return svc, state


def test_a_question_asked_while_the_number_is_awaited_keeps_the_number_gather() -> None:
    turn = FakeTurn({"vad är ett förmånsintyg": TurnResult(
        ["Förmånsintyget ..."], intent="faq_benefit_certificate",
        utter_actions=["utter_faq_benefit_certificate"])})
    svc, state = number_awaited(turn)
    reply = answer(svc, state, speech="vad är ett förmånsintyg")
    assert reply == VoiceReply(("Förmånsintyget ...", NUMBER_REMINDER), Ending.NUMBER)
    answer(svc, state, digits="191212121212")  # the twelve digits still reach Rasa whole
    assert turn.received[-1][1] == "PNR_REDACTED"


def test_a_cancelled_bankid_asks_for_the_number_on_the_keypad_again() -> None:
    turn = FakeTurn({"PNR_REDACTED": TurnResult(
        ["Legitimeringen avbröts ..."], intent="provide_personal_number",
        utter_actions=["utter_confirm_in_bankid", "utter_bankid_cancelled"])})
    svc, state = number_awaited(turn)
    assert answer(svc, state, digits="191212121212").ending is Ending.NUMBER
    assert state.mode == "number"


def test_one_key_while_the_number_is_awaited_is_still_a_menu_choice() -> None:
    turn = FakeTurn()
    svc, state = number_awaited(turn)
    answer(svc, state, digits="3")
    assert turn.received[-1][1] == "/get_started"


def test_silence_reprompts_twice_then_offers_a_person_then_says_goodbye() -> None:
    svc, state = service(FakeTurn()), CallState("voice-x")
    assert answer(svc, state) == VoiceReply((REPROMPT,))
    assert answer(svc, state) == VoiceReply((REPROMPT,))
    assert answer(svc, state) == VoiceReply((OFFER_PERSON,))
    assert answer(svc, state) == VoiceReply((GOODBYE,), Ending.HANGUP)


def test_misunderstanding_counts_like_silence_and_a_good_turn_resets() -> None:
    turn = FakeTurn({"blaha": TurnResult(["Förlåt?"], intent="nlu_fallback")})
    svc, state = service(turn, max_reprompts=1), CallState("voice-x")
    assert answer(svc, state, speech="blaha") == VoiceReply(("Förlåt?",))
    answer(svc, state, speech="hej")
    assert state.misses == 0
    answer(svc, state, speech="blaha")
    assert answer(svc, state, speech="blaha") == VoiceReply((OFFER_PERSON,))
    assert answer(svc, state, digits="0").ending is Ending.DIAL


def test_transfer_while_open_dials_the_support_line() -> None:
    reply = answer(service(FakeTurn()), CallState("voice-x"), digits="0")
    assert reply == VoiceReply((TRANSFERRING,), Ending.DIAL, "+46771524524")


def test_handoff_by_speech_transfers_too() -> None:
    turn = FakeTurn({"jag vill prata med en människa":
                     TurnResult(["Ring oss."], intent="human_handoff")})
    reply = answer(service(turn), CallState("voice-x"), speech="jag vill prata med en människa")
    assert reply.ending is Ending.DIAL


def test_outside_hours_and_on_holidays_the_hours_are_said_and_the_call_ends() -> None:
    closed = CLOSED.replace("{hours}", "måndag-fredag 08:00-16:00")
    for moment in (EVENING, HOLIDAY):
        reply = answer(service(FakeTurn(), now=moment), CallState("voice-x"), digits="0")
        assert reply == VoiceReply((closed,), Ending.HANGUP)


def test_unknown_hours_always_offer_the_transfer_and_never_say_hours() -> None:
    unknown = SupportLine("0771-524 524")
    for moment in (OPEN, EVENING, HOLIDAY):
        reply = answer(service(FakeTurn(), now=moment, support=unknown), CallState("voice-x"),
                       digits="0")
        assert reply == VoiceReply((TRANSFERRING,), Ending.DIAL, "+46771524524")


def test_goodbye_hangs_up() -> None:
    turn = FakeTurn({"hej då": TurnResult(["Hej då!"], intent="goodbye")})
    assert answer(service(turn), CallState("voice-x"), speech="hej då") == VoiceReply(
        ("Hej då!",), Ending.HANGUP)


def test_getting_started_offers_the_steps_by_sms_to_a_mobile() -> None:
    turn = FakeTurn({"/get_started": TurnResult(["Så kommer du igång."],
                                                intent="get_started")})
    sms = FakeSms()
    svc, state = service(turn, sms=sms), CallState("voice-x")
    asyncio.run(svc.greet(CallInput("CA1", MOBILE, attestation="TN-Validation-Passed-A"),
                          state))
    assert answer(svc, state, digits="3").says == ("Så kommer du igång.", SMS_OFFER)
    assert answer(svc, state, digits="1").says == (SMS_SENT, SV_MENU)
    assert sms.sent[0][0] == MOBILE and "forsakringskassan.se" in sms.sent[0][1]
    assert "0771-524 524" in sms.sent[0][1]


def test_no_sms_offer_to_a_landline_or_a_protected_person() -> None:
    turn = FakeTurn({"/get_started": TurnResult(["Så kommer du igång."],
                                                intent="get_started"),
                     "/ask_case_status": TurnResult(
                         ["Använd Mina sidor."],
                         utter_actions=["utter_protected_use_mina_sidor"])})
    sms = FakeSms()
    svc = service(turn, sms=sms)
    assert answer(svc, CallState("v"), digits="3", caller="+4687654321").says == (
        "Så kommer du igång.",)
    protected = CallState("v")
    answer(svc, protected, digits="1")
    assert answer(svc, protected, digits="3").says == ("Så kommer du igång.",)
    assert sms.sent == []
    assert SMS_NOT_SENT  # said when sending fails (see the channel tests)


@pytest.mark.parametrize("attestation", ["", "TN-Validation-Passed-B",
                                         "TN-Validation-Passed-C", "TN-Validation-Failed-A",
                                         "No-TN-Validation", "tn-validation-passed-a"])
def test_no_sms_offer_to_a_caller_id_the_network_did_not_fully_attest(
        attestation: str) -> None:
    turn = FakeTurn({"/get_started": TurnResult(["Så kommer du igång."],
                                                intent="get_started")})
    sms = FakeSms()
    svc, state = service(turn, sms=sms), CallState("voice-x")
    asyncio.run(svc.greet(CallInput("CA1", MOBILE, attestation=attestation), state))
    assert answer(svc, state, digits="3").says == ("Så kommer du igång.",)
    assert answer(svc, state, digits="1").says != (SMS_SENT, SV_MENU)
    assert sms.sent == []


def test_mobile_numbers() -> None:
    assert is_mobile("+46701234567") and is_mobile("+46761234567")
    assert not is_mobile("+4687654321") and not is_mobile("+46771524524")
    assert not is_mobile("") and not is_mobile("+4670123")
