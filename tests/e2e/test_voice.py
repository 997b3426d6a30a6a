"""The phone channel against the real `rasa run`, action server, case backend and BankID
simulator: a scripted call for each demo person (greeting, menu, keypad personnummer,
BankID, answer, transfer or hang-up), signatures, and no personal data left behind."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.formatting import fill_placeholders
from bot.i18n import format_locale
from bot.locales import language_of
from bot.rendering import render_for_channel
from common.channels import ChannelKind
from connectors.voice.call import (
    CLOSED,
    GOODBYE,
    MENU,
    OFFER_PERSON,
    REPROMPT,
    SMS_OFFER,
    SMS_SENT,
    TRANSFERRING,
)
from connectors.voice.config import dialable
from connectors.voice.ids import CallerIds

from .conftest import Assistant
from .texts import ENGLISH, RESPONSES, SUPPORT, tidy
from .voice_harness import PREFIX, Call, Step

pytestmark = pytest.mark.e2e
DIGITS = {"19121212-1212": "191212121212", "19101010-1010": "191010101010",
          "19111111-1116": "191111111116", "19400404-0400": "194004040400",
          "20080808-0808": "200808080808"}
SV_MENU = MENU.replace("{languages}", "9 for English")
URL_OR_MARKDOWN = re.compile(r"https?://|\*\*|\[|\]\(|www\.")


def spoken(name: str, language: str = "sv", **values: Any) -> set[str]:
    """A response as the NLG speaks it: the voice variation if any, rendered for voice."""
    locale = format_locale(language)

    def translate(text: str) -> str:
        return str(ENGLISH.gettext(text)) if language == "en" else text

    variations = [v for v in RESPONSES[name] if v.get("channel") == "voice"] or \
        [v for v in RESPONSES[name] if not v.get("channel")]
    context = {"support_phone": SUPPORT.phone,
               "support_hours_sentence": SUPPORT.hours_sentence(locale, translate), **values}
    texts = set()
    for variation in variations:
        text = variation["text"]
        if language == "en":
            text = str(ENGLISH.pgettext(name, text))
        text = tidy(fill_placeholders(text, context, locale, translate=translate,
                                      money=language_of(language).money.voice))
        buttons = [{**b, "title": translate(b["title"])} for b in variation.get("buttons") or []]
        message = {"text": text, **({"buttons": buttons} if buttons else {})}
        texts.add(render_for_channel(message, ChannelKind.VOICE, translate)["text"])
    return texts


def phrase(source: str, language: str = "sv") -> str:
    text = str(ENGLISH.gettext(source)) if language == "en" else source
    return text.replace("{support_phone}", SUPPORT.phone)


def call(assistant: Assistant) -> Call:
    assert assistant.voice is not None
    return Call(assistant.base_url, assistant.voice)


def assert_spoken_clean(step: Step) -> None:
    for text in step.says:
        assert not URL_OR_MARKDOWN.search(text), text


def identify(c: Call, key: str, personnummer: str) -> Step:
    """Greeting, a menu key for a personal question, the personnummer on the keypad."""
    greeting = c.start()
    assert greeting.says == [*spoken("utter_greet"), SV_MENU]
    assert greeting.gather is not None and greeting.gather["language"] == "sv-SE"
    assert greeting.gather["numDigits"] == "1" and greeting.gather["input"] == "dtmf speech"
    asked = c.press(key)
    assert asked.says[0] in spoken("utter_ask_personal_number")
    assert asked.gather is not None and asked.gather["finishOnKey"] == "#"
    answer = c.press(DIGITS[personnummer])
    assert answer.says[0] in spoken("utter_confirm_in_bankid")
    assert answer.says[1] in spoken("utter_identified") | spoken("utter_identified_unknown")
    assert_spoken_clean(answer)
    return answer


def transfer_expected() -> tuple[list[str], str | None]:
    if SUPPORT.is_open(dt.datetime.now(ZoneInfo("Europe/Stockholm"))):
        return [TRANSFERRING], dialable(SUPPORT.phone)
    return [CLOSED.replace("{hours}", SUPPORT.describe_hours("sv_SE") or "")], None


def test_tolvan_hears_the_next_payment_then_is_transferred(assistant: Assistant) -> None:
    c = call(assistant)
    answer = identify(c, "2", "19121212-1212")
    assert "kronor" in " ".join(answer.says) and " kr " not in " ".join(answer.says)
    transferred = c.press("0")
    says, number = transfer_expected()
    assert transferred.says == says
    assert transferred.dial == number and transferred.hangup == (number is None)
    assert c.hang_up() == 204
    print("\n".join(f"{who}: {text}" for who, text in c.transcript))


def test_tio_is_protected_and_gets_no_details_nor_sms(assistant: Assistant) -> None:
    c = call(assistant)
    answer = identify(c, "1", "19101010-1010")
    assert answer.says[2] in spoken("utter_protected_use_mina_sidor")
    started = c.press("3")
    assert phrase(SMS_OFFER) not in started.says
    bye = c.say("hej då")
    assert bye.hangup and bye.says[0] in spoken("utter_goodbye")


def test_elva_the_representative_then_silence_ends_the_call(assistant: Assistant) -> None:
    c = call(assistant)
    identify(c, "1", "19111111-1116")
    assert c.silence().says == [REPROMPT]
    assert c.silence().says == [REPROMPT]
    assert c.silence().says == [OFFER_PERSON]
    last = c.silence()
    assert last.says == [GOODBYE] and last.hangup and last.gather is None


def test_fyra_in_english(assistant: Assistant) -> None:
    c = call(assistant)
    c.start()
    english = c.press("9")
    assert english.gather is not None and english.gather["language"] == "en-US"
    assert english.says[0] in spoken("utter_language_switched", "en")
    asked = c.press("2")
    assert asked.says[0] in spoken("utter_ask_personal_number", "en")
    answer = c.press(DIGITS["19400404-0400"])
    assert answer.says[0] in spoken("utter_confirm_in_bankid", "en")
    assert_spoken_clean(answer)


def test_atta_gets_started_with_the_steps_by_sms(assistant: Assistant) -> None:
    assert assistant.sms is not None and assistant.sms.fake is not None
    assert assistant.voice is not None
    # The network vouches for the caller id: the only kind of call an SMS may go to.
    c = Call(assistant.base_url, assistant.voice, attestation="TN-Validation-Passed-A")
    c.start()
    started = c.press("3")
    assert started.says[-1] == SMS_OFFER
    assert_spoken_clean(started)
    sent = c.press("1")
    assert sent.says == [SMS_SENT, SV_MENU]
    messages = [m for m in assistant.sms.fake.messages if m.to == c.caller]
    assert len(messages) == 1 and "forsakringskassan.se" in messages[0].body
    # Identified, then the call ends: the next call from the number is a conversation of
    # its own (asks again).
    asked = c.press("2")
    assert asked.says[0] in spoken("utter_ask_personal_number")
    c.press(DIGITS["20080808-0808"])
    assert c.hang_up() == 204
    again = Call(c.rasa_url, c.setup, caller=c.caller)
    again.start()
    assert again.press("2").says[0] in spoken("utter_ask_personal_number")


def test_forged_replayed_malformed_and_incomplete_calls_are_refused(
        assistant: Assistant) -> None:
    c = call(assistant)
    params = c.params()
    assert c.post(f"{PREFIX}/incoming", params, signature="Zm9yZ2Vk").status == 403
    assert c.post(f"{PREFIX}/incoming", params, signature="").status == 403
    missing = {k: v for k, v in params.items() if k != "CallSid"}
    assert c.post(f"{PREFIX}/incoming", missing).status == 400
    assert c.post(f"{PREFIX}/gather?step=1", params).status == 404  # no such call
    first = c.start()
    step = c.post(first.next_path, c.params(Digits="1"))
    replay = c.post(first.next_path, c.params(Digits="1"))
    assert replay.body == step.body
    assert step.status == 200 and replay.status == 200
    sender_id = CallerIds(c.setup.secret).conversation(c.call_sid)
    rows = assistant.query("select data from events where type_name = 'user' and "
                           "sender_id = ?", (sender_id,))
    # The greeting and one menu choice: the replayed step reached Rasa once.
    assert len(rows) == 2, rows


def test_no_phone_number_or_personnummer_in_the_tracker(assistant: Assistant) -> None:
    c = call(assistant)
    c.start()
    c.press("1")
    c.press("191212121212")
    rows = assistant.query("select sender_id, data from events where sender_id like 'voice-%'")
    assert rows
    for sender_id, data in rows:
        assert c.caller not in data and c.caller[1:] not in sender_id
        assert "191212121212" not in data and "19121212-1212" not in data
    for log in assistant.logs:
        text = log.read_text(errors="replace")
        assert c.caller not in text and "191212121212" not in text, log.name
        scrubbed = [line for line in text.splitlines() if '"redacted": true' in line]
        assert not scrubbed, (log.name, scrubbed[:3])  # already scrubbed: safe to show
