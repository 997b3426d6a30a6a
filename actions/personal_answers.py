"""The personal questions by action name: what identification answers once the person is
known, and what a follow-up naming only a benefit asks again."""

from __future__ import annotations

from collections.abc import Mapping

from actions.attachments import ActionAttachmentOptions
from actions.backend_types import CaseBackend
from actions.case_status import ActionCaseStatus
from actions.get_started import ActionGetStarted
from actions.identity.services import IdentityServices
from actions.orders import ActionOrderAnnualReportBasis
from actions.payments import ActionNextPayment
from actions.personal_action import PersonalAction

PERSONAL_ACTIONS: tuple[type[PersonalAction], ...] = (
    ActionCaseStatus, ActionNextPayment, ActionAttachmentOptions, ActionGetStarted,
    ActionOrderAnnualReportBasis)


def personal_actions(backend: CaseBackend | None, identity: IdentityServices | None,
                     environ: Mapping[str, str] | None = None) -> dict[str, PersonalAction]:
    """Every personal action sharing the caller's backend client and identity services."""
    made = [kind(backend, environ, identity) for kind in PERSONAL_ACTIONS]
    return {action.name(): action for action in made}
