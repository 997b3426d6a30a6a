"""One SMS reply per turn: the NLG's SMS texts joined, kept within a few segments.

The NLG has already shaped every text for SMS (``bot.rendering.for_sms``: links spelled out,
GSM-7, buttons appended as numbered choices). What is left is the phone's side of it: one
reply per turn (several ``<Message>`` elements may arrive out of order), counted in segments as
the network bills them, and an answer too long for ``max_segments`` cut at a sentence with the
web address, keeping the numbered choices whole.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.i18n import N_
from bot.rendering import GSM7_BASIC, GSM7_EXTENDED, to_gsm7
from connectors.sms.state import Choice

READ_MORE = N_("Läs mer på forsakringskassan.se.")

GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67
ELLIPSIS = "..."
_SENTENCE_END = re.compile(r"[.!?:](?=\s)|\n")


@dataclass(frozen=True)
class Segments:
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets or UTF-16 code units
    count: int


def is_gsm7(text: str) -> bool:
    return all(char in GSM7_BASIC or char in GSM7_EXTENDED for char in text)


def _parts(widths: Sequence[int], single: int, part: int) -> int:
    total = sum(widths)
    if total <= single:
        return 1 if total else 0
    count, used = 1, 0
    for width in widths:
        # An escape sequence or a surrogate pair is never split between two parts.
        if used + width > part:
            count, used = count + 1, 0
        used += width
    return count


def count_segments(text: str) -> Segments:
    """How many SMS segments the network bills for ``text``."""
    if is_gsm7(text):
        widths = [2 if char in GSM7_EXTENDED else 1 for char in text]
        return Segments("GSM-7", sum(widths), _parts(widths, GSM7_SINGLE, GSM7_PART))
    widths = [2 if ord(char) > 0xFFFF else 1 for char in text]
    return Segments("UCS-2", sum(widths), _parts(widths, UCS2_SINGLE, UCS2_PART))


def fits(text: str, max_segments: int) -> bool:
    return count_segments(text).count <= max_segments


@dataclass(frozen=True)
class SmsReply:
    body: str
    choices: tuple[Choice, ...]
    summarised: bool


def _split_choices(message: Mapping[str, Any]) -> tuple[str, list[str], list[Choice]]:
    """The text without its numbered-choice lines, those lines, and the choices."""
    text = str(message.get("text") or "").strip()
    buttons = [b for b in message.get("buttons") or [] if isinstance(b, Mapping)]
    if not buttons:
        return text, [], []
    lines = text.split("\n")
    cut = max(len(lines) - len(buttons), 0)
    choices = [Choice(str(b.get("title") or ""), str(b.get("payload") or b.get("title") or ""))
               for b in buttons]
    return "\n".join(lines[:cut]).strip(), lines[cut:], choices


def summarise(main: str, tail: str, max_segments: int) -> str:
    """The longest start of ``main`` (whole sentences, else whole words) that fits with ``tail``."""
    def joined(start: str) -> str:
        return f"{start}\n{tail}" if start else tail

    ends = [match.end() for match in _SENTENCE_END.finditer(main + " ")]
    for end in sorted(set(ends), reverse=True):
        start = main[:end].strip()
        if start and fits(joined(start), max_segments):
            return joined(start)
    words = main.split(" ")
    for count in range(len(words) - 1, 0, -1):
        start = " ".join(words[:count]).rstrip(" ,;:-") + ELLIPSIS
        if fits(joined(start), max_segments):
            return joined(start)
    if fits(tail, max_segments):
        return tail
    return hard_cut(tail, max_segments)


def hard_cut(text: str, max_segments: int) -> str:
    while text and not fits(text + ELLIPSIS, max_segments):
        text = text[:-1]
    return text.rstrip() + ELLIPSIS


def compose_reply(messages: Sequence[Mapping[str, Any]], max_segments: int,
                  read_more: str) -> SmsReply:
    """Joins a turn's messages into one SMS of at most ``max_segments`` segments.

    Only the last message's numbered choices stay (each message numbers its own from 1, so
    earlier ones could not be answered); ``read_more`` is the translated web-address line.
    """
    mains: list[str] = []
    choice_lines: list[str] = []
    choices: list[Choice] = []
    for message in messages:
        main, lines, offered = _split_choices(message)
        if main:
            mains.append(main)
        if offered:
            choice_lines, choices = lines, offered
    main = to_gsm7("\n\n".join(mains)).strip()
    block = to_gsm7("\n".join(choice_lines)).strip()
    full = "\n".join(part for part in (main, block) if part)
    if fits(full, max_segments):
        return SmsReply(full, tuple(choices), False)
    tail = "\n".join(part for part in (to_gsm7(read_more), block) if part)
    return SmsReply(summarise(main, tail, max_segments), tuple(choices), True)


def shape_phrase(text: str, max_segments: int) -> str:
    """A channel phrase (keyword answers, notices): GSM-7 and within the segment limit."""
    text = to_gsm7(text).strip()
    return text if fits(text, max_segments) else hard_cut(text, max_segments)
