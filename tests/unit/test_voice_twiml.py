"""The phone channel's TwiML, compared as exact XML."""

from connectors.voice.twiml import HINTS, Ending, TwimlOptions, VoiceReply, voice_twiml

URL = "https://assistant.example.se/webhooks/twilio_voice/gather?step=2"
SV = TwimlOptions(language="sv", voice="Polly.Astrid", action_url=URL)
EN = TwimlOptions(language="en", voice="Polly.Joanna", action_url=URL, speech_timeout=3,
                  gather_timeout=5, hints=("Mina sidor",))
HEAD = '<?xml version="1.0" encoding="UTF-8"?><Response>'



def test_speak_and_listen_for_speech_or_one_key() -> None:
    xml = voice_twiml(VoiceReply(("Hej!", "Tryck 1.")), SV)
    assert xml == (
        HEAD + f'<Gather action="{URL}" actionOnEmptyResult="true" hints="{",".join(HINTS)}" '
        'input="dtmf speech" language="sv-SE" method="POST" numDigits="1" speechTimeout="2" '
        'timeout="6"><Say language="sv-SE" voice="Polly.Astrid">Hej!</Say>'
        '<Say language="sv-SE" voice="Polly.Astrid">Tryck 1.</Say></Gather></Response>')


def test_personal_number_on_the_keypad_ends_with_hash() -> None:
    xml = voice_twiml(VoiceReply(("Knappa in ditt personnummer.",), Ending.NUMBER), EN)
    assert xml == (
        HEAD + f'<Gather action="{URL}" actionOnEmptyResult="true" finishOnKey="#" '
        'hints="Mina sidor" input="dtmf speech" language="en-US" method="POST" '
        'numDigits="13" speechTimeout="3" timeout="5"><Say language="en-US" '
        'voice="Polly.Joanna">Knappa in ditt personnummer.</Say></Gather></Response>')


def test_goodbye_hangs_up() -> None:
    assert voice_twiml(VoiceReply(("Hej då!",), Ending.HANGUP), SV) == (
        HEAD + '<Say language="sv-SE" voice="Polly.Astrid">Hej då!</Say><Hangup /></Response>')


def test_transfer_dials_the_support_number() -> None:
    reply = VoiceReply(("Jag kopplar dig.",), Ending.DIAL, "+46771524524")
    assert voice_twiml(reply, SV) == (
        HEAD + '<Say language="sv-SE" voice="Polly.Astrid">Jag kopplar dig.</Say>'
        '<Dial>+46771524524</Dial></Response>')


def test_one_moment_redirects_to_collect_the_answer() -> None:
    options = TwimlOptions(language="sv", voice="Polly.Astrid",
                           action_url="https://a.example/webhooks/twilio_voice/collect?step=2")
    assert voice_twiml(VoiceReply(("Ett ögonblick.",), Ending.REDIRECT), options) == (
        HEAD + '<Say language="sv-SE" voice="Polly.Astrid">Ett ögonblick.</Say>'
        '<Redirect method="POST">https://a.example/webhooks/twilio_voice/collect?step=2'
        '</Redirect></Response>')


def test_xml_special_characters_are_escaped() -> None:
    assert "A &amp; B &lt;3" in voice_twiml(VoiceReply(("A & B <3",), Ending.HANGUP), SV)
