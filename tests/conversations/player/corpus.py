"""The corpus as typed data: conversations of turns, read from one YAML file per theme, and
the demo persons' expected answers (tests/conversations/persons.yml).

A turn says what the user says (``say``, or ``personnummer`` typed as the user types it),
which responses the assistant must give (``expect``: response names, or ``answer:<kind>``
for the person's answer of that kind) and what the answer must carry (``facts``: literal
strings, or ``$`` references the player resolves from the case backend). Any of these may be
overridden per channel in a block named after the channel.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent.parent
CORPUS_DIR = HERE / "corpus"
PERSONS_FILE = HERE / "persons.yml"
CHANNELS = ("rest", "sms", "voice", "web", "web_logged_in")
# Where identification is by personnummer and BankID (the web chat has its own login).
NUMBER_CHANNELS = frozenset({"rest", "sms", "voice"})
TURN_KEYS = {"say", "personnummer", "keys", "expect", "facts", "absent", "intent", "channels",
             "wait", "language", "transfer", "hangup", "capture", "entities", *CHANNELS}
OVERRIDE_KEYS = {"say", "keys", "expect", "facts", "absent", "intent", "skip", "transfer",
                 "hangup", "capture"}
CONVERSATION_KEYS = {"id", "description", "channels", "person", "language", "support", "turns"}
# The support line's configuration a conversation is played against, each its own stack:
# "unset" (the embedded default: no hours, the phone always transfers) or "closed" (hours
# configured and today a closed day, whatever the time of the run).
SUPPORT_MODES = ("unset", "closed")


class CorpusError(ValueError):
    pass


@dataclass(frozen=True)
class Step:
    """One turn as it is played on one channel."""

    say: str | None           # text (speech on the phone)
    keys: str | None          # keypad digits (phone only)
    expect: tuple[str, ...]   # response names and answer:<kind> macros
    facts: tuple[str, ...]
    absent: tuple[str, ...]
    intent: str | None
    wait: float
    language: str | None      # the conversation's language from this turn on
    transfer: bool            # phone: the caller must be transferred (or told it is closed)
    hangup: bool              # phone: the call must end
    capture: dict[str, str]   # name -> regular expression, kept for later facts
    personnummer: str | None


@dataclass(frozen=True)
class Turn:
    raw: dict[str, Any]
    index: int

    def applies_to(self, channel: str) -> bool:
        only = self.raw.get("channels")
        if only is not None and channel not in only:
            return False
        if self.raw.get("personnummer") is not None and channel not in NUMBER_CHANNELS:
            return channel in (self.raw.get("channels") or ())
        override = self.raw.get(channel) or {}
        return not override.get("skip", False)

    def on(self, channel: str) -> Step:
        raw, override = self.raw, dict(self.raw.get(channel) or {})
        number = raw.get("personnummer")

        def pick(key: str, default: Any = None) -> Any:
            return override[key] if key in override else raw.get(key, default)

        keys = pick("keys")
        if channel == "voice" and keys is None and number is not None:
            keys = keypad(str(number))
        return Step(say=pick("say", number), keys=str(keys) if keys is not None else None,
                    expect=tuple(pick("expect", ()) or ()),
                    facts=tuple(str(f) for f in pick("facts", ()) or ()),
                    absent=tuple(str(f) for f in pick("absent", ()) or ()),
                    intent=pick("intent"), wait=float(raw.get("wait", 0)),
                    language=raw.get("language"), transfer=bool(pick("transfer", False)),
                    hangup=bool(pick("hangup", False)), capture=dict(pick("capture") or {}),
                    personnummer=str(number) if number is not None else None)


@dataclass(frozen=True)
class Conversation:
    id: str
    theme: str
    description: str
    channels: tuple[str, ...]
    person: str | None
    language: str
    turns: tuple[Turn, ...]
    support: str = "unset"  # one of SUPPORT_MODES

    def steps(self, channel: str) -> list[tuple[int, Step]]:
        return [(t.index, t.on(channel)) for t in self.turns if t.applies_to(channel)]


@dataclass(frozen=True)
class Answer:
    expect: tuple[str, ...]
    facts: tuple[str, ...]
    absent: tuple[str, ...]


@dataclass(frozen=True)
class Person:
    key: str
    personnummer: str
    answers: dict[str, dict[str, Answer]] = field(default_factory=dict)  # kind -> channel

    def answer(self, kind: str, channel: str) -> Answer:
        per_channel = self.answers.get(kind)
        if per_channel is None:
            raise CorpusError(f"person {self.key} has no answer {kind!r}")
        return per_channel.get(channel) or per_channel["default"]


def keypad(personnummer: str) -> str:
    """The twelve digits a caller presses for a personnummer however it is written."""
    import unicodedata

    digits = "".join(c for c in unicodedata.normalize("NFKC", personnummer) if c.isdigit())
    return digits if len(digits) == 12 else ("19" + digits if len(digits) == 10 else digits)


def _answer(raw: dict[str, Any]) -> Answer:
    return Answer(tuple(raw.get("expect") or ()), tuple(str(f) for f in raw.get("facts") or ()),
                  tuple(str(f) for f in raw.get("absent") or ()))


def load_persons(path: Path = PERSONS_FILE) -> dict[str, Person]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))["persons"]
    persons = {}
    for key, body in raw.items():
        answers: dict[str, dict[str, Answer]] = {}
        for kind, spec in (body.get("answers") or {}).items():
            per_channel = {"default": _answer(spec)}
            for channel in CHANNELS:
                if channel in spec:
                    per_channel[channel] = _answer({**spec, **spec[channel]})
            answers[kind] = per_channel
        persons[key] = Person(key, str(body["personnummer"]), answers)
    return persons


def _check(conversation: dict[str, Any], where: str, persons: dict[str, Person]) -> None:
    unknown = set(conversation) - CONVERSATION_KEYS
    if unknown:
        raise CorpusError(f"{where}: unknown keys {sorted(unknown)}")
    for channel in conversation.get("channels") or ():
        if channel not in CHANNELS:
            raise CorpusError(f"{where}: unknown channel {channel!r}")
    support = conversation.get("support", "unset")
    if support not in SUPPORT_MODES:
        raise CorpusError(f"{where}: support {support!r} is not one of {list(SUPPORT_MODES)}")
    person = conversation.get("person")
    if person is not None and person not in persons:
        raise CorpusError(f"{where}: unknown person {person!r}")
    if "web_logged_in" in (conversation.get("channels") or ()) and person is None:
        raise CorpusError(f"{where}: web_logged_in needs a person")
    for number, turn in enumerate(conversation.get("turns") or (), 1):
        bad = set(turn) - TURN_KEYS
        if bad:
            raise CorpusError(f"{where} turn {number}: unknown keys {sorted(bad)}")
        if "say" not in turn and "personnummer" not in turn and "keys" not in turn:
            raise CorpusError(f"{where} turn {number}: says nothing")
        for channel in CHANNELS:
            extra = set(turn.get(channel) or {}) - OVERRIDE_KEYS
            if extra:
                raise CorpusError(f"{where} turn {number} {channel}: unknown keys {extra}")


def load_corpus(directory: Path = CORPUS_DIR,
                persons: dict[str, Person] | None = None) -> list[Conversation]:
    persons = persons if persons is not None else load_persons()
    conversations: list[Conversation] = []
    seen: set[str] = set()
    for path in sorted(directory.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for raw in data.get("conversations") or ():
            where = f"{path.name}:{raw.get('id')}"
            _check(raw, where, persons)
            if raw["id"] in seen:
                raise CorpusError(f"{where}: duplicate id")
            seen.add(raw["id"])
            turns = tuple(Turn(t, i) for i, t in enumerate(raw["turns"], 1))
            conversations.append(Conversation(
                id=raw["id"], theme=path.stem, description=raw.get("description", ""),
                channels=tuple(raw.get("channels") or CHANNELS), person=raw.get("person"),
                language=raw.get("language", "sv"), turns=turns,
                support=raw.get("support", "unset")))
    return conversations
