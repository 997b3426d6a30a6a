"""The conversation's language: the rule lives in common/conversation_language.py, shared
with the action server; the Rasa side imports it from here."""

from common.conversation_language import (
    CARRIED_LANGUAGE_KEY,
    SWITCH_LANGUAGE_INTENT,
    LanguageState,
    conversation_language,
    fold_language,
    language_of_message,
)

__all__ = ["CARRIED_LANGUAGE_KEY", "SWITCH_LANGUAGE_INTENT", "LanguageState",
           "conversation_language", "fold_language", "language_of_message"]
