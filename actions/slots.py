"""Names of the conversation's slots that several actions read or set (bot/domain/*.yml)."""

from __future__ import annotations

BENEFIT_SLOT = "benefit"
# The personal question answered last ("action_next_payment", ...), for follow-ups that only
# name another benefit.
LAST_PERSONAL_SLOT = "last_personal_action"
