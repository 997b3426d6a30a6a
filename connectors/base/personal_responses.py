"""Which bot responses may carry personal data: those of the personal actions, declared in
their own domain file (bot/domain/personal.yml: case status, payments, attachments, orders,
protected identity). A channel whose answer can reach someone other than the person (the
SMS webhook's TwiML goes to whoever posted the request) sends a turn that said any of them
another way."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import yaml

PERSONAL_DOMAIN = Path(__file__).resolve().parents[2] / "bot" / "domain" / "personal.yml"
# Responses of that file that say nothing about anyone: the same words to every sender (asking
# to log in, "cannot fetch your data now", the offer to look at a case, which benefit?). That a
# person has protected identity is personal, so that answer is not among them.
SAYS_NOTHING_PERSONAL = frozenset({"utter_identification_needed", "utter_backend_unavailable",
                                   "utter_offer_case_check", "utter_ask_benefit_topic"})


def load_personal_responses(path: Path = PERSONAL_DOMAIN) -> frozenset[str]:
    """The response names of the personal domain file (blocking: reads the file)."""
    domain = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    names = frozenset(str(name) for name in domain.get("responses") or {}) - \
        SAYS_NOTHING_PERSONAL
    if not names:
        raise ValueError(f"{path} declares no responses: personal answers would go unnoticed")
    return names


def said_personal(utter_actions: Iterable[str], personal: frozenset[str]) -> bool:
    return any(name in personal for name in utter_actions)
