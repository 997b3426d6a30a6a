"""The in-process, localized NLG: ``endpoints.yml`` → ``nlg: type: bot.nlg.LocalizedNLG``.

For each response it picks a variation for the channel kind (web, sms, voice), translates it
to the conversation's language through the Babel catalog (msgctxt = response name, msgid =
the Swedish text), fills placeholders with values formatted for the locale, and shapes the
result with the channel rules of ``bot.rendering``.
"""

from __future__ import annotations

import copy
import logging
import re
from pathlib import Path
from typing import Any

from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot.formatting import MissingValueError, fill_placeholders
from bot.i18n import LOCALES_DIR, SOURCE_LANGUAGE, Catalogs, format_locale
from bot.language import conversation_language
from bot.locales import LANGUAGES, language_of
from bot.metrics import ConversationMetrics
from bot.rendering import render_for_channel
from bot.support import SupportLine, load_support_line
from common.channels import ChannelKind, channel_kind

logger = logging.getLogger(__name__)
_DOUBLE_SPACE = re.compile(r"[ ]{2,}")

# Key of a voice message's ``{"intent": ..., "language": ...}`` (see turn_facts).
TURN_FACTS_KEY = "turn_facts"


def turn_facts(tracker: DialogueStateTracker, language: str) -> dict[str, str | None]:
    """The turn's intent and the language its answer is in: nothing personal."""
    intent = (tracker.latest_message.intent or {}).get("name") if tracker.latest_message \
        else None
    return {"intent": intent, "language": language}


class ResponseRenderer:
    """Turns one response variation into the message a channel sends; no Rasa types here."""

    def __init__(self, catalogs: Catalogs, support: SupportLine) -> None:
        self._catalogs = catalogs
        self._support = support

    def context_values(self, language: str) -> dict[str, Any]:
        """Values every response may use, from configuration. The opening hours come as a
        whole sentence that is empty while they are not configured (bot.support)."""
        sentence = self._support.hours_sentence(
            format_locale(language), lambda text: self._catalogs.translate(language, None, text))
        return {"support_phone": self._support.phone, "support_hours_sentence": sentence}

    def _fill(self, name: str, text: str, language: str, kind: ChannelKind,
              values: dict[str, Any]) -> str:
        translated = self._catalogs.translate(language, name, text)
        locale = format_locale(language)
        money = language_of(language).money.for_kind(kind.value)

        def translate(source: str) -> str:
            return self._catalogs.translate(language, None, source)

        try:
            filled = fill_placeholders(translated, values, locale, translate=translate,
                                       money=money)
        except (MissingValueError, TypeError, ValueError, ArithmeticError) as error:
            # Never send a raw "{placeholder}": log what went wrong (names only, no values).
            logger.error("response %s: cannot fill placeholders (%s)", name,
                         type(error).__name__)
            filled = fill_placeholders(translated, values, locale, lenient=True,
                                       translate=translate, money=money)
        # An empty sentence placeholder ({support_hours_sentence}) leaves a double space.
        return _DOUBLE_SPACE.sub(" ", filled).strip()

    def render(self, name: str, variation: dict[str, Any], language: str, kind: ChannelKind,
               values: dict[str, Any]) -> dict[str, Any]:
        message = copy.deepcopy(variation)
        message.pop("channel", None)
        message.pop("condition", None)
        all_values = {**values, **self.context_values(language)}
        if message.get("text"):
            message["text"] = self._fill(name, message["text"], language, kind, all_values)
        for button in message.get("buttons") or []:
            if button.get("title"):
                button["title"] = self._fill(name, button["title"], language, kind,
                                             all_values)
        return render_for_channel(
            message, kind, lambda text: self._catalogs.translate(language, None, text))


class LocalizedNLG(TemplatedNaturalLanguageGenerator):
    def __init__(self, endpoint_config: EndpointConfig | None = None,
                 domain: Domain | None = None) -> None:
        if domain is None:
            raise ValueError("LocalizedNLG needs the domain")
        super().__init__(domain.responses)
        options = dict(endpoint_config.kwargs) if endpoint_config else {}
        self.catalogs = Catalogs(Path(options.get("locales_dir") or LOCALES_DIR))
        self.languages = self.catalogs.languages()
        unlisted = sorted(self.languages - {entry.code for entry in LANGUAGES})
        if unlisted:
            raise ValueError(f"catalog language(s) {unlisted} have no entry in bot/locales.py")
        self.default_language = str(options.get("default_language") or SOURCE_LANGUAGE)
        if self.default_language not in self.languages:
            raise ValueError(f"default_language {self.default_language!r} has no catalog; "
                             f"available: {sorted(self.languages)}")
        self.renderer = ResponseRenderer(self.catalogs, load_support_line())
        # Fallback turns and support-line offers, counted where every answer passes.
        self.metrics = ConversationMetrics()

    def language_of(self, tracker: DialogueStateTracker) -> str:
        events = (event.as_dict() for event in tracker.events)
        return conversation_language(events, self.default_language, self.languages)

    async def generate(self, utter_action: str, tracker: DialogueStateTracker,
                       output_channel: str, **kwargs: Any) -> dict[str, Any] | None:
        kind = channel_kind(output_channel)
        filled_slots = tracker.current_slot_values()
        variation = self._random_response_for(utter_action, kind.value, filled_slots)
        if variation is None:
            return None
        self.metrics.on_response(utter_action, tracker)
        language = self.language_of(tracker)
        values = {**filled_slots, **kwargs}
        message = self.renderer.render(utter_action, variation, language, kind, values)
        if kind is ChannelKind.VOICE:
            # The phone channel steers the call by what the turn did; carried on the message
            # so it need not read the whole tracker back after every turn.
            message[TURN_FACTS_KEY] = turn_facts(tracker, language)
        return message
