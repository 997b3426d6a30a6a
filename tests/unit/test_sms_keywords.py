import pytest

from connectors.sms.keywords import KeywordKind, choice_number, keyword_of


@pytest.mark.parametrize(("text", "kind", "language"), [
    ("STOPP", KeywordKind.STOP, "sv"),
    (" stopp! ", KeywordKind.STOP, "sv"),
    ("Stop", KeywordKind.STOP, "en"),
    ("UNSUBSCRIBE", KeywordKind.STOP, "en"),
    ("HJÄLP", KeywordKind.HELP, "sv"),
    ("hjälp.", KeywordKind.HELP, "sv"),
    ("hjalp", KeywordKind.HELP, "sv"),
    ("HELP", KeywordKind.HELP, "en"),
    ("STARTA", KeywordKind.START, "sv"),
    ("start", KeywordKind.START, "en"),
])
def test_keywords_and_their_language(text: str, kind: KeywordKind, language: str) -> None:
    keyword = keyword_of(text)
    assert keyword is not None and (keyword.kind, keyword.language) == (kind, language)


@pytest.mark.parametrize("text", ["stoppa min ansökan", "jag behöver hjälp", "help me",
                                  "", "1", "STOPP STOPP"])
def test_a_keyword_must_be_the_whole_message(text: str) -> None:
    assert keyword_of(text) is None


@pytest.mark.parametrize(("text", "number"), [("1", 1), (" 2 ", 2), ("3.", 3), ("4)", 4),
                                              ("12", 12), ("1 2", None), ("ett", None),
                                              ("123", None), ("1a", None)])
def test_choice_numbers(text: str, number: int | None) -> None:
    assert choice_number(text) == number


def test_every_keyword_of_the_language_table() -> None:
    # Written out by hand: the words the SMS channel has always known, from bot/locales.py.
    wanted = {"stopp": "sv", "stoppa": "sv", "starta": "sv", "hjälp": "sv", "hjalp": "sv",
              "stop": "en", "stopall": "en", "unsubscribe": "en", "cancel": "en", "end": "en",
              "quit": "en", "start": "en", "unstop": "en", "help": "en", "info": "en"}
    for word, language in wanted.items():
        keyword = keyword_of(word.upper())
        assert keyword is not None and keyword.language == language, word
    assert keyword_of("stopa") is None
