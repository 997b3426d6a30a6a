"""Turn latency per channel: every channel hands its messages to Rasa through ``measured``.

A turn is Rasa's ``on_new_message``: from the (checked, redacted) message until its last reply
is collected, actions and the tracker-store write included; the channel's own work (signature
checks, TwiML) is not. Observed into ``assistant_turn_seconds{channel}`` and counted in
``assistant_turns_total``; a turn that raises also in ``assistant_turn_failures_total``; the
turns under way in ``assistant_turns_in_flight``.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage

from bot.metrics import TURN_FAILURES, TURN_SECONDS, TURNS, TURNS_IN_FLIGHT, channel_label

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


def measured(channel: str, on_new_message: OnNewMessage) -> OnNewMessage:
    """``on_new_message`` that records each turn's time under ``channel``."""
    label = channel_label(channel)
    seconds, turns, failures = (TURN_SECONDS.labels(label), TURNS.labels(label),
                                TURN_FAILURES.labels(label))
    in_flight = TURNS_IN_FLIGHT.labels(label)

    async def handle(message: UserMessage) -> Any:
        started = time.perf_counter()
        in_flight.inc()
        try:
            return await on_new_message(message)
        except Exception:
            failures.inc()
            raise
        finally:
            in_flight.dec()
            seconds.observe(time.perf_counter() - started)
            turns.inc()
    return handle
