"""Prometheus metrics of the Rasa process: what turns cost and how conversations went.

Served on ``GET /metrics`` by ``connectors.ops``. The channels time each turn
(``connectors.base.turn_metrics``); fallback turns and hand-offs are counted from the responses the
in-process NLG renders (``ConversationMetrics``), the one place every answer of every channel
passes through without extra I/O; the phone channel counts its call transfers itself.

Labels are bounded: ``channel`` is one of ``CHANNELS`` or ``other``; ``kind`` one of
``HANDOFF_KINDS``. Nothing about a person is ever a label.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from prometheus_client import Counter, Gauge, Histogram, disable_created_metrics

disable_created_metrics()  # type: ignore[no-untyped-call]  # no *_created series

CHANNELS = ("rest", "twilio_sms", "twilio_voice", "webchat")
OTHER_CHANNEL = "other"
FALLBACK_INTENT = "nlu_fallback"
# Responses that offer the support line, by why it was offered.
HANDOFF_RESPONSES = {
    "utter_handoff": "support_line_requested",
    "utter_fallback_handoff": "support_line_after_fallback",
    "utter_identification_support_line": "support_line_identification",
    # The agent desk (actions/handoff.py): queued for a person, the desk closed or full,
    # a person offered after two misunderstandings.
    "utter_handoff_queued": "desk_queued",
    "utter_handoff_desk_closed": "desk_closed",
    "utter_fallback_offer_person": "desk_offered_after_fallback",
}
# The phone channel's own: a call put through to the support line, asked for while it is
# closed, and a person offered after repeated misunderstanding (connectors.voice.call).
VOICE_CHANNEL = "twilio_voice"
VOICE_TRANSFER = "voice_transfer"
VOICE_TRANSFER_CLOSED = "voice_transfer_closed"
VOICE_OFFER_PERSON = "voice_offer_person"
HANDOFF_KINDS = (*HANDOFF_RESPONSES.values(), VOICE_TRANSFER, VOICE_TRANSFER_CLOSED,
                 VOICE_OFFER_PERSON)
# Twilio waits 15 s; the latency targets are about 150 ms (docs/benchmarks.md).
TURN_BUCKETS = (0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0)

TURN_SECONDS = Histogram(
    "assistant_turn_seconds",
    "Time from a message handed to Rasa until its last reply was collected, per channel",
    ["channel"], buckets=TURN_BUCKETS)
TURNS = Counter("assistant_turns", "Messages handed to Rasa, per channel", ["channel"])
TURN_FAILURES = Counter("assistant_turn_failures",
                        "Turns that raised instead of answering, per channel", ["channel"])
FALLBACK_TURNS = Counter("assistant_fallback_turns",
                         "Turns whose intent was nlu_fallback, per channel", ["channel"])
HANDOFFS = Counter("assistant_handoffs",
                   "The support line offered or a call transferred to it, by kind and channel",
                   ["kind", "channel"])

# The queue in front of Rasa: turns handed over and not yet answered, waiting for the
# conversation's lock included.
TURNS_IN_FLIGHT = Gauge("assistant_turns_in_flight",
                        "Turns handed to Rasa and not yet answered, per channel", ["channel"])
# Requests the Twilio channels refused before Rasa saw them: a forged or misconfigured
# signature (wrong token, wrong public_base_url) shows here first.
TWILIO_CHANNELS = ("twilio_sms", "twilio_voice")
TWILIO_REJECTION_REASONS = ("signature", "too_large", "media_type")
TWILIO_REJECTED = Counter("assistant_twilio_rejected_requests",
                          "Twilio webhooks refused before Rasa, by channel and reason",
                          ["channel", "reason"])

for _channel in (*CHANNELS, OTHER_CHANNEL):  # every series exists from the start, at 0
    TURN_SECONDS.labels(_channel)
    TURNS.labels(_channel)
    TURN_FAILURES.labels(_channel)
    FALLBACK_TURNS.labels(_channel)
    TURNS_IN_FLIGHT.labels(_channel)
for _channel in TWILIO_CHANNELS:
    for _reason in TWILIO_REJECTION_REASONS:
        TWILIO_REJECTED.labels(_channel, _reason)


def channel_label(channel: str | None) -> str:
    return channel if channel in CHANNELS else OTHER_CHANNEL


def count_handoff(kind: str, channel: str | None = VOICE_CHANNEL) -> None:
    HANDOFFS.labels(kind, channel_label(channel)).inc()


class ConversationMetrics:
    """Counts fallback turns and support-line offers from the responses being rendered.

    A fallback turn is counted once however many responses it has: the turn is the latest user
    message's id, remembered per conversation for the last ``max_conversations`` ones."""

    def __init__(self, max_conversations: int = 10_000) -> None:
        self._max = max_conversations
        self._counted: OrderedDict[str, str] = OrderedDict()

    def on_response(self, utter_action: str, tracker: Any) -> None:
        channel = channel_label(tracker.get_latest_input_channel())
        kind = HANDOFF_RESPONSES.get(utter_action)
        if kind is not None:
            HANDOFFS.labels(kind, channel).inc()
        latest = tracker.latest_message
        intent = (getattr(latest, "intent", None) or {}).get("name")
        if intent != FALLBACK_INTENT:
            return
        turn = str(getattr(latest, "message_id", None) or id(latest))
        if self._counted.get(tracker.sender_id) == turn:
            return
        self._counted[tracker.sender_id] = turn
        self._counted.move_to_end(tracker.sender_id)
        while len(self._counted) > self._max:
            self._counted.popitem(last=False)
        FALLBACK_TURNS.labels(channel).inc()
