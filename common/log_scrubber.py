"""What the log filter removes from a line: personnummer-shaped and phone-number-shaped text,
also when it is URL-encoded or glued to an id, while generated ids stay readable.

Three steps, each for a way a number slipped through before:
- URL-encoding is undone for the search (``%2B46701234567`` is ``+46701234567``, ``%20`` a
  space, ``+`` between digit groups a form-encoded space); a line in which something was
  found is logged in its decoded form, any other line exactly as it was.
- Only ids of the shapes we and Twilio generate are exempt from the personnummer search
  (their digits can look like one): UUIDs, and 32, 40 or 64 lowercase hex digits with a
  letter among them, alone or after two capitals (Twilio's SM..., CA..., AC...). A shorter
  hex-looking run (``191212121212abcd``) is searched like any other text.
- Inside an exempt id, a digit run that holds a valid personnummer or is a Swedish mobile
  number is replaced all the same: a random id holds one about once in a thousand, a
  crafted one always does.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from common.personal_number import REDACTED, holds_valid_number, normalise, redact

PHONE_REDACTED = "PHONE_REDACTED"
# E.164 or 00-prefixed international numbers, and Swedish national numbers (0 + 7-10 more
# digits, with single spaces, '+' (form-encoded spaces) or hyphens between groups). Not
# inside a longer word or number, so ids, timestamps, durations and addresses pass.
_PHONE = re.compile(
    r"(?<![\w+])(?:\+|00)[1-9]\d{0,2}(?:[ +-]?\d){6,12}(?!\w)"
    r"|(?<![\w.+-])0\d(?:[ +-]?\d){6,9}(?!\w)")
_HEX_ID = re.compile(
    r"(?<![0-9A-Za-z])"
    r"(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    r"|(?:[A-Z]{2})?(?=[0-9a-f]*[a-f])(?:[0-9a-f]{64}|[0-9a-f]{40}|[0-9a-f]{32}))"
    r"(?![0-9A-Za-z])")
_DIGIT_RUN = re.compile(r"\d{10,}")
_MOBILE = re.compile(r"(?:0046|46|0)7\d{8}")
_PERCENT_RUN = re.compile(r"(?:%[0-9A-Fa-f]{2})+")
_DECODE_ROUNDS = 3  # %252B is %2B is '+'


def _decode_run(match: re.Match[str]) -> str:
    decoded = unquote(match.group(), errors="strict") if _is_utf8(match.group()) else ""
    # Control characters stay encoded: decoding is for the search, not for a new line break.
    if not decoded or any(not char.isprintable() for char in decoded):
        return match.group()
    return decoded


def _is_utf8(run: str) -> bool:
    try:
        bytes.fromhex(run.replace("%", "")).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def url_decoded(text: str) -> str:
    for _ in range(_DECODE_ROUNDS):
        decoded = _PERCENT_RUN.sub(_decode_run, text)
        if decoded == text:
            break
        text = decoded
    return text


def _scrub_id(hex_id: str) -> str:
    def replace(run: re.Match[str]) -> str:
        if holds_valid_number(run.group()):
            return REDACTED
        return PHONE_REDACTED if _MOBILE.fullmatch(run.group()) else run.group()
    return _DIGIT_RUN.sub(replace, hex_id)


def _scrub_plain(text: str) -> str:
    if not text:
        return text
    text = redact(text).text
    # Found in the normalised text (full-width '＋', other digits and dashes), one character
    # for one, so the spans are those of the original.
    parts, last = [], 0
    for phone in _PHONE.finditer(normalise(text)):
        parts += [text[last:phone.start()], PHONE_REDACTED]
        last = phone.end()
    parts.append(text[last:])
    return "".join(parts)


def _scrub_decoded(text: str) -> str:
    parts, last = [], 0
    for hex_id in _HEX_ID.finditer(text):
        parts += [_scrub_plain(text[last:hex_id.start()]), _scrub_id(hex_id.group())]
        last = hex_id.end()
    parts.append(_scrub_plain(text[last:]))
    return "".join(parts)


def scrub(text: str) -> str:
    """The text with personnummer-shaped and phone-number-shaped sequences replaced;
    generated ids are left as they are. Unchanged if nothing was found."""
    if not text:
        return text
    decoded = url_decoded(text) if "%" in text else text
    clean = _scrub_decoded(decoded)
    return text if clean == decoded else clean
