"""The closed vocabularies of the API and the database, in one place.

The Literal types type the API models; the tuples feed the database CHECK constraints. A test checks
that each tuple equals its Literal's arguments.
"""

from typing import Literal, TypeVar

V = TypeVar("V", bound=str)

Benefit = Literal[
    "sjukpenning",
    "bostadsbidrag",
    "aktivitetsstod",
    "foraldrapenning",
    "tillfallig_foraldrapenning",
    "sjukersattning",
    "aktivitetsersattning",
    "handikappersattning",
    "barnbidrag",
    "underhallsstod",
]
BENEFITS: tuple[Benefit, ...] = (
    "sjukpenning",
    "bostadsbidrag",
    "aktivitetsstod",
    "foraldrapenning",
    "tillfallig_foraldrapenning",
    "sjukersattning",
    "aktivitetsersattning",
    "handikappersattning",
    "barnbidrag",
    "underhallsstod",
)

CaseStatus = Literal["open", "closed"]
CASE_STATUSES: tuple[CaseStatus, ...] = ("open", "closed")

CaseEventType = Literal[
    "application_received",
    "medical_certificate_received",
    "complement_requested",
    "complement_received",
    "decision_made",
    "payment_scheduled",
]
CASE_EVENT_TYPES: tuple[CaseEventType, ...] = (
    "application_received",
    "medical_certificate_received",
    "complement_requested",
    "complement_received",
    "decision_made",
    "payment_scheduled",
)

RepresentativeRole = Literal["god_man", "forvaltare"]
REPRESENTATIVE_ROLES: tuple[RepresentativeRole, ...] = ("god_man", "forvaltare")

OrderType = Literal["annual_report_basis"]
ORDER_TYPES: tuple[OrderType, ...] = ("annual_report_basis",)

OrderStatus = Literal["received"]
ORDER_STATUSES: tuple[OrderStatus, ...] = ("received",)

# What the case backend may ask the assistant to tell a person by SMS (docs/sms.md).
NoticeEvent = Literal["payment_scheduled", "complement_requested"]
NOTICE_EVENTS: tuple[NoticeEvent, ...] = ("payment_scheduled", "complement_requested")

# sent: the assistant took the notice (its answer is the decision); skipped: the person has no
# SMS notices or no number, the assistant was not called; failed: the assistant could not be
# reached or refused (a rerun tries again).
NoticeStatus = Literal["sent", "skipped", "failed"]
NOTICE_STATUSES: tuple[NoticeStatus, ...] = ("sent", "skipped", "failed")

# rest: the assistant's REST channel (trusted integrations); never the logged-in web chat.
Channel = Literal["web", "sms", "voice", "rest"]
CHANNELS: tuple[Channel, ...] = ("web", "sms", "voice", "rest")


def checked(value: str, allowed: tuple[V, ...]) -> V:
    """The value as a member of its vocabulary (read back from the database, which CHECKs it)."""
    for member in allowed:
        if member == value:
            return member
    raise ValueError(f"{value!r} is not one of {allowed}")
