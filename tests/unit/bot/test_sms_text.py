import pytest

from bot.rendering import render_for_channel
from common.channels import ChannelKind
from connectors.sms.state import Choice
from connectors.sms.text import (
    compose_reply,
    count_segments,
    fits,
    shape_phrase,
    summarise,
)

READ_MORE = "Läs mer på forsakringskassan.se."


@pytest.mark.parametrize(("text", "encoding", "units", "count"), [
    ("", "GSM-7", 0, 0),
    ("a" * 160, "GSM-7", 160, 1),
    ("a" * 161, "GSM-7", 161, 2),
    ("a" * 306, "GSM-7", 306, 2),
    ("a" * 307, "GSM-7", 307, 3),
    ("a" * 459, "GSM-7", 459, 3),
    ("a" * 460, "GSM-7", 460, 4),
    ("€" * 80, "GSM-7", 160, 1),  # extended characters cost two septets
    ("€" * 81, "GSM-7", 162, 2),
    ("åäöÅÄÖé" * 20, "GSM-7", 140, 1),  # Swedish letters are in the basic set
    ("ç" * 70, "UCS-2", 70, 1),
    ("ç" * 71, "UCS-2", 71, 2),
    ("ç" * 134, "UCS-2", 134, 2),
    ("ç" * 135, "UCS-2", 135, 3),
    ("😀" * 35, "UCS-2", 70, 1),  # a surrogate pair is two code units
])
def test_segments_as_the_network_counts_them(text: str, encoding: str, units: int,
                                             count: int) -> None:
    segments = count_segments(text)
    assert (segments.encoding, segments.units, segments.count) == (encoding, units, count)


def test_an_escape_pair_is_not_split_between_parts() -> None:
    # 152 plain + one "€" (2 septets) cannot share the first 153-septet part.
    assert count_segments("a" * 152 + "€" + "a" * 152).count == 3
    assert count_segments("a" * 151 + "€" + "a" * 153).count == 2


def sms(text: str, buttons: list[dict[str, str]] | None = None) -> dict[str, object]:
    """A message as the NLG renders it for SMS (numbered choices appended)."""
    message: dict[str, object] = {"text": text}
    if buttons:
        message["buttons"] = buttons
    return render_for_channel(message, ChannelKind.SMS, lambda t: t)


BUTTONS = [{"title": "Kom igång", "payload": "/get_started"},
           {"title": "Mitt ärende", "payload": "/ask_case_status"}]


def test_short_turn_is_one_reply_with_the_choices_last() -> None:
    reply = compose_reply([sms("Hej!"), sms("Vad vill du göra?", BUTTONS)], 3, READ_MORE)
    assert reply.body == ("Hej!\n\nVad vill du göra?\nSvara 1 för Kom igång.\n"
                          "Svara 2 för Mitt ärende.")
    assert reply.choices == (Choice("Kom igång", "/get_started"),
                             Choice("Mitt ärende", "/ask_case_status"))
    assert not reply.summarised


def test_only_the_last_messages_choices_count() -> None:
    reply = compose_reply([sms("A?", BUTTONS), sms("B?", BUTTONS[:1])], 3, READ_MORE)
    assert reply.body == "A?\n\nB?\nSvara 1 för Kom igång."
    assert reply.choices == (Choice("Kom igång", "/get_started"),)


def test_a_long_answer_is_cut_at_a_sentence_with_the_web_address_and_choices() -> None:
    sentences = [f"Mening nummer {i} handlar om Mina sidor och vad du kan göra där." for i in
                 range(12)]
    reply = compose_reply([sms(" ".join(sentences), BUTTONS)], 3, READ_MORE)
    assert reply.summarised and fits(reply.body, 3)
    body, tail = reply.body.split("\n", 1)
    assert tail == f"{READ_MORE}\nSvara 1 för Kom igång.\nSvara 2 för Mitt ärende."
    assert body.endswith("där.") and body in " ".join(sentences)
    # As much as fits: one more sentence would not.
    next_sentence = sentences[len(body.split(". "))]
    assert not fits(f"{body} {next_sentence}\n{tail}", 3)


def test_a_long_sentence_is_cut_at_a_word() -> None:
    text = "ord " * 200
    reply = compose_reply([sms(text)], 2, READ_MORE)
    assert reply.summarised and fits(reply.body, 2)
    assert reply.body.endswith(f"ord...\n{READ_MORE}")


def test_summarise_never_exceeds_the_limit() -> None:
    tail = "Svara 1 för något.\n" * 30
    assert fits(summarise("Text.", tail, 1), 1)


def test_replies_are_gsm7() -> None:
    reply = compose_reply([{"text": "“Citat” – bra… 😀"}], 3, READ_MORE)
    assert reply.body == '"Citat" - bra...'
    assert count_segments(reply.body).encoding == "GSM-7"


def test_shape_phrase_keeps_to_the_limit() -> None:
    assert shape_phrase("Hej – då", 1) == "Hej - då"
    assert fits(shape_phrase("x" * 1000, 3), 3)
