"""Writes the corpus' channel-independent turns as `rasa test` stories
(tests/conversations/corpus_stories.yml), so that `make stories` checks the same
conversations with --fail-on-prediction-errors.

    .venv/bin/python -m tests.conversations.stories          # write the file
    .venv/bin/python -m tests.conversations.stories --check  # fail if it is out of date

A story is the longest opening of a conversation that every channel shares: it stops before
the first turn that stories cannot carry (a personnummer, which the channels redact before
Rasa; a wait; a choice of either response; a channel's own wording) and before
inform_benefit, whose answer depends on what the identified person asked before. The actions
come from the turn's response names: a custom action's responses stand for that action.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from pathlib import Path

import yaml

from tests.conversations.player.corpus import Conversation, Step, load_corpus

STORIES_FILE = Path(__file__).resolve().parent / "corpus_stories.yml"
STORY_CHANNELS = ("rest", "web")
PERSONAL_ACTIONS = {
    "ask_case_status": "action_case_status",
    "ask_next_payment": "action_next_payment",
    "ask_attachment_options": "action_attachment_options",
    "order_annual_report_basis": "action_order_annual_report_basis",
    "get_started": "action_get_started",
    # "ja" to the offer to look at the case.
    "affirm": "action_attachment_options",
}
# Responses a custom action gives, by the action (actions/*.py).
ACTION_RESPONSES = {
    "action_case_status": {"utter_case_status", "utter_case_decision_expected",
                           "utter_no_open_cases", "utter_representative_cannot_follow_cases"},
    "action_next_payment": {"utter_next_payment", "utter_next_payment_preliminary",
                            "utter_preliminary_payments", "utter_no_planned_payments"},
    "action_attachment_options": {"utter_attachments_possible",
                                  "utter_attachments_not_possible",
                                  "utter_attachments_no_open_case"},
    "action_get_started": {"utter_get_started_first_time", "utter_get_started_representative"},
    "action_order_annual_report_basis": {"utter_order_confirmed",
                                         "utter_order_only_representatives"},
    "action_log_out": {"utter_logged_out"},
    "action_human_handoff": {"utter_handoff", "utter_handoff_queued",
                             "utter_handoff_desk_closed"},
    "action_offer_handoff": {"utter_fallback_handoff", "utter_fallback_offer_person"},
}
# What any personal action says before it can answer: the one asked for is the turn's own.
GATES = {"utter_ask_personal_number", "utter_identification_needed",
         "utter_protected_use_mina_sidor", "utter_backend_unavailable"}


def actions_of(step: Step) -> list[str] | None:
    """The actions a turn's responses stand for, or None when a story cannot say."""
    actions: list[str] = []
    for name in step.expect:
        if "|" in name or name.startswith("answer:"):
            return None
        if step.intent in PERSONAL_ACTIONS and (
                name in GATES or step.intent == "get_started"):
            action = PERSONAL_ACTIONS[step.intent]
        else:
            action = next((a for a, names in ACTION_RESPONSES.items() if name in names), name)
        if not actions or actions[-1] != action:
            actions.append(action)
    return actions


# Entities that fill a slot of the same name (bot/domain/conversation.yml).
SLOT_ENTITIES = {"benefit"}


def annotated(text: str, entities: Iterable[str]) -> tuple[str, list[dict[str, str]]]:
    """The text with Rasa's entity markup; ``entities`` as ``"entity:span=value"``."""
    slots = []
    for spec in entities:
        entity, rest = spec.split(":", 1)
        span, value = rest.split("=", 1)
        if span not in text:
            raise ValueError(f"{span!r} is not in {text!r}")
        markup = json.dumps({"entity": entity, "value": value}, ensure_ascii=False)
        text = text.replace(span, f"[{span}]{markup}", 1)
        if entity in SLOT_ENTITIES:
            slots.append({entity: value})
    return text, slots


def story_steps(conversation: Conversation) -> list[dict[str, object]]:
    channel = next((c for c in STORY_CHANNELS if c in conversation.channels), None)
    if channel is None:
        return []
    steps: list[dict[str, object]] = []
    for turn in conversation.turns:
        if not turn.applies_to(channel):
            continue
        step = turn.on(channel)
        override = turn.raw.get(channel) or {}
        if (step.personnummer is not None or step.wait or not step.intent
                or "|" in step.intent or step.intent == "inform_benefit" or "say" in override):
            break
        actions = actions_of(step)
        if not actions:
            break
        text, slots = annotated(str(step.say), turn.raw.get("entities") or ())
        steps.append({"user": text, "intent": step.intent})
        if slots:
            steps.append({"slot_was_set": slots})
        steps += [{"action": action} for action in actions]
    return steps


def render(conversations: list[Conversation]) -> str:
    stories = []
    for conversation in conversations:
        steps = story_steps(conversation)
        if sum(1 for s in steps if "user" in s) >= 2:
            stories.append({"story": f"{conversation.theme}: {conversation.id}",
                            "steps": steps})
    header = ("# Written by `python -m tests.conversations.stories` from corpus/*.yml: do not "
              "edit.\n# The channel-independent opening of each conversation, for `rasa test` "
              "(make stories).\n")
    body = yaml.safe_dump({"version": "3.1", "stories": stories}, allow_unicode=True,
                          sort_keys=False, width=100)
    return header + body


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the file is stale")
    args = parser.parse_args()
    text = render(load_corpus())
    if args.check:
        if not STORIES_FILE.exists() or STORIES_FILE.read_text(encoding="utf-8") != text:
            print(f"{STORIES_FILE} is out of date: run python -m tests.conversations.stories",
                  file=sys.stderr)
            return 1
        return 0
    STORIES_FILE.write_text(text, encoding="utf-8")
    print(f"wrote {STORIES_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
