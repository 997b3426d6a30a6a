"""Who may read or do what. The assistant enforces these rules too; this service enforces them
again so that a bug (or a forged call) in the assistant cannot show one person another's data.

- The identified person (X-Acting-Person) must be the person in the path: everyone reads only
  their own data. A representative is no exception: they cannot read the principal's cases.
- A person with protected identity gets no case or payment details on sms or voice.
- Orders: only for a principal the acting person represents.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from casebackend.context import CaseRequest
from casebackend.problems import (
    FORBIDDEN,
    INVALID_HEADER,
    PERSON_NOT_FOUND,
    PROTECTED_IDENTITY,
    Problem,
)
from casebackend.repositories import persons
from casebackend.repositories.persons import PersonRecord
from casebackend.schemas import REF_PATTERN
from casebackend.vocabulary import CHANNELS, UNPROTECTED_CHANNELS, Channel

ACTING_PERSON_HEADER = "X-Acting-Person"
CHANNEL_HEADER = "X-Channel"

_REF = re.compile(REF_PATTERN)


@dataclass(frozen=True)
class Caller:
    """The identified person on whose behalf the assistant calls, and the channel they use."""

    person: PersonRecord
    channel: Channel


def channel_of(request: CaseRequest) -> Channel:
    value = request.headers.get(CHANNEL_HEADER)
    if value is None:
        raise Problem(INVALID_HEADER, f"{CHANNEL_HEADER} is required: web, sms, voice or rest.")
    return _channel(value)


def optional_channel_of(request: CaseRequest) -> Channel | None:
    value = request.headers.get(CHANNEL_HEADER)
    return None if value is None else _channel(value)


def _channel(value: str) -> Channel:
    for channel in CHANNELS:
        if value == channel:
            return channel
    raise Problem(INVALID_HEADER, f"{CHANNEL_HEADER} must be web, sms, voice or rest.")


def acting_ref_of(request: CaseRequest) -> str:
    value: str | None = request.headers.get(ACTING_PERSON_HEADER)
    if value is None:
        raise Problem(
            INVALID_HEADER, f"{ACTING_PERSON_HEADER} is required: the identified person's ref."
        )
    if not _REF.fullmatch(value):
        raise Problem(INVALID_HEADER, f"{ACTING_PERSON_HEADER} is not a person reference.")
    return value


async def caller_for(request: CaseRequest, session: AsyncSession, path_ref: str) -> Caller:
    """Check the headers and that the caller asks about themselves; load them (404 if unknown)."""
    channel = channel_of(request)
    acting_ref = acting_ref_of(request)
    # Compared before any lookup, so a refusal tells nothing about whether the ref exists.
    if acting_ref != path_ref:
        raise Problem(FORBIDDEN, "A person can only be asked about by that person.")
    person = await persons.get_by_ref(session, path_ref)
    if person is None:
        raise Problem(PERSON_NOT_FOUND, "There is no person with that reference.")
    return Caller(person=person, channel=channel)


def require_details_allowed_on_channel(caller: Caller) -> None:
    if caller.person.protected_identity and caller.channel in UNPROTECTED_CHANNELS:
        raise Problem(
            PROTECTED_IDENTITY,
            "This person has protected identity: case and payment details are given only on "
            "Mina sidor or in the web chat after login.",
        )
