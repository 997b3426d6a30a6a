"""Tracker store failures reach the channel instead of being answered from a blank conversation.

Rasa wraps every tracker store in a ``FailSafeTrackerStore``: when a read fails it returns
"no conversation", so Rasa starts an empty one and answers the message in it, and when a write
fails it keeps the tracker in this process's memory only. While PostgreSQL restarts, that
answers people without their conversation (language, identification, the open question all
gone) and leaves their turn out of the database, and once it is back the next write counts
the stored rows against the blank tracker and stores nothing of it either
(tests/scaleout/test_faults.py measured both before this). ``use_primary_tracker_store``
takes the wrapper away, so a failing read or write is an error of the turn: the REST channel
answers 500 and the client sends the message again (with its ``message_id``: processed once),
the SMS and web chat channels apologise, and readiness (connectors/ops.py) sees the failure.

Called once the agent is loaded (an ``after_server_start`` hook of connectors.ops.OpsInput),
and again harmlessly after a model reload.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa.core.tracker_store import FailSafeTrackerStore

logger = logging.getLogger(__name__)


def use_primary_tracker_store(agent: Any) -> bool:
    """Unwraps the agent's (and its processor's) tracker store; True if it was wrapped."""
    store = getattr(agent, "tracker_store", None)
    if not isinstance(store, FailSafeTrackerStore):
        return False
    primary = store._tracker_store  # Rasa 3.6 keeps the wrapped store here
    agent.tracker_store = primary
    processor = getattr(agent, "processor", None)
    if processor is not None:
        processor.tracker_store = primary
    logger.info("tracker store failures now fail the turn (%s)", type(primary).__name__)
    return True
