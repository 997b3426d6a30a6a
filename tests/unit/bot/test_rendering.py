import pytest

from bot.rendering import (
    for_sms,
    for_voice,
    render_for_channel,
    to_gsm7,
)
from common.channels import ChannelKind, channel_kind

LINKED = "Läs mer på [Mina sidor](https://www.forsakringskassan.se/mina-sidor)."


def _identity(text: str) -> str:
    return text


# Rendering goes by the output channel and only shapes text; access goes by the input channel
# (common.channels.input_kind).
@pytest.mark.parametrize(("name", "kind"), [("rest", ChannelKind.WEB),
                                            ("socketio", ChannelKind.WEB),
                                            ("twilio", ChannelKind.SMS),
                                            ("twilio_voice", ChannelKind.VOICE),
                                            (None, ChannelKind.WEB)])
def test_channel_kind_from_output_channel_name(name: str | None, kind: ChannelKind) -> None:
    assert channel_kind(name) is kind


def test_web_keeps_markdown_and_buttons() -> None:
    message = {"text": LINKED, "buttons": [{"title": "Ja", "payload": "/affirm"}]}
    assert render_for_channel(dict(message), ChannelKind.WEB, _identity) == message


def test_sms_spells_out_links_and_numbers_the_choices() -> None:
    message = {"text": LINKED, "buttons": [{"title": "Ja", "payload": "/affirm"},
                                           {"title": "Nej", "payload": "/deny"}]}
    rendered = render_for_channel(message, ChannelKind.SMS, _identity)
    assert rendered["text"] == ("Läs mer på Mina sidor: https://www.forsakringskassan.se/mina-sidor."
                                "\nSvara 1 för Ja.\nSvara 2 för Nej.")
    # The payloads stay so that the SMS channel can map a reply "1" back to them.
    assert rendered["buttons"][0]["payload"] == "/affirm"


def test_sms_text_is_gsm7() -> None:
    assert to_gsm7("“Hej” – ok… 😀 ÅÄÖ åäö é ç") == '"Hej" - ok... ÅÄÖ åäö é c'


def test_sms_keeps_underscores_inside_urls() -> None:
    assert for_sms("[x](https://a.se/mina_sidor_hjalp)") == "x: https://a.se/mina_sidor_hjalp"


def test_voice_drops_links_markdown_and_emoji() -> None:
    text = "**Viktigt:** läs på https://www.forsakringskassan.se/privatperson/x 👍\nTack."
    assert for_voice(text) == "Viktigt: läs på forsakringskassan.se Tack."
    assert for_voice(LINKED) == "Läs mer på Mina sidor."


def test_voice_reads_buttons_as_a_keypad_menu() -> None:
    message = {"text": "Vad gäller det?", "buttons": [{"title": "Ärende", "payload": "/a"},
                                                      {"title": "Pengar", "payload": "/b"}]}
    rendered = render_for_channel(message, ChannelKind.VOICE, _identity)
    assert rendered["text"] == "Vad gäller det? Tryck 1 för Ärende. Tryck 2 för Pengar."


def test_choice_phrase_goes_through_translation() -> None:
    message = {"text": "Q", "buttons": [{"title": "Yes", "payload": "/affirm"}]}
    rendered = render_for_channel(message, ChannelKind.SMS,
                                  lambda t: "Reply {number} for {title}.")
    assert rendered["text"] == "Q\nReply 1 for Yes."
