"""Who may do what with a handoff.

Any agent sees the waiting queue and may take a waiting handoff over; an active or closed
handoff belongs to the agent who took it (another agent gets 403); a supervisor reads all of
them. Only the agent who has a handoff writes in it.
"""

from __future__ import annotations

from agentdesk.db.models import Handoff
from agentdesk.errors import Refusal
from agentdesk.staff_auth import SignedIn
from agentdesk.vocabulary import ACTIVE, CLOSED, SUPERVISOR, WAITING


def may_read(who: SignedIn, handoff: Handoff) -> bool:
    return who.role == SUPERVISOR or handoff.status == WAITING or handoff.agent_id == who.staff_id


def check_read(who: SignedIn, handoff: Handoff) -> None:
    if not may_read(who, handoff):
        raise Refusal(403, "another agent has this handoff")


def check_write(who: SignedIn, handoff: Handoff) -> None:
    if handoff.agent_id is not None and handoff.agent_id != who.staff_id:
        raise Refusal(403, "another agent has this handoff")
    if handoff.status == CLOSED:
        raise Refusal(409, "the handoff is closed")
    if handoff.status != ACTIVE:
        raise Refusal(409, "take the handoff over first")
