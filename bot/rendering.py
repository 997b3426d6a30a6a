"""Channel rules, all in one place: how a filled response is shaped for web, SMS and voice.

- web: markdown links and buttons as they are;
- sms: plain text, links as "text: url", markdown removed, GSM-7 characters wherever possible,
  buttons appended as numbered choices ("Svara 1 för ...");
- voice: short spoken text, no links, markdown, URLs or emoji; buttons become a keypad menu
  (amounts come spoken from the NLG: the voice money format of ``bot.locales``).

Buttons stay in the message for SMS and voice so their connectors can map a reply "1" (or a
key press) back to the button's payload; those connectors send only the text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Any

from bot.i18n import N_
from common.channels import ChannelKind

SMS_CHOICE = N_("Svara {number} för {title}.")
VOICE_CHOICE = N_("Tryck {number} för {title}.")

Translate = Callable[[str], str]

_MD_LINK = re.compile(r"\[([^\]]+)\]\((https?://[^)\s]+)\)")
_URL = re.compile(r"https?://(?:www\.)?([^/\s)]+)[^\s)]*")
_EMPHASIS = re.compile(r"(?<!\w)(\*\*|__|\*|_)(?=\S)(.+?)(?<=\S)\1(?!\w)")
_HEADING = re.compile(r"^#{1,6}\s*", re.MULTILINE)
_BULLET = re.compile(r"^\s*[-*]\s+", re.MULTILINE)
_SYMBOL = re.compile(r"[^\w\s]")

# GSM 03.38 basic character set; these cost one septet each.
GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = set("^{}\\[~]|€")
_GSM7_REPLACEMENTS = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2013": "-", "\u2014": "-", "\u2212": "-", "\u2010": "-", "\u2011": "-",
    "\u2026": "...", "\u00a0": " ", "\u202f": " ", "\u2009": " ", "\t": " ",
    "\u2022": "-", "\u00b7": "-",
}


def to_gsm7(text: str) -> str:
    """Replaces what GSM-7 lacks: typographic punctuation by ASCII, accents by base letters."""
    out = []
    for char in text:
        if char in GSM7_BASIC or char in GSM7_EXTENDED:
            out.append(char)
        elif char in _GSM7_REPLACEMENTS:
            out.append(_GSM7_REPLACEMENTS[char])
        else:
            base = "".join(c for c in unicodedata.normalize("NFKD", char)
                           if not unicodedata.combining(c))
            # Anything still outside GSM-7 (emoji, other scripts) is dropped.
            out.append("".join(c for c in base if c in GSM7_BASIC))
    return re.sub(r"[ ]{2,}", " ", "".join(out))


def _strip_markdown(text: str) -> str:
    text = _HEADING.sub("", text)
    text = _BULLET.sub("- ", text)
    return _EMPHASIS.sub(r"\2", text)


def _is_emoji(char: str) -> bool:
    return unicodedata.category(char) in {"So", "Sk", "Cs"} or 0x1F000 <= ord(char) <= 0x1FAFF


def for_sms(text: str) -> str:
    def link(match: re.Match[str]) -> str:
        label, url = match.group(1), match.group(2)
        return url if label.strip() == url else f"{label}: {url}"

    return to_gsm7(_strip_markdown(_MD_LINK.sub(link, text))).strip()


def for_voice(text: str) -> str:
    text = _MD_LINK.sub(lambda m: m.group(1), text)
    # A spoken address is the site's name, never a path ("forsakringskassan.se").
    text = _URL.sub(lambda m: m.group(1), text)
    text = _strip_markdown(text)
    # Only symbols can be emoji: look at those alone, not at every letter.
    text = _SYMBOL.sub(lambda m: " " if _is_emoji(m.group()) else m.group(), text)
    text = re.sub(r"\s*\n+\s*", " ", text)
    return re.sub(r"[ ]{2,}", " ", text).strip()


def _choices(buttons: list[dict[str, Any]], template: str, translate: Translate) -> str:
    phrase = translate(template)
    return "\n".join(
        phrase.format(number=index, title=button.get("title", ""))
        for index, button in enumerate(buttons, start=1)
    )


def render_for_channel(
    message: dict[str, Any], kind: ChannelKind, translate: Translate
) -> dict[str, Any]:
    """Shapes a filled (and translated) response for the channel kind."""
    if kind is ChannelKind.WEB:
        return message
    text = message.get("text") or ""
    buttons = message.get("buttons") or []
    if kind is ChannelKind.SMS:
        if buttons:
            text = f"{text}\n{_choices(buttons, SMS_CHOICE, translate)}" if text else \
                _choices(buttons, SMS_CHOICE, translate)
        message["text"] = for_sms(text)
    else:
        if buttons:
            text = f"{text} {_choices(buttons, VOICE_CHOICE, translate)}"
        # Amounts are already spoken ("12 345 kronor"): the NLG fills them in the voice
        # format of bot/locales.py.
        message["text"] = for_voice(text)
    message.pop("image", None)
    message.pop("attachment", None)
    return message
