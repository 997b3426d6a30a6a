"""Babel catalogs: the languages the assistant speaks and their translations.

Swedish is the source language: its texts are the domain's responses and need no catalog.
Every other language is a compiled catalog ``locales/<lang>/LC_MESSAGES/messages.mo``;
adding a language is adding its catalog, its NLU data and its entry in ``bot/locales.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from babel.support import NullTranslations, Translations

from bot.locales import SOURCE, language_of

SOURCE_LANGUAGE = SOURCE.code
LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"

def identity(message: str) -> str:
    """Marks a text in code for extraction without translating it where it is defined."""
    return message


N_ = identity


@dataclass
class Catalogs:
    locales_dir: Path = LOCALES_DIR
    _cache: dict[str, NullTranslations] = field(default_factory=dict)

    def languages(self) -> frozenset[str]:
        compiled = {
            mo.parent.parent.name
            for mo in self.locales_dir.glob(f"*/LC_MESSAGES/{DOMAIN}.mo")
        }
        return frozenset({SOURCE_LANGUAGE, *compiled})

    def translations(self, language: str) -> NullTranslations:
        if language not in self._cache:
            if language == SOURCE_LANGUAGE:
                self._cache[language] = NullTranslations()
            else:
                mo = self.locales_dir / language / "LC_MESSAGES" / f"{DOMAIN}.mo"
                if not mo.exists():
                    raise FileNotFoundError(
                        f"no compiled catalog for {language!r} at {mo}; run `make i18n-compile`")
                with mo.open("rb") as handle:
                    self._cache[language] = Translations(handle, domain=DOMAIN)
        return self._cache[language]

    def translate(self, language: str, context: str | None, message: str) -> str:
        translations = self.translations(language)
        if context is None:
            return str(translations.gettext(message))
        return str(translations.pgettext(context, message))


def format_locale(language: str) -> str:
    """The Babel locale that formats numbers, dates and times (bot/locales.py)."""
    return language_of(language).babel_locale
