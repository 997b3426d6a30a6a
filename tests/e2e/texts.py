"""What the assistant should say, built from the domain's source texts and the catalogs."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from babel.support import Translations

from bot.formatting import fill_placeholders
from bot.i18n import format_locale
from bot.support import load_support_line

ROOT = Path(__file__).resolve().parents[2]
SUPPORT = load_support_line()
ENGLISH = Translations.load(str(ROOT / "locales"), ["en"])


def _responses() -> dict[str, list[dict[str, Any]]]:
    responses: dict[str, list[dict[str, Any]]] = {}
    for path in (ROOT / "bot" / "domain").glob("*.yml"):
        responses.update((yaml.safe_load(path.read_text()) or {}).get("responses") or {})
    return responses


RESPONSES = _responses()


def tidy(text: str) -> str:
    """An empty {support_hours_sentence} leaves a double or trailing space; the NLG drops it."""
    return re.sub(r"[ ]{2,}", " ", text).strip()


def expected(name: str, language: str, **values: Any) -> set[str]:
    """Every web variation of a response, translated and filled with ``values``."""
    locale = format_locale(language)
    catalog = ENGLISH if language == "en" else None

    def translate(text: str) -> str:
        return str(catalog.gettext(text)) if catalog else text

    context = {"support_phone": SUPPORT.phone,
               "support_hours_sentence": SUPPORT.hours_sentence(locale, translate), **values}
    texts = set()
    for variation in RESPONSES[name]:
        if variation.get("channel"):
            continue
        text = variation["text"]
        if catalog is not None:
            text = str(catalog.pgettext(name, text))
        texts.add(tidy(fill_placeholders(text, context, locale, translate=translate)))
    return texts
